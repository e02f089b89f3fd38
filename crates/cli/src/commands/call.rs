//! `plugin-host call`: one function of any plugin, by name, with WAVE arguments.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use example_host::Chain;
use plugin_host::dynamic::WaveCall;
use plugin_host::profile::Profiler;
use serde_json::{Value, json};

use crate::common::{
    EXIT_FAILED, EXIT_LOAD_ERROR, EngineArgs, Output, json, print_error, print_or_stop,
};
use crate::grants::GrantArgs;

/// Call one function of any component or core module and print its results.
///
/// Arguments are WAVE values (the WebAssembly Value Encoding: `7`, `"text"`, `{x: 1, y: 2}`,
/// `[1, 2]`, `some(3)`, `ok("yes")`), checked against the function's parameter types before
/// the call; results print as WAVE. A core module's functions take numbers. The plugin need
/// not fit the host's world, only import what the host provides (WASI and the `host`
/// interface). Exits 0 if the call returned, 1 if it failed, 2 if the plugin could not be
/// loaded or the function or arguments are wrong (the error shows the signature).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    plugin-host call guest.wasm just-add 15 27\n  \
    plugin-host call guest.wasm point-add '{x: 1, y: 2}' '{x: 3, y: 4}'\n  \
    plugin-host call greeter.wasm text#shout '\"hi\"'\n  \
    plugin-host call --dir ./data::/data greeter.wasm read-file '\"/data/notes.txt\"'\n  \
    plugin-host call core_plugin.wasm simple_add 1 1\n  \
    plugin-host call --link core_calc.wasm core_toolbox.wasm foo 7\n  \
    plugin-host call --compose calc.wasm toolbox.wasm foo 7\n  \
    plugin-host call --profile busy.json guest.wasm just-add 1 2")]
pub struct Call {
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

    /// Sample the guest while it runs (every 10 ms) and write the profile to OUT.json, for
    /// the Firefox Profiler (https://profiler.firefox.com, "Load a profile from file").
    #[arg(long, value_name = "OUT.json")]
    profile: Option<PathBuf>,

    #[command(flatten)]
    engine: EngineArgs,

    #[command(flatten)]
    grants: GrantArgs,
}

/// What `plugin-host call` calls into.
enum Target {
    /// One plugin.
    One(PathBuf),
    /// Several, joined into one (`--link`, `--compose`).
    Chain(Chain, Vec<PathBuf>),
}

impl Call {
    /// Makes the call on a fresh instance and prints its results (or JSON).
    pub fn execute(self, output: Output) -> ExitCode {
        let how = match (self.link, self.compose) {
            (true, _) => Some(Chain::Link),
            (_, true) => Some(Chain::Compose),
            _ => None,
        };
        let (target, function, args) = match how {
            Some(how) => chained_call(how, self.plugin, self.function, self.args),
            None => (Target::One(self.plugin), self.function, self.args),
        };
        let call = self.engine.host(self.grants.grants()).and_then(|host| {
            let (plugin, loaded) = match &target {
                Target::One(path) => {
                    let loaded = host.host().load(path)?;
                    (host.host().dynamic(&loaded)?, Some(loaded))
                }
                Target::Chain(how, chain) => (host.chain(*how, chain)?, None),
            };
            let profiler = match &self.profile {
                Some(_) => Some(plugin.profiler()?),
                None => None,
            };
            plugin.profile(profiler.as_ref());
            let call = host.call_wave_on(loaded.as_ref(), &plugin, &function, &args)?;
            Ok((call, profiler))
        });
        let (call, profiler) = match call {
            Ok(called) => called,
            Err(error) => {
                print_error(&error);
                return ExitCode::from(EXIT_LOAD_ERROR);
            }
        };
        if let (Some(profiler), Some(out)) = (profiler, &self.profile)
            && let Err(error) = write_profile(&profiler, out)
        {
            eprintln!(
                "error: cannot write the profile to {}: {error}",
                out.display()
            );
            return ExitCode::from(EXIT_LOAD_ERROR);
        }
        print_or_stop(|out| {
            if output.json {
                json(out, &call_json(&call))
            } else {
                print(out, &call, output.quiet)
            }
        });
        if call.results.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// Writes `profiler`'s profile to the file `out`; says why not if it cannot.
pub fn write_profile(profiler: &Profiler, out: &Path) -> Result<(), String> {
    let file = std::fs::File::create(out).map_err(|error| error.to_string())?;
    profiler
        .finish(io::BufWriter::new(file))
        .map_err(|error| format!("{error:#}"))
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

/// Prints a call's outcome: the plugin's output (unless `quiet`), then the results as WAVE,
/// or the error on stderr. `watch` prints its calls with it too.
pub fn print(out: &mut impl Write, call: &WaveCall, quiet: bool) -> io::Result<()> {
    if !quiet {
        out.write_all(call.output.stdout().as_bytes())?;
        eprint!("{}", call.output.stderr());
    }
    match &call.results {
        Ok(results) if results.is_empty() => Ok(()),
        Ok(results) => writeln!(out, "{results}"),
        Err(error) => {
            print_error(error);
            Ok(())
        }
    }
}

/// A call's outcome as JSON: `{"function", "results", "error", "stdout", "stderr"}`, with
/// `results` as WAVE text and `error` null unless the call failed.
fn call_json(call: &WaveCall) -> Value {
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
