//! Precompiled artifacts: a valid artifact damaged anywhere (bytes flipped, cut short, grown)
//! or any other bytes are refused with a reason before wasmtime deserializes them; only the
//! artifact as it was made loads, and runs.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::{arbitrary, fuzz_target};
use plugin_host::dynamic::Dynamic;
use plugin_host::{ErrorKind, PluginHost};

#[derive(arbitrary::Arbitrary, Debug)]
enum Input<'a> {
    /// Bytes of the fuzzer's own.
    Bytes(&'a [u8]),
    /// The valid artifact with bytes xor-ed at offsets, then cut or padded to a length.
    Damaged {
        flips: Vec<(u32, u8)>,
        len: Option<u32>,
    },
}

const MODULE: &str = r#"(module (func (export "answer") (result i32) i32.const 42))"#;

static ARTIFACT: LazyLock<(PluginHost<()>, Vec<u8>)> = LazyLock::new(|| {
    let host = plugin_fuzz::host();
    let compiled = host
        .load_bytes("answer.wasm", &wat::parse_str(MODULE).unwrap())
        .unwrap();
    let artifact = host.precompile(&compiled).unwrap();
    (host, artifact)
});

fuzz_target!(|input: Input<'_>| {
    let (host, artifact) = &*ARTIFACT;
    let bytes = match input {
        Input::Bytes(bytes) => bytes.to_vec(),
        Input::Damaged { flips, len } => {
            let mut bytes = artifact.clone();
            for (at, mask) in flips {
                let at = at as usize % bytes.len();
                bytes[at] ^= mask;
            }
            if let Some(len) = len {
                bytes.resize(len as usize % (2 * artifact.len()), 0);
            }
            bytes
        }
    };
    match host.load_precompiled_bytes("answer.cwasm", &bytes) {
        Ok(compiled) => {
            assert!(bytes == *artifact, "a changed artifact was deserialized");
            let Ok(Dynamic::CoreModule(plugin)) = host.dynamic(&compiled) else {
                panic!("the artifact links");
            };
            let call = plugin.call_wave("answer", &[] as &[&str], ()).unwrap();
            assert_eq!(call.results.unwrap(), "42");
        }
        Err(error) => assert!(
            matches!(error.kind(), ErrorKind::NotPrecompiled { .. }),
            "{error:#}"
        ),
    }
});
