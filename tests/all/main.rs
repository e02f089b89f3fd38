//! Integration tests: real guests, compiled by this crate's build script, run in the host.

mod bad_input;
mod component;
mod contract;
mod core_module;
mod embedding;
mod hostile;
mod limits;
mod linking;
mod loading;
mod manifest;
mod properties;
mod serve;
#[path = "../serving.rs"]
mod serving;
mod stress;
mod watch;
#[path = "../watching.rs"]
mod watching;

use std::time::{Duration, Instant};

use example_host::{AbiInstance, ContractInstance, ExampleHost, Plugin};
use plugin_artifacts::HOSTILE_GUEST;
use plugin_host::{Error, Failure, Limits};

/// A fresh host, so that each test has its own shared value.
fn host() -> ExampleHost {
    ExampleHost::new().expect("the host sets up on this platform")
}

/// A fresh host with `limits`.
fn host_with(limits: Limits) -> ExampleHost {
    ExampleHost::with_limits(limits).expect("the host sets up with these limits")
}

/// The deadline the hostile tests configure: short, so that they finish fast.
const DEADLINE: Duration = Duration::from_millis(200);

/// Limits with [`DEADLINE`], the rest default.
fn short_deadline() -> Limits {
    Limits {
        deadline: DEADLINE,
        ..Limits::default()
    }
}

/// Compiles WebAssembly text to a binary.
fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("the test's WAT is valid")
}

/// The example's raw ABI in WAT, without an allocator export, so the host must grow a page of its own
/// for scratch memory. The plugin's own value (100) sits at address 16, where a host that
/// wrote its scratch data at a fixed low offset would clobber it. Hostile variants replace
/// the body of `trigger_host_calls` ([`with_trigger`]).
const NO_ALLOCATOR: &str = r#"
(module
  (import "env" "host_log_value" (func $log (param i32)))
  (import "env" "host_get_shared_value" (func $get (result i32)))
  (import "env" "host_set_shared_value" (func $set (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "\64\00\00\00")
  (func (export "just_add") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))
  (func (export "trigger_host_calls") (param $in i32)
    (call $log (i32.mul (local.get $in) (i32.const 2)))
    (call $set (i32.add (i32.add (call $get) (local.get $in)) (i32.const 5))))
  (func (export "point_add") (param $r i32) (param $a i32) (param $b i32)
    (i32.store (local.get $r)
      (i32.add (i32.load (local.get $a)) (i32.load (local.get $b))))
    (i32.store offset=4 (local.get $r)
      (i32.add (i32.load offset=4 (local.get $a)) (i32.load offset=4 (local.get $b)))))
  (func (export "get_plugin_shared_value_ptr") (result i32) (i32.const 16))
  (func (export "simple_add") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))
)
"#;

/// [`NO_ALLOCATOR`] with `trigger_host_calls(param $in i32)` doing `body` instead, and
/// `fields` (functions, tables, memories) added to the module.
fn with_trigger(body: &str, fields: &str) -> String {
    let start = NO_ALLOCATOR
        .find("  (func (export \"trigger_host_calls\")")
        .expect("the template has trigger_host_calls");
    let end = start
        + NO_ALLOCATOR[start..]
            .find("  (func (export \"point_add\")")
            .expect("point_add follows it");
    format!(
        "{}  (func (export \"trigger_host_calls\") (param $in i32) (local $i i32)\n    {body})\n  \
         {fields}\n{}",
        &NO_ALLOCATOR[..start],
        &NO_ALLOCATOR[end..]
    )
}

/// Loads WAT that fits the example's raw ABI and instantiates it.
fn core_instance(host: &ExampleHost, text: &str) -> AbiInstance {
    let Plugin::CoreModule(plugin) = host.load_bytes("test.wat", &wasm(text)).unwrap() else {
        panic!("WAT modules are core modules");
    };
    plugin.instantiate().unwrap()
}

/// An instance of the hostile component guest.
fn hostile(host: &ExampleHost) -> ContractInstance {
    host.load_component(HOSTILE_GUEST)
        .expect("the hostile guest fits the world")
        .instantiate()
        .expect("the hostile guest instantiates")
}

/// Runs `f`, asserting that it ends within a generous multiple of the host's deadline (20x,
/// plus a second for slow machines), and returns what it returned.
fn bounded<R>(host: &ExampleHost, f: impl FnOnce() -> R) -> R {
    let bound = host.host().limits().deadline * 20 + Duration::from_secs(1);
    let start = Instant::now();
    let result = f();
    let took = start.elapsed();
    assert!(took < bound, "took {took:?}, more than {bound:?}");
    result
}

/// Asserts that `result` is an error of the [`Failure`] `expected` and returns the error.
#[track_caller]
fn expect_failure<T: std::fmt::Debug>(result: Result<T, Error>, expected: Failure) -> Error {
    let error = result.expect_err("the call should fail");
    assert_eq!(error.failure(), Some(expected), "{error:#?}");
    error
}
