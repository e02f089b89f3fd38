//! `plugin-host`: loads WebAssembly plugins and shows every host/guest interaction. One module
//! per command (`commands/`), each with its arguments, its work and its output.

mod commands;
mod common;
mod grants;
mod limits;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commands::{call, compile, inspect, run, watch};
use common::Output;

/// Load WebAssembly plugins into a wasmtime host and exercise them.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Show diagnostics on stderr: -v for what each plugin logs (`log`, `log-message`) and the
    /// engine's choices, -vv for more. `RUST_LOG` (e.g. `RUST_LOG=plugin=warn`) overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    /// Print only results and errors: no transcripts, no plugin output, no warnings.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,

    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    Run(run::Run),
    Call(call::Call),
    Inspect(inspect::Inspect),
    Watch(watch::Watch),
    Compile(compile::Compile),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Plugins' own logs (target `plugin`) only with -v: a demonstration makes them on purpose.
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error,plugin=off",
        (false, 0) => "warn,plugin=off",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let output = Output {
        quiet: cli.quiet,
        json: cli.json,
        verbose: cli.verbose > 0,
    };
    common::set_verbose(output.verbose);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        // Colour only on a terminal, and never with NO_COLOR set (no-color.org).
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
    match cli.command {
        Command::Run(command) => command.execute(output),
        Command::Call(command) => command.execute(output),
        Command::Inspect(command) => command.execute(output),
        Command::Watch(command) => command.execute(output),
        Command::Compile(command) => command.execute(output),
    }
}
