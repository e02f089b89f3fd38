//! Each limit from both sides: just under it succeeds, just over it fails with the typed error
//! that names the limit.

use std::time::Duration;

use example_host::Plugin;
use plugin_artifacts::{Behaviour, CORE_CALC, CORE_TOOLBOX};
use plugin_host::{Error, ErrorKind, Failure, Limit, Limits};

use crate::linking::call_i32;
use crate::{bounded, core_instance, expect_failure, host_with, hostile, wasm, with_trigger};

/// `trigger_host_calls($in)` counts from 0 to `$in` (unsigned) in a loop.
const COUNT_TO_IN: &str = "(loop
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if 0 (i32.lt_u (local.get $i) (local.get $in))))";

#[test]
fn deadline_obeyed_and_violated() {
    let host = host_with(Limits {
        deadline: Duration::from_millis(200),
        ..Limits::default()
    });
    let mut instance = core_instance(&host, &with_trigger(COUNT_TO_IN, ""));
    instance.trigger_host_calls(1_000_000).unwrap();
    // 4 billion turns take seconds.
    bounded(&host, || {
        expect_failure(instance.trigger_host_calls(-1), Failure::Timeout)
    });
}

#[test]
fn fuel_obeyed_and_violated_per_call() {
    let host = host_with(Limits {
        fuel: Some(100_000),
        ..Limits::default()
    });
    let mut instance = core_instance(&host, &with_trigger(COUNT_TO_IN, ""));
    // About 8 fuel a turn: 5,000 turns fit in the budget, and the budget is per call.
    instance.trigger_host_calls(5_000).unwrap();
    instance.trigger_host_calls(5_000).unwrap();
    expect_failure(instance.trigger_host_calls(20_000), Failure::OutOfFuel);
}

/// `trigger_host_calls($in)` grows memory by `$in` pages and traps if that fails.
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
    let host = host_with(sixteen_pages());
    let text = with_trigger(GROW_MEMORY_BY_IN, "");
    // The module starts with one page.
    core_instance(&host, &text).trigger_host_calls(15).unwrap();
    expect_failure(
        core_instance(&host, &text).trigger_host_calls(16),
        Failure::Limit(Limit::Memory),
    );
}

#[test]
fn memory_violated_at_instantiation() {
    let sixteen = with_trigger("", "").replace(
        "(memory (export \"memory\") 1)",
        "(memory (export \"memory\") 16)",
    );
    let seventeen = sixteen.replace("memory\") 16)", "memory\") 17)");
    instantiate_under(sixteen_pages(), &sixteen).unwrap();
    let error = expect_failure(
        instantiate_under(sixteen_pages(), &seventeen),
        Failure::Limit(Limit::Memory),
    );
    assert!(matches!(error.kind(), ErrorKind::Instantiate(_)));
}

/// Loads WAT that fits the example's raw ABI into a host with `limits` and instantiates it.
fn instantiate_under(limits: Limits, text: &str) -> Result<(), Error> {
    let Ok(Plugin::CoreModule(plugin)) = host_with(limits).load_bytes("test.wat", &wasm(text))
    else {
        panic!("the module loads");
    };
    plugin.instantiate().map(drop)
}

#[test]
fn table_elements_obeyed_and_violated() {
    let host = host_with(Limits {
        table_elements: 100,
        ..Limits::default()
    });
    let text = with_trigger(
        "(if (i32.eq (table.grow $t (ref.null func) (local.get $in)) (i32.const -1))
           (then unreachable))",
        "(table $t 0 funcref)",
    );
    core_instance(&host, &text).trigger_host_calls(100).unwrap();
    expect_failure(
        core_instance(&host, &text).trigger_host_calls(101),
        Failure::Limit(Limit::TableElements),
    );
}

#[test]
fn instance_count_obeyed_and_violated() {
    // The linked pair is two instances in one store.
    let link = |instances| {
        let host = host_with(Limits {
            instances,
            ..Limits::default()
        });
        let modules = host.link_core_modules(&[CORE_CALC, CORE_TOOLBOX]).unwrap();
        call_i32(&host, &modules, "foo", 1)
    };
    assert_eq!(link(2).unwrap(), 2);
    let error = expect_failure(link(1), Failure::Limit(Limit::Instances));
    assert!(matches!(error.kind(), ErrorKind::Instantiate(_)));
}

#[test]
fn memory_count_obeyed_and_violated() {
    let text = with_trigger("", "(memory $second 1)");
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
    let text = with_trigger("", "(table 0 funcref) (table 0 funcref)");
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
    let host = host_with(Limits {
        max_wasm_stack: 64 << 10,
        ..Limits::default()
    });
    let text = with_trigger(
        "(drop (call $recurse (local.get $in)))",
        "(func $recurse (param $n i32) (result i32)
           (if (result i32) (i32.eqz (local.get $n))
             (then (i32.const 0))
             (else (i32.add (call $recurse (i32.sub (local.get $n) (i32.const 1)))
                            (i32.const 1)))))",
    );
    let mut instance = core_instance(&host, &text);
    instance.trigger_host_calls(100).unwrap();
    expect_failure(instance.trigger_host_calls(100_000), Failure::StackOverflow);
}

#[test]
fn lifted_bytes_obeyed_and_violated() {
    let host = host_with(Limits {
        lifted_bytes: 64 << 10,
        output_bytes: 128 << 10,
        ..Limits::default()
    });
    let mut instance = hostile(&host);
    let write = Behaviour::WriteSharedValueBytes.input();
    host.shared_value().set(64 << 10);
    instance.trigger(write).unwrap();
    assert_eq!(instance.output().stdout().len(), 64 << 10);
    host.shared_value().set((64 << 10) + 1);
    expect_failure(instance.trigger(write), Failure::Limit(Limit::LiftedBytes));
}

#[test]
fn output_kept_up_to_the_limit_and_dropped_beyond_it() {
    let host = host_with(Limits {
        output_bytes: 1000,
        ..Limits::default()
    });
    let write = Behaviour::WriteSharedValueBytes.input();
    host.shared_value().set(1000);
    let mut instance = hostile(&host);
    instance.trigger(write).unwrap();
    assert_eq!(instance.output().stdout().len(), 1000);
    assert_eq!(instance.output().dropped_bytes(), 0);
    host.shared_value().set(1001);
    let mut instance = hostile(&host);
    instance.trigger(write).unwrap();
    assert_eq!(instance.output().stdout().len(), 1000);
    assert_eq!(
        instance.output().dropped_bytes(),
        1,
        "dropped, and the call still succeeds"
    );
}
