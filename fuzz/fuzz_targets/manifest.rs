//! Manifests: any text parses to a manifest or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plugin_host::Manifest;

fuzz_target!(|text: &str| {
    let _ = Manifest::parse("fuzz.toml", text);
});
