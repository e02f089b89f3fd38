//! Chains: core modules linked, components composed at load time.
//!
//! Composition: a `toolbox` component's import of `example:calc/math@0.1.0` is forwarded to a
//! `calc` component's export of it (`PluginHost::compose_components`). The provider is the Rust
//! `plugins/compose/calc`, or a misbehaving one written here in WAT; the consumer is
//! `WAT_TOOLBOX`.

use std::time::Instant;

use plugin_artifacts::{COMPOSE_CALC, WAT_TOOLBOX};
use plugin_host::chain::Provider;
use plugin_host::dynamic::DynamicComponent;
use plugin_host::wasmtime::component::Val;
use plugin_host::{Compiled, Error, ErrorKind, Failure, PluginHost, Trap};

use crate::{DEADLINE, host, host_with, short_deadline, wasm};

/// The interface the toolbox imports and `calc` exports.
const MATH: &str = "example:calc/math@0.1.0";

/// A provider of `example:calc/math@0.1.0` whose `add` runs `body` (core wasm, taking
/// `(i32, i32)`, returning an `i32`), and whose `add` has the WIT signature `signature`.
fn calc(signature: &str, core_type: &str, body: &str) -> String {
    format!(
        r#"(component
  (core module $m (func (export "add") {core_type} {body}))
  (core instance $i (instantiate $m))
  (func $add {signature} (canon lift (core func $i "add")))
  (instance $math (export "add" (func $add)))
  (export "{MATH}" (instance $math)))"#
    )
}

/// A well-typed provider whose `add` runs `body`.
fn calc_doing(body: &str) -> String {
    calc(
        r#"(param "a" s32) (param "b" s32) (result s32)"#,
        "(param i32 i32) (result i32)",
        body,
    )
}

fn load_wat(host: &PluginHost<()>, name: &str, wat: &str) -> Compiled {
    host.load_bytes(name, &wasm(wat)).expect("it loads")
}

fn compose(host: &PluginHost<()>, provider: Compiled) -> Result<DynamicComponent<()>, Error> {
    let toolbox = load_wat(host, "toolbox.wat", WAT_TOOLBOX);
    host.compose_components(&[provider, toolbox])
}

/// Calls `foo(right)` of the composition on a fresh instance.
fn foo(chain: &DynamicComponent<()>, right: i32) -> Result<i32, Error> {
    let function = chain.function("foo")?;
    let mut instance = chain.instantiate(())?;
    match instance
        .call_function(&function, &[Val::S32(right)])?
        .as_slice()
    {
        [Val::S32(result)] => Ok(*result),
        other => panic!("foo returned {other:?}"),
    }
}

#[test]
fn the_toolbox_calls_the_rust_calc_through_the_composition() {
    let host = host::<()>();
    let calc = host.load(COMPOSE_CALC).unwrap();
    let chain = compose(&host, calc).expect("the pair composes");
    assert_eq!(chain.name(), format!("{COMPOSE_CALC} + toolbox.wat"));
    assert_eq!(foo(&chain, 7).unwrap(), 8);
    assert_eq!(foo(&chain, i32::MAX).unwrap(), i32::MIN);
    let functions: Vec<_> = chain.functions().iter().map(|f| f.to_string()).collect();
    assert_eq!(functions, ["foo: func(right: s32) -> s32"]);
}

#[test]
fn a_provider_that_loops_fails_the_call_with_a_timeout_naming_the_provider() {
    let host = host_with::<()>(short_deadline());
    let provider = load_wat(
        &host,
        "looping-calc.wat",
        &calc_doing("(loop $l (br $l)) i32.const 0"),
    );
    let chain = compose(&host, provider).unwrap();
    let start = Instant::now();
    let error = foo(&chain, 7).unwrap_err();
    assert!(start.elapsed() < DEADLINE * 10, "{:?}", start.elapsed());
    assert_eq!(error.failure(), Some(Failure::Timeout), "{error:?}");
    let provider = error.provider().expect("the error names the provider");
    assert_eq!(
        provider,
        &Provider {
            plugin: "looping-calc.wat".into(),
            function: format!("{MATH}#add"),
        }
    );
    assert!(
        format!("{error:#}").contains("looping-calc.wat"),
        "{}",
        format!("{error:#}")
    );
    // The chain is renewed: the next call runs on fresh instances and fails the same way.
    assert_eq!(
        foo(&chain, 1).unwrap_err().failure(),
        Some(Failure::Timeout)
    );
}

