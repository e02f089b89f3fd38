//! The component path: every interaction of the world `example:plugin/plugin`, on the newest
//! version's guest. What differs between versions is in `contract`.

use example_host::{ContractInstance, ContractPlugin, ExampleHost, Point};
use plugin_artifacts::COMPONENT_GUEST;
use plugin_host::PluginKind;

use crate::host;

fn instance(host: &ExampleHost) -> ContractInstance {
    host.load_component(COMPONENT_GUEST)
        .expect("the guest loads")
        .instantiate()
        .expect("the guest instantiates")
}

#[test]
fn load_detects_a_component() {
    let plugin = host().load(COMPONENT_GUEST).expect("the guest loads");
    assert_eq!(plugin.kind(), PluginKind::Component);
    assert_eq!(plugin.name(), COMPONENT_GUEST);
}

#[test]
fn just_add_adds() {
    assert_eq!(instance(&host()).just_add(15, 27).unwrap(), 42);
}

#[test]
fn just_add_wraps_at_u64_max() {
    let mut instance = instance(&host());
    assert_eq!(instance.just_add(u64::MAX, 1).unwrap(), 0);
    assert_eq!(instance.just_add(u64::MAX, u64::MAX).unwrap(), u64::MAX - 1);
}

#[test]
fn point_add_passes_records_both_ways() {
    let sum = instance(&host())
        .point_add(Point { x: 100, y: 200 }, Point { x: 30, y: 70 })
        .unwrap();
    assert_eq!((sum.x, sum.y), (130, 270));
}

#[test]
fn point_add_wraps_at_i32_max() {
    let sum = instance(&host())
        .point_add(
            Point {
                x: i32::MAX,
                y: i32::MIN,
            },
            Point { x: 1, y: -1 },
        )
        .unwrap();
    assert_eq!((sum.x, sum.y), (i32::MIN, i32::MAX));
}

#[test]
fn trigger_logs_and_changes_the_shared_value() {
    let host = host();
    let mut instance = instance(&host);
    assert_eq!(host.shared_value().get(), 42);
    instance.trigger(7).unwrap();
    assert_eq!(instance.take_logged(), [14]);
    assert_eq!(host.shared_value().get(), 54);
    assert!(instance.take_logged().is_empty(), "take_logged drains");
}

#[test]
fn trigger_sees_values_the_application_sets() {
    let host = host();
    let mut instance = instance(&host);
    host.shared_value().set(i32::MAX);
    instance.trigger(1).unwrap();
    // MAX + 1 + 5 wraps.
    assert_eq!(host.shared_value().get(), i32::MIN + 5);
    assert_eq!(instance.take_logged(), [2]);
}

#[test]
fn trigger_wraps_the_logged_value() {
    let host = host();
    let mut instance = instance(&host);
    instance.trigger(i32::MAX).unwrap();
    assert_eq!(instance.take_logged(), [-2]);
}

#[test]
fn guest_stdout_is_captured_per_instance() {
    let host = host();
    let mut first = instance(&host);
    let second = instance(&host);
    first.trigger(7).unwrap();
    let printed = first.output().stdout();
    assert!(
        printed.contains("trigger(7)") && printed.ends_with('\n'),
        "{printed}"
    );
    assert_eq!(
        second.output().stdout(),
        "",
        "the other instance printed nothing"
    );
}

#[test]
fn instances_share_the_host_value_but_nothing_else() {
    let host = host();
    let mut first = instance(&host);
    let mut second = instance(&host);
    first.trigger(7).unwrap(); // 42 -> 54
    second.trigger(1).unwrap(); // 54 -> 60
    assert_eq!(host.shared_value().get(), 60);
    assert_eq!(first.take_logged(), [14]);
    assert_eq!(second.take_logged(), [2]);
}

#[test]
fn plugins_and_instances_work_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ContractPlugin>();
    assert_send_sync::<ExampleHost>();

    let host = host();
    let plugin = host.load_component(COMPONENT_GUEST).unwrap();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2_u64)
            .map(|n| {
                let plugin = &plugin;
                scope.spawn(move || {
                    let mut instance = plugin.instantiate().unwrap();
                    (0..100)
                        .map(|i| instance.just_add(n, i).unwrap())
                        .sum::<u64>()
                })
            })
            .collect();
        let sums: Vec<u64> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        assert_eq!(sums, [4950, 5050]);
    });
}
