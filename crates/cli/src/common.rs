//! What every command shares: the engine's flags, how to print, and the exit codes.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use example_host::{Error, ExampleHost};
use plugin_host::{CompilationCache, Grants, HostConfig};
use serde_json::Value;

use crate::limits::LimitArgs;

/// A check or call failed.
pub const EXIT_FAILED: u8 = 1;
/// A plugin could not be loaded (or the command line was wrong; clap exits 2 itself).
pub const EXIT_LOAD_ERROR: u8 = 2;

/// Flags that shape the engine, shared by every command.
#[derive(clap::Args)]
pub struct EngineArgs {
    /// Cache compiled plugins in the host's default cache directory
    /// (`$XDG_CACHE_HOME/plugin-host` or `~/.cache/plugin-host`), so that loading the same
    /// plugin again skips compiling; a damaged entry is reported and compiled afresh.
    #[arg(long)]
    cache: bool,

    #[command(flatten)]
    limits: LimitArgs,
}

impl EngineArgs {
    /// The example's host with these flags and `grants`.
    pub fn host(&self, grants: Grants) -> Result<ExampleHost, Error> {
        ExampleHost::with_config(self.config(grants))
    }

    /// The host configuration of these flags and `grants`.
    pub fn config(&self, grants: Grants) -> HostConfig {
        HostConfig {
            limits: self.limits.limits(),
            grants,
            cache: if self.cache {
                CompilationCache::DefaultDirectory
            } else {
                CompilationCache::Off
            },
            ..HostConfig::default()
        }
    }
}

/// How to print: `--quiet`, `--json`, `-v`.
#[derive(Clone, Copy)]
pub struct Output {
    /// Only results and errors.
    pub quiet: bool,
    /// JSON on stdout instead of text.
    pub json: bool,
    /// Errors with their causes and backtraces.
    pub verbose: bool,
}

/// Writes to stdout with `print`. A closed stdout (the reader went away, as with `| head`)
/// ends the output quietly; another write error is reported on stderr.
pub fn print_or_stop(print: impl FnOnce(&mut io::StdoutLock<'static>) -> io::Result<()>) {
    let result = print(&mut io::stdout().lock());
    if let Err(error) = result
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("error: failed to write the output: {error}");
    }
}

/// Whether `-v` was given: errors then say how to get source lines in a backtrace.
static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Sets whether errors are printed for `-v`.
pub fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, Ordering::Relaxed);
}

/// Prints an error with its causes on stderr; with `-v`, a backtrace without source lines
/// says how to get them.
pub fn print_error(error: &Error) {
    eprintln!("error: {error:#}");
    if VERBOSE.load(Ordering::Relaxed) && error.lacks_source_lines() {
        eprintln!("{NO_SOURCE_LINES}");
    }
}

/// What `-v` adds to a backtrace whose frames have no file and line.
pub const NO_SOURCE_LINES: &str = "note: the plugin has no debug info, so its backtrace shows \
no file and line; build it with debug info to see them (Rust: `debug = \"line-tables-only\"` \
in the cargo profile; C and C++: `-g`)";

/// Prints `value` as pretty JSON and a newline.
pub fn json(out: &mut impl Write, value: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// `duration` in milliseconds, with the fraction.
pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
