//! How `plugin-host` prints transcripts and errors. Printing returns `io::Result` so that a
//! closed stdout (`plugin-host run … | head`) ends the output quietly instead of panicking.

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use example_host::Error;
use example_host::demo::{Check, Transcript};
use plugin_host::Compiled;
use plugin_host::dynamic::WaveCall;
use plugin_host::inspect::{CoreItem, Inspection, ItemVerdict};
use plugin_host::watch::Event;
use serde_json::{Value, json};

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
pub fn short_name(plugin: &str) -> String {
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
pub fn transcript(out: &mut impl Write, transcript: &Transcript, verbose: bool) -> io::Result<()> {
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
pub fn table(out: &mut impl Write, runs: &[(Transcript, Duration)]) -> io::Result<()> {
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
pub fn summary(
    out: &mut impl Write,
    transcripts: &[&Transcript],
    load_failed: bool,
) -> io::Result<()> {
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

/// Prints a load error with its causes.
pub fn load_error(error: &Error) {
    eprintln!("error: {error:#}");
}

/// Prints a call's outcome: the plugin's output (unless `quiet`), then the results as WAVE,
/// or the error on stderr.
pub fn call(out: &mut impl Write, call: &WaveCall, quiet: bool) -> io::Result<()> {
    if !quiet {
        out.write_all(call.output.stdout().as_bytes())?;
        eprint!("{}", call.output.stderr());
    }
    match &call.results {
        Ok(results) if results.is_empty() => Ok(()),
        Ok(results) => writeln!(out, "{results}"),
        Err(error) => {
            eprintln!("error: {error:#}");
            Ok(())
        }
    }
}

/// One line for what happened in a watched directory.
pub fn watch_event(out: &mut impl Write, event: &Event) -> io::Result<()> {
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

/// `duration` in milliseconds, with the fraction.
fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A call's outcome as JSON: `{"function", "results", "error", "stdout", "stderr"}`, with
/// `results` as WAVE text and `error` null unless the call failed.
pub fn call_json(call: &WaveCall) -> Value {
    let (results, error) = match &call.results {
        Ok(results) => (Some(results.as_str()), None),
        Err(error) => (None, Some(format!("{error:#}"))),
    };
    json!({
        "function": call.signature,
        "results": results,
        "error": error,
        "stdout": call.output.stdout(),
        "stderr": call.output.stderr(),
        "dropped_output_bytes": call.output.dropped_bytes(),
    })
}

/// A run as JSON: `{"plugins": [...], "passed", "total", "load_failed"}`, one object per
/// plugin run with its checks, error and output.
pub fn runs_json(runs: &[(Transcript, Duration)], load_failed: bool) -> Value {
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

/// Prints `value` as pretty JSON and a newline.
pub fn json(out: &mut impl Write, value: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// Prints an inspection: the component's WIT and a line per import and required export, or the
/// core module's imports and exports; then the verdict.
pub fn inspection(
    out: &mut impl Write,
    plugin: &str,
    inspection: &Inspection,
    loaded: &Compiled,
) -> io::Result<()> {
    match inspection {
        Inspection::Component(report) => {
            writeln!(out, "{plugin}: component\n")?;
            for line in report.wit.lines() {
                writeln!(out, "  {line}")?;
            }
            writeln!(out)?;
            verdicts(out, "imports", &report.imports)?;
            if let Some(world) = &report.world {
                match &report.version {
                    Some(version) => writeln!(out, "targets version {version}: {world}\n")?,
                    None => writeln!(out, "targets no served version; compared with {world}\n")?,
                }
                verdicts(out, &format!("exports {world} requires"), &report.exports)?;
                let offers = report.offers();
                match offers.as_slice() {
                    [] => writeln!(out, "offers: none of the calls\n")?,
                    calls => writeln!(out, "offers: {}\n", calls.join(", "))?,
                }
            }
        }
        Inspection::CoreModule(report) => {
            writeln!(out, "{plugin}: core module\n")?;
            items(out, "imports", &report.imports)?;
            items(out, "exports", &report.exports)?;
        }
    }
    let contract = match inspection {
        Inspection::Component(report) => match &report.world {
            Some(world) => format!("the world {world}"),
            None => "the host".to_owned(),
        },
        Inspection::CoreModule(_) => "the core-module ABI".to_owned(),
    };
    effective(out, loaded)?;
    let problems = inspection.problems();
    if problems.is_empty() {
        writeln!(out, "verdict: compatible with {contract}")
    } else {
        writeln!(out, "verdict: does not fit {contract}:")?;
        for problem in problems {
            writeln!(out, "  - {problem}")?;
        }
        Ok(())
    }
}

/// The limits and grants the plugin's instances get: the host's, narrowed by its manifest.
fn effective(out: &mut impl Write, loaded: &Compiled) -> io::Result<()> {
    match loaded.manifest() {
        Some(manifest) => writeln!(out, "under the manifest {}:", manifest.path().display())?,
        None => writeln!(out, "under the host's defaults (no manifest):")?,
    }
    let limits = loaded.limits();
    let fuel = limits
        .fuel
        .map_or("unmetered".to_owned(), |fuel| fuel.to_string());
    writeln!(
        out,
        "  limits: deadline {} ms, fuel {fuel}, memory {}, {} table elements,",
        limits.deadline.as_millis(),
        bytes(limits.memory_bytes),
        limits.table_elements,
    )?;
    writeln!(
        out,
        "          {} instances, {} memories, {} tables, lifted {}, output {}",
        limits.instances,
        limits.memories,
        limits.tables,
        bytes(limits.lifted_bytes),
        bytes(limits.output_bytes),
    )?;
    let grants = loaded.grants();
    if grants.dirs.is_empty() && grants.env.is_empty() {
        writeln!(out, "  grants: none")?;
    }
    for dir in &grants.dirs {
        let access = if dir.writable {
            "read-write"
        } else {
            "read-only"
        };
        writeln!(
            out,
            "  grants: {} ({access}) = {}",
            dir.guest,
            dir.host.display()
        )?;
    }
    for (key, _) in &grants.env {
        writeln!(out, "  grants: env {key}")?;
    }
    writeln!(out)
}

/// `n` bytes in the largest whole unit: `64 MiB`, `4 KiB`, `100 B`.
fn bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} B"),
    }
}

fn verdicts(out: &mut impl Write, title: &str, verdicts: &[ItemVerdict]) -> io::Result<()> {
    writeln!(out, "{title} ({}):", verdicts.len())?;
    for verdict in verdicts {
        match &verdict.problem {
            None => writeln!(out, "  ✓ {}", verdict.name)?,
            Some(problem) => writeln!(out, "  ✗ {}: {problem}", verdict.name)?,
        }
    }
    writeln!(out)
}

fn items(out: &mut impl Write, title: &str, items: &[CoreItem]) -> io::Result<()> {
    writeln!(out, "{title} ({}):", items.len())?;
    let width = items
        .iter()
        .map(|i| i.name.chars().count())
        .max()
        .unwrap_or(0);
    for item in items {
        writeln!(out, "  {:<width$}  {}", item.name, item.ty)?;
    }
    writeln!(out)
}

/// An inspection as JSON: `{"plugin", "kind", "compatible", "problems", ...}` plus `wit`,
/// `imports` and `exports` (each `{"name", "problem"}`) for a component, or `imports` and
/// `exports` (each `{"name", "type"}`) for a core module.
pub fn inspection_json(plugin: &str, inspection: &Inspection, loaded: &Compiled) -> Value {
    let verdicts = |verdicts: &[ItemVerdict]| -> Vec<Value> {
        verdicts
            .iter()
            .map(|v| json!({"name": v.name, "problem": v.problem}))
            .collect()
    };
    let items = |items: &[CoreItem]| -> Vec<Value> {
        items
            .iter()
            .map(|i| json!({"name": i.name, "type": i.ty}))
            .collect()
    };
    let mut value = match inspection {
        Inspection::Component(report) => json!({
            "kind": "component",
            "version": report.version,
            "world": report.world,
            "offers": report.offers(),
            "wit": report.wit,
            "imports": verdicts(&report.imports),
            "exports": verdicts(&report.exports),
        }),
        Inspection::CoreModule(report) => json!({
            "kind": "core module",
            "imports": items(&report.imports),
            "exports": items(&report.exports),
        }),
    };
    value["plugin"] = json!(plugin);
    let limits = loaded.limits();
    value["manifest"] = json!(loaded.manifest().map(|m| m.path().display().to_string()));
    value["limits"] = json!({
        "deadline_ms": u64::try_from(limits.deadline.as_millis()).unwrap_or(u64::MAX),
        "fuel": limits.fuel,
        "memory_bytes": limits.memory_bytes,
        "table_elements": limits.table_elements,
        "instances": limits.instances,
        "memories": limits.memories,
        "tables": limits.tables,
        "lifted_bytes": limits.lifted_bytes,
        "output_bytes": limits.output_bytes,
    });
    let grants = loaded.grants();
    value["grants"] = json!({
        "dirs": grants.dirs.iter().map(|d| json!({
            "guest": d.guest, "host": d.host.display().to_string(), "writable": d.writable,
        })).collect::<Vec<_>>(),
        "env": grants.env.iter().map(|(key, _)| key.clone()).collect::<Vec<_>>(),
    });
    value["compatible"] = json!(inspection.is_compatible());
    value["problems"] = json!(inspection.problems());
    value
}
