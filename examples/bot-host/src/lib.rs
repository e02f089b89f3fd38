//! A chat bot whose answers come from plugins (`wit/bot.wit`, world `example:bot/bot`), on the
//! `plugin-host` library's public API alone: every limit, typed failures, fresh instances
//! after a failure, and the bot's memory staged so that a failed call changes nothing.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use plugin_host::component::ComponentInstance;
use plugin_host::wasmtime::Store;
use plugin_host::wasmtime::component::HasSelf;
use plugin_host::{Error, HostConfig, PluginHost, Transactional};

pub mod serve;

#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod world {
    plugin_host::bindgen!({ path: "wit", world: "bot" });
}

/// The bot's memory, shared by every plugin and the application.
pub type Memory = Arc<Mutex<HashMap<String, String>>>;

/// One plugin instance's state: the shared memory, and the writes of the current call.
pub struct State {
    memory: Memory,
    pending: HashMap<String, String>,
}

impl Transactional for State {
    fn commit(&mut self) {
        let mut memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        memory.extend(self.pending.drain());
    }

    fn rollback(&mut self) {
        self.pending.clear();
    }
}

impl world::example::bot::memory::Host for State {
    fn recall(&mut self, key: String) -> Option<String> {
        let memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        self.pending.get(&key).or_else(|| memory.get(&key)).cloned()
    }

    fn remember(&mut self, key: String, value: String) {
        self.pending.insert(key, value);
    }
}

/// The bot: its plugins, one live instance each, and the memory they share.
pub struct Bot {
    host: PluginHost<State>,
    plugins: Vec<ComponentInstance<world::Bot, State>>,
    memory: Memory,
}

impl Bot {
    /// A bot without plugins, whose plugins run under `config`.
    ///
    /// # Errors
    /// [`ErrorKind::Setup`](plugin_host::ErrorKind::Setup) if the engine cannot be made.
    pub fn new(config: HostConfig) -> Result<Self, Error> {
        let mut host = PluginHost::with_config(config)?;
        host.link(world::Bot::add_to_linker::<_, HasSelf<State>>)?;
        Ok(Self {
            host,
            plugins: Vec::new(),
            memory: Memory::default(),
        })
    }

    /// Loads the plugin at `path`, checks it against the world, and starts an instance of it.
    ///
    /// # Errors
    /// What loading, checking or instantiating says, naming the plugin.
    pub fn add_plugin(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let plugin = self.host.component::<world::Bot>(&self.host.load(path)?)?;
        let state = State {
            memory: self.memory.clone(),
            pending: HashMap::new(),
        };
        self.plugins.push(plugin.instantiate(state)?);
        Ok(())
    }

    /// Each plugin's answer to `message`, in the order they were added: a reply, silence, or
    /// why the plugin failed (a failed plugin is renewed for the next message).
    pub fn reply(&mut self, message: &str) -> Vec<Result<Option<String>, Error>> {
        let reply = |bot: &world::Bot, store: &mut Store<_>| bot.call_reply(store, message);
        self.plugins
            .iter_mut()
            .map(|plugin| plugin.call("reply", reply))
            .collect()
    }

    /// What the bot remembers.
    pub fn memory(&self) -> HashMap<String, String> {
        self.memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
