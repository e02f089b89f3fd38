//! `plugin-host watch`: a directory of plugins kept loaded while its files change, answering
//! calls typed on standard input.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use example_host::ExampleHost;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use plugin_host::telemetry;
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

    /// Serve the plugins' metrics in the Prometheus text format at
    /// http://ADDRESS/metrics (calls by outcome, call durations, instantiations, live
    /// instances, memory high-water, fuel, dropped output, reloads).
    #[arg(long, value_name = "ADDRESS")]
    metrics: Option<SocketAddr>,
}

impl Watch {
    /// Watches the directory and answers calls typed on standard input until it ends.
    pub fn execute(self, output: Output) -> ExitCode {
        let mut config = self.engine.config(self.grants.grants());
        if let Some(address) = self.metrics {
            let installed = PrometheusBuilder::new()
                .with_http_listener(address)
                .set_buckets_for_metric(
                    Matcher::Full(telemetry::CALL_DURATION.into()),
                    CALL_SECONDS_BUCKETS,
                )
                .and_then(|builder| builder.install());
            if let Err(error) = installed {
                eprintln!("error: cannot serve metrics at {address}: {error}");
                return ExitCode::from(EXIT_LOAD_ERROR);
            }
            telemetry::describe();
            config.metrics = true;
        }
        let host = match ExampleHost::with_config(config) {
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

/// The call-duration histogram's buckets, in seconds: from 10 µs (a call into a small plugin
/// takes a few microseconds) to 10 s (past the default deadline).
const CALL_SECONDS_BUCKETS: &[f64] = &[
    0.000_01, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0,
];

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