#[test]
fn a_provider_that_traps_fails_the_call_with_its_trap() {
    let host = host::<()>();
    let provider = load_wat(&host, "trapping-calc.wat", &calc_doing("unreachable"));
    let chain = compose(&host, provider).unwrap();
    let error = foo(&chain, 7).unwrap_err();
    assert_eq!(
        error.failure(),
        Some(Failure::Trap(Trap::UnreachableCodeReached)),
        "{error:?}"
    );
    assert_eq!(error.provider().unwrap().plugin, "trapping-calc.wat");
}

#[test]
fn a_mistyped_export_is_refused_naming_the_item_and_both_types() {
    let host = host::<()>();
    let provider = load_wat(
        &host,
        "u64-calc.wat",
        &calc(
            r#"(param "a" u64) (param "b" u64) (result u64)"#,
            "(param i64 i64) (result i64)",
            "local.get 0",
        ),
    );
    let Err(error) = compose(&host, provider) else {
        panic!("composing must fail");
    };
    assert_eq!(error.kind(), &ErrorKind::Unlinkable);
    assert_eq!(error.plugin(), Some("toolbox.wat"));
    let text = format!("{error:#}");
    for part in [
        "example:calc/math@0.1.0#add",
        "func(a: s32, b: s32) -> s32",
        "u64-calc.wat exports it as func(a: u64, b: u64) -> u64",
    ] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }
}

