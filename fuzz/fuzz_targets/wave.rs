//! WAVE arguments against a function's type: any text parses to values of the parameter's
//! type or an error, and what parses is written back (`to_wave`) as text that parses to the
//! same value.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use plugin_host::PluginHost;
use plugin_host::dynamic::Dynamic;
use plugin_host::dynamic::{DynamicComponent, to_wave};

/// Functions taking every kind of value WAVE writes, and a resource handle it cannot.
const WIT: &str = r#"
package fuzz:wave;

interface types {
    record point { x: s32, y: s32 }
    variant shape { circle(f64), polygon(list<point>), empty }
    flags access { read, write, execute }
    enum color { red, green, blue }
    resource thing;

    numbers: func(a: u8, b: s16, c: u32, d: s64, e: f32, f: f64, g: char, h: bool);
    text: func(s: string, l: list<string>);
    compound: func(p: point, s: shape, a: access, c: color, t: tuple<u8, string>);
    nested: func(o: option<result<list<option<shape>>, string>>);
    handle: func(t: own<thing>, b: borrow<thing>);
}

world wave {
    export types;
}
"#;

static PLUGIN: LazyLock<(PluginHost<()>, DynamicComponent<()>)> = LazyLock::new(|| {
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_str("wave.wit", WIT).expect("the WIT parses");
    let world = resolve.select_world(&[package], None).expect("one world");
    let bytes = plugin_fuzz::dummy_component(&resolve, world).expect("a component");
    let host = plugin_fuzz::host();
    let compiled = host.load_bytes("wave.wasm", &bytes).expect("it loads");
    let Ok(Dynamic::Component(plugin)) = host.dynamic(&compiled) else {
        panic!("a component with no imports links");
    };
    (host, plugin)
});

fuzz_target!(|input: (u8, Vec<&str>)| {
    let (which, args) = input;
    let plugin = &PLUGIN.1;
    let functions = plugin.functions();
    let function = &functions[usize::from(which) % functions.len()];
    let Ok(values) = plugin.parse_args(function, &args) else {
        return;
    };
    let written: Vec<String> = values
        .iter()
        .map(|value| to_wave(std::slice::from_ref(value)))
        .collect();
    let again = plugin
        .parse_args(function, &written)
        .unwrap_or_else(|error| {
            panic!("{written:?}, written from {args:?}, does not parse: {error:#}")
        });
    let rewritten: Vec<String> = again
        .iter()
        .map(|value| to_wave(std::slice::from_ref(value)))
        .collect();
    assert_eq!(written, rewritten, "from {args:?}");
});
