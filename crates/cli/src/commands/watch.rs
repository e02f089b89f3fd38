//! `plugin-host watch`: a directory of plugins kept loaded while its files change, answering
//! calls typed on standard input.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use plugin_host::watch::{Event, PluginDirectory};

use crate::commands::call;
use crate::common::{EXIT_LOAD_ERROR, EngineArgs, Output, ms, print_error, print_or_stop};
use crate::grants::GrantArgs;

/// Load every plugin in a directory, keep them loaded as their files change, and answer
/// calls typed on standard input.
///
/// Prints each load, reload, failure and unload as it happens. A `.wasm` file added or
/// changed is loaded in the background and swapped in (calls already running finish on the
/// old version); one that fails to load leaves the old version serving; a removed one is
/// unloaded. Each line of standard input is a call, `FILE FUNCTION ARGS...`, quoted as in
/// a shell (`p.wasm point-add '{x: 1, y: 2}' '{x: 3, y: 4}'`), made on a fresh instance
/// of the file's current version. Ends at the end of standard input.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  \
    plugin-host watch plugins/\n  \
    then type: guest.wasm just-add 40 2")]
pub struct Watch {
    /// The directory of plugins.
    #[arg(value_name = "DIR")]
    directory: PathBuf,

    #[command(flatten)]
    engine: EngineArgs,

    #[command(flatten)]
    grants: GrantArgs,
}

impl Watch {
    /// Watches the directory and answers calls typed on standard input until it ends.
    pub fn execute(self, output: Output) -> ExitCode {
        let host = match self.engine.host(self.grants.grants()) {
            Ok(host) => Arc::new(host),
            Err(error) => {
                print_error(&error);
                return ExitCode::from(EXIT_LOAD_ERROR);
            }
        };
        let loader = host.clone();
        let plugins = PluginDirectory::watch(&self.directory, move |path| {
            // Any plugin the host can call by name: checked for its imports here, not at the call.
            let loaded = loader.host().load(path)?;
            loader.host().dynamic(&loaded)?;
            Ok(loaded)
        });
        let plugins = match plugins {
            Ok(plugins) => Arc::new(plugins),
            Err(error) => {
                print_error(&error);
                return ExitCode::from(EXIT_LOAD_ERROR);
            }
        };
        let reporter = plugins.clone();
        std::thread::spawn(move || {
            loop {
                if let Some(event) = reporter.next_event(Duration::from_secs(3600)) {
                    print_or_stop(|out| print_event(out, &event));
                }
            }
        });
        for line in io::stdin().lines() {
            let Ok(line) = line else { break };
            let words = shlex::split(&line).unwrap_or_default();
            let [file, function, args @ ..] = words.as_slice() else {
                if !line.trim().is_empty() {
                    eprintln!("error: a call is FILE FUNCTION ARGS..., quoted as in a shell");
                }
                continue;
            };
            let Some(loaded) = plugins.get(file) else {
                eprintln!(
                    "error: no plugin {file} is loaded; loaded: {}",
                    plugins.names().join(", ")
                );
                continue;
            };
            match host.call_wave_loaded(&loaded, function, args) {
                Ok(call) => print_or_stop(|out| call::print(out, &call, output.quiet)),
                Err(error) => print_error(&error),
            }
        }
        ExitCode::SUCCESS
    }
}

/// One line for what happened in a watched directory.
fn print_event(out: &mut impl Write, event: &Event) -> io::Result<()> {
    match event {
        Event::Loaded { name, took } => writeln!(out, "loaded {name} ({:.1} ms)", ms(*took))?,
        Event::Reloaded { name, took } => writeln!(out, "reloaded {name} ({:.1} ms)", ms(*took))?,
        Event::Failed { name, error } => {
            writeln!(
                out,
                "failed {name}, the previous version (if any) still serves:"
            )?;
            writeln!(out, "  {error}")?;
        }
        Event::Unloaded { name } => writeln!(out, "unloaded {name}")?,
    }
    out.flush()
}
