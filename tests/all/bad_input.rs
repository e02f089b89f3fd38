//! The first bad inputs: each gets a clear, typed error naming the plugin, never a panic.

use plugin_artifacts::{COMPONENT_GUEST, CORE_PLUGIN};
use plugin_host::{ErrorKind, PluginKind};

use crate::{host, wasm};

#[test]
fn a_missing_file_is_a_read_error() {
    let Err(error) = host().load("no/such/plugin.wasm") else {
        panic!("loading must fail");
    };
    let ErrorKind::Read { path } = error.kind() else {
        panic!("{error:?}");
    };
    assert_eq!(path.to_str(), Some("no/such/plugin.wasm"));
    assert_eq!(error.plugin(), Some("no/such/plugin.wasm"));
    let source = std::error::Error::source(&error).and_then(|e| e.downcast_ref::<std::io::Error>());
    assert_eq!(
        source.map(std::io::Error::kind),
        Some(std::io::ErrorKind::NotFound)
    );
    assert_eq!(error.to_string(), "failed to read no/such/plugin.wasm");
}

#[test]
fn bytes_that_are_not_wasm_are_rejected_before_compiling() {
    for bytes in [&b""[..], b"hello", b"(module)", b"\0asn\x01\0\0\0"] {
        let Err(error) = host().load_bytes("junk.wasm", bytes) else {
            panic!("loading must fail");
        };
        assert_eq!(error.kind(), &ErrorKind::NotWasm);
        assert_eq!(error.plugin(), Some("junk.wasm"));
    }
}

#[test]
fn a_truncated_module_is_a_compile_error() {
    let bytes = std::fs::read(CORE_PLUGIN).unwrap();
    let Err(error) = host().load_bytes("truncated.wasm", &bytes[..bytes.len() / 2]) else {
        panic!("loading must fail");
    };
    assert_eq!(error.kind(), &ErrorKind::Compile);
    assert_eq!(error.plugin(), Some("truncated.wasm"));
}

#[test]
fn a_core_module_where_a_component_is_expected_is_the_wrong_kind() {
    let Err(error) = host().load_component(CORE_PLUGIN) else {
        panic!("loading must fail");
    };
    assert_eq!(
        error.kind(),
        &ErrorKind::WrongKind {
            expected: PluginKind::Component,
            found: PluginKind::CoreModule,
        }
    );
    assert!(
        error
            .to_string()
            .ends_with("is a core module, but a component was expected")
    );
}

#[test]
fn a_component_where_a_core_module_is_expected_is_the_wrong_kind() {
    let Err(error) = host().load_core_module(COMPONENT_GUEST) else {
        panic!("loading must fail");
    };
    assert_eq!(
        error.kind(),
        &ErrorKind::WrongKind {
            expected: PluginKind::CoreModule,
            found: PluginKind::Component,
        }
    );
}

/// A component that exports `just-add` and nothing else.
const ONLY_JUST_ADD: &str = r#"
(component
  (core module $m
    (func (export "add") (param i64 i64) (result i64)
      (i64.add (local.get 0) (local.get 1))))
  (core instance $i (instantiate $m))
  (func (export "just-add") (param "a" u64) (param "b" u64) (result u64)
    (canon lift (core func $i "add")))
)
"#;

#[test]
fn a_component_missing_an_export_is_named_before_any_call() {
    let Err(error) = host().load_bytes("partial.wasm", &wasm(ONLY_JUST_ADD)) else {
        panic!("loading must fail");
    };
    let ErrorKind::WorldMismatch { world } = error.kind() else {
        panic!("{error:?}");
    };
    assert_eq!(
        (error.plugin(), world.as_str()),
        (Some("partial.wasm"), "example:plugin/plugin@0.1.0")
    );
    let causes = format!("{:?}", error);
    assert!(causes.contains("point-add"), "{causes}");
}

#[test]
fn a_component_with_a_mistyped_export_is_a_world_mismatch() {
    let mistyped = ONLY_JUST_ADD
        .replace(
            "(param i64 i64) (result i64)",
            "(param i32 i32) (result i32)",
        )
        .replace("i64.add", "i32.add")
        .replace(
            "(param \"a\" u64) (param \"b\" u64) (result u64)",
            "(param \"a\" u32) (param \"b\" u32) (result u32)",
        );
    let Err(error) = host().load_bytes("mistyped.wasm", &wasm(&mistyped)) else {
        panic!("loading must fail");
    };
    assert!(
        matches!(error.kind(), ErrorKind::WorldMismatch { .. }),
        "{error:?}"
    );
    assert!(format!("{error:?}").contains("just-add"), "{error:?}");
}

#[test]
fn a_component_importing_what_the_host_lacks_is_a_world_mismatch() {
    let text = r#"(component (import "example:other/thing" (instance (export "f" (func)))))"#;
    let Err(error) = host().load_bytes("imports.wasm", &wasm(text)) else {
        panic!("loading must fail");
    };
    assert!(
        matches!(error.kind(), ErrorKind::WorldMismatch { .. }),
        "{error:?}"
    );
    assert!(
        format!("{error:?}").contains("example:other/thing"),
        "{error:?}"
    );
}

#[test]
fn a_core_module_missing_abi_exports_lists_each_one() {
    let text = r#"(module (memory (export "memory") 1)
        (func (export "just_add") (param i64 i64) (result i64) local.get 0)
        (func (export "simple_add") (param i32) (result i32) local.get 0))"#;
    let Err(error) = host().load_bytes("partial.wasm", &wasm(text)) else {
        panic!("loading must fail");
    };
    let ErrorKind::AbiMismatch { problems, .. } = error.kind() else {
        panic!("{error:?}");
    };
    assert_eq!(error.plugin(), Some("partial.wasm"));
    assert_eq!(
        problems,
        &[
            "missing export `trigger_host_calls`: (i32) -> ()",
            "missing export `point_add`: (i32, i32, i32) -> ()",
            "missing export `get_plugin_shared_value_ptr`: () -> (i32)",
            "export `simple_add` has type (i32) -> (i32), expected (i64, i64) -> (i64)",
        ]
    );
}

#[test]
fn a_core_module_importing_what_the_host_lacks_is_an_abi_mismatch() {
    let text = r#"(module (import "env" "launch_missiles" (func)))"#;
    let Err(error) = host().load_bytes("imports.wasm", &wasm(text)) else {
        panic!("loading must fail");
    };
    let ErrorKind::AbiMismatch { problems, .. } = error.kind() else {
        panic!("{error:?}");
    };
    assert!(
        problems.iter().any(|p| p.contains("launch_missiles")),
        "{problems:?}"
    );
}
