//! Many plugins at once: one engine, one store per instance, instances on every core. Good
//! calls return the right answers while hostile calls around them fail with their typed errors.

use std::thread;
use std::time::Duration;

use example_host::{Point, SharedValue};
use plugin_artifacts::{Behaviour, COMPONENT_GUEST, CORE_PLUGIN, HOSTILE_GUEST};
use plugin_host::{Failure, Limit, Limits, Trap};

use crate::{expect_failure, host_with};

/// The hostile behaviours each thread cycles through, and what each must fail with.
const HOSTILE: [(Behaviour, Failure); 5] = [
    (Behaviour::Spin, Failure::Timeout),
    (Behaviour::SpinCallingHost, Failure::Timeout),
    (
        Behaviour::SetThenPanic,
        Failure::Trap(Trap::UnreachableCodeReached),
    ),
    (Behaviour::Recurse, Failure::StackOverflow),
    (Behaviour::AllocateForever, Failure::Limit(Limit::Memory)),
];

#[test]
fn good_and_hostile_plugins_run_together_on_all_cores() {
    let host = host_with(Limits {
        // Long enough for AllocateForever to reach the memory limit with every core busy.
        deadline: Duration::from_millis(500),
        ..Limits::default()
    });
    let good = host.load_component(COMPONENT_GUEST).unwrap();
    let hostile = host.load_component(HOSTILE_GUEST).unwrap();
    let core = host.load_core_module(CORE_PLUGIN).unwrap();
    let threads = thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    thread::scope(|scope| {
        for thread in 0..threads {
            let (good, hostile, core) = (&good, &hostile, &core);
            scope.spawn(move || {
                let mut good = good.instantiate().unwrap();
                let mut hostile = hostile.instantiate().unwrap();
                let mut core = core.instantiate().unwrap();
                for round in 0..HOSTILE.len() {
                    let n = (thread * 100 + round) as i32;
                    let (behaviour, failure) = HOSTILE[(thread + round) % HOSTILE.len()];
                    expect_failure(hostile.trigger(behaviour.input()), failure);
                    assert_eq!(good.just_add(n as u64, 1).unwrap(), n as u64 + 1);
                    let sum = good
                        .point_add(Point { x: n, y: 1 }, Point { x: 1, y: n })
                        .unwrap();
                    assert_eq!((sum.x, sum.y), (n + 1, n + 1));
                    assert_eq!(core.just_add(n.into(), 2).unwrap(), i64::from(n) + 2);
                    assert_eq!(hostile.just_add(n as u64, 3).unwrap(), n as u64 + 3);
                }
            });
        }
    });
    assert_eq!(host.shared_value().get(), SharedValue::INITIAL);
}
