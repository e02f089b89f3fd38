//! Module linking: the `calc` module's export satisfies the `toolbox` module's import.

use plugin_host::{Error, demo};
use plugin_tests::{COMPONENT_GUEST, CORE_CALC, CORE_PLUGIN, CORE_TOOLBOX};

use crate::host;

#[test]
fn toolbox_calls_calc_through_the_link() {
    let mut modules = host()
        .link_core_modules(CORE_CALC, CORE_TOOLBOX, "env")
        .expect("the pair links");
    assert_eq!(modules.call::<i32, i32>("foo", 7).unwrap(), 8);
    assert_eq!(modules.call::<i32, i32>("foo", i32::MAX).unwrap(), i32::MIN);
}

#[test]
fn demo_passes() {
    let mut modules = host()
        .link_core_modules(CORE_CALC, CORE_TOOLBOX, "env")
        .unwrap();
    let transcript = demo::linked("calc + toolbox", &mut modules);
    assert!(transcript.passed(), "{transcript:?}");
}

#[test]
fn an_unsatisfied_import_names_it() {
    // core-plugin exports no `add`, so toolbox's `env.add` stays unresolved.
    let Err(error) = host().link_core_modules(CORE_PLUGIN, CORE_TOOLBOX, "env") else {
        panic!("linking must fail");
    };
    assert!(matches!(&error, Error::Instantiate { plugin, .. } if plugin == CORE_TOOLBOX));
    assert!(format!("{:?}", error).contains("add"), "{error:?}");
}

#[test]
fn calling_a_missing_export_is_an_error() {
    let mut modules = host()
        .link_core_modules(CORE_CALC, CORE_TOOLBOX, "env")
        .unwrap();
    let error = modules.call::<i32, i32>("bar", 1).unwrap_err();
    assert!(matches!(&error, Error::Call { export, .. } if export == "bar"));
}

#[test]
fn a_component_cannot_be_linked_as_a_core_module() {
    let Err(error) = host().link_core_modules(COMPONENT_GUEST, CORE_TOOLBOX, "env") else {
        panic!("linking must fail");
    };
    assert!(matches!(error, Error::WrongKind { .. }), "{error:?}");
}
