//! A contract of the tests' own that grows (`host/tests/growth`): 1.0.0, 1.1.0 adding a call on
//! each side, and 2.0.0 breaking both, all served by one host through `contract!`. Each
//! plugin is a WAT component of its version.

use plugin_host::contract::Contract;
use plugin_host::wasmtime::component::HasSelf;
use plugin_host::{ErrorKind, PluginHost, Transactional};

use crate::wasm;

mod contract {
    plugin_host::contract!({
        package: "test:growth",
        world: "app",
        path: "tests/growth",
        versions: ["1.0.0", "1.1.0", "2.0.0"],
    });
}

use contract::{VersionedInstance, VersionedPlugin, versioned_call};

/// What the host functions record.
#[derive(Default)]
struct State {
    logged: Vec<i64>,
}

impl Transactional for State {}

// One implementation of the host per semver line: 1.1.0's serves 1.0.0's plugins too.
impl contract::v1_1_0::test::growth::host::Host for State {
    fn log(&mut self, value: u32) {
        self.logged.push(i64::from(value));
    }

    fn twice(&mut self, value: u32) -> u32 {
        value.wrapping_mul(2)
    }
}

impl contract::v2_0_0::test::growth::host::Host for State {
    fn log(&mut self, value: i64) {
        self.logged.push(value);
    }
}

/// A component of `version` importing `host` with `imports` (WAT function types) and
/// exporting `exports`, around `module`.
fn plugin(version: &str, imports: &str, lowered: &str, module: &str, exports: &str) -> Vec<u8> {
    wasm(&format!(
        r#"(component
  (import "test:growth/host@{version}" (instance $host {imports}))
  {lowered}
  (core module $m {module})
  (core instance $i (instantiate $m (with "host" (instance $lowered))))
  {exports})"#
    ))
}

fn plugin_1_0() -> Vec<u8> {
    plugin(
        "1.0.0",
        r#"(export "log" (func (param "value" u32)))"#,
        r#"(core func $log (canon lower (func $host "log")))
  (core instance $lowered (export "log" (func $log)))"#,
        r#"(import "host" "log" (func $log (param i32)))
    (func (export "run") (param i32) (result i32)
      (call $log (local.get 0)) (i32.add (local.get 0) (i32.const 1)))"#,
        r#"(func (export "run") (param "input" u32) (result u32) (canon lift (core func $i "run")))"#,
    )
}

fn plugin_1_1() -> Vec<u8> {
    plugin(
        "1.1.0",
        r#"(export "log" (func (param "value" u32)))
    (export "twice" (func (param "value" u32) (result u32)))"#,
        r#"(core func $log (canon lower (func $host "log")))
  (core func $twice (canon lower (func $host "twice")))
  (core instance $lowered (export "log" (func $log)) (export "twice" (func $twice)))"#,
        r#"(import "host" "log" (func $log (param i32)))
    (import "host" "twice" (func $twice (param i32) (result i32)))
    (func (export "run") (param i32) (result i32)
      (call $log (local.get 0)) (i32.add (call $twice (local.get 0)) (i32.const 1)))
    (func (export "version") (result i32) (i32.const 11))"#,
        r#"(func (export "run") (param "input" u32) (result u32) (canon lift (core func $i "run")))
  (func (export "version") (result u32) (canon lift (core func $i "version")))"#,
    )
}

fn plugin_2_0() -> Vec<u8> {
    plugin(
        "2.0.0",
        r#"(export "log" (func (param "value" s64)))"#,
        r#"(core func $log (canon lower (func $host "log")))
  (core instance $lowered (export "log" (func $log)))"#,
        r#"(import "host" "log" (func $log (param i64)))
    (func (export "run") (param i64) (result i64)
      (call $log (local.get 0)) (i64.mul (local.get 0) (i64.const 2)))"#,
        r#"(func (export "run") (param "input" s64) (result s64) (canon lift (core func $i "run")))"#,
    )
}

/// A host serving every version: each line's newest imports linked.
fn host() -> (PluginHost<State>, Contract) {
    let mut host = PluginHost::new().unwrap();
    host.link(contract::v1_1_0::App::add_to_linker::<_, HasSelf<State>>)
        .unwrap();
    host.link(contract::v2_0_0::App::add_to_linker::<_, HasSelf<State>>)
        .unwrap();
    (host, contract::contract().unwrap())
}

fn instance(
    host: &PluginHost<State>,
    contract: &Contract,
    name: &str,
    bytes: &[u8],
) -> VersionedInstance<State> {
    let compiled = host.load_bytes(name, bytes).unwrap();
    let plugin = VersionedPlugin::new(host, contract, &compiled).unwrap();
    plugin.instantiate(State::default()).unwrap()
}

#[test]
fn one_host_serves_both_lines_of_a_contract_and_a_breaking_version_beside_them() {
    let (host, contract) = host();
    let mut old = instance(&host, &contract, "old.wasm", &plugin_1_0());
    let mut newer = instance(&host, &contract, "newer.wasm", &plugin_1_1());
    let mut next = instance(&host, &contract, "next.wasm", &plugin_2_0());
    assert_eq!(
        [old.version(), newer.version(), next.version()],
        ["1.0.0", "1.1.0", "2.0.0"]
    );

    // `version`, added in 1.1.0: the same call on every version, or the typed error.
    let version = |i: &mut VersionedInstance<State>| {
        versioned_call!(i, "version", |app, store| app.call_version(store))
    };
    assert_eq!(version(&mut newer).unwrap(), 11);
    let missing = version(&mut old).unwrap_err();
    assert!(
        matches!(missing.kind(), ErrorKind::NotInVersion { since: Some(since), .. } if since == "1.1.0"),
        "{missing}"
    );
    assert!(matches!(
        version(&mut next).unwrap_err().kind(),
        ErrorKind::NotInVersion { .. }
    ));

    // `run` changed its type in 2.0.0: each line's call is its own.
    let run_1 = |i: &mut VersionedInstance<State>, input: u32| match i {
        VersionedInstance::V1_0_0(i) => i.call("run", |app, store| app.call_run(store, input)),
        VersionedInstance::V1_1_0(i) => i.call("run", |app, store| app.call_run(store, input)),
        VersionedInstance::V2_0_0(_) => unreachable!("a 1.x instance"),
    };
    assert_eq!(run_1(&mut old, 5).unwrap(), 6);
    assert_eq!(
        run_1(&mut newer, 5).unwrap(),
        11,
        "1.1.0 doubles on the host first"
    );
    let VersionedInstance::V2_0_0(two) = &mut next else {
        unreachable!("a 2.0.0 instance")
    };
    assert_eq!(
        two.call("run", |app, store| app.call_run(store, -4))
            .unwrap(),
        -8
    );
    assert_eq!(two.data().logged, [-4]);
}

#[test]
fn the_growing_contract_passes_the_growth_check_and_a_breaking_line_is_free() {
    let (_, contract) = host();
    contract.check_growth().unwrap();
    assert_eq!(contract.since("version"), Some("1.1.0"));
}
