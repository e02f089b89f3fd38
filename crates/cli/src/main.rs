//! `plugin-host`: loads WebAssembly plugins and shows every host/guest interaction.

mod grants;
mod limits;
mod render;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use example_host::{Chain, Error, ExampleHost, Plugin, demo};
use grants::GrantArgs;
use limits::LimitArgs;
use plugin_host::watch::PluginDirectory;
use plugin_host::{CompilationCache, ErrorKind, Grants, HostConfig};

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
    /// Run the demonstration that fits each plugin and check every result.
    ///
    /// A component is held to the world of the contract version it targets (example:plugin
    /// 0.1.0 or 0.1.1, told from its imports) and checked on every call of that version; a core
    /// module to the raw ABI. A failed call is a failed check and the run goes on (on a fresh
    /// instance). Exits 0 only if every check passed, 1 if a check or call failed, 2 if a
    /// plugin could not be loaded.
    #[command(after_help = "Examples:\n  \
        plugin-host run guest.wasm legacy_guest.wasm core_plugin.wasm\n  \
        plugin-host run --link core_calc.wasm core_toolbox.wasm\n  \
        plugin-host run --compose calc.wasm toolbox.wasm\n  \
        plugin-host run --deadline-ms 100 --fuel 1000000 --max-memory-mib 16 guest.wasm")]
    Run {
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

        #[command(flatten)]
        engine: EngineArgs,

        #[command(flatten)]
        grants: GrantArgs,
    },

    /// Call one function of any component or core module and print its results.
    ///
    /// Arguments are WAVE values (the WebAssembly Value Encoding: `7`, `"text"`, `{x: 1, y: 2}`,
    /// `[1, 2]`, `some(3)`, `ok("yes")`), checked against the function's parameter types before
    /// the call; results print as WAVE. A core module's functions take numbers. The plugin need
    /// not fit the host's world, only import what the host provides (WASI and the `host`
    /// interface). Exits 0 if the call returned, 1 if it failed, 2 if the plugin could not be
    /// loaded or the function or arguments are wrong (the error shows the signature).
    #[command(after_help = "Examples:\n  \
        plugin-host call guest.wasm just-add 15 27\n  \
        plugin-host call guest.wasm point-add '{x: 1, y: 2}' '{x: 3, y: 4}'\n  \
        plugin-host call greeter.wasm text#shout '\"hi\"'\n  \
        plugin-host call --dir ./data::/data greeter.wasm read-file '\"/data/notes.txt\"'\n  \
        plugin-host call core_plugin.wasm simple_add 1 1\n  \
        plugin-host call --link core_calc.wasm core_toolbox.wasm foo 7\n  \
        plugin-host call --compose calc.wasm toolbox.wasm foo 7")]
    Call {
        /// With --link: PLUGIN and every file named after it are core modules, linked in order
        /// (each one's exports satisfy the next one's imports), and FUNCTION is the first
        /// argument that is not a file; it is called on the last module.
        #[arg(long, conflicts_with = "compose")]
        link: bool,

        /// With --compose: as --link, for components composed in order at load time (each
        /// one's exported interfaces satisfy the next one's imports).
        #[arg(long)]
        compose: bool,

        /// The plugin: a component or a core module.
        plugin: PathBuf,

        /// The export to call: `name`, or `INTERFACE#name` for a function in an exported
        /// interface (`text#shout` or `example:greeter/text@0.1.0#shout`).
        function: String,

        /// The arguments, one WAVE value each. Negative numbers need no `--`.
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,

        #[command(flatten)]
        engine: EngineArgs,

        #[command(flatten)]
        grants: GrantArgs,
    },

    /// Show what a plugin is and whether it fits the host.
    ///
    /// For a component: its WIT (decoded with wit-component), then each import with whether
    /// the host provides it, the version of example:plugin it targets, and each export that
    /// version's world requires with whether the component has it with the right type (the
    /// calls it offers). For a core module: its imports and exports with their types, and what
    /// keeps it from the core-module ABI. Exits 0 if the plugin fits, 1 if it does not, 2 if it
    /// could not be read.
    #[command(after_help = "Examples:\n  \
        plugin-host inspect guest.wasm\n  \
        plugin-host inspect --json greeter.wasm\n  \
        plugin-host inspect core_plugin.wasm")]
    Inspect {
        /// The plugin: a component or a core module.
        plugin: PathBuf,

        #[command(flatten)]
        engine: EngineArgs,

        #[command(flatten)]
        grants: GrantArgs,
    },

    /// Load every plugin in a directory, keep them loaded as their files change, and answer
    /// calls typed on standard input.
    ///
    /// Prints each load, reload, failure and unload as it happens. A `.wasm` file added or
    /// changed is loaded in the background and swapped in (calls already running finish on the
    /// old version); one that fails to load leaves the old version serving; a removed one is
    /// unloaded. Each line of standard input is a call, `FILE FUNCTION ARGS...`, quoted as in
    /// a shell (`p.wasm point-add '{x: 1, y: 2}' '{x: 3, y: 4}'`), made on a fresh instance
    /// of the file's current version. Ends at the end of standard input.
    #[command(after_help = "Example:\n  \
        plugin-host watch plugins/\n  \
        then type: guest.wasm just-add 40 2")]
    Watch {
        /// The directory of plugins.
        #[arg(value_name = "DIR")]
        directory: PathBuf,

        #[command(flatten)]
        engine: EngineArgs,

        #[command(flatten)]
        grants: GrantArgs,
    },

    /// Precompile a plugin into an artifact that `run --allow-precompiled` loads without
    /// compiling.
    ///
    /// The plugin is checked against the world or the ABI first. The artifact only loads in a
    /// host with the same wasmtime version and engine settings: pass `run` the same limit flags
    /// (fuel and stack size change the machine code).
    #[command(after_help = "Examples:\n  \
        plugin-host compile guest.wasm -o guest.cwasm\n  \
        plugin-host run --allow-precompiled guest.cwasm")]
    Compile {
        /// The plugin to compile: a component or a core module.
        plugin: PathBuf,

        /// Where to write the artifact.
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,

        #[command(flatten)]
        engine: EngineArgs,
    },
}

