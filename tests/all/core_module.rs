//! The core-module path: the example's raw ABI, structs through linear memory.

use example_host::AbiInstance;
use example_host::{ExampleHost, Plugin, Point, demo};
use plugin_artifacts::{CORE_PLUGIN, RAW_ABI_PLUGIN};
use plugin_host::{ErrorKind, PluginKind, Trap};

use crate::{NO_ALLOCATOR, core_instance, host};

fn instance(host: &ExampleHost) -> AbiInstance {
    host.load_core_module(CORE_PLUGIN)
        .expect("the core guest loads")
        .instantiate()
        .expect("the core guest instantiates")
}

#[test]
fn load_detects_a_core_module() {
    let plugin = host().load(CORE_PLUGIN).expect("the core guest loads");
    assert_eq!(plugin.kind(), PluginKind::CoreModule);
}

#[test]
fn just_add_adds_and_wraps() {
    let mut instance = instance(&host());
    assert_eq!(instance.just_add(15, 27).unwrap(), 42);
    assert_eq!(instance.just_add(i64::MAX, 1).unwrap(), i64::MIN);
}

#[test]
fn trigger_host_calls_reaches_the_env_imports() {
    let host = host();
    let mut instance = instance(&host);
    instance.trigger_host_calls(7).unwrap();
    assert_eq!(instance.take_logged(), [14]);
    assert_eq!(host.shared_value().get(), 54);
}

#[test]
fn trigger_host_calls_wraps_at_i32_max() {
    let host = host();
    let mut instance = instance(&host);
    host.shared_value().set(i32::MAX);
    instance.trigger_host_calls(1).unwrap();
    assert_eq!(host.shared_value().get(), i32::MIN + 5);
}

#[test]
fn point_add_goes_through_linear_memory() {
    let mut instance = instance(&host());
    let sum = instance
        .point_add(Point { x: 100, y: 200 }, Point { x: 30, y: 70 })
        .unwrap();
    assert_eq!((sum.x, sum.y), (130, 270));
    // The scratch memory is reused, and the guest's data is intact.
    let sum = instance
        .point_add(Point { x: i32::MAX, y: -1 }, Point { x: 1, y: 1 })
        .unwrap();
    assert_eq!((sum.x, sum.y), (i32::MIN, 0));
    assert_eq!(instance.read_guest_value().unwrap(), 100);
}

#[test]
fn guest_value_is_read_and_written_in_place_and_the_guest_sees_it() {
    let mut instance = instance(&host());
    assert_eq!(instance.read_guest_value().unwrap(), 100);
    instance.write_guest_value(777).unwrap();
    assert_eq!(instance.read_guest_value().unwrap(), 777);
    assert_eq!(instance.simple_add(1, 1).unwrap(), 2);
    assert_eq!(instance.output().stdout(), "core guest: my value is 777\n");
}

#[test]
fn instances_have_their_own_linear_memory() {
    let host = host();
    let mut first = instance(&host);
    let mut second = instance(&host);
    first.write_guest_value(777).unwrap();
    assert_eq!(second.read_guest_value().unwrap(), 100);
}

#[test]
fn point_add_without_an_allocator_uses_a_page_the_host_grew() {
    let mut instance = core_instance(&host(), NO_ALLOCATOR);
    let sum = instance
        .point_add(Point { x: 100, y: 200 }, Point { x: 30, y: 70 })
        .unwrap();
    assert_eq!((sum.x, sum.y), (130, 270));
    assert_eq!(
        instance.read_guest_value().unwrap(),
        100,
        "guest data not clobbered"
    );
}

#[test]
fn a_guest_trap_is_a_typed_call_error() {
    let text = NO_ALLOCATOR.replace(
        "(func (export \"just_add\") (param i64 i64) (result i64)\n    (i64.add (local.get 0) (local.get 1)))",
        "(func (export \"just_add\") (param i64 i64) (result i64) unreachable)",
    );
    let mut instance = core_instance(&host(), &text);
    let error = instance.just_add(1, 2).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Call(_)));
    assert_eq!(error.export(), Some("just_add"));
    assert_eq!(error.trap(), Some(Trap::UnreachableCodeReached));
}

#[test]
fn demo_passes_the_five_abi_patterns() {
    let host = host();
    let Plugin::CoreModule(plugin) = host.load(CORE_PLUGIN).unwrap() else {
        panic!("a core module");
    };
    let transcript = demo::core_module(&plugin, host.shared_value());
    assert!(transcript.passed(), "{transcript:#?}");
    assert!(!transcript.checks.is_empty());
    assert_eq!(transcript.stdout, "core guest: my value is 777\n");
}

/// The raw-ABI plugin prints its view of the value and then another line; the check of what
/// it saw must not depend on what else it prints.
#[test]
fn a_plugin_written_by_hand_in_the_old_style_passes_every_check_of_the_core_path() {
    let host = host();
    let plugin = host.load_core_module(RAW_ABI_PLUGIN).unwrap();
    let transcript = demo::core_module(&plugin, host.shared_value());
    assert!(transcript.passed(), "{transcript:#?}");
    assert!(
        transcript
            .stdout
            .ends_with("Performing simple add: 1 + 1\n"),
        "{:?}",
        transcript.stdout
    );
}
