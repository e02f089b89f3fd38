//! The plugin and host of the telemetry tests (`all/telemetry.rs`, `spans.rs`): a core module
//! that calls a host function which logs, grows its memory and traps when told.

use plugin_host::dynamic::{Dynamic, DynamicCoreModule, DynamicInstance};
use plugin_host::kind::CoreModule;
use plugin_host::wasmtime::{Caller, Val};
use plugin_host::{Error, HostConfig, Limits, PluginHost, Transactional};

/// The application state of the telemetry tests: none.
#[derive(Default)]
pub struct State;
impl Transactional for State {}

/// A core module whose `run(in)` calls the host's `env.note`, grows its memory by `in` pages
/// and traps when `in` is 1.
const NOTING: &str = r#"(module
  (import "env" "note" (func $note))
  (memory 1)
  (func (export "run") (param $in i32)
    call $note
    (drop (memory.grow (local.get $in)))
    (if (i32.eq (local.get $in) (i32.const 1)) (then unreachable))))"#;

/// What `env.note` logs: a `tracing` event, as an application's log function would send.
pub const NOTE: &str = "noted by the plugin";

/// [`NOTING`] for calls by name, named `test.wat`, on a host that meters fuel (so that there is
/// fuel to count), records metrics if `metrics`, and links `env.note`.
pub fn noting_plugin(metrics: bool) -> DynamicCoreModule<State> {
    let mut host = PluginHost::with_config(HostConfig {
        limits: Limits {
            fuel: Some(1_000_000),
            ..Limits::default()
        },
        metrics,
        ..HostConfig::default()
    })
    .expect("the host sets up");
    host.link_core(|linker| {
        linker.func_wrap("env", "note", |_: Caller<'_, _>| {
            tracing::info!(target: "test_plugin_log", "{NOTE}");
        })?;
        Ok(())
    })
    .expect("note links");
    let bytes = wat::parse_str(NOTING).expect("the WAT is valid");
    let compiled = host.load_bytes("test.wat", &bytes).expect("it compiles");
    match host
        .dynamic(&compiled)
        .expect("the host provides its imports")
    {
        Dynamic::CoreModule(plugin) => plugin,
        Dynamic::Component(_) => panic!("a WAT module is a core module"),
    }
}

/// Calls `run(input)` on `instance`.
pub fn run(
    plugin: &DynamicCoreModule<State>,
    instance: &mut DynamicInstance<CoreModule, State>,
    input: i32,
) -> Result<(), Error> {
    let run = plugin.function("run")?;
    instance.call_function(&run, &[Val::I32(input)]).map(drop)
}
