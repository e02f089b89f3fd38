//! The bot of `examples/bot-host` served as futures (`bot_host::serve`) on a multi-threaded
//! tokio runtime, for the async-call tests: shared by `all/serve.rs` and `serve.rs` (a binary
//! of its own, so that no other test competes for the cores while it times each poll).

use std::time::Duration;

use bot_host::serve::{BotPlugin, Memory, Server};
use plugin_artifacts::BOT_PLUGIN;
use plugin_host::{HostConfig, Limits};
use tokio::runtime::Runtime;

/// A runtime with two worker threads, the machine's cores.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The bot plugin, loaded on a server sharing `memory`, with a 200 ms deadline.
pub fn plugin(memory: Memory) -> BotPlugin {
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
