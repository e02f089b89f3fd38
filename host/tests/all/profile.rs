//! The guest profiler (`plugin_host::profile`): a plugin that spends its time in one named
//! function shows that function on top of the profile's samples, in the Firefox Profiler's
//! processed format.

use std::time::Duration;

use plugin_artifacts::WAT_BUSY;
use plugin_host::Limits;
use plugin_host::wasmtime::Val;
use serde_json::Value;

use crate::{core_module, host_with};

/// The name of the function on top of each sample's stack in the processed-format `profile`.
fn leaf_functions(profile: &Value) -> Vec<String> {
    let thread = &profile["threads"][0];
    // Strings are the thread's own in older versions of the format, shared in newer ones.
    let strings = thread
        .get("stringArray")
        .or_else(|| profile["shared"].get("stringArray"))
        .expect("the profile has a string table");
    let stack_frames = &thread["stackTable"]["frame"];
    let frame_functions = &thread["frameTable"]["func"];
    let function_names = &thread["funcTable"]["name"];
    let samples = thread["samples"]["stack"].as_array().expect("samples");
    samples
        .iter()
        .filter_map(Value::as_u64)
        .map(|stack| {
            let frame = &stack_frames[stack as usize];
            let function = &frame_functions[frame.as_u64().unwrap() as usize];
            let name = &function_names[function.as_u64().unwrap() as usize];
            strings[name.as_u64().unwrap() as usize]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn a_plugin_busy_in_one_function_shows_it_on_top_of_the_samples() {
    let host = host_with::<()>(Limits {
        deadline: Duration::from_secs(60),
        ..Limits::default()
    });
    let plugin = core_module(&host, WAT_BUSY);
    let profiler = plugin
        .plugin()
        .profiler()
        .expect("wasmtime profiles core modules");
    plugin.plugin().profile(Some(&profiler));
    let mut instance = plugin.instantiate(()).expect("it instantiates");
    let run = plugin.function("run").expect("it exports run");
    // Tenths of a second of counting on this machine's cores: tens of epoch ticks.
    let results = instance
        .call_function(&run, &[Val::I32(1 << 28)])
        .expect("the call returns");
    assert_eq!(results.len(), 1);
    let mut json = Vec::new();
    profiler.finish(&mut json).expect("the profile is written");
    let profile: Value = serde_json::from_slice(&json).expect("the profile is JSON");
    let leaves = leaf_functions(&profile);
    let busy = leaves.iter().filter(|name| name.contains("busy")).count();
    assert!(
        leaves.len() >= 5 && busy * 10 >= leaves.len() * 9,
        "{busy} of {} samples in busy: {leaves:?}",
        leaves.len()
    );
    assert!(
        profiler.finish(std::io::sink()).is_err(),
        "finished once only"
    );
}
