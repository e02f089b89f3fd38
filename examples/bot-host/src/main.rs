//! `bot-host PLUGIN... -- MESSAGE...`: loads the plugins and prints each one's reply to each
//! message.

use std::process::ExitCode;

use bot_host::Bot;
use plugin_host::HostConfig;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(split) = args.iter().position(|arg| arg == "--") else {
        eprintln!("usage: bot-host PLUGIN... -- MESSAGE...");
        return ExitCode::from(2);
    };
    let mut bot = match Bot::new(HostConfig::default()) {
        Ok(bot) => bot,
        Err(error) => return fail(&error),
    };
    for plugin in &args[..split] {
        if let Err(error) = bot.add_plugin(plugin) {
            return fail(&error);
        }
    }
    for message in &args[split + 1..] {
        println!("> {message}");
        for reply in bot.reply(message) {
            match reply {
                Ok(Some(text)) => println!("{text}"),
                Ok(None) => {}
                Err(error) => println!("(a plugin failed: {error})"),
            }
        }
    }
    ExitCode::SUCCESS
}

fn fail(error: &plugin_host::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::from(2)
}
