//! An application with a world of its own (`examples/bot-host`), written only against the
//! library's public API, gets the same guarantees as the example world: staged state, typed
//! failures, limits, fresh instances.

use std::time::Duration;

use bot_host::Bot;
use plugin_artifacts::{BOT_PLUGIN, COMPONENT_GUEST, GUEST_0_1_1};
use plugin_host::{Error, ErrorKind, Failure, HostConfig, Limits, Trap};

fn bot() -> Bot {
    let config = HostConfig {
        limits: Limits {
            deadline: Duration::from_millis(200),
            ..Limits::default()
        },
        ..HostConfig::default()
    };
    let mut bot = Bot::new(config).expect("the bot sets up");
    bot.add_plugin(BOT_PLUGIN)
        .expect("the plugin fits the bot's world");
    bot
}

/// The one plugin's reply to `message`.
fn reply(bot: &mut Bot, message: &str) -> Result<Option<String>, Error> {
    bot.reply(message).pop().expect("one plugin")
}

#[test]
fn the_bots_plugin_answers_and_remembers_through_the_host() {
    let mut bot = bot();
    assert_eq!(
        reply(&mut bot, "hello").unwrap().as_deref(),
        Some("hello #1")
    );
    assert_eq!(
        reply(&mut bot, "hello").unwrap().as_deref(),
        Some("hello #2")
    );
    reply(&mut bot, "remember colour blue").unwrap();
    assert_eq!(
        reply(&mut bot, "what is colour").unwrap().as_deref(),
        Some("blue")
    );
    assert_eq!(reply(&mut bot, "good night").unwrap(), None);
    assert_eq!(bot.memory()["greetings"], "2");
}

#[test]
fn a_crash_leaves_the_memory_as_it_was_and_the_next_message_is_answered() {
    let mut bot = bot();
    reply(&mut bot, "hello").unwrap();
    let error = reply(&mut bot, "crash").unwrap_err();
    assert_eq!(
        error.failure(),
        Some(Failure::Trap(Trap::UnreachableCodeReached))
    );
    assert!(
        !bot.memory().contains_key("crashed"),
        "the failed call's write is not kept"
    );
    assert_eq!(
        reply(&mut bot, "hello").unwrap().as_deref(),
        Some("hello #2")
    );
}

#[test]
fn a_plugin_that_never_answers_times_out() {
    let mut bot = bot();
    let error = reply(&mut bot, "spin").unwrap_err();
    assert!(
        error.kind() == &ErrorKind::Call(Failure::Timeout) && error.export() == Some("reply"),
        "{error}"
    );
    assert_eq!(
        reply(&mut bot, "hello").unwrap().as_deref(),
        Some("hello #1")
    );
}

#[test]
fn a_plugin_of_another_world_is_refused_naming_what_it_lacks() {
    let mut bot = Bot::new(HostConfig::default()).unwrap();
    let error = bot.add_plugin(GUEST_0_1_1).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::WorldMismatch { world } if world == "example:bot/bot@1.0.0"),
        "{error}"
    );
}

#[test]
fn a_host_without_the_component_model_async_abi_says_which_setting_serves_a_plugin_with_it() {
    let mut bot = Bot::new(HostConfig::default()).unwrap();
    let error = bot.add_plugin(COMPONENT_GUEST).unwrap_err();
    assert!(
        error.kind() == &ErrorKind::Compile
            && format!("{error:#}").contains("turn on HostConfig::component_model_async"),
        "{error:#}"
    );
}
