//! Hot reload: a watched directory swaps in a changed plugin while calls go on, keeps the old
//! version when the new file does not load, and unloads a removed one.

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use plugin_artifacts::{COMPONENT_GUEST, COMPONENT_GUEST_VERSION, LEGACY_GUEST};
use plugin_host::{ErrorKind, watch::Event};

use crate::watching::{directory, next, replace, watch};

#[test]
fn a_replaced_plugin_is_swapped_in_while_calls_go_on_and_no_call_fails() {
    let dir = directory("swap");
    let (_host, plugins) = watch(&dir);
    assert!(matches!(next(&plugins), Event::Loaded { name, .. } if name == "p.wasm"));
    let plugins = Arc::new(plugins);
    let stop = Arc::new(AtomicBool::new(false));
    let caller = {
        let (plugins, stop) = (plugins.clone(), stop.clone());
        thread::spawn(move || {
            let mut versions = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let plugin = plugins.get("p.wasm").expect("always loaded");
                let mut instance = plugin.instantiate().expect("instantiates");
                assert_eq!(instance.just_add(40, 2).unwrap(), 42);
                // One version throughout the call: `describe` is there exactly on the new one.
                let described = instance.describe();
                match instance.version() {
                    COMPONENT_GUEST_VERSION => assert!(described.is_ok(), "{described:?}"),
                    _ => assert!(matches!(
                        described.map_err(|e| e.kind().clone()),
                        Err(ErrorKind::NotInVersion { .. })
                    )),
                }
                versions.push(instance.version());
            }
            versions
        })
    };
    thread::sleep(Duration::from_millis(200));
    replace(&dir, COMPONENT_GUEST);
    assert!(matches!(next(&plugins), Event::Reloaded { name, .. } if name == "p.wasm"));
    thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let versions = caller.join().expect("no call failed");
    let switch = versions
        .iter()
        .position(|v| *v == COMPONENT_GUEST_VERSION)
        .expect("the new version served");
    assert!(switch > 0, "the old version served first");
    assert!(
        versions[switch..]
            .iter()
            .all(|v| *v == COMPONENT_GUEST_VERSION),
        "never back to the old one"
    );
}

#[test]
fn a_file_that_fails_to_load_keeps_the_old_version_serving() {
    let dir = directory("broken");
    let (_host, plugins) = watch(&dir);
    assert!(matches!(next(&plugins), Event::Loaded { .. }));
    fs::write(dir.join("p.wasm"), b"not wasm at all").unwrap();
    match next(&plugins) {
        Event::Failed { name, error } => {
            assert_eq!(name, "p.wasm");
            assert_eq!(error.kind(), &ErrorKind::NotWasm, "{error}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    let mut instance = plugins.get("p.wasm").unwrap().instantiate().unwrap();
    assert_eq!(instance.version(), "0.1.0");
    assert_eq!(instance.just_add(1, 2).unwrap(), 3);
}

#[test]
fn a_removed_file_unloads_its_plugin_after_the_calls_that_hold_it() {
    let dir = directory("removed");
    let (_host, plugins) = watch(&dir);
    assert!(matches!(next(&plugins), Event::Loaded { .. }));
    let held = plugins.get("p.wasm").unwrap();
    fs::remove_file(dir.join("p.wasm")).unwrap();
    assert!(matches!(next(&plugins), Event::Unloaded { name } if name == "p.wasm"));
    assert!(plugins.get("p.wasm").is_none());
    assert!(plugins.names().is_empty());
    assert_eq!(held.instantiate().unwrap().just_add(2, 2).unwrap(), 4);

    // A new file is loaded as it arrives.
    replace(&dir, LEGACY_GUEST);
    assert!(matches!(next(&plugins), Event::Loaded { name, .. } if name == "p.wasm"));
}
