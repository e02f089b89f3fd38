//! The host's state for one plugin instance: what the contract's host functions act on.

use std::sync::Arc;

use plugin_host::{Journal, Transactional};
use tracing::level_filters::LevelFilter;

use crate::SharedValue;
use crate::contract::Level;

/// A message a plugin reported with `log-message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// How much it matters.
    pub level: Level,
    /// What it says, cut at [`HostState::MESSAGE_BYTES`] (at a character boundary).
    pub text: String,
}

/// The host's side of the contract for one instance: the plugin's name for diagnostics, the
/// [`SharedValue`], and the values and messages the plugin logged.
///
/// Every change is staged ([`Transactional`]): a `set` is published to the shared value, and
/// logged values and messages are kept, only when the call that made them succeeds. Within a
/// call, `get` sees the call's own `set`.
pub struct HostState {
    plugin: Arc<str>,
    shared: SharedValue,
    /// The call's `set`, not yet published.
    staged: Option<i32>,
    logged: Journal<i32>,
    messages: Journal<Message>,
    /// The most verbose messages kept: more verbose ones are dropped.
    log_level: LevelFilter,
}

impl HostState {
    /// How many logged values one instance keeps until they are taken; later ones are dropped
    /// (they still appear as `tracing` events).
    pub const LOG_CAPACITY: usize = 1024;

    /// How many messages one instance keeps until they are taken; later ones are dropped (they
    /// still appear as `tracing` events).
    pub const MESSAGE_CAPACITY: usize = 256;

    /// The most bytes of one message kept: with [`HostState::MESSAGE_CAPACITY`], an instance
    /// holds at most 1 MiB of messages, whatever the plugin sends.
    pub const MESSAGE_BYTES: usize = 4096;

    /// The `tracing` target of what plugins log, so that a subscriber can filter it apart from
    /// the host's own events (`RUST_LOG=plugin=warn`).
    pub const TRACING_TARGET: &str = "plugin";

    /// The state of a new instance of `plugin`, acting on `shared`, keeping every message.
    pub fn new(plugin: Arc<str>, shared: SharedValue) -> Self {
        Self {
            plugin,
            shared,
            staged: None,
            logged: Journal::new(Self::LOG_CAPACITY),
            messages: Journal::new(Self::MESSAGE_CAPACITY),
            log_level: LevelFilter::TRACE,
        }
    }

    /// The state, dropping the plugin's messages more verbose than `level` (neither logged
    /// nor kept): the plugin's [`log_level`](plugin_host::Plugin::log_level), which its
    /// manifest sets.
    pub fn with_log_level(self, level: LevelFilter) -> Self {
        Self {
            log_level: level,
            ..self
        }
    }

    /// The name of the plugin this state belongs to.
    pub fn plugin(&self) -> &str {
        &self.plugin
    }

    /// `host.log` (component) and `env.host_log_value` (core module): a `tracing` event (target
    /// [`HostState::TRACING_TARGET`]) and a value kept for the application.
    pub(crate) fn log(&mut self, value: i32) {
        const TARGET: &str = HostState::TRACING_TARGET;
        tracing::info!(target: TARGET, plugin = %self.plugin, value, "plugin log");
        self.logged.push(value);
    }

    /// `host.get` and `env.host_get_shared_value`.
    pub(crate) fn get(&self) -> i32 {
        self.staged.unwrap_or_else(|| self.shared.get())
    }

    /// `host.set` and `env.host_set_shared_value`.
    pub(crate) fn set(&mut self, value: i32) {
        self.staged = Some(value);
    }

    /// `host.log-message` (0.1.1): a `tracing` event at `level` (target
    /// [`HostState::TRACING_TARGET`]) carrying the plugin's name, and a [`Message`] kept for
    /// the application.
    pub(crate) fn log_message(&mut self, level: Level, mut text: String) {
        let verbosity = match level {
            Level::Trace => tracing::Level::TRACE,
            Level::Debug => tracing::Level::DEBUG,
            Level::Info => tracing::Level::INFO,
            Level::Warn => tracing::Level::WARN,
            Level::Error => tracing::Level::ERROR,
        };
        if verbosity > self.log_level {
            return;
        }
        let plugin = &self.plugin;
        const TARGET: &str = HostState::TRACING_TARGET;
        match level {
            Level::Trace => tracing::trace!(target: TARGET, %plugin, "{text}"),
            Level::Debug => tracing::debug!(target: TARGET, %plugin, "{text}"),
            Level::Info => tracing::info!(target: TARGET, %plugin, "{text}"),
            Level::Warn => tracing::warn!(target: TARGET, %plugin, "{text}"),
            Level::Error => tracing::error!(target: TARGET, %plugin, "{text}"),
        }
        if text.len() > Self::MESSAGE_BYTES {
            let end = (0..=Self::MESSAGE_BYTES)
                .rev()
                .find(|&end| text.is_char_boundary(end))
                .unwrap_or(0);
            text.truncate(end);
        }
        self.messages.push(Message { level, text });
    }

    /// The committed logged values, oldest first, and forgets them.
    pub fn take_logged(&mut self) -> Vec<i32> {
        self.logged.take()
    }

    /// The committed messages, oldest first, and forgets them.
    pub fn take_messages(&mut self) -> Vec<Message> {
        self.messages.take()
    }
}

impl Transactional for HostState {
    fn commit(&mut self) {
        if let Some(value) = self.staged.take() {
            self.shared.set(value);
        }
        self.logged.commit();
        self.messages.commit();
    }

    fn rollback(&mut self) {
        self.staged = None;
        self.logged.rollback();
        self.messages.rollback();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_state() -> HostState {
        HostState::new("test".into(), SharedValue::new(1))
    }

    #[test]
    fn a_committed_call_publishes_its_set_and_keeps_its_logs() {
        let mut host = host_state();
        host.set(5);
        host.log(7);
        host.log_message(Level::Info, "hello".into());
        assert_eq!(host.get(), 5, "a call sees its own set");
        assert_eq!(host.shared.get(), 1, "nobody else does yet");
        host.commit();
        assert_eq!(host.shared.get(), 5);
        assert_eq!(host.take_logged(), [7]);
        assert_eq!(host.take_messages()[0].text, "hello");
    }

    #[test]
    fn a_rolled_back_call_leaves_no_trace() {
        let mut host = host_state();
        host.log(1);
        host.commit();
        host.set(5);
        host.log(2);
        host.log_message(Level::Error, "lost".into());
        host.rollback();
        assert_eq!(host.shared.get(), 1);
        assert_eq!(host.get(), 1);
        assert_eq!(host.take_logged(), [1]);
        assert!(host.take_messages().is_empty());
    }

    #[test]
    fn the_log_keeps_at_most_its_capacity() {
        let mut host = host_state();
        for value in 0..(HostState::LOG_CAPACITY as i32 + 10) {
            host.log(value);
        }
        host.commit();
        assert_eq!(host.take_logged().len(), HostState::LOG_CAPACITY);
    }

    #[test]
    fn a_long_message_is_cut_at_a_character_boundary() {
        let mut host = host_state();
        host.log_message(Level::Warn, "é".repeat(HostState::MESSAGE_BYTES));
        host.commit();
        let text = &host.take_messages()[0].text;
        assert!(
            text.len() <= HostState::MESSAGE_BYTES && text.len() >= HostState::MESSAGE_BYTES - 1
        );
        assert!(text.chars().all(|c| c == 'é'));
    }
}