/// Flags that shape the engine, shared by every command.
#[derive(clap::Args)]
struct EngineArgs {
    /// Cache compiled plugins in wasmtime's default cache directory (on Linux
    /// `~/.cache/wasmtime`), so that loading the same plugin again skips compiling.
    #[arg(long)]
    cache: bool,

    #[command(flatten)]
    limits: LimitArgs,
}

impl EngineArgs {
    fn host(&self, grants: Grants) -> Result<ExampleHost, Error> {
        ExampleHost::with_config(HostConfig {
            limits: self.limits.limits(),
            grants,
            cache: if self.cache {
                CompilationCache::DefaultDirectory
            } else {
                CompilationCache::Off
            },
            ..HostConfig::default()
        })
    }
}

/// A check or call failed.
const EXIT_FAILED: u8 = 1;
/// A plugin could not be loaded (or the command line was wrong; clap exits 2 itself).
const EXIT_LOAD_ERROR: u8 = 2;

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
        Command::Run {
            paths,
            link,
            compose,
            allow_precompiled,
            engine,
            grants,
        } => {
            let chains = [(Chain::Link, link), (Chain::Compose, compose)];
            run(&paths, &chains, allow_precompiled, &engine, &grants, output)
        }
        Command::Call {
            link,
            compose,
            plugin,
            function,
            args,
            engine,
            grants,
        } => {
            let how = match (link, compose) {
                (true, _) => Some(Chain::Link),
                (_, true) => Some(Chain::Compose),
                _ => None,
            };
            let (target, function, args) = match how {
                Some(how) => chained_call(how, plugin, function, args),
                None => (Target::One(plugin), function, args),
            };
            call(&target, &function, &args, &engine, &grants, output)
        }
        Command::Inspect {
            plugin,
            engine,
            grants,
        } => inspect(&plugin, &engine, &grants, output),
        Command::Compile {
            plugin,
            output: artifact,
            engine,
        } => compile(&plugin, &artifact, &engine, output),
        Command::Watch {
            directory,
            engine,
            grants,
        } => watch(&directory, &engine, &grants, output),
    }
}

