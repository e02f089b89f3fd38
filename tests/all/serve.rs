//! Async calls (`plugin_host::Async`) from a multi-threaded tokio runtime, on the bot of
//! `examples/bot-host` served as futures (`bot_host::serve`): its `memory` imports are async
//! host functions that await a channel.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bot_host::serve::{BotInstance, BotPlugin, Memory, Request, Server};
use plugin_host::{Error, Failure, HostConfig, Limit, Limits};
use plugin_tests::BOT_PLUGIN;
use tokio::runtime::Runtime;
use tokio::sync::{Mutex, mpsc};

/// A runtime with two worker threads, the machine's cores.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The bot plugin, loaded on a server sharing `memory`, with a 200 ms deadline.
fn plugin(memory: Memory) -> BotPlugin {
    let config = HostConfig {
        limits: Limits {
            deadline: Duration::from_millis(200),
            ..Limits::default()
        },
        ..HostConfig::default()
    };
    let server = Server::new(config, memory).expect("the server sets up");
    server.load(BOT_PLUGIN).expect("the bot plugin loads")
}

/// Runs `future`, and records in `longest` (in microseconds) its longest single poll: how
/// long it held the worker thread that polled it.
async fn timed<F: Future>(longest: &AtomicU64, future: F) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        let start = Instant::now();
        let poll = future.as_mut().poll(cx);
        let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        longest.fetch_max(micros, Ordering::Relaxed);
        poll
    })
    .await
}

/// What call `i` of the concurrent test does: most remember and recall, a few never end or
/// allocate without end.
enum Call {
    Spin,
    Hoard,
    RememberAndRecall,
}

impl Call {
    fn of(i: usize) -> Self {
        match i % 211 {
            7 => Self::Spin,
            13 => Self::Hoard,
            _ => Self::RememberAndRecall,
        }
    }
}

#[test]
fn a_thousand_concurrent_calls_on_two_workers_get_their_answers_and_typed_failures() {
    const PLUGINS: usize = 100;
    const CALLS: usize = 1000;
    let runtime = runtime();
    let longest_poll = Arc::new(AtomicU64::new(0));
    let (hostile, good) = runtime.block_on(async {
        let plugin = plugin(Memory::spawn());
        let mut instances = Vec::new();
        for _ in 0..PLUGINS {
            let instance = plugin.instantiate().await.expect("an instance");
            instances.push(Arc::new(Mutex::new(instance)));
        }
        let tasks: Vec<_> = (0..CALLS)
            .map(|i| {
                let instance = instances[i % PLUGINS].clone();
                let longest_poll = longest_poll.clone();
                tokio::spawn(async move {
                    let mut instance = instance.lock().await;
                    timed(&longest_poll, one_call(&mut instance, i)).await
                })
            })
            .collect();
        let (mut hostile, mut good) = (0, 0);
        for (i, task) in tasks.into_iter().enumerate() {
            match task.await.expect("no call panics") {
                Outcome::Answered => good += 1,
                Outcome::Failed(error) => {
                    let expected = match Call::of(i) {
                        Call::Spin => Failure::Timeout,
                        Call::Hoard => Failure::Limit(Limit::Memory),
                        Call::RememberAndRecall => panic!("call {i} failed: {error}"),
                    };
                    assert_eq!(error.failure(), Some(expected), "call {i}: {error}");
                    hostile += 1;
                }
            }
        }
        (hostile, good)
    });
    let hostile_calls = (0..CALLS).filter(|&i| !matches!(Call::of(i), Call::RememberAndRecall));
    assert_eq!(hostile, hostile_calls.count());
    assert_eq!(hostile + good, CALLS);
    let longest_poll = Duration::from_micros(longest_poll.load(Ordering::Relaxed));
    eprintln!("longest a call held a worker: {longest_poll:?}");
    // A guest that never ends yields at every epoch tick; without that, the spinning calls
    // would hold their worker for the whole 200 ms deadline. The bound leaves two ticks for a
    // loaded machine's scheduling.
    assert!(
        longest_poll < Limits::EPOCH_TICK * 3,
        "a call held its worker for {longest_poll:?}"
    );
}

/// How one call of the concurrent test ended.
enum Outcome {
    Answered,
    Failed(Error),
}

/// Call `i` on `instance`: a hostile message, or `remember` then `what is` of a key of its
/// own, which must come back.
async fn one_call(instance: &mut BotInstance, i: usize) -> Outcome {
    let message = match Call::of(i) {
        Call::Spin => "spin",
        Call::Hoard => "hoard",
        Call::RememberAndRecall => {
            let remembered = instance.reply(&format!("remember key{i} value{i}")).await;
            assert_eq!(remembered.unwrap(), Some(format!("remembered key{i}")));
            let recalled = instance.reply(&format!("what is key{i}")).await;
            assert_eq!(recalled.unwrap(), Some(format!("value{i}")));
            return Outcome::Answered;
        }
    };
    match instance.reply(message).await {
        Ok(reply) => panic!("`{message}` answered {reply:?}"),
        Err(error) => Outcome::Failed(error),
    }
}

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
