//! Calls by name ([`plugin_host::dynamic`]): finding a function, parsing WAVE against its
//! signature, and writing its results.

use plugin_host::dynamic::to_wave;
use plugin_host::{ErrorKind, Failure, Trap};

use crate::{component, core_module, expect_failure, host};

/// A component exporting `swap(p: pair) -> pair` at its root and `shout` in two interfaces.
const PAIRS: &str = r#"(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "swap") (param i32 i32) (result i32)
      (i32.store (i32.const 0) (local.get 1))
      (i32.store (i32.const 4) (local.get 0))
      (i32.const 0))
    (func (export "trap") unreachable))
  (core instance $i (instantiate $m))
  (type $pair' (record (field "x" s32) (field "y" s32)))
  (export $pair "pair" (type $pair'))
  (func (export "swap") (param "p" $pair) (result $pair)
    (canon lift (core func $i "swap") (memory (core memory $i "memory"))))
  (func $trap (canon lift (core func $i "trap")))
  (instance $a (export "shout" (func $trap)))
  (instance $b (export "shout" (func $trap)))
  (export "test:names/a@1.0.0" (instance $a))
  (export "test:names/b@1.0.0" (instance $b)))"#;

#[test]
fn wave_arguments_are_parsed_against_the_signature_and_results_written_as_wave() {
    let host = host::<()>();
    let plugin = component(&host, PAIRS);
    let swap = plugin.function("swap").unwrap();
    assert_eq!(
        swap.to_string(),
        "swap: func(p: record { x: s32, y: s32 }) -> record { x: s32, y: s32 }"
    );
    let args = plugin.parse_args(&swap, &["{x: 1, y: -2}"]).unwrap();
    let results = plugin
        .instantiate(())
        .unwrap()
        .call_function(&swap, &args)
        .unwrap();
    assert_eq!(to_wave(&results), "{x: -2, y: 1}");
    let call = plugin.call_wave("swap", &["{x: 3, y: 4}"], ()).unwrap();
    assert_eq!(call.results.unwrap(), "{x: 4, y: 3}");
}

#[test]
fn a_function_is_found_by_its_full_short_or_bare_name_and_ambiguity_is_named() {
    let host = host::<()>();
    let plugin = component(&host, PAIRS);
    for name in ["test:names/a@1.0.0#shout", "a#shout"] {
        assert_eq!(
            plugin.function(name).unwrap().name(),
            "test:names/a@1.0.0#shout"
        );
    }
    let error = plugin.function("shout").unwrap_err();
    let ErrorKind::NoSuchExport {
        candidates,
        exports,
    } = error.kind()
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        candidates,
        &["test:names/a@1.0.0#shout", "test:names/b@1.0.0#shout"]
    );
    assert_eq!(exports.len(), plugin.functions().len());
    assert_eq!(
        (error.plugin(), error.export()),
        (Some("test.wat"), Some("shout"))
    );
    let error = plugin.function("whisper").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("has no function export `whisper`"),
        "{error}"
    );
}

#[test]
fn wrong_arguments_name_the_argument_and_show_the_signature_before_any_call() {
    let host = host::<()>();
    let plugin = component(&host, PAIRS);
    let swap = plugin.function("swap").unwrap();
    for (args, reason) in [
        (&[][..], "0 arguments given, 1 expected"),
        (&["{x: 1}"][..], "argument 1 (p) `{x: 1}`"),
        (&["7"][..], "argument 1 (p) `7`"),
    ] {
        let error = plugin.parse_args(&swap, args).unwrap_err();
        let ErrorKind::BadArguments {
            signature,
            reason: why,
        } = error.kind()
        else {
            panic!("{error:?}");
        };
        assert!(why.contains(reason), "{why}");
        assert_eq!(signature, &swap.to_string());
    }
}

#[test]
fn a_trap_in_a_call_by_name_is_a_typed_failure_naming_the_full_export() {
    let host = host::<()>();
    let plugin = component(&host, PAIRS);
    let shout = plugin.function("a#shout").unwrap();
    let error = expect_failure(
        plugin.instantiate(()).unwrap().call_function(&shout, &[]),
        Failure::Trap(Trap::UnreachableCodeReached),
    );
    assert_eq!(error.export(), Some("test:names/a@1.0.0#shout"));
}

#[test]
fn a_core_modules_functions_take_and_return_numbers() {
    let host = host::<()>();
    let plugin = core_module(
        &host,
        r#"(module (func (export "mix") (param i64 f64) (result i64 f64)
            local.get 0 local.get 1))"#,
    );
    assert_eq!(
        plugin.functions()[0].to_string(),
        "mix: (i64, f64) -> (i64, f64)"
    );
    let call = plugin.call_wave("mix", &["-1", "1.5"], ()).unwrap();
    assert_eq!(call.results.unwrap(), "(-1, 1.5)");
    let error = plugin.call_wave("mix", &["1", "x"], ()).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::BadArguments { .. }),
        "{error:?}"
    );
}

/// A component with a resource `thing`, whose `make` returns a new one and `makes` two in a
/// list beside a number.
const THINGS: &str = r#"(component
  (type $thing' (resource (rep i32)))
  (export $thing "thing" (type $thing'))
  (core func $new (canon resource.new $thing'))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "make") (result i32) (call $new (i32.const 7)))
    (func (export "makes") (result i32)
      (i32.store (i32.const 16) (call $new (i32.const 1)))
      (i32.store (i32.const 20) (call $new (i32.const 2)))
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 2))
      (i32.store (i32.const 8) (i32.const 42))
      (i32.const 0)))
  (core instance $i (instantiate $m (with "" (instance (export "new" (func $new))))))
  (func (export "make") (result (own $thing)) (canon lift (core func $i "make")))
  (func (export "makes") (result (tuple (list (own $thing)) u32))
    (canon lift (core func $i "makes") (memory (core memory $i "memory")))))"#;

#[test]
fn returned_resource_handles_are_written_in_place_with_their_resource_and_number() {
    let host = host::<()>();
    let plugin = component(&host, THINGS);
    assert_eq!(
        plugin
            .call_wave("make", &[] as &[&str], ())
            .unwrap()
            .results
            .unwrap(),
        "<thing #1>"
    );
    assert_eq!(
        plugin
            .call_wave("makes", &[] as &[&str], ())
            .unwrap()
            .results
            .unwrap(),
        "([<thing #1>, <thing #2>], 42)"
    );
}
