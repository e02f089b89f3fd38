//! Each limit from both sides: just under it succeeds, just over it fails with the typed error
//! that names the limit.

use std::time::Instant;

use plugin_host::wasmtime::component::Val;
use plugin_host::{Allocator, ErrorKind, Failure, HostConfig, Limit, Limits, PluginHost};

use crate::{
    DEADLINE, component, core_module, expect_failure, host_with, module_running, run,
    short_deadline, wasm,
};

/// `run($in)` counts from 0 to `$in` (unsigned) in a loop.
const COUNT_TO_IN: &str = "(loop
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if 0 (i32.lt_u (local.get $i) (local.get $in))))";

#[test]
fn deadline_obeyed_and_violated() {
    let host = host_with::<()>(short_deadline());
    let plugin = core_module(&host, &module_running(COUNT_TO_IN, ""));
    let mut instance = plugin.instantiate(()).unwrap();
    run(&plugin, &mut instance, 1_000_000).unwrap();
    // 4 billion turns take seconds; the deadline stops it within a few epoch ticks of it.
    let start = Instant::now();
    expect_failure(run(&plugin, &mut instance, -1), Failure::Timeout);
    assert!(start.elapsed() < DEADLINE * 20, "{:?}", start.elapsed());
}

#[test]
fn fuel_obeyed_and_violated_per_call() {
    let host = host_with::<()>(Limits {
        fuel: Some(100_000),
        ..Limits::default()
    });
    let plugin = core_module(&host, &module_running(COUNT_TO_IN, ""));
    let mut instance = plugin.instantiate(()).unwrap();
    // About 8 fuel a turn: 5,000 turns fit in the budget, and the budget is per call.
    run(&plugin, &mut instance, 5_000).unwrap();
    run(&plugin, &mut instance, 5_000).unwrap();
    expect_failure(run(&plugin, &mut instance, 20_000), Failure::OutOfFuel);
}

/// `run($in)` grows memory by `$in` pages and traps if that fails.
const GROW_MEMORY_BY_IN: &str =
    "(if (i32.eq (memory.grow (local.get $in)) (i32.const -1)) (then unreachable))";

fn sixteen_pages() -> Limits {
    Limits {
        memory_bytes: 16 * 65536,
        ..Limits::default()
    }
}

#[test]
fn memory_obeyed_at_16_pages_and_violated_at_17() {
    let host = host_with::<()>(sixteen_pages());
    let plugin = core_module(&host, &module_running(GROW_MEMORY_BY_IN, "(memory 1)"));
    run(&plugin, &mut plugin.instantiate(()).unwrap(), 15).unwrap();
    expect_failure(
        run(&plugin, &mut plugin.instantiate(()).unwrap(), 16),
        Failure::Limit(Limit::Memory),
    );
}

/// Instantiates the module `text` in a host with `limits`.
fn instantiate_under(limits: Limits, text: &str) -> Result<(), plugin_host::Error> {
    let host = host_with::<()>(limits);
    core_module(&host, text).instantiate(()).map(drop)
}

#[test]
fn memory_violated_at_instantiation() {
    let error = expect_failure(
        instantiate_under(sixteen_pages(), &module_running("", "(memory 17)")),
        Failure::Limit(Limit::Memory),
    );
    assert!(matches!(error.kind(), ErrorKind::Instantiate(_)));
    instantiate_under(sixteen_pages(), &module_running("", "(memory 16)")).unwrap();
}

#[test]
fn table_elements_obeyed_and_violated() {
    let host = host_with::<()>(Limits {
        table_elements: 100,
        ..Limits::default()
    });
    let grow = "(if (i32.eq (table.grow $t (ref.null func) (local.get $in)) (i32.const -1))
                  (then unreachable))";
    let plugin = core_module(&host, &module_running(grow, "(table $t 0 funcref)"));
    run(&plugin, &mut plugin.instantiate(()).unwrap(), 100).unwrap();
    expect_failure(
        run(&plugin, &mut plugin.instantiate(()).unwrap(), 101),
        Failure::Limit(Limit::TableElements),
    );
}

#[test]
fn instance_count_obeyed_and_violated() {
    // A chain of two modules is two instances in one store.
    let link = |instances| {
        let host = host_with::<()>(Limits {
            instances,
            ..Limits::default()
        });
        let provider = host
            .load_bytes("provider.wat", &wasm("(module (func (export \"f\")))"))
            .unwrap();
        let consumer = host
            .load_bytes(
                "consumer.wat",
                &wasm("(module (import \"env\" \"f\" (func)))"),
            )
            .unwrap();
        host.link_core_modules(&[provider, consumer])?
            .instantiate(())
            .map(drop)
    };
    link(2).unwrap();
    let error = expect_failure(link(1), Failure::Limit(Limit::Instances));
    assert!(matches!(error.kind(), ErrorKind::Instantiate(_)));
}

