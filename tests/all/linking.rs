//! Module linking: the `calc` module's export satisfies the `toolbox` module's import.

use example_host::{Chain, ExampleHost, HostState, demo};
use plugin_artifacts::{
    COMPONENT_GUEST, COMPOSE_CALC, CORE_CALC, CORE_PLUGIN, CORE_TOOLBOX, WAT_TOOLBOX,
};
use plugin_host::dynamic::{Dynamic, DynamicCoreModule};
use plugin_host::{Error, ErrorKind};

use crate::host;

/// Calls the linked modules' `export(arg)` on a fresh instance, as typed `(i32) -> i32`.
pub(crate) fn call_i32(
    host: &ExampleHost,
    modules: &DynamicCoreModule<HostState>,
    export: &str,
    arg: i32,
) -> Result<i32, Error> {
    let mut instance = modules.instantiate(host.state(modules.name()))?;
    instance.call(export, |instance, store| {
        instance
            .get_typed_func::<i32, i32>(&mut *store, export)?
            .call(store, arg)
    })
}

/// The core modules at `paths`, linked.
fn link(host: &ExampleHost, paths: &[&str]) -> Result<DynamicCoreModule<HostState>, Error> {
    match host.chain(Chain::Link, paths)? {
        Dynamic::CoreModule(modules) => Ok(modules),
        Dynamic::Component(_) => unreachable!("linking gives core modules"),
    }
}

#[test]
fn toolbox_calls_calc_through_the_link() {
    let host = host();
    let modules = link(&host, &[CORE_CALC, CORE_TOOLBOX]).expect("the pair links");
    assert_eq!(call_i32(&host, &modules, "foo", 7).unwrap(), 8);
    assert_eq!(
        call_i32(&host, &modules, "foo", i32::MAX).unwrap(),
        i32::MIN
    );
}

#[test]
fn the_demo_of_linked_modules_passes() {
    let host = host();
    let modules = link(&host, &[CORE_CALC, CORE_TOOLBOX]).unwrap();
    let transcript = demo::chained(&Dynamic::CoreModule(modules), host.shared_value());
    assert!(transcript.passed(), "{transcript:?}");
}

#[test]
fn an_unsatisfied_import_names_it_before_anything_runs() {
    // core-plugin exports no `add`, so toolbox's `env.add` stays unresolved.
    let Err(error) = link(&host(), &[CORE_PLUGIN, CORE_TOOLBOX]) else {
        panic!("linking must fail");
    };
    assert_eq!(error.kind(), &ErrorKind::Unlinkable);
    assert_eq!(error.plugin(), Some(CORE_TOOLBOX));
    assert!(format!("{error:#}").contains("add"), "{error:?}");
}

#[test]
fn calling_a_missing_export_is_an_error() {
    let host = host();
    let modules = link(&host, &[CORE_CALC, CORE_TOOLBOX]).unwrap();
    let error = call_i32(&host, &modules, "bar", 1).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Call(_)));
    assert_eq!(error.export(), Some("bar"));
}

#[test]
fn a_component_cannot_be_linked_as_a_core_module() {
    let Err(error) = link(&host(), &[COMPONENT_GUEST, CORE_TOOLBOX]) else {
        panic!("linking must fail");
    };
    assert!(
        matches!(error.kind(), ErrorKind::WrongKind { .. }),
        "{error:?}"
    );
}

#[test]
fn the_demo_of_composed_components_passes() {
    let host = host();
    let calc = host.host().load(COMPOSE_CALC).unwrap();
    let toolbox = host
        .host()
        .load_bytes("toolbox.wat", &crate::wasm(WAT_TOOLBOX))
        .unwrap();
    let chain = host.host().compose_components(&[calc, toolbox]).unwrap();
    let transcript = demo::chained(&Dynamic::Component(chain), host.shared_value());
    assert!(transcript.passed(), "{transcript:?}");
    assert_eq!(transcript.contract, "components, composed");
}
