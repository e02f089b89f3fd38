//! `plugin-host`: loads WebAssembly plugins and shows every host/guest interaction.

mod limits;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use limits::LimitArgs;
use plugin_host::{PluginHost, demo};

/// Load WebAssembly plugins into a wasmtime host and exercise them.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the demonstration that fits each plugin and check every result.
    ///
    /// A component is held to the world example:plugin/plugin@0.1.0; a core module to the raw
    /// ABI. Exits 0 only if every check passed, 1 if a check or call failed, 2 if a plugin
    /// could not be loaded.
    #[command(after_help = "Examples:\n  \
        plugin-host run guest.wasm core_plugin.wasm\n  \
        plugin-host run --link core_calc.wasm core_toolbox.wasm\n  \
        plugin-host run --deadline-ms 100 --fuel 1000000 --max-memory-mib 16 guest.wasm")]
    Run {
        /// Plugins to load, each a component or a core module (told apart by the header).
        paths: Vec<PathBuf>,

        /// Link two core modules: instantiate PROVIDER, satisfy CONSUMER's `env` imports with its
        /// exports, and call CONSUMER's `foo(7)`.
        #[arg(long, num_args = 2, value_names = ["PROVIDER", "CONSUMER"])]
        link: Vec<PathBuf>,

        #[command(flatten)]
        limits: LimitArgs,
    },
}

/// A check or call failed.
const EXIT_FAILED: u8 = 1;
/// A plugin could not be loaded (or the command line was wrong; clap exits 2 itself).
const EXIT_LOAD_ERROR: u8 = 2;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let Command::Run {
        paths,
        link,
        limits,
    } = Cli::parse().command;
    let host = match PluginHost::with_limits(limits.limits()) {
        Ok(host) => host,
        Err(error) => {
            render::load_error(&error);
            return ExitCode::from(EXIT_LOAD_ERROR);
        }
    };

    let mut transcripts = Vec::new();
    let mut load_failed = false;
    for path in &paths {
        match host.load(path) {
            Ok(plugin) => transcripts.push(demo::plugin(&plugin, host.shared_value())),
            Err(error) => {
                render::load_error(&error);
                load_failed = true;
            }
        }
    }
    if let [provider, consumer] = link.as_slice() {
        let names = format!("{} + {}", provider.display(), consumer.display());
        match host.link_core_modules(provider, consumer, "env") {
            Ok(mut modules) => transcripts.push(demo::linked(&names, &mut modules)),
            Err(error) => {
                render::load_error(&error);
                load_failed = true;
            }
        }
    }
    for transcript in &transcripts {
        render::transcript(transcript);
    }
    render::summary(&transcripts, load_failed);

    if load_failed {
        ExitCode::from(EXIT_LOAD_ERROR)
    } else if transcripts.iter().all(demo::Transcript::passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}
