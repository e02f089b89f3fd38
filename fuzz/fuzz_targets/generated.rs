//! Random WIT worlds (wit-smith) made into components (wit-component's dummy module): every
//! world, whatever it holds (resources, streams, futures, flags, deep nesting), is inspected,
//! loaded and pre-linked (its imports defined as traps), and every export it has is called
//! by name with arguments drawn for its parameters' types, written as WAVE and parsed back.
//! Nothing panics; each call answers a value or a typed failure.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Unstructured};
use libfuzzer_sys::fuzz_target;
use plugin_host::dynamic::Dynamic;
use plugin_host::dynamic::to_wave;
use wit_parser::decoding::DecodedWasm;

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let config: wit_smith::Config = u.arbitrary()?;
    let wit = wit_smith::smith(&config, u)?;
    let Ok(DecodedWasm::WitPackage(resolve, package)) = wit_component::decode(&wit) else {
        panic!("wit-smith made a package wit-component cannot decode");
    };
    let worlds: Vec<_> = resolve.packages[package].worlds.values().copied().collect();
    let Some(&world) = worlds.first() else {
        return Ok(());
    };
    let Ok(bytes) = plugin_fuzz::dummy_component(&resolve, world) else {
        return Ok(());
    };
    let mut host = plugin_fuzz::host();
    let _ = host.inspect_bytes("generated.wasm", &bytes, None);
    let Ok(compiled) = host.load_bytes("generated.wasm", &bytes) else {
        return Ok(());
    };
    let component = compiled.component().expect("a component").clone();
    host.component_linker_mut()
        .define_unknown_imports_as_traps(&component)
        .expect("traps for every import");
    let Ok(Dynamic::Component(plugin)) = host.dynamic(&compiled) else {
        panic!("a component whose imports are all defined links");
    };
    'functions: for function in plugin.functions() {
        let mut args = Vec::new();
        for (_, ty) in function.ty().params() {
            match plugin_fuzz::value(&ty, u, 0)? {
                Some(value) => args.push(to_wave(&[value])),
                // A handle, stream or future: nothing to pass without an instance making one.
                None => continue 'functions,
            }
        }
        let values = plugin
            .parse_args(function, &args)
            .unwrap_or_else(|error| panic!("{args:?} do not parse for {function}: {error:#}"));
        let Ok(mut instance) = plugin.instantiate(()) else {
            continue;
        };
        let _ = instance.call_function(function, &values);
    }
    Ok(())
}
