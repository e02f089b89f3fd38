//! The limits on what the example's host functions lift, and on a plugin's output, with the
//! hostile guest of the example world. Every other limit is tested from both sides by the
//! library's own tests (`host/tests/all/limits.rs`).

use plugin_artifacts::Behaviour;
use plugin_host::{Failure, Limit, Limits};

use crate::{expect_failure, host_with, hostile};

#[test]
fn lifted_bytes_obeyed_and_violated() {
    let host = host_with(Limits {
        lifted_bytes: 64 << 10,
        output_bytes: 128 << 10,
        ..Limits::default()
    });
    let mut instance = hostile(&host);
    let write = Behaviour::WriteSharedValueBytes.input();
    host.shared_value().set(64 << 10);
    instance.trigger(write).unwrap();
    assert_eq!(instance.output().stdout().len(), 64 << 10);
    host.shared_value().set((64 << 10) + 1);
    expect_failure(instance.trigger(write), Failure::Limit(Limit::LiftedBytes));
}

#[test]
fn output_kept_up_to_the_limit_and_dropped_beyond_it() {
    let host = host_with(Limits {
        output_bytes: 1000,
        ..Limits::default()
    });
    let write = Behaviour::WriteSharedValueBytes.input();
    host.shared_value().set(1000);
    let mut instance = hostile(&host);
    instance.trigger(write).unwrap();
    assert_eq!(instance.output().stdout().len(), 1000);
    assert_eq!(instance.output().dropped_bytes(), 0);
    host.shared_value().set(1001);
    let mut instance = hostile(&host);
    instance.trigger(write).unwrap();
    assert_eq!(instance.output().stdout().len(), 1000);
    assert_eq!(
        instance.output().dropped_bytes(),
        1,
        "dropped, and the call still succeeds"
    );
}
