//! `plugin-host run`: the demonstration that fits each plugin, every result checked.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use example_host::demo::{self, Check, Transcript};
use example_host::{Chain, Error, ExampleHost, Plugin};
use plugin_host::ErrorKind;
use plugin_host::profile::Profiler;
use serde_json::{Value, json};

use crate::commands::call;
use crate::common::{
    EXIT_FAILED, EXIT_LOAD_ERROR, EngineArgs, Output, json, ms, print_error, print_or_stop,
};
use crate::grants::GrantArgs;

/// Run the demonstration that fits each plugin and check every result.
///
/// A component is held to the world of the contract version it targets (example:plugin
/// 0.1.0 or 0.1.1, told from its imports) and checked on every call of that version; a core
/// module to the raw ABI. A failed call is a failed check and the run goes on (on a fresh
/// instance). Exits 0 only if every check passed, 1 if a check or call failed, 2 if a
/// plugin could not be loaded.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    plugin-host run guest.wasm legacy_guest.wasm core_plugin.wasm\n  \
    plugin-host run --link core_calc.wasm core_toolbox.wasm\n  \
    plugin-host run --compose calc.wasm toolbox.wasm\n  \
    plugin-host run --deadline-ms 100 --fuel 1000000 --max-memory-mib 16 guest.wasm")]
pub struct Run {
    /// Plugins to load, each a component or a core module (told apart by the header). A
    /// directory stands for every `.wasm` file in it (and `.cwasm` with
    /// --allow-precompiled), each loaded as its own plugin, in name order.
    paths: Vec<PathBuf>,

    /// Link core modules in order, each one's exports satisfying the next one's imports,
    /// and call the last one's `foo(7)`.
    #[arg(long, num_args = 2.., value_name = "MODULE")]
    link: Vec<PathBuf>,

    /// Compose components in order at load time, each one's exported interfaces satisfying
    /// the next one's imports of the same name, and call the last one's `foo(7)`.
    #[arg(long, num_args = 2.., value_name = "COMPONENT")]
    compose: Vec<PathBuf>,

    /// Also load precompiled artifacts (from `plugin-host compile`). They are machine code:
    /// pass only artifacts you made or trust.
    #[arg(long)]
    allow_precompiled: bool,

    /// Sample each plugin's guest code while its checks run (every 10 ms) and write one
    /// profile per plugin to DIR (`NAME.json`; `link.json`, `compose.json` for the chains),
    /// for the Firefox Profiler (https://profiler.firefox.com).
    #[arg(long, value_name = "DIR")]
    profile: Option<PathBuf>,

    #[command(flatten)]
    engine: EngineArgs,

    #[command(flatten)]
    grants: GrantArgs,
}

