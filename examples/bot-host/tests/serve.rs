//! `bot-serve`, the bot served from tokio, answers as `bot-host` does.

use std::process::Command;

use plugin_artifacts::BOT_PLUGIN;

/// What a bot binary printed for `messages` to the bot plugin, which must succeed.
fn transcript(binary: &str, messages: &[&str]) -> String {
    let output = Command::new(binary)
        .arg(BOT_PLUGIN)
        .arg("--")
        .args(messages)
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_async_bot_answers_as_the_blocking_one() {
    let messages = [
        "hello",
        "remember colour blue",
        "crash",
        "what is colour",
        "hoard",
        "hello",
    ];
    let served = transcript(env!("CARGO_BIN_EXE_bot-serve"), &messages);
    let blocking = transcript(env!("CARGO_BIN_EXE_bot-host"), &messages);
    assert_eq!(served, blocking);
    assert!(served.contains("> what is colour\nblue\n"), "{served}");
    assert!(
        served.contains("ran into the linear-memory limit"),
        "{served}"
    );
    assert!(served.ends_with("> hello\nhello #2\n"), "{served}");
}
