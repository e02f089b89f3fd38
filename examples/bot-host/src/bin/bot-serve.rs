//! `bot-serve PLUGIN... -- MESSAGE...`: the bot served from tokio. Every plugin answers each
//! message at the same time, on a task of its own; the output is `bot-host`'s.

use std::process::ExitCode;

use bot_host::serve::{BotInstance, Memory, Server};
use plugin_host::{Error, HostConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(split) = args.iter().position(|arg| arg == "--") else {
        eprintln!("usage: bot-serve PLUGIN... -- MESSAGE...");
        return ExitCode::from(2);
    };
    match serve(&args[..split], &args[split + 1..]).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn serve(plugins: &[String], messages: &[String]) -> Result<(), Error> {
    let server = Server::new(HostConfig::default(), Memory::spawn())?;
    let mut instances: Vec<BotInstance> = Vec::new();
    for path in plugins {
        instances.push(server.load(path)?.instantiate().await?);
    }
    for message in messages {
        println!("> {message}");
        let tasks: Vec<_> = instances
            .drain(..)
            .map(|mut instance| {
                let message = message.clone();
                tokio::spawn(async move {
                    let reply = instance.reply(&message).await;
                    (instance, reply)
                })
            })
            .collect();
        for task in tasks {
            let (instance, reply) = task.await.expect("a reply task does not panic");
            match reply {
                Ok(Some(text)) => println!("{text}"),
                Ok(None) => {}
                Err(error) => println!("(a plugin failed: {error})"),
            }
            instances.push(instance);
        }
    }
    Ok(())
}