impl Run {
    /// Runs the demonstration on each plugin and chain, prints the transcripts, the table and
    /// the summary (or JSON), and says how it went.
    pub fn execute(self, output: Output) -> ExitCode {
        let allow_precompiled = self.allow_precompiled;
        let host = match self.engine.host(self.grants.grants()) {
            Ok(host) => host,
            Err(error) => {
                print_error(&error);
                return ExitCode::from(EXIT_LOAD_ERROR);
            }
        };

        if let Some(dir) = &self.profile
            && let Err(error) = std::fs::create_dir_all(dir)
        {
            eprintln!("error: cannot create {}: {error}", dir.display());
            return ExitCode::from(EXIT_LOAD_ERROR);
        }
        let (paths, mut load_failed) = expand(&self.paths, allow_precompiled);
        let mut runs = Vec::new();
        for path in &paths {
            let start = Instant::now();
            match load(&host, path, allow_precompiled) {
                Ok(plugin) => {
                    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                    let profiled = Profiled::start(&self.profile, &stem, || plugin.profiler());
                    plugin.profile(profiled.profiler());
                    runs.push((demo::plugin(&plugin, host.shared_value()), start.elapsed()));
                    load_failed |= !profiled.finish();
                }
                Err(error) => {
                    print_error(&error);
                    load_failed = true;
                }
            }
        }
        let chains = [(Chain::Link, self.link), (Chain::Compose, self.compose)];
        for (how, chain) in chains.iter().filter(|(_, chain)| !chain.is_empty()) {
            let start = Instant::now();
            match host.chain(*how, chain) {
                Ok(chain) => {
                    let name = match how {
                        Chain::Link => "link",
                        Chain::Compose => "compose",
                    };
                    let profiled = Profiled::start(&self.profile, name, || chain.profiler());
                    chain.profile(profiled.profiler());
                    runs.push((demo::chained(&chain, host.shared_value()), start.elapsed()));
                    load_failed |= !profiled.finish();
                }
                Err(error) => {
                    print_error(&error);
                    load_failed = true;
                }
            }
        }
        let transcripts: Vec<_> = runs.iter().map(|(transcript, _)| transcript).collect();
        print_or_stop(|out| {
            if output.json {
                return json(out, &runs_json(&runs, load_failed));
            }
            if !output.quiet {
                for transcript in &transcripts {
                    print_transcript(out, transcript, output.verbose)?;
                }
            }
            table(out, &runs)?;
            summary(out, &transcripts, load_failed)
        });

        if load_failed {
            ExitCode::from(EXIT_LOAD_ERROR)
        } else if transcripts.iter().all(|transcript| transcript.passed()) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// A profile being sampled for `run --profile DIR` and the file it goes to, or why there is
/// none: `Ok(None)` without `--profile`.
struct Profiled(Result<Option<(Profiler, PathBuf)>, Error>);

impl Profiled {
    /// A profile from `make` into `DIR/NAME.json` if `dir` is given.
    fn start(
        dir: &Option<PathBuf>,
        name: &str,
        make: impl FnOnce() -> Result<Profiler, Error>,
    ) -> Self {
        Self(match dir {
            Some(dir) => make().map(|profiler| Some((profiler, dir.join(format!("{name}.json"))))),
            None => Ok(None),
        })
    }

    fn profiler(&self) -> Option<&Profiler> {
        self.0.as_ref().ok()?.as_ref().map(|(profiler, _)| profiler)
    }

    /// Writes the profile; false if there is none for `--profile` or it could not be
    /// written (the error is printed).
    fn finish(self) -> bool {
        let (profiler, out) = match self.0 {
            Ok(Some(profiled)) => profiled,
            Ok(None) => return true,
            Err(error) => {
                print_error(&error);
                return false;
            }
        };
        match call::write_profile(&profiler, &out) {
            Ok(()) => true,
            Err(error) => {
                eprintln!(
                    "error: cannot write the profile to {}: {error}",
                    out.display()
                );
                false
            }
        }
    }
}

/// Replaces each directory in `paths` by the plugin files in it, sorted by name: `.wasm`, and
/// `.cwasm` if `allow_precompiled`. Returns the files, and whether a directory could not be
/// read or holds a manifest without its plugin (the errors are printed).
fn expand(paths: &[PathBuf], allow_precompiled: bool) -> (Vec<PathBuf>, bool) {
    let mut files = Vec::new();
    let mut failed = false;
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).and_then(|entries| {
            entries
                .map(|entry| entry.map(|entry| entry.path()))
                .collect::<std::io::Result<Vec<_>>>()
        });
        match entries {
            Ok(mut entries) => {
                for orphan in plugin_host::manifest::orphans(&entries) {
                    print_error(&orphan);
                    failed = true;
                }
                entries.retain(|file| {
                    let extension = file.extension().and_then(|e| e.to_str());
                    extension == Some("wasm") || (allow_precompiled && extension == Some("cwasm"))
                });
                entries.sort();
                files.extend(entries);
            }
            Err(error) => {
                eprintln!(
                    "error: failed to read directory {}: {error}",
                    path.display()
                );
                failed = true;
            }
        }
    }
    (files, failed)
}

/// Loads `path`, as a precompiled artifact too if `allow_precompiled`.
fn load(host: &ExampleHost, path: &Path, allow_precompiled: bool) -> Result<Plugin, Error> {
    match host.load(path) {
        Err(error) if allow_precompiled && *error.kind() == ErrorKind::IsPrecompiled => {
            host.load_precompiled(path)
        }
        loaded => loaded,
    }
}

/// A failed call in one line: the plugin and export are in the row already, so only what went
/// wrong (`it ran past its deadline`, `it trapped: …`).
fn failure(error: &Error) -> String {
    match error.failure() {
        Some(failure) => failure.to_string(),
        None => error.to_string(),
    }
}

/// What a check produced, for its row: the result, or `failed: ` and why.
fn actual(check: &Check) -> String {
    match &check.actual {
        Ok(actual) => actual.clone(),
        Err(error) => format!("failed: {}", failure(error)),
    }
}

/// The terminal width a transcript row fits in; a row that would not puts its result on a
/// line of its own.
const WIDTH: usize = 80;

