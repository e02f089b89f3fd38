//! Loading a plugin's bytes: raw bytes, or a valid core module from wasm-smith. Whatever they
//! are, loading, inspecting and pre-linking answer a plugin or an error, and a module that
//! loads runs each export it has under the host's limits: a value or a typed failure, never a
//! panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::{arbitrary, fuzz_target};
use plugin_host::PluginHost;
use plugin_host::dynamic::Dynamic;

#[derive(arbitrary::Arbitrary, Debug)]
enum Input<'a> {
    Bytes(&'a [u8]),
    Module(Box<wasm_smith::Module>),
}

static HOST: LazyLock<PluginHost<()>> = LazyLock::new(plugin_fuzz::host);

fuzz_target!(|input: Input<'_>| {
    let bytes = match input {
        Input::Bytes(bytes) => bytes.to_vec(),
        Input::Module(module) => module.to_bytes(),
    };
    let Ok(compiled) = HOST.load_bytes("fuzz.wasm", &bytes) else {
        return;
    };
    let _ = HOST.inspect_bytes("fuzz.wasm", &bytes, None);
    let Ok(Dynamic::CoreModule(plugin)) = HOST.dynamic(&compiled) else {
        return;
    };
    let Ok(mut instance) = plugin.instantiate(()) else {
        return;
    };
    for function in plugin.functions() {
        let zeros: Vec<&str> = function.ty().params().map(|_| "0").collect();
        if let Ok(args) = plugin.parse_args(function, &zeros) {
            let _ = instance.call_function(function, &args);
        }
    }
});
