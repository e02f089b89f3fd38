//! The hostile catalogue: plugins that panic, trap, spin, recurse, allocate, print or hand the
//! host bad pointers. Each ends in bounded time with its typed error, leaves the host's state
//! as it was, and the host (and the same plugin handle) keeps serving good calls afterwards.
//! Malformed bytes, wrong kinds and world mismatches are in `bad_input`.

use std::time::Duration;

use example_host::{ExampleHost, Point, SharedValue};
use plugin_artifacts::{Behaviour, COMPONENT_GUEST};
use plugin_host::{Error, ErrorKind, Failure, Limit, Limits, Trap};

use crate::{
    NO_ALLOCATOR, bounded, core_instance, expect_failure, host_with, hostile, short_deadline,
    with_trigger,
};

/// Asserts that the host still serves good plugins, and that `instance` (a hostile plugin
/// that has just failed) serves good calls on a fresh instance.
fn still_serving(host: &ExampleHost, instance: &mut example_host::ContractInstance) {
    assert_eq!(
        instance.just_add(40, 2).unwrap(),
        42,
        "reuse after a failure"
    );
    let mut good = host
        .load_component(COMPONENT_GUEST)
        .unwrap()
        .instantiate()
        .unwrap();
    assert_eq!(good.just_add(1, 2).unwrap(), 3, "other plugins unaffected");
}

/// Triggers `behaviour` in the hostile component and checks the failure is `expected`.
fn component_case(behaviour: Behaviour, expected: Failure) -> Error {
    component_case_under(short_deadline(), behaviour, expected)
}

/// As [`component_case`], on a host under `limits`.
fn component_case_under(limits: Limits, behaviour: Behaviour, expected: Failure) -> Error {
    let host = host_with(limits);
    let mut instance = hostile(&host);
    let error = bounded(&host, || {
        expect_failure(instance.trigger(behaviour.input()), expected)
    });
    assert!(
        matches!(error.kind(), ErrorKind::Call(_))
            && error
                .plugin()
                .is_some_and(|p| p.ends_with("hostile_guest.wasm"))
            && error.export() == Some("trigger"),
        "the error names the plugin and the export: {error}"
    );
    assert_eq!(host.shared_value().get(), SharedValue::INITIAL);
    still_serving(&host, &mut instance);
    error
}

#[test]
fn a_panic_is_an_unreachable_trap_with_the_message_on_stderr() {
    let host = host_with(short_deadline());
    let mut instance = hostile(&host);
    let error = expect_failure(
        instance.trigger(Behaviour::SetThenPanic.input()),
        Failure::Trap(Trap::UnreachableCodeReached),
    );
    assert!(
        instance
            .output()
            .stderr()
            .contains("panicking after set(666)")
    );
    let backtrace = error
        .wasm_backtrace()
        .expect("wasmtime captures the wasm stack");
    assert!(
        backtrace.frames().len() > 1,
        "the backtrace has the guest's frames: {backtrace}"
    );
}

#[test]
fn a_trap_in_the_middle_of_trigger_commits_nothing() {
    // SetThenPanic calls `set(666)` before it panics; `component_case` checks the shared value
    // is still 42 afterwards.
    component_case(
        Behaviour::SetThenPanic,
        Failure::Trap(Trap::UnreachableCodeReached),
    );
}

#[test]
fn reuse_after_a_trap_runs_on_a_fresh_instance() {
    let host = host_with(short_deadline());
    let mut instance = hostile(&host);
    // Inputs that select no behaviour are just logged.
    instance.trigger(100).unwrap();
    assert!(instance.trigger(Behaviour::Unreachable.input()).is_err());
    instance.trigger(101).unwrap();
    assert_eq!(instance.take_logged(), [100, 101]);
}

#[test]
fn unreachable_is_a_typed_trap() {
    component_case(
        Behaviour::Unreachable,
        Failure::Trap(Trap::UnreachableCodeReached),
    );
}

#[test]
fn an_infinite_loop_times_out() {
    let error = component_case(Behaviour::Spin, Failure::Timeout);
    assert_eq!(error.trap(), Some(Trap::Interrupt));
}

#[test]
fn an_infinite_loop_calling_the_host_times_out() {
    component_case(Behaviour::SpinCallingHost, Failure::Timeout);
}

#[test]
fn unbounded_recursion_overflows_the_stack() {
    component_case(Behaviour::Recurse, Failure::StackOverflow);
}

#[test]
fn allocating_until_it_fails_hits_the_memory_limit() {
    // The deadline only guards against a hang here: at the short one, a loaded machine once
    // took longer to fault in 64 MiB than the deadline allowed, and the call timed out first.
    component_case_under(
        Limits {
            deadline: Duration::from_secs(10),
            ..short_deadline()
        },
        Behaviour::AllocateForever,
        Failure::Limit(Limit::Memory),
    );
}

#[test]
fn printing_forever_keeps_the_first_bytes_and_times_out() {
    let host = host_with(short_deadline());
    let mut instance = hostile(&host);
    bounded(&host, || {
        expect_failure(
            instance.trigger(Behaviour::PrintForever.input()),
            Failure::Timeout,
        )
    });
    let stdout = instance.output().stdout();
    assert_eq!(stdout.len(), host.host().limits().output_bytes);
    assert!(stdout.starts_with("hostile guest: line 0\n"));
    assert!(instance.output().dropped_bytes() > 0);
    still_serving(&host, &mut instance);
}

