//! Hot reload does not leak: 100 reloads of a plugin in a watched directory leave resident
//! memory where 20 left it. A test binary of its own, so that no other test's allocations run
//! beside the measurement.

mod watching;

use plugin_artifacts::{COMPONENT_GUEST, LEGACY_GUEST, resident_bytes};
use plugin_host::watch::Event;

use watching::{directory, next, replace, watch};

#[test]
fn a_hundred_reloads_do_not_grow_resident_memory() {
    let dir = directory("reload-memory");
    let (_host, plugins) = watch(&dir);
    assert!(matches!(next(&plugins), Event::Loaded { .. }));

    let resident_kib = || resident_bytes().unwrap() >> 10;
    let mut after_20 = 0;
    for reload in 1..=100 {
        let source = if reload % 2 == 0 {
            LEGACY_GUEST
        } else {
            COMPONENT_GUEST
        };
        replace(&dir, source);
        match next(&plugins) {
            Event::Reloaded { .. } => {}
            other => panic!("reload {reload}: {other:?}"),
        }
        let mut instance = plugins.get("p.wasm").unwrap().instantiate().unwrap();
        assert_eq!(instance.just_add(1, 2).unwrap(), 3);
        if reload == 20 {
            after_20 = resident_kib();
        }
    }
    let after_100 = resident_kib();
    let growth = after_100.saturating_sub(after_20);
    println!("resident after 20 reloads: {after_20} KiB, after 100: {after_100} KiB");
    assert!(growth < 8 * 1024, "grew by {growth} KiB over 80 reloads");
}
