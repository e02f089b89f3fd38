//! The async mode: a `PluginHost<T, Async>` whose host functions are async and whose calls are
//! futures, on the bot world bound for async calls; and calls by name, of a component and of a
//! core module, on the same kind of host.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use plugin_artifacts::BOT_PLUGIN;
use plugin_host::component::ComponentInstance;
use plugin_host::dynamic::Dynamic;
use plugin_host::wasmtime::Val;
use plugin_host::wasmtime::component::HasSelf;
use plugin_host::{Async, Failure, PluginHost, Trap};

use crate::worlds::Memory;
use crate::{DEADLINE, expect_failure, short_deadline, wasm};

mod world {
    plugin_host::bindgen!({
        path: "../examples/bot-host/wit",
        world: "bot",
        imports: { default: async },
        exports: { default: async },
    });
}

/// The memory's recall waits a millisecond on tokio's timer, as a lookup elsewhere would.
impl world::example::bot::memory::Host for Memory {
    async fn recall(&mut self, key: String) -> Option<String> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Memory::recall(self, &key)
    }

    async fn remember(&mut self, key: String, value: String) {
        Memory::remember(self, key, value);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
}

fn bot_host() -> PluginHost<Memory, Async> {
    let mut host = PluginHost::<Memory, Async>::with_limits(short_deadline()).unwrap();
    host.link(world::Bot::add_to_linker::<_, HasSelf<Memory>>)
        .expect("the bot world's async imports link");
    host
}

/// A fresh instance of the bot plugin on a fresh async host, with an empty memory.
async fn bot_instance() -> ComponentInstance<world::Bot, Memory, Async> {
    let host = bot_host();
    let plugin = host
        .component::<world::Bot>(&host.load(BOT_PLUGIN).unwrap())
        .unwrap();
    plugin.instantiate(Memory::default()).await.unwrap()
}

async fn reply(
    instance: &mut ComponentInstance<world::Bot, Memory, Async>,
    message: &str,
) -> Result<Option<String>, plugin_host::Error> {
    let call = async |bot: &world::Bot, store: &mut _| bot.call_reply(store, message).await;
    instance.call("reply", call).await
}

#[test]
fn async_host_functions_serve_the_plugin_and_its_state_is_staged() {
    runtime().block_on(async {
        let mut instance = bot_instance().await;
        assert_eq!(
            reply(&mut instance, "hello").await.unwrap().as_deref(),
            Some("hello #1")
        );
        assert_eq!(
            reply(&mut instance, "hello").await.unwrap().as_deref(),
            Some("hello #2")
        );
        expect_failure(
            reply(&mut instance, "crash").await,
            Failure::Trap(Trap::UnreachableCodeReached),
        );
        assert!(!instance.data().entries.contains_key("crashed"));
        assert_eq!(
            reply(&mut instance, "hello").await.unwrap().as_deref(),
            Some("hello #3")
        );
    });
}

#[test]
fn a_spinning_guest_yields_to_the_runtime_until_its_deadline() {
    runtime().block_on(async {
        let mut instance = bot_instance().await;
        let ticks = Arc::new(AtomicU32::new(0));
        let ticker = tokio::spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        // On a runtime of one thread, the ticker runs only while the guest yields.
        expect_failure(reply(&mut instance, "spin").await, Failure::Timeout);
        ticker.abort();
        assert!(
            ticks.load(Ordering::Relaxed) > 0,
            "the other task never ran while the guest spun for {DEADLINE:?}"
        );
        assert_eq!(
            reply(&mut instance, "hello").await.unwrap().as_deref(),
            Some("hello #1")
        );
    });
}

#[test]
fn a_dropped_call_is_cancelled_and_the_next_runs_on_a_fresh_instance() {
    runtime().block_on(async {
        let mut instance = bot_instance().await;
        reply(&mut instance, "remember colour blue").await.unwrap();
        let spin = tokio::time::timeout(Duration::from_millis(30), reply(&mut instance, "spin"));
        assert!(spin.await.is_err(), "the spinning call was cut short");
        assert_eq!(
            reply(&mut instance, "what is colour")
                .await
                .unwrap()
                .as_deref(),
            Some("blue"),
            "the committed state stays; the cancelled call is gone"
        );
    });
}

#[test]
fn calls_by_name_of_components_and_core_modules_are_futures_on_an_async_host() {
    runtime().block_on(async {
        let host = PluginHost::<(), Async>::new().unwrap();
        let core = "(module (func (export \"double\") (param i32) (result i32)
            local.get 0 i32.const 2 i32.mul))";
        let Dynamic::CoreModule(plugin) = host
            .dynamic(&host.load_bytes("double.wat", &wasm(core)).unwrap())
            .unwrap()
        else {
            panic!("a core module");
        };
        let double = plugin.function("double").unwrap();
        let mut instance = plugin.instantiate(()).await.unwrap();
        let results = instance
            .call_function(&double, &[Val::I32(21)])
            .await
            .unwrap();
        assert!(matches!(results[..], [Val::I32(42)]), "{results:?}");

        let component = r#"(component
          (core module $m (func (export "answer") (result i32) i32.const 42))
          (core instance $i (instantiate $m))
          (func (export "answer") (result u32) (canon lift (core func $i "answer"))))"#;
        let Dynamic::Component(plugin) = host
            .dynamic(&host.load_bytes("answer.wat", &wasm(component)).unwrap())
            .unwrap()
        else {
            panic!("a component");
        };
        let answer = plugin.function("answer").unwrap();
        let mut instance = plugin.instantiate(()).await.unwrap();
        let results = instance.call_function(&answer, &[]).await.unwrap();
        assert!(
            matches!(
                results[..],
                [plugin_host::wasmtime::component::Val::U32(42)]
            ),
            "{results:?}"
        );
    });
}