#[test]
fn a_core_module_memory_grow_bomb_hits_the_memory_limit() {
    let host = host_with(short_deadline());
    let text = with_trigger(
        "(loop (br_if 0 (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable",
        "",
    );
    let mut instance = core_instance(&host, &text);
    bounded(&host, || {
        expect_failure(
            instance.trigger_host_calls(0),
            Failure::Limit(Limit::Memory),
        )
    });
    assert_eq!(instance.just_add(1, 2).unwrap(), 3);
}

#[test]
fn a_core_module_table_grow_bomb_hits_the_table_limit() {
    let host = host_with(short_deadline());
    let text = with_trigger(
        "(loop (br_if 0 (i32.ne (table.grow $t (ref.null func) (i32.const 1000)) (i32.const -1))))
         unreachable",
        "(table $t 0 funcref)",
    );
    let mut instance = core_instance(&host, &text);
    bounded(&host, || {
        expect_failure(
            instance.trigger_host_calls(0),
            Failure::Limit(Limit::TableElements),
        )
    });
    assert_eq!(instance.just_add(1, 2).unwrap(), 3);
}

#[test]
fn a_core_module_infinite_loop_calling_the_host_times_out() {
    let host = host_with(short_deadline());
    let text = with_trigger("(loop (call $set (call $get)) (br 0))", "");
    let mut instance = core_instance(&host, &text);
    bounded(&host, || {
        expect_failure(instance.trigger_host_calls(0), Failure::Timeout)
    });
    assert_eq!(host.shared_value().get(), SharedValue::INITIAL);
    assert_eq!(instance.just_add(1, 2).unwrap(), 3);
}

#[test]
fn a_core_module_trap_after_set_commits_nothing() {
    let host = host_with(short_deadline());
    let text = with_trigger("(call $set (i32.const 666)) unreachable", "");
    let mut instance = core_instance(&host, &text);
    expect_failure(
        instance.trigger_host_calls(0),
        Failure::Trap(Trap::UnreachableCodeReached),
    );
    assert_eq!(host.shared_value().get(), SharedValue::INITIAL);
}

#[test]
fn bad_guest_pointers_are_errors_not_panics() {
    // -1 is u32::MAX; 0xfffffffe + 4 wraps past u32::MAX; 65533 + 4 runs off the end of the
    // one-page memory; 0x7fffffff is far beyond it.
    for bad in ["-1", "0xfffffffe", "65533", "0x7fffffff"] {
        let text = NO_ALLOCATOR.replace(
            "(result i32) (i32.const 16))",
            &format!("(result i32) (i32.const {bad}))"),
        );
        let host = host_with(short_deadline());
        let mut instance = core_instance(&host, &text);
        let error = instance.read_guest_value().unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::GuestMemory { len: 4, .. }),
            "{bad}: {error:?}"
        );
        assert!(instance.write_guest_value(1).is_err());
        assert_eq!(instance.just_add(1, 2).unwrap(), 3);
    }
}

#[test]
fn an_allocator_handing_out_memory_outside_linear_memory_is_an_error() {
    // 65530 + 24 bytes of scratch runs off the end of the one-page memory; -8 wraps past
    // u32::MAX.
    for bad in ["65530", "-8"] {
        let allocator = format!(
            "(func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) \
             (i32.const {bad}))"
        );
        let host = host_with(short_deadline());
        let mut instance = core_instance(&host, &with_trigger("", &allocator));
        for _ in 0..2 {
            let error = instance
                .point_add(Point { x: 1, y: 2 }, Point { x: 3, y: 4 })
                .unwrap_err();
            assert!(
                matches!(error.kind(), ErrorKind::GuestMemory { len: 24, .. }),
                "{bad}: {error:?}"
            );
            assert_eq!(error.export(), Some("cabi_realloc"), "{bad}: {error:?}");
        }
        assert_eq!(instance.just_add(1, 2).unwrap(), 3);
    }
}

#[test]
fn a_misaligned_guest_pointer_is_read_byte_by_byte() {
    let text = NO_ALLOCATOR
        .replace("(i32.const 16) \"\\64", "(i32.const 17) \"\\64")
        .replace(
            "(result i32) (i32.const 16))",
            "(result i32) (i32.const 17))",
        );
    let host = host_with(short_deadline());
    let mut instance = core_instance(&host, &text);
    assert_eq!(instance.read_guest_value().unwrap(), 100);
}

#[test]
fn a_pointer_into_memory_grown_during_the_call_is_checked_against_the_new_size() {
    // The guest grows its memory by a page, stores 77 there, and returns that address: the
    // host must see the grown memory, not a size it remembered from before the call.
    let text = NO_ALLOCATOR.replace(
        "(result i32) (i32.const 16))",
        "(result i32) (local $p i32)
           (local.set $p (i32.add (i32.mul (memory.grow (i32.const 1)) (i32.const 65536))
                                  (i32.const 8)))
           (i32.store (local.get $p) (i32.const 77))
           (local.get $p))",
    );
    let host = host_with(short_deadline());
    let mut instance = core_instance(&host, &text);
    assert_eq!(instance.read_guest_value().unwrap(), 77);
}

#[test]
fn the_core_path_still_adds_points_after_a_failure() {
    let host = host_with(short_deadline());
    let text = with_trigger("unreachable", "");
    let mut instance = core_instance(&host, &text);
    assert!(instance.trigger_host_calls(0).is_err());
    let sum = instance
        .point_add(Point { x: 1, y: 2 }, Point { x: 3, y: 4 })
        .unwrap();
    assert_eq!((sum.x, sum.y), (4, 6));
}
