//! The library's own tests: `PluginHost` driven with worlds and ABIs of the tests' own (WAT
//! modules and components written here, the bot world of `examples/bot-host/wit` and its Rust
//! plugin), apart from the example world's tests in the workspace's `tests/`.

mod asynchronous;
mod backtraces;
mod by_name;
mod chain;
mod escapes;
mod growth;
mod limits;
mod loading;
mod notes;
mod profile;
mod staging;
mod telemetry;
mod worlds;

use std::time::Duration;

use plugin_host::dynamic::{Dynamic, DynamicComponent, DynamicCoreModule};
use plugin_host::wasmtime::Val;
use plugin_host::{Error, Failure, Limits, PluginHost, Transactional};

/// A host of the library's defaults for plugins with the state `T`.
fn host<T: Transactional + Send + 'static>() -> PluginHost<T> {
    PluginHost::new().expect("the host sets up on this platform")
}

/// A host whose plugins run under `limits`.
fn host_with<T: Transactional + Send + 'static>(limits: Limits) -> PluginHost<T> {
    PluginHost::with_limits(limits).expect("the host sets up with these limits")
}

/// The deadline the tests that time out configure: short, so that they finish fast.
const DEADLINE: Duration = Duration::from_millis(200);

/// Limits with [`DEADLINE`], the rest default.
fn short_deadline() -> Limits {
    Limits {
        deadline: DEADLINE,
        ..Limits::default()
    }
}

/// WebAssembly text compiled to a binary.
fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("the test's WAT is valid")
}

/// The plugin `text` for calls by name, named `test.wat`.
fn by_name<T: Transactional + Send + 'static>(host: &PluginHost<T>, text: &str) -> Dynamic<T> {
    let compiled = host
        .load_bytes("test.wat", &wasm(text))
        .expect("it compiles");
    host.dynamic(&compiled)
        .expect("the host provides its imports")
}

/// The core module `text` for calls by name.
fn core_module<T: Transactional + Send + 'static>(
    host: &PluginHost<T>,
    text: &str,
) -> DynamicCoreModule<T> {
    match by_name(host, text) {
        Dynamic::CoreModule(plugin) => plugin,
        Dynamic::Component(_) => panic!("WAT modules are core modules"),
    }
}

/// The component `text` for calls by name.
fn component<T: Transactional + Send + 'static>(
    host: &PluginHost<T>,
    text: &str,
) -> DynamicComponent<T> {
    match by_name(host, text) {
        Dynamic::Component(plugin) => plugin,
        Dynamic::CoreModule(_) => panic!("a WAT component is a component"),
    }
}

/// A core module whose `run(in: i32)` does `body` (with a local `$i`), beside `fields`
/// (functions, memories, tables).
fn module_running(body: &str, fields: &str) -> String {
    format!(
        "(module
  {fields}
  (func (export \"run\") (param $in i32) (local $i i32)
    {body}))"
    )
}

/// Calls `run(input)` of `plugin`'s `instance`.
fn run<T: Transactional + Send + 'static>(
    plugin: &DynamicCoreModule<T>,
    instance: &mut plugin_host::dynamic::DynamicInstance<plugin_host::kind::CoreModule, T>,
    input: i32,
) -> Result<(), Error> {
    let run = plugin.function("run")?;
    instance.call_function(&run, &[Val::I32(input)]).map(drop)
}

/// Asserts that `result` is an error of the [`Failure`] `expected` and returns the error.
#[track_caller]
fn expect_failure<T: std::fmt::Debug>(result: Result<T, Error>, expected: Failure) -> Error {
    let error = result.expect_err("the call should fail");
    assert_eq!(error.failure(), Some(expected), "{error:#?}");
    error
}
