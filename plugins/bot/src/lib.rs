//! A bot plugin: `hello` counts greetings in the bot's memory and answers with the count,
//! `remember KEY VALUE` and `what is KEY` store and recall, `crash` remembers something and
//! then panics (the memory must not keep it), `spin` never returns, `hoard` allocates until
//! memory runs out.

#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod bindings {
    wit_bindgen::generate!({ path: "../../examples/bot-host/wit", world: "bot" });
}

use bindings::example::bot::memory;

struct Plugin;

impl bindings::Guest for Plugin {
    fn reply(message: String) -> Option<String> {
        let words: Vec<&str> = message.split_whitespace().collect();
        match words.as_slice() {
            ["hello"] => {
                let count = memory::recall("greetings").map_or(0, |n| n.parse().unwrap_or(0)) + 1;
                memory::remember("greetings", &count.to_string());
                Some(format!("hello #{count}"))
            }
            ["remember", key, value] => {
                memory::remember(key, value);
                Some(format!("remembered {key}"))
            }
            ["what", "is", key] => memory::recall(key),
            ["crash"] => {
                memory::remember("crashed", "yes");
                panic!("asked to crash");
            }
            ["spin"] => loop {
                std::hint::spin_loop();
            },
            ["hoard"] => {
                let mut hoard = Vec::new();
                loop {
                    hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
                }
            }
            _ => None,
        }
    }
}

bindings::export!(Plugin with_types_in bindings);
