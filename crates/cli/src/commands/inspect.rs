//! `plugin-host inspect`: what a plugin is and whether it fits the host.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use plugin_host::Compiled;
use plugin_host::inspect::{CoreItem, Inspection, ItemVerdict};
use serde_json::{Value, json};

use crate::common::{
    EXIT_FAILED, EXIT_LOAD_ERROR, EngineArgs, Output, json, print_error, print_or_stop,
};
use crate::grants::GrantArgs;

/// Show what a plugin is and whether it fits the host.
///
/// For a component: its WIT (decoded with wit-component), then each import with whether
/// the host provides it, the version of example:plugin it targets, and each export that
/// version's world requires with whether the component has it with the right type (the
/// calls it offers). For a core module: its imports and exports with their types, and what
/// keeps it from the core-module ABI. Exits 0 if the plugin fits, 1 if it does not, 2 if it
/// could not be read.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    plugin-host inspect guest.wasm\n  \
    plugin-host inspect --json greeter.wasm\n  \
    plugin-host inspect core_plugin.wasm")]
pub struct Inspect {
    /// The plugin: a component or a core module.
    plugin: PathBuf,

    #[command(flatten)]
    engine: EngineArgs,

    #[command(flatten)]
    grants: GrantArgs,
}

impl Inspect {
    /// Inspects the plugin and prints the report (or JSON).
    pub fn execute(self, output: Output) -> ExitCode {
        let inspection = self
            .engine
            .host(self.grants.grants())
            .and_then(|host| host.inspect(&self.plugin));
        let (inspection, compiled) = match inspection {
            Ok(inspection) => inspection,
            Err(error) => {
                print_error(&error);
                return ExitCode::from(EXIT_LOAD_ERROR);
            }
        };
        let name = self.plugin.display().to_string();
        print_or_stop(|out| {
            if output.json {
                json(out, &inspection_json(&name, &inspection, &compiled))
            } else {
                print(out, &name, &inspection, &compiled)
            }
        });
        if inspection.is_compatible() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// Prints an inspection: the component's WIT and a line per import and required export, or the
/// core module's imports and exports; then the verdict.
fn print(
    out: &mut impl Write,
    plugin: &str,
    inspection: &Inspection,
    compiled: &Compiled,
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
    effective(out, compiled)?;
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
fn effective(out: &mut impl Write, compiled: &Compiled) -> io::Result<()> {
    match compiled.manifest() {
        Some(manifest) => writeln!(out, "under the manifest {}:", manifest.path().display())?,
        None => writeln!(out, "under the host's defaults (no manifest):")?,
    }
    let limits = compiled.limits();
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
        "          {} instances, {} memories, {} tables, lifted {}, output {}, {} handles",
        limits.instances,
        limits.memories,
        limits.tables,
        bytes(limits.lifted_bytes),
        bytes(limits.output_bytes),
        limits.component_handles,
    )?;
    let grants = compiled.grants();
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
fn inspection_json(plugin: &str, inspection: &Inspection, compiled: &Compiled) -> Value {
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
    let limits = compiled.limits();
    value["manifest"] = json!(compiled.manifest().map(|m| m.path().display().to_string()));
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
        "component_handles": limits.component_handles,
    });
    let grants = compiled.grants();
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