/// A provider and a consumer of an interface that also exports a value type, `pair`, which
/// `sum` takes; the consumer's `total(a, b)` returns `sum({a, b})`.
const PAIR_CALC: &str = r#"(component
  (core module $m (func (export "sum") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add))
  (core instance $i (instantiate $m))
  (type $pair' (record (field "a" s32) (field "b" s32)))
  (export $pair "pair" (type $pair'))
  (func $sum (param "p" $pair) (result s32) (canon lift (core func $i "sum")))
  (instance $pairs (export "pair" (type $pair)) (export "sum" (func $sum)))
  (export "example:calc/pairs@0.1.0" (instance $pairs)))"#;
const PAIR_TOOLBOX: &str = r#"(component
  (import "example:calc/pairs@0.1.0" (instance $pairs
    (type $pair' (record (field "a" s32) (field "b" s32)))
    (export "pair" (type $pair (eq $pair')))
    (export "sum" (func (param "p" $pair) (result s32)))))
  (core func $sum (canon lower (func $pairs "sum")))
  (core module $m
    (import "calc" "sum" (func $sum (param i32 i32) (result i32)))
    (func (export "total") (param i32 i32) (result i32)
      local.get 0 local.get 1 call $sum))
  (core instance $i (instantiate $m (with "calc" (instance (export "sum" (func $sum))))))
  (func (export "total") (param "a" s32) (param "b" s32) (result s32)
    (canon lift (core func $i "total"))))"#;

#[test]
fn an_interface_with_value_types_composes_and_records_cross_it() {
    let host = host::<()>();
    let provider = load_wat(&host, "pair-calc.wat", PAIR_CALC);
    let consumer = load_wat(&host, "pair-toolbox.wat", PAIR_TOOLBOX);
    let chain = host.compose_components(&[provider, consumer]).unwrap();
    let total = chain.function("total").unwrap();
    let mut instance = chain.instantiate(()).unwrap();
    let results = instance
        .call_function(&total, &[Val::S32(40), Val::S32(2)])
        .unwrap();
    assert!(matches!(results.as_slice(), [Val::S32(42)]), "{results:?}");
}

#[test]
fn an_imported_resource_is_refused_as_not_forwarded() {
    let host = host::<()>();
    let calc = host.load(COMPOSE_CALC).unwrap();
    let consumer = r#"(component
  (import "example:calc/math@0.1.0" (instance
    (export "counter" (type (sub resource)))
    (export "add" (func (param "a" s32) (param "b" s32) (result s32))))))"#;
    let consumer = load_wat(&host, "counter.wat", consumer);
    let Err(error) = host.compose_components(&[calc, consumer]) else {
        panic!("composing must fail");
    };
    let text = format!("{error:#}");
    assert!(text.contains("needs `counter`"), "{text}");
    assert!(text.contains("only functions are forwarded"), "{text}");
}

#[test]
fn an_import_nothing_provides_is_refused_naming_it() {
    // This provider exports no `example:calc/math`, and the host's linker has none.
    let host = host::<()>();
    let other = load_wat(&host, "empty.wat", "(component)");
    let Err(error) = compose(&host, other) else {
        panic!("composing must fail");
    };
    assert_eq!(error.kind(), &ErrorKind::Unlinkable);
    assert_eq!(error.plugin(), Some("toolbox.wat"));
    assert!(
        format!("{error:#}").contains(MATH),
        "{}",
        format!("{error:#}")
    );
}

#[test]
fn a_core_module_cannot_be_composed() {
    let host = host::<()>();
    let core = load_wat(&host, "calc.wat", "(module (func (export \"add\")))");
    let Err(error) = compose(&host, core) else {
        panic!("composing must fail");
    };
    assert!(
        matches!(error.kind(), ErrorKind::WrongKind { .. }),
        "{error:?}"
    );
}

/// A provider of `env.add` and a consumer whose `foo(right)` returns `add(1, right)`.
const CORE_CALC: &str = r#"(module (func (export "add") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.add))"#;
const CORE_TOOLBOX: &str = r#"(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (func (export "foo") (param i32) (result i32) i32.const 1 local.get 0 call $add))"#;

#[test]
fn linked_core_modules_call_each_other_and_their_names_join() {
    let host = host::<()>();
    let modules = [
        load_wat(&host, "calc.wat", CORE_CALC),
        load_wat(&host, "toolbox.wat", CORE_TOOLBOX),
    ];
    let chain = host.link_core_modules(&modules).unwrap();
    assert_eq!(chain.name(), "calc.wat + toolbox.wat");
    let foo = chain.function("foo").unwrap();
    let results = chain
        .instantiate(())
        .unwrap()
        .call_function(&foo, &[plugin_host::wasmtime::Val::I32(7)])
        .unwrap();
    assert!(
        matches!(results[..], [plugin_host::wasmtime::Val::I32(8)]),
        "{results:?}"
    );
}

#[test]
fn a_mistyped_link_names_the_import_and_both_types() {
    let host = host::<()>();
    let mistyped = CORE_CALC
        .replace("(param i32 i32)", "(param i64 i64)")
        .replace("local.get 0 local.get 1 i32.add", "i32.const 0");
    let modules = [
        load_wat(&host, "calc.wat", &mistyped),
        load_wat(&host, "toolbox.wat", CORE_TOOLBOX),
    ];
    let error = host.link_core_modules(&modules).unwrap_err();
    assert_eq!(
        (error.kind(), error.plugin()),
        (&ErrorKind::Unlinkable, Some("toolbox.wat"))
    );
    let text = format!("{error:#}");
    assert!(
        text.contains("(i32, i32) -> (i32)") && text.contains("(i64, i64) -> (i32)"),
        "{text}"
    );
}

#[test]
fn a_chain_of_nothing_is_refused_with_one_error_for_both_kinds() {
    let host = host::<()>();
    let linked = host.link_core_modules(&[]).unwrap_err();
    let composed = host.compose_components(&[]).unwrap_err();
    assert_eq!(linked.kind(), &ErrorKind::EmptyChain);
    assert_eq!(composed.kind(), &ErrorKind::EmptyChain);
    assert_eq!(linked.plugin(), None);
}
