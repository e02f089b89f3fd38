//! `plugin-host watch`: a directory of plugins kept loaded while its files change, answering
//! calls typed on standard input.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;

use example_host::{ExampleHost, HostState};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use plugin_host::dynamic::WaveSession;
use plugin_host::telemetry;
use plugin_host::watch::{Event, PluginDirectory};
use plugin_host::{Compiled, PluginKind};

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
/// a shell (`p.wasm point-add '{x: 1, y: 2}' '{x: 3, y: 4}'`). A component's calls go to one
/// instance of the file's current version, kept from line to line: a resource handle a call
/// returns prints as `<accumulator #1>` and a later line passes it back with that text (or
/// `#1`), and `drop FILE HANDLE` drops it; a `stream<T>` argument is a WAVE list. A new
/// version of the file, or a failed call, starts a new instance, whose handles are new. A core
/// module's calls each run on a fresh instance. Ends at the end of standard input.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  \
    plugin-host watch plugins/\n  \
    then type: guest.wasm just-add 40 2\n  \
    or:        guest.wasm shapes#accumulator.new\n  \
    then:      guest.wasm shapes#accumulator.add '<accumulator #1>' '{x: 1, y: 2}'\n  \
    and:       drop guest.wasm '<accumulator #1>'")]
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
        let mut sessions = Sessions::default();
        for line in io::stdin().lines() {
            let Ok(line) = line else { break };
            let words = shlex::split(&line).unwrap_or_default();
            let (dropping, words) = match words.split_first() {
                Some((first, rest)) if first == "drop" => (true, rest),
                _ => (false, &words[..]),
            };
            let [file, function, args @ ..] = words else {
                if !line.trim().is_empty() {
                    eprintln!(
                        "error: a call is FILE FUNCTION ARGS..., and a drop is drop FILE \
                         HANDLE, quoted as in a shell"
                    );
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
            let result = match (loaded.kind(), dropping) {
                (PluginKind::CoreModule, false) => host.call_wave_loaded(&loaded, function, args),
                (PluginKind::CoreModule, true) => {
                    eprintln!("error: a core module has no handles to drop");
                    continue;
                }
                (PluginKind::Component, _) => {
                    let session = match sessions.of(&host, file, &loaded) {
                        Ok(session) => session,
                        Err(error) => {
                            print_error(&error);
                            continue;
                        }
                    };
                    if dropping {
                        match session.drop_handle(function) {
                            Ok(()) => print_or_stop(|out| writeln!(out, "dropped {function}")),
                            Err(error) => print_error(&error),
                        }
                        continue;
                    }
                    session
                        .call_wave(function, args)
                        .map_err(|error| host.explain(&loaded, function, error))
                }
            };
            match result {
                Ok(call) => print_or_stop(|out| call::print(out, &call, output.quiet)),
                Err(error) => print_error(&error),
            }
        }
        ExitCode::SUCCESS
    }
}

/// The instance each watched component's calls go to, with the version of the file it was
/// made from: a new version gets a new instance.
#[derive(Default)]
struct Sessions {
    by_file: HashMap<String, (Arc<Compiled>, WaveSession<HostState>)>,
}

impl Sessions {
    /// The session of `file`, whose current version is `loaded`.
    fn of(
        &mut self,
        host: &ExampleHost,
        file: &str,
        loaded: &Arc<Compiled>,
    ) -> Result<&mut WaveSession<HostState>, plugin_host::Error> {
        let current = matches!(self.by_file.get(file), Some((made_from, _)) if Arc::ptr_eq(made_from, loaded));
        if !current {
            let session = host.session(loaded)?;
            self.by_file
                .insert(file.to_owned(), (loaded.clone(), session));
        }
        Ok(&mut self.by_file.get_mut(file).expect("just made").1)
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
