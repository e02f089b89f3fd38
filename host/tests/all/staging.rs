//! Staged host state: what a call's host functions change is committed only when the call
//! succeeds, and a failed call leaves a fresh instance for the next one. On a world of the
//! test's own (typed bindings through `plugin_host::bindgen!`) and on a core module.

use plugin_host::core_module::CoreState;
use plugin_host::wasmtime::Caller;
use plugin_host::wasmtime::component::HasSelf;
use plugin_host::{Failure, Journal, PluginHost, Trap};

use crate::{core_module, expect_failure, host, wasm};

mod world {
    plugin_host::bindgen!({
        inline: "
            package test:staging;
            world counter {
                import note: func(value: s32);
                export run: func(value: s32, fail: bool);
            }
        ",
    });
}

/// The values the plugin recorded in calls that succeeded.
type Recorded = Journal<i32>;

impl world::CounterImports for Recorded {
    fn note(&mut self, value: i32) {
        self.push(value);
    }
}

/// A component of the world `counter`: `run(value, fail)` notes `value`, then traps if
/// `fail`.
const COUNTER: &str = r#"(component
  (import "note" (func $record (param "value" s32)))
  (core func $record (canon lower (func $record)))
  (core module $m
    (import "host" "record" (func $record (param i32)))
    (func (export "run") (param $value i32) (param $fail i32)
      (call $record (local.get $value))
      (if (local.get $fail) (then unreachable))))
  (core instance $i (instantiate $m (with "host" (instance (export "record" (func $record))))))
  (func (export "run") (param "value" s32) (param "fail" bool)
    (canon lift (core func $i "run"))))"#;

fn counter_host() -> PluginHost<Recorded> {
    let mut host = host::<Recorded>();
    host.link(world::Counter::add_to_linker::<_, HasSelf<Recorded>>)
        .expect("the world's imports link");
    host
}

#[test]
fn a_typed_call_commits_what_its_host_functions_staged_only_when_it_succeeds() {
    let host = counter_host();
    let compiled = host.load_bytes("counter.wat", &wasm(COUNTER)).unwrap();
    let plugin = host.component::<world::Counter>(&compiled).unwrap();
    let mut instance = plugin.instantiate(Journal::new(10)).unwrap();
    let run = |instance: &mut plugin_host::component::ComponentInstance<_, _>, value, fail| {
        instance.call("run", |counter: &world::Counter, store| {
            counter.call_run(store, value, fail)
        })
    };
    run(&mut instance, 1, false).unwrap();
    let error = expect_failure(
        run(&mut instance, 2, true),
        Failure::Trap(Trap::UnreachableCodeReached),
    );
    assert_eq!(
        (error.plugin(), error.export()),
        (Some("counter.wat"), Some("run"))
    );
    run(&mut instance, 3, false).expect("the next call runs on a fresh instance");
    assert_eq!(
        instance.data_mut().take(),
        [1, 3],
        "the failed call left no trace"
    );
}

#[test]
fn a_component_of_another_world_is_refused_naming_the_world_and_the_export() {
    let host = counter_host();
    let other = r#"(component
      (core module $m (func (export "f")))
      (core instance $i (instantiate $m))
      (func (export "stop") (canon lift (core func $i "f"))))"#;
    let compiled = host.load_bytes("other.wat", &wasm(other)).unwrap();
    let error = host.component::<world::Counter>(&compiled).unwrap_err();
    assert!(
        matches!(error.kind(), plugin_host::ErrorKind::WorldMismatch { world }
            if world == "test:staging/counter"),
        "the world's name comes from the WIT bindgen! read: {error:?}"
    );
    assert!(format!("{error:#}").contains("run"), "{error:#}");
}

/// A core module whose `run(value, fail)` calls the host's `env.record(value)`, then traps if
/// `fail`; `calls()` counts the calls of this instance in a global.
const CORE_COUNTER: &str = r#"(module
  (import "env" "record" (func $record (param i32)))
  (global $calls (mut i32) (i32.const 0))
  (func (export "run") (param $value i32) (param $fail i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call $record (local.get $value))
    (if (local.get $fail) (then unreachable)))
  (func (export "calls") (result i32) (global.get $calls)))"#;

#[test]
fn a_core_call_that_traps_after_a_host_call_commits_nothing_and_the_next_runs_afresh() {
    let mut host = host::<Recorded>();
    host.link_core(|linker| {
        linker.func_wrap(
            "env",
            "record",
            |mut caller: Caller<'_, CoreState<Recorded>>, value: i32| {
                caller.data_mut().data_mut().push(value);
            },
        )?;
        Ok(())
    })
    .unwrap();
    let plugin = core_module(&host, CORE_COUNTER);
    let (run, calls) = (
        plugin.function("run").unwrap(),
        plugin.function("calls").unwrap(),
    );
    let mut instance = plugin.instantiate(Journal::new(10)).unwrap();
    let call = |instance: &mut plugin_host::dynamic::DynamicInstance<_, _>, value, fail| {
        use plugin_host::wasmtime::Val;
        instance.call_function(&run, &[Val::I32(value), Val::I32(fail)])
    };
    call(&mut instance, 1, 0).unwrap();
    call(&mut instance, 2, 0).unwrap();
    let count = |instance: &mut plugin_host::dynamic::DynamicInstance<_, _>| match instance
        .call_function(&calls, &[])
        .unwrap()[..]
    {
        [plugin_host::wasmtime::Val::I32(count)] => count,
        ref other => panic!("calls returned {other:?}"),
    };
    assert_eq!(count(&mut instance), 2);
    expect_failure(
        call(&mut instance, 3, 1),
        Failure::Trap(Trap::UnreachableCodeReached),
    );
    assert_eq!(
        count(&mut instance),
        0,
        "a fresh instance: its global starts again"
    );
    assert_eq!(
        instance.data_mut().take(),
        [1, 2],
        "the trapped call's record is gone"
    );
}
