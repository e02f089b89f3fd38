//! The core-module path: the seed's raw ABI, structs through linear memory.

use plugin_host::core_module::CoreInstance;
use plugin_host::{Error, Plugin, PluginHost, PluginKind, Point, Trap, demo};
use plugin_tests::CORE_PLUGIN;

use crate::{host, wasm};

fn instance(host: &PluginHost) -> CoreInstance {
    host.load_core_module(CORE_PLUGIN)
        .expect("the core guest loads")
        .instantiate()
        .expect("the core guest instantiates")
}

/// The seed ABI in WAT, without an allocator export, so the host must grow a page of its own
/// for scratch memory. The plugin's own value (100) sits at address 16, where a host that
/// wrote its scratch data at a fixed low offset would clobber it.
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

fn no_allocator_instance(host: &PluginHost, text: &str) -> CoreInstance {
    let Plugin::CoreModule(plugin) = host.load_bytes("no-allocator.wat", &wasm(text)).unwrap()
    else {
        panic!("WAT modules are core modules");
    };
    plugin.instantiate().unwrap()
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
    assert_eq!(instance.stdout(), "core guest: my value is 777\n");
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
    let mut instance = no_allocator_instance(&host(), NO_ALLOCATOR);
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
fn a_guest_pointer_outside_memory_is_an_error_not_a_panic() {
    for bad in ["-1", "65533", "0x7fffffff"] {
        let text = NO_ALLOCATOR.replace(
            "(result i32) (i32.const 16))",
            &format!("(result i32) (i32.const {bad}))"),
        );
        let mut instance = no_allocator_instance(&host(), &text);
        let error = instance.read_guest_value().unwrap_err();
        assert!(
            matches!(
                &error,
                Error::GuestMemory { export, len: 4, .. } if export == "get_plugin_shared_value_ptr"
            ),
            "{bad}: {error:?}"
        );
        assert!(instance.write_guest_value(1).is_err());
        // The instance still works.
        assert_eq!(instance.just_add(1, 2).unwrap(), 3);
    }
}

#[test]
fn a_guest_trap_is_a_typed_call_error() {
    let text = NO_ALLOCATOR.replace(
        "(func (export \"just_add\") (param i64 i64) (result i64)\n    (i64.add (local.get 0) (local.get 1)))",
        "(func (export \"just_add\") (param i64 i64) (result i64) unreachable)",
    );
    let mut instance = no_allocator_instance(&host(), &text);
    let error = instance.just_add(1, 2).unwrap_err();
    assert!(matches!(&error, Error::Call { export, .. } if export == "just_add"));
    assert_eq!(error.trap(), Some(Trap::UnreachableCodeReached));
}

#[test]
fn demo_passes_the_five_seed_patterns() {
    let host = host();
    let Plugin::CoreModule(plugin) = host.load(CORE_PLUGIN).unwrap() else {
        panic!("a core module");
    };
    let transcript = demo::core_module(&plugin, host.shared_value());
    assert!(transcript.error.is_none(), "{:?}", transcript.error);
    assert_eq!(transcript.checks.len(), 9);
    for check in &transcript.checks {
        assert!(check.passed(), "{check:?}");
    }
    assert_eq!(transcript.stdout, "core guest: my value is 777\n");
}
