//! The bot served from async code (tokio): each plugin instance answers as a future, and the
//! bot's memory is a task of its own that the `memory` imports reach over a channel, so a
//! plugin waiting on the memory does not hold a thread.
//!
//! The same world as [`crate::Bot`], with bindings generated for async calls: the exports are
//! `async` (a call is a future, [`plugin_host::Instance::call`], on a host of the [`Async`] mode)
//! and so are the imports (host functions that await).

use std::collections::HashMap;
use std::path::Path;

use plugin_host::component::{ComponentInstance, ComponentPlugin};
use plugin_host::wasmtime::Store;
use plugin_host::wasmtime::component::HasSelf;
use plugin_host::{Async, Error, HostConfig, PluginHost, Transactional};
use tokio::sync::{mpsc, oneshot};

#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod world {
    plugin_host::bindgen!({
        path: "wit",
        world: "bot",
        imports: { default: async },
        exports: { default: async },
    });
}

/// What the memory task is asked.
#[derive(Debug)]
pub enum Request {
    /// The value remembered under `key`, answered on `reply`.
    Recall {
        /// The key.
        key: String,
        /// Where the answer goes.
        reply: oneshot::Sender<Option<String>>,
    },
    /// Remember these values: the writes of a call that succeeded.
    Remember(HashMap<String, String>),
}

/// A handle on the bot's memory: a channel to whatever answers its [`Request`]s, in the order
/// they are sent (a call's writes are seen by every later recall). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Memory(mpsc::UnboundedSender<Request>);

impl Memory {
    /// Spawns a task on the current tokio runtime that keeps the memory in a map, and returns
    /// a handle on it. The task ends when every handle is dropped.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn spawn() -> Self {
        let (memory, mut requests) = Self::channel();
        tokio::spawn(async move {
            let mut entries = HashMap::new();
            while let Some(request) = requests.recv().await {
                match request {
                    Request::Recall { key, reply } => {
                        let _ = reply.send(entries.get(&key).cloned());
                    }
                    Request::Remember(writes) => entries.extend(writes),
                }
            }
        });
        memory
    }

    /// A memory whose requests the application answers from the receiver: another store, a
    /// test that holds recalls back.
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<Request>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self(sender), receiver)
    }

    /// The value remembered under `key`; `None` also when nothing answers any more.
    pub async fn recall(&self, key: String) -> Option<String> {
        let (reply, answer) = oneshot::channel();
        self.0.send(Request::Recall { key, reply }).ok()?;
        answer.await.ok().flatten()
    }

    /// Sends `writes` to be remembered.
    fn remember(&self, writes: HashMap<String, String>) {
        let _ = self.0.send(Request::Remember(writes));
    }
}

/// One plugin instance's state: the memory, and the writes of the current call.
pub struct State {
    memory: Memory,
    pending: HashMap<String, String>,
}

impl Transactional for State {
    fn commit(&mut self) {
        if !self.pending.is_empty() {
            self.memory.remember(std::mem::take(&mut self.pending));
        }
    }

    fn rollback(&mut self) {
        self.pending.clear();
    }
}

impl world::example::bot::memory::Host for State {
    async fn recall(&mut self, key: String) -> Option<String> {
        match self.pending.get(&key) {
            Some(value) => Some(value.clone()),
            None => self.memory.recall(key).await,
        }
    }

    async fn remember(&mut self, key: String, value: String) {
        self.pending.insert(key, value);
    }
}

/// Loads bot plugins for async serving; every instance shares one [`Memory`].
pub struct Server {
    host: PluginHost<State, Async>,
    memory: Memory,
}

impl Server {
    /// A server whose plugins run under `config` and share `memory`.
    ///
    /// # Errors
    /// [`ErrorKind::Setup`](plugin_host::ErrorKind::Setup) if the engine cannot be made.
    pub fn new(config: HostConfig, memory: Memory) -> Result<Self, Error> {
        let mut host = PluginHost::with_config(config)?;
        host.link(world::Bot::add_to_linker::<_, HasSelf<State>>)?;
        Ok(Self { host, memory })
    }

    /// Loads the plugin at `path` and checks it against the world. Compiling blocks: call it
    /// before serving, or from `tokio::task::spawn_blocking`.
    ///
    /// # Errors
    /// What loading or checking says, naming the plugin.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<BotPlugin, Error> {
        let plugin = self.host.component(&self.host.load(path)?)?;
        Ok(BotPlugin {
            plugin,
            memory: self.memory.clone(),
        })
    }
}

/// A loaded bot plugin. Cheap to clone and `Send`: instantiate it on any task.
#[derive(Debug, Clone)]
pub struct BotPlugin {
    plugin: ComponentPlugin<world::Bot, State, Async>,
    memory: Memory,
}

impl BotPlugin {
    /// A fresh instance of the plugin.
    ///
    /// # Errors
    /// [`ErrorKind::Instantiate`](plugin_host::ErrorKind::Instantiate) if the plugin fails while
    /// initialising.
    pub async fn instantiate(&self) -> Result<BotInstance, Error> {
        let state = State {
            memory: self.memory.clone(),
            pending: HashMap::new(),
        };
        let instance = self.plugin.instantiate(state).await?;
        Ok(BotInstance(instance))
    }
}

/// One live instance of a bot plugin, answering one message at a time.
#[derive(Debug)]
pub struct BotInstance(ComponentInstance<world::Bot, State, Async>);

impl BotInstance {
    /// The plugin's answer to `message`: a reply or silence. Dropping the future cancels the
    /// call; the instance is renewed for the next message.
    ///
    /// # Errors
    /// [`ErrorKind::Call`](plugin_host::ErrorKind::Call) naming the plugin and the failure (a trap,
    /// the deadline, a limit); the next message runs on a fresh instance.
    pub async fn reply(&mut self, message: &str) -> Result<Option<String>, Error> {
        let reply =
            async |bot: &world::Bot, store: &mut Store<_>| bot.call_reply(store, message).await;
        self.0.call("reply", reply).await
    }
}