#[test]
fn memory_count_obeyed_and_violated() {
    let text = module_running("", "(memory 1) (memory 1)");
    let memories = |memories| Limits {
        memories,
        ..Limits::default()
    };
    instantiate_under(memories(2), &text).unwrap();
    expect_failure(
        instantiate_under(memories(1), &text),
        Failure::Limit(Limit::Memories),
    );
}

#[test]
fn table_count_obeyed_and_violated() {
    let text = module_running("", "(table 0 funcref) (table 0 funcref)");
    let tables = |tables| Limits {
        tables,
        ..Limits::default()
    };
    instantiate_under(tables(2), &text).unwrap();
    expect_failure(
        instantiate_under(tables(1), &text),
        Failure::Limit(Limit::Tables),
    );
}

#[test]
fn stack_obeyed_and_violated() {
    let host = host_with::<()>(Limits {
        max_wasm_stack: 64 << 10,
        ..Limits::default()
    });
    let text = module_running(
        "(drop (call $recurse (local.get $in)))",
        "(func $recurse (param $n i32) (result i32)
           (if (result i32) (i32.eqz (local.get $n))
             (then (i32.const 0))
             (else (i32.add (call $recurse (i32.sub (local.get $n) (i32.const 1)))
                            (i32.const 1)))))",
    );
    let plugin = core_module(&host, &text);
    let mut instance = plugin.instantiate(()).unwrap();
    run(&plugin, &mut instance, 100).unwrap();
    expect_failure(run(&plugin, &mut instance, 100_000), Failure::StackOverflow);
}

/// A component whose `text(n)` returns a string of `n` bytes (zeros) from its linear memory:
/// the host lifts `n` bytes from the result.
const TEXT_OF_N_BYTES: &str = r#"(component
  (core module $m
    (memory (export "memory") 3)
    (func (export "text") (param $n i32) (result i32)
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (local.get $n))
      (i32.const 0)))
  (core instance $i (instantiate $m))
  (func (export "text") (param "n" u32) (result string)
    (canon lift (core func $i "text") (memory (core memory $i "memory")))))"#;

#[test]
fn lifted_bytes_obeyed_and_violated() {
    let host = host_with::<()>(Limits {
        lifted_bytes: 64 << 10,
        ..Limits::default()
    });
    let plugin = component(&host, TEXT_OF_N_BYTES);
    let text = plugin.function("text").unwrap();
    let mut instance = plugin.instantiate(()).unwrap();
    let results = instance
        .call_function(&text, &[Val::U32(64 << 10)])
        .unwrap();
    assert!(matches!(&results[..], [Val::String(s)] if s.len() == 64 << 10));
    expect_failure(
        instance.call_function(&text, &[Val::U32((64 << 10) + 1)]),
        Failure::Limit(Limit::LiftedBytes),
    );
}

/// A core module whose `run(n)` writes `n` bytes to stdout through WASI preview 1's
/// `fd_write`, in one call.
const WRITE_N_BYTES: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "run") (param $n i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

#[test]
fn output_kept_up_to_the_limit_and_dropped_beyond_it() {
    let host = host_with::<()>(Limits {
        output_bytes: 1000,
        ..Limits::default()
    });
    let plugin = core_module(&host, WRITE_N_BYTES);
    let mut instance = plugin.instantiate(()).unwrap();
    crate::run(&plugin, &mut instance, 1000).unwrap();
    assert_eq!(instance.output().stdout().len(), 1000);
    assert_eq!(instance.output().dropped_bytes(), 0);
    let mut instance = plugin.instantiate(()).unwrap();
    crate::run(&plugin, &mut instance, 1001).unwrap();
    assert_eq!(instance.output().stdout().len(), 1000);
    assert_eq!(
        instance.output().dropped_bytes(),
        1,
        "dropped, and the call still succeeds"
    );
}

#[test]
fn an_instance_past_the_pool_is_a_typed_limit_and_fits_once_one_is_dropped() {
    let host = PluginHost::<()>::with_config(HostConfig {
        pool_instances: 2,
        ..HostConfig::default()
    })
    .unwrap();
    assert_eq!(host.allocator(), Allocator::Pooling);
    let plugin = core_module(&host, &module_running("", "(memory 1)"));
    let first = plugin.instantiate(()).unwrap();
    let _second = plugin.instantiate(()).unwrap();
    let error = expect_failure(plugin.instantiate(()), Failure::Limit(Limit::Pool));
    assert_eq!(error.plugin(), Some("test.wat"));
    drop(first);
    plugin.instantiate(()).unwrap();
}
