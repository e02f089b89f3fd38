//! A world with interfaces, bound by `plugin_host::bindgen!` from WIT files (the bot world of
//! `examples/bot-host/wit`) and served to its Rust plugin, on a blocking host.

use std::collections::HashMap;

use plugin_artifacts::BOT_PLUGIN;
use plugin_host::component::ComponentInstance;
use plugin_host::wasmtime::component::HasSelf;
use plugin_host::{ErrorKind, Failure, PluginHost, Transactional, Trap};

use crate::{expect_failure, host};

mod world {
    plugin_host::bindgen!({ path: "../examples/bot-host/wit", world: "bot" });
}

/// What one instance remembers, and the writes of the current call.
#[derive(Default)]
pub(crate) struct Memory {
    pub(crate) entries: HashMap<String, String>,
    pending: HashMap<String, String>,
}

impl Memory {
    pub(crate) fn recall(&self, key: &str) -> Option<String> {
        self.pending
            .get(key)
            .or_else(|| self.entries.get(key))
            .cloned()
    }

    pub(crate) fn remember(&mut self, key: String, value: String) {
        self.pending.insert(key, value);
    }
}

impl Transactional for Memory {
    fn commit(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.entries.extend(pending);
    }

    fn rollback(&mut self) {
        self.pending.clear();
    }
}

impl world::example::bot::memory::Host for Memory {
    fn recall(&mut self, key: String) -> Option<String> {
        Memory::recall(self, &key)
    }

    fn remember(&mut self, key: String, value: String) {
        Memory::remember(self, key, value);
    }
}

fn bot_host() -> PluginHost<Memory> {
    let mut host = host::<Memory>();
    host.link(world::Bot::add_to_linker::<_, HasSelf<Memory>>)
        .expect("the bot world's imports link");
    host
}

fn reply(
    instance: &mut ComponentInstance<world::Bot, Memory>,
    message: &str,
) -> Result<Option<String>, plugin_host::Error> {
    instance.call("reply", |bot: &world::Bot, store| {
        bot.call_reply(store, message)
    })
}

#[test]
fn the_worlds_plugin_answers_through_the_applications_imports() {
    let host = bot_host();
    let plugin = host
        .component::<world::Bot>(&host.load(BOT_PLUGIN).unwrap())
        .expect("the bot plugin fits the bot world");
    let mut instance = plugin.instantiate(Memory::default()).unwrap();
    assert_eq!(
        reply(&mut instance, "hello").unwrap().as_deref(),
        Some("hello #1")
    );
    assert_eq!(
        reply(&mut instance, "hello").unwrap().as_deref(),
        Some("hello #2")
    );
    reply(&mut instance, "remember colour blue").unwrap();
    assert_eq!(
        reply(&mut instance, "what is colour").unwrap().as_deref(),
        Some("blue")
    );
    assert_eq!(
        instance.data().entries.get("greetings").map(String::as_str),
        Some("2")
    );
}

#[test]
fn a_crash_after_a_write_keeps_nothing_and_the_next_message_is_answered() {
    let host = bot_host();
    let plugin = host
        .component::<world::Bot>(&host.load(BOT_PLUGIN).unwrap())
        .unwrap();
    let mut instance = plugin.instantiate(Memory::default()).unwrap();
    let error = expect_failure(
        reply(&mut instance, "crash"),
        Failure::Trap(Trap::UnreachableCodeReached),
    );
    assert!(
        error
            .plugin()
            .is_some_and(|p| p.ends_with("bot_plugin.wasm"))
    );
    assert!(instance.output().stderr().contains("asked to crash"));
    assert!(!instance.data().entries.contains_key("crashed"));
    assert_eq!(
        reply(&mut instance, "hello").unwrap().as_deref(),
        Some("hello #1")
    );
}

#[test]
fn a_world_linked_twice_is_a_setup_error() {
    let mut host = bot_host();
    let error = host
        .link(world::Bot::add_to_linker::<_, HasSelf<Memory>>)
        .expect_err("the imports are defined already");
    assert_eq!(error.kind(), &ErrorKind::Setup);
    assert!(
        format!("{error:#}").contains("`recall` defined twice"),
        "{error:#}"
    );
}

#[test]
fn a_host_without_the_worlds_imports_names_the_missing_one() {
    let host = host::<Memory>();
    let error = host
        .component::<world::Bot>(&host.load(BOT_PLUGIN).unwrap())
        .expect_err("nothing provides example:bot/memory");
    assert!(
        matches!(error.kind(), ErrorKind::WorldMismatch { world } if world == "example:bot/bot@1.0.0"),
        "{error:?}"
    );
    assert!(
        format!("{error:#}").contains("example:bot/memory"),
        "{error:#}"
    );
}