/// How to print: `--quiet`, `--json`, `-v`.
#[derive(Clone, Copy)]
struct Output {
    quiet: bool,
    json: bool,
    verbose: bool,
}

fn run(
    paths: &[PathBuf],
    chains: &[(Chain, Vec<PathBuf>)],
    allow_precompiled: bool,
    engine: &EngineArgs,
    grants: &GrantArgs,
    output: Output,
) -> ExitCode {
    let host = match engine.host(grants.grants()) {
        Ok(host) => host,
        Err(error) => {
            render::load_error(&error);
            return ExitCode::from(EXIT_LOAD_ERROR);
        }
    };

    let (paths, mut load_failed) = expand(paths, allow_precompiled);
    let mut runs = Vec::new();
    for path in &paths {
        let start = Instant::now();
        match load(&host, path, allow_precompiled) {
            Ok(plugin) => runs.push((demo::plugin(&plugin, host.shared_value()), start.elapsed())),
            Err(error) => {
                render::load_error(&error);
                load_failed = true;
            }
        }
    }
    for (how, chain) in chains.iter().filter(|(_, chain)| !chain.is_empty()) {
        let start = Instant::now();
        match host.chain(*how, chain) {
            Ok(chain) => runs.push((demo::chained(&chain, host.shared_value()), start.elapsed())),
            Err(error) => {
                render::load_error(&error);
                load_failed = true;
            }
        }
    }
    let transcripts: Vec<_> = runs.iter().map(|(transcript, _)| transcript).collect();
    print_or_stop(|out| {
        if output.json {
            return render::json(out, &render::runs_json(&runs, load_failed));
        }
        if !output.quiet {
            for transcript in &transcripts {
                render::transcript(out, transcript, output.verbose)?;
            }
        }
        render::table(out, &runs)?;
        render::summary(out, &transcripts, load_failed)
    });

    if load_failed {
        ExitCode::from(EXIT_LOAD_ERROR)
    } else if transcripts.iter().all(|transcript| transcript.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
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
                    render::load_error(&orphan);
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

/// Writes to stdout with `print`. A closed stdout (the reader went away, as with `| head`)
/// ends the output quietly; another write error is reported on stderr.
fn print_or_stop(print: impl FnOnce(&mut io::StdoutLock<'static>) -> io::Result<()>) {
    let result = print(&mut io::stdout().lock());
    if let Err(error) = result
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("error: failed to write the output: {error}");
    }
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

/// What `plugin-host call` calls into.
enum Target {
    /// One plugin.
    One(PathBuf),
    /// Several, joined into one (`--link`, `--compose`).
    Chain(Chain, Vec<PathBuf>),
}

/// Splits `call --link`'s (or `--compose`'s) arguments: `plugin` and the files after it are
/// the plugins to join, the first argument that is not a file is the function, the rest its
/// arguments.
fn chained_call(
    how: Chain,
    plugin: PathBuf,
    function: String,
    args: Vec<String>,
) -> (Target, String, Vec<String>) {
    let mut rest = std::iter::once(function).chain(args);
    let mut modules = vec![plugin];
    let function = loop {
        match rest.next() {
            Some(word) if Path::new(&word).is_file() => modules.push(word.into()),
            Some(word) => break word,
            None => break String::new(),
        }
    };
    (Target::Chain(how, modules), function, rest.collect())
}

/// Calls `function` of the target plugin, or of the last of a chain.
fn call(
    target: &Target,
    function: &str,
    args: &[String],
    engine: &EngineArgs,
    grants: &GrantArgs,
    output: Output,
) -> ExitCode {
    let call = engine.host(grants.grants()).and_then(|host| match target {
        Target::One(plugin) => host.call_wave(plugin, function, args),
        Target::Chain(how, chain) => host.call_wave_chained(*how, chain, function, args),
    });
    let call = match call {
        Ok(call) => call,
        Err(error) => {
            render::load_error(&error);
            return ExitCode::from(EXIT_LOAD_ERROR);
        }
    };
    print_or_stop(|out| {
        if output.json {
            render::json(out, &render::call_json(&call))
        } else {
            render::call(out, &call, output.quiet)
        }
    });
    if call.results.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn inspect(plugin: &Path, engine: &EngineArgs, grants: &GrantArgs, output: Output) -> ExitCode {
    let inspection = engine
        .host(grants.grants())
        .and_then(|host| host.inspect(plugin));
    let (inspection, loaded) = match inspection {
        Ok(inspection) => inspection,
        Err(error) => {
            render::load_error(&error);
            return ExitCode::from(EXIT_LOAD_ERROR);
        }
    };
    let name = plugin.display().to_string();
    print_or_stop(|out| {
        if output.json {
            render::json(out, &render::inspection_json(&name, &inspection, &loaded))
        } else {
            render::inspection(out, &name, &inspection, &loaded)
        }
    });
    if inspection.is_compatible() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn watch(dir: &Path, engine: &EngineArgs, grants: &GrantArgs, output: Output) -> ExitCode {
    let host = match engine.host(grants.grants()) {
        Ok(host) => Arc::new(host),
        Err(error) => {
            render::load_error(&error);
            return ExitCode::from(EXIT_LOAD_ERROR);
        }
    };
    let loader = host.clone();
    let plugins = PluginDirectory::watch(dir, move |path| {
        // Any plugin the host can call by name: checked for its imports here, not at the call.
        let loaded = loader.host().load(path)?;
        loader.host().dynamic(&loaded)?;
        Ok(loaded)
    });
    let plugins = match plugins {
        Ok(plugins) => Arc::new(plugins),
        Err(error) => {
            render::load_error(&error);
            return ExitCode::from(EXIT_LOAD_ERROR);
        }
    };
    let reporter = plugins.clone();
    std::thread::spawn(move || {
        loop {
            if let Some(event) = reporter.next_event(Duration::from_secs(3600)) {
                print_or_stop(|out| render::watch_event(out, &event));
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
            Ok(call) => print_or_stop(|out| render::call(out, &call, output.quiet)),
            Err(error) => render::load_error(&error),
        }
    }
    ExitCode::SUCCESS
}

fn compile(plugin: &Path, artifact_path: &Path, engine: &EngineArgs, output: Output) -> ExitCode {
    let artifact = engine
        .host(Grants::default())
        .and_then(|host| host.precompile(plugin));
    match artifact {
        Ok(artifact) => match std::fs::write(artifact_path, &artifact) {
            Ok(()) => {
                let written = serde_json::json!({
                    "artifact": artifact_path.display().to_string(),
                    "bytes": artifact.len(),
                    "plugin": plugin.display().to_string(),
                });
                print_or_stop(|out| {
                    if output.json {
                        render::json(out, &written)
                    } else {
                        writeln!(
                            out,
                            "wrote {} ({} bytes), precompiled from {}",
                            artifact_path.display(),
                            artifact.len(),
                            plugin.display()
                        )
                    }
                });
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!(
                    "error: failed to write {}: {error}",
                    artifact_path.display()
                );
                ExitCode::from(EXIT_LOAD_ERROR)
            }
        },
        Err(error) => {
            render::load_error(&error);
            ExitCode::from(EXIT_LOAD_ERROR)
        }
    }
}