/// A plugin's name as the transcript shows it: the file name of each path (`guest.wasm`,
/// `core_calc.wasm + core_toolbox.wasm`); the header gives the paths once.
fn short_name(plugin: &str) -> String {
    plugin
        .split(" + ")
        .map(|path| {
            Path::new(path)
                .file_name()
                .map_or(path.into(), |file| file.to_string_lossy())
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Prints one plugin's transcript: a header with the plugin's paths, a row per check (the
/// expected result only under a failed check; a failed call in one line, a second for what the
/// check saw; `verbose` adds the error's causes and the wasm backtrace), and the plugin's
/// output.
fn print_transcript(
    out: &mut impl Write,
    transcript: &Transcript,
    verbose: bool,
) -> io::Result<()> {
    let name = short_name(&transcript.plugin);
    writeln!(out, "▶ {name}: {}", transcript.contract)?;
    if name != transcript.plugin {
        for path in transcript.plugin.split(" + ") {
            writeln!(out, "  {path}")?;
        }
    }
    let call_width = transcript
        .checks
        .iter()
        .map(|c| c.call.chars().count())
        .max()
        .unwrap_or(0);
    for check in &transcript.checks {
        let mark = if check.passed() { '✓' } else { '✗' };
        let actual = actual(check);
        if 4 + call_width + 4 + actual.chars().count() <= WIDTH {
            writeln!(out, "  {mark} {:<call_width$}  → {actual}", check.call)?;
        } else {
            writeln!(out, "  {mark} {}\n      → {actual}", check.call)?;
        }
        if !check.passed() {
            writeln!(out, "      expected {}", check.expected)?;
        }
        if let Some(note) = &check.note {
            writeln!(out, "      {note}")?;
        }
        if let (Err(error), true) = (&check.actual, verbose) {
            for line in format!("{error:#}").lines() {
                writeln!(out, "      {line}")?;
            }
        }
    }
    if let Some(error) = &transcript.error {
        writeln!(out, "  ✗ could not run: {error:#}")?;
    }
    for (stream, text) in [
        ("stdout", &transcript.stdout),
        ("stderr", &transcript.stderr),
    ] {
        if !text.is_empty() {
            writeln!(out, "  {name} {stream}:")?;
            for line in text.lines() {
                writeln!(out, "  │ {line}")?;
            }
        }
    }
    if transcript.dropped_output_bytes > 0 {
        writeln!(
            out,
            "  │ … {} more bytes of output dropped (--max-output-kib)",
            transcript.dropped_output_bytes
        )?;
    }
    writeln!(out)?;
    Ok(())
}

/// Prints one row per plugin run: name, kind, checks passed and failed (a run stopped by an
/// error counts one more failure), and how long the run took.
fn table(out: &mut impl Write, runs: &[(Transcript, Duration)]) -> io::Result<()> {
    let kind = |t: &Transcript| t.contract.split(',').next().unwrap_or_default().to_owned();
    let width = |f: &dyn Fn(&Transcript) -> usize, title: &str| {
        runs.iter()
            .map(|(t, _)| f(t))
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let name_width = width(&|t| short_name(&t.plugin).chars().count(), "plugin");
    let kind_width = width(&|t| kind(t).len(), "kind");
    writeln!(
        out,
        "{:<name_width$}  {:<kind_width$}  passed  failed  time",
        "plugin", "kind"
    )?;
    for (transcript, took) in runs {
        let (passed, failed) = (transcript.passed_checks(), transcript.failed_checks());
        writeln!(
            out,
            "{:<name_width$}  {:<kind_width$}  {passed:>6}  {failed:>6}  {:.1} ms",
            short_name(&transcript.plugin),
            kind(transcript),
            ms(*took)
        )?;
    }
    writeln!(out)?;
    Ok(())
}

/// Prints the closing line: how many checks passed and failed, over how many plugins.
fn summary(out: &mut impl Write, transcripts: &[&Transcript], load_failed: bool) -> io::Result<()> {
    let passed: usize = transcripts.iter().map(|t| t.passed_checks()).sum();
    let failed: usize = transcripts.iter().map(|t| t.failed_checks()).sum();
    let verdict = if failed == 0 && !load_failed {
        "all passed"
    } else {
        "FAILED"
    };
    writeln!(
        out,
        "{passed} passed, {failed} failed across {} plugin runs: {verdict}",
        transcripts.len()
    )?;
    Ok(())
}

/// A run as JSON: `{"plugins": [...], "passed", "total", "load_failed"}`, one object per
/// plugin run with its checks, error and output.
fn runs_json(runs: &[(Transcript, Duration)], load_failed: bool) -> Value {
    let plugins: Vec<Value> = runs
        .iter()
        .map(|(t, took)| {
            let checks: Vec<Value> = t
                .checks
                .iter()
                .map(|c| {
                    json!({
                        "call": c.call,
                        "actual": c.actual.as_ref().ok(),
                        "error": c.actual.as_ref().err().map(|error| format!("{error:#}")),
                        "expected": c.expected,
                        "note": c.note,
                        "passed": c.passed(),
                    })
                })
                .collect();
            json!({
                "plugin": t.plugin,
                "contract": t.contract,
                "checks": checks,
                "error": t.error.as_ref().map(|error| format!("{error:#}")),
                "stdout": t.stdout,
                "stderr": t.stderr,
                "dropped_output_bytes": t.dropped_output_bytes,
                "time_ms": ms(*took),
            })
        })
        .collect();
    json!({
        "plugins": plugins,
        "passed": runs.iter().map(|(t, _)| t.passed_checks()).sum::<usize>(),
        "failed": runs.iter().map(|(t, _)| t.failed_checks()).sum::<usize>(),
        "load_failed": load_failed,
    })
}
