//! Source lines in a trap's backtrace (`Error::wasm_backtrace`): file and line for each frame of
//! a plugin built with debug info, and a way to tell when a plugin has none.

use plugin_artifacts::DEBUG_INFO_PLUGIN;
use plugin_host::wasmtime::Val;
use plugin_host::{Failure, Trap};

use crate::{core_module, expect_failure, host, module_running, run};

#[test]
fn a_trap_in_a_plugin_with_debug_info_names_the_file_and_line_of_each_frame() {
    let host = host::<()>();
    let compiled = host.load(DEBUG_INFO_PLUGIN).expect("it loads");
    let plugin = host.dynamic(&compiled).expect("it links");
    let plugin_host::dynamic::Dynamic::CoreModule(plugin) = plugin else {
        panic!("the debug-info plugin is a core module");
    };
    let mut instance = plugin.instantiate(()).expect("it instantiates");
    let run = plugin.function("run").expect("it exports run");
    let failed = instance.call_function(&run, &[Val::I32(1)]);
    let error = expect_failure(failed, Failure::Trap(Trap::UnreachableCodeReached));
    let backtrace = error.wasm_backtrace().expect("a trap has a backtrace");
    let lines: Vec<(String, Option<u32>)> = backtrace
        .frames()
        .iter()
        .flat_map(|frame| frame.symbols())
        .filter_map(|symbol| Some((symbol.file()?.to_owned(), symbol.line())))
        .collect();
    let panic_line = Some(debug_info_plugin::PANIC_LINE);
    assert!(
        lines.iter().any(
            |(file, line)| file.ends_with("plugins/debug-info/src/lib.rs") && *line == panic_line
        ),
        "{lines:#?}"
    );
    assert!(!error.lacks_source_lines());
    let shown = format!("{backtrace}");
    let at = format!(
        "plugins/debug-info/src/lib.rs:{}",
        debug_info_plugin::PANIC_LINE
    );
    assert!(shown.contains(&at), "{shown}");
}

#[test]
fn a_trap_in_a_plugin_without_debug_info_says_it_lacks_source_lines() {
    let host = host::<()>();
    let plugin = core_module(&host, &module_running("unreachable", ""));
    let mut instance = plugin.instantiate(()).expect("it instantiates");
    let error = expect_failure(
        run(&plugin, &mut instance, 0),
        Failure::Trap(Trap::UnreachableCodeReached),
    );
    assert!(error.wasm_backtrace().is_some());
    assert!(error.lacks_source_lines());
}
