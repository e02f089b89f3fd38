//! A component of the `example:greeter` world (`wit/greeter.wit`), which is not the host's
//! world: the tests use it to show that `plugin-host call` and `plugin-host inspect` work on any
//! component, and that `--dir` and `--env` grant what they say.
//!
//! Build it with `cargo build --release --target wasm32-wasip2 -p greeter-guest`.

/// Rust bindings for the world, generated from the WIT; its items are documented there.
#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod bindings {
    wit_bindgen::generate!({
        world: "greeter",
        path: "wit",
    });
}

use bindings::exports::example::greeter::text;

struct Component;

impl bindings::Guest for Component {
    fn greet(name: String) -> String {
        format!("Hello, {name}!")
    }

    fn read_file(path: String) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|error| error.to_string())
    }

    fn write_file(path: String, contents: String) -> Result<(), String> {
        std::fs::write(path, contents).map_err(|error| error.to_string())
    }

    fn env_var(key: String) -> Option<String> {
        std::env::var(key).ok()
    }
}

impl text::Guest for Component {
    fn shout(s: String) -> String {
        s.to_uppercase()
    }

    fn words(s: String) -> Vec<(String, u32)> {
        let mut counts: Vec<(String, u32)> = Vec::new();
        for word in s.split_whitespace() {
            match counts.iter_mut().find(|(seen, _)| seen == word) {
                Some((_, count)) => *count += 1,
                None => counts.push((word.to_owned(), 1)),
            }
        }
        counts
    }
}

bindings::export!(Component with_types_in bindings);
