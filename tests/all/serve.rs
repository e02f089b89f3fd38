//! Async calls (`plugin_host::Async`) from a multi-threaded tokio runtime, on the bot of
//! `examples/bot-host` served as futures (`bot_host::serve`): its `memory` imports are async
//! host functions that await a channel. The test under load is `tests/serve.rs`.

use std::time::Duration;

use bot_host::serve::{Memory, Request};
use tokio::sync::mpsc;

use crate::serving::{plugin, runtime};

/// A memory that answers every request at once but holds back recalls of `slow`: each one is
/// counted on `held` and answered with `late` only once `release` is sent.
fn memory_holding_back_slow() -> (Memory, mpsc::UnboundedReceiver<()>, mpsc::Sender<()>) {
    let (memory, mut requests) = Memory::channel();
    let (held_sender, held) = mpsc::unbounded_channel();
    let (release, mut released) = mpsc::channel(1);
    tokio::spawn(async move {
        let mut entries = std::collections::HashMap::new();
        let mut waiting = Vec::new();
        loop {
            tokio::select! {
                Some(request) = requests.recv() => match request {
                    Request::Recall { key, reply } if key == "slow" => {
                        waiting.push(reply);
                        let _ = held_sender.send(());
                    }
                    Request::Recall { key, reply } => {
                        let _ = reply.send(entries.get(&key).cloned());
                    }
                    Request::Remember(writes) => entries.extend(writes),
                },
                Some(()) = released.recv() => {
                    for reply in waiting.drain(..) {
                        let _ = reply.send(Some("late".to_owned()));
                    }
                }
                else => break,
            }
        }
    });
    (memory, held, release)
}

#[test]
fn calls_waiting_on_a_slow_host_function_hold_no_thread() {
    const WAITING: usize = 4;
    runtime().block_on(async {
        let (memory, mut held, release) = memory_holding_back_slow();
        let plugin = plugin(memory);
        // Twice as many calls wait on the host as there are workers.
        let waiting: Vec<_> = (0..WAITING)
            .map(|_| {
                let plugin = plugin.clone();
                tokio::spawn(async move {
                    let mut instance = plugin.instantiate().await.expect("an instance");
                    instance.reply("what is slow").await
                })
            })
            .collect();
        for _ in 0..WAITING {
            held.recv().await.expect("the memory task runs");
        }
        // With every waiting call parked in the host function, other calls still run.
        let mut other = plugin.instantiate().await.expect("an instance");
        let answered = tokio::time::timeout(Duration::from_secs(30), async {
            for i in 0..20 {
                other.reply(&format!("remember n{i} {i}")).await.unwrap();
                let recalled = other.reply(&format!("what is n{i}")).await.unwrap();
                assert_eq!(recalled, Some(i.to_string()));
            }
        })
        .await;
        assert!(answered.is_ok(), "other calls were starved");
        release.send(()).await.expect("the memory task runs");
        for call in waiting {
            let reply = call.await.expect("no call panics");
            assert_eq!(reply.unwrap().as_deref(), Some("late"));
        }
    });
}

#[test]
fn a_dropped_call_is_cancelled_and_the_instance_answers_the_next_one() {
    runtime().block_on(async {
        let (memory, mut held, _release) = memory_holding_back_slow();
        let plugin = plugin(memory);
        let mut instance = plugin.instantiate().await.expect("an instance");
        let mut bystander = plugin.instantiate().await.expect("an instance");
        bystander.reply("hello").await.unwrap();

        // Cancelled while the guest runs.
        let spin = tokio::time::timeout(Duration::from_millis(50), instance.reply("spin"));
        assert!(spin.await.is_err(), "the spinning call was cut short");
        let next = instance.reply("remember colour blue").await;
        assert_eq!(next.unwrap().as_deref(), Some("remembered colour"));

        // Cancelled while the guest waits on an async host function, after a write.
        let slow = instance.reply("what is slow");
        let slow = tokio::time::timeout(Duration::from_secs(30), async {
            tokio::select! {
                _ = slow => panic!("the recall of `slow` is held back"),
                _ = held.recv() => {}
            }
        });
        slow.await.expect("the call reached the host function");
        let next = instance.reply("what is colour").await;
        assert_eq!(next.unwrap().as_deref(), Some("blue"));

        // The other instance never noticed.
        let greeted = bystander.reply("hello").await.unwrap();
        assert_eq!(greeted.as_deref(), Some("hello #2"));
    });
}
