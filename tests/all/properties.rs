//! Property tests: whatever bytes arrive, the loader returns a result and never panics.

use std::sync::LazyLock;

use arbitrary::Unstructured;
use example_host::ExampleHost;
use proptest::collection::vec;
use proptest::prelude::*;

/// One host for all cases: loading does not change it.
static HOST: LazyLock<ExampleHost> = LazyLock::new(crate::host);

/// The first eight bytes of a core module and of a component.
const HEADERS: [&[u8]; 2] = [b"\0asm\x01\0\0\0", b"\0asm\x0d\0\x01\0"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic_the_loader(bytes in vec(any::<u8>(), 0..1024)) {
        prop_assume!(!bytes.starts_with(b"\0asm"));
        prop_assert!(HOST.load_bytes("arbitrary", &bytes).is_err());
    }

    #[test]
    fn arbitrary_bytes_after_a_wasm_header_never_panic_the_loader(
        header in 0..HEADERS.len(),
        body in vec(any::<u8>(), 0..1024),
    ) {
        let bytes = [HEADERS[header], &body].concat();
        // Almost always invalid; either way, a result and no panic.
        let _ = HOST.load_bytes("arbitrary", &bytes);
    }

    #[test]
    fn arbitrary_valid_modules_never_panic_the_loader(seed in vec(any::<u8>(), 16..4096)) {
        let mut unstructured = Unstructured::new(&seed);
        if let Ok(module) = wasm_smith::Module::new(wasm_smith::Config::default(), &mut unstructured) {
            let bytes = module.to_bytes();
            // Valid modules compile unless they use features the engine lacks, and then fail
            // the raw ABI's check: an error either way, never a panic.
            prop_assert!(HOST.load_bytes("wasm-smith", &bytes).is_err());
        }
    }
}
