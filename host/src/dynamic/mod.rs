//! Plugins of any world or ABI, called by export name with dynamically typed values: what
//! `plugin-host call` uses, and what an application needs to call functions it only knows at
//! run time.
//!
//! Arguments can be written as WAVE text (the WebAssembly Value Encoding of the `wasm-wave`
//! crate, e.g. `{x: 1, y: 2}` for a record, `"hi"` for a string, `some(3)`), parsed against the
//! function's own parameter types before the call, so a wrong argument is an error that shows
//! the signature, never a trap.
//!
//! ```no_run
//! use plugin_host::PluginHost;
//! use plugin_host::dynamic::DynamicPlugin;
//!
//! # fn main() -> Result<(), plugin_host::Error> {
//! let host = PluginHost::<()>::new()?;
//! let DynamicPlugin::Component(plugin) = host.dynamic(&host.load("greeter.wasm")?)? else {
//!     panic!("not a component")
//! };
//! let greet = plugin.function("greet")?;
//! let args = greet.parse_args(plugin.name(), &["\"world\""])?;
//! let results = plugin.instantiate(())?.call_function(&greet, &args)?;
//! assert_eq!(plugin_host::dynamic::to_wave(&results), "\"Hello, world!\"");
//! # Ok(())
//! # }
//! ```

mod component;
pub(crate) mod compose;
mod core;

pub use component::{ComponentFunction, DynamicComponent, DynamicComponentInstance};
pub use compose::Provider;
pub use core::{CoreFunction, DynamicCoreInstance, DynamicCoreModule};

use wasmtime::component::wasm_wave::{self, wasm::WasmValue};

use crate::{CapturedOutput, Error, PluginKind, Transactional};

/// A plugin loaded for dynamic calls: any component, or any core module (or linked chain of
/// them); `T` is the application's per-instance state.
#[derive(Debug)]
pub enum DynamicPlugin<T: 'static> {
    /// A component of any world whose imports the host provides.
    Component(DynamicComponent<T>),
    /// A core module (or a chain of linked ones) whose imports the host provides.
    CoreModule(DynamicCoreModule<T>),
}

impl<T: Transactional + Send + 'static> DynamicPlugin<T> {
    /// Which kind of plugin this is.
    pub fn kind(&self) -> PluginKind {
        match self {
            Self::Component(_) => PluginKind::Component,
            Self::CoreModule(_) => PluginKind::CoreModule,
        }
    }
}

/// One call made with [`DynamicPlugin::call_wave`].
#[derive(Debug)]
pub struct WaveCall {
    /// The function that was called, with its signature.
    pub signature: String,
    /// The results as WAVE text ([`to_wave`]), or why the call failed.
    pub results: Result<String, Error>,
    /// What the plugin wrote to stdout and stderr.
    pub output: CapturedOutput,
}

impl<T: Transactional + Send + 'static> DynamicPlugin<T> {
    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        match self {
            Self::Component(plugin) => plugin.name(),
            Self::CoreModule(plugin) => plugin.name(),
        }
    }

    /// Every function the plugin exports, each with its signature.
    pub fn signatures(&self) -> Vec<String> {
        match self {
            Self::Component(plugin) => plugin.functions().iter().map(|f| f.to_string()).collect(),
            Self::CoreModule(plugin) => plugin.functions().iter().map(|f| f.to_string()).collect(),
        }
    }

    /// Text in, text out: finds `function`, parses `args` as WAVE against its parameters,
    /// calls it on a fresh instance holding `data` and writes the results as WAVE.
    ///
    /// # Errors
    /// Before calling: [`Error::NoSuchExport`], [`Error::BadArguments`], or
    /// [`Error::Instantiate`]. A failed call is `Ok` with the error in
    /// [`WaveCall::results`], beside the output the plugin wrote before it failed.
    pub fn call_wave(
        &self,
        function: &str,
        args: &[impl AsRef<str>],
        data: T,
    ) -> Result<WaveCall, Error> {
        match self {
            Self::Component(plugin) => {
                let function = plugin.function(function)?;
                let args = function.parse_args(plugin.name(), args)?;
                let mut instance = plugin.instantiate(data)?;
                let results = instance.call_function(&function, &args);
                Ok(WaveCall {
                    signature: function.to_string(),
                    results: results.map(|results| to_wave(&results)),
                    output: instance.output().clone(),
                })
            }
            Self::CoreModule(plugin) => {
                let function = plugin.function(function)?;
                let args = function.parse_args(plugin.name(), args)?;
                let mut instance = plugin.instantiate(data)?;
                let results = instance.call_function(&function, &args);
                Ok(WaveCall {
                    signature: function.to_string(),
                    results: results.map(|results| to_wave(&results)),
                    output: instance.output().clone(),
                })
            }
        }
    }
}

/// Results as WAVE text: one value as itself, several as a tuple `(a, b)`, none as the empty
/// string. Values WAVE cannot write (resources, core references) are written as `<kind>`.
pub fn to_wave<V: WasmValue>(results: &[V]) -> String {
    let text =
        |value: &V| wasm_wave::to_string(value).unwrap_or_else(|_| format!("<{:?}>", value.kind()));
    match results {
        [] => String::new(),
        [one] => text(one),
        many => format!("({})", many.iter().map(text).collect::<Vec<_>>().join(", ")),
    }
}

/// Finds the function `query` names among `functions` (by any of the names `names` gives
/// each), or says which it could not decide between.
fn find<'a, F>(
    plugin: &str,
    functions: &'a [F],
    query: &str,
    names: impl Fn(&F) -> [&str; 3],
    signature: impl Fn(&F) -> String,
) -> Result<&'a F, Error> {
    let matches: Vec<&F> = functions
        .iter()
        .filter(|f| names(f).contains(&query))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        _ => Err(Error::NoSuchExport {
            plugin: plugin.to_owned(),
            export: query.to_owned(),
            candidates: matches.iter().map(|f| names(f)[0].to_owned()).collect(),
            exports: functions.iter().map(signature).collect(),
        }),
    }
}

/// Parses each of `args` as WAVE against the type `types` gives for its position, checking the
/// count first. The error's reason names the argument.
fn parse_args<T, V>(args: &[impl AsRef<str>], types: &[(String, T)]) -> Result<Vec<V>, String>
where
    V: WasmValue<Type = T>,
{
    if args.len() != types.len() {
        return Err(format!(
            "{} argument{} given, {} expected",
            args.len(),
            if args.len() == 1 { "" } else { "s" },
            types.len()
        ));
    }
    args.iter()
        .zip(types)
        .enumerate()
        .map(|(position, (arg, (name, ty)))| {
            let arg = arg.as_ref();
            let label = if name.is_empty() {
                String::new()
            } else {
                format!(" ({name})")
            };
            wasm_wave::from_str::<V>(ty, arg)
                .map_err(|error| format!("argument {}{label} `{arg}`: {error}", position + 1))
        })
        .collect()
}
