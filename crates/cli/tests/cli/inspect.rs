//! `plugin-host inspect`: what a plugin is and whether it fits.

use crate::{directory_with_plugin, expect, expect_error, scratch};
use plugin_artifacts::{
    COMPONENT_GUEST, COMPONENT_GUEST_VERSION, CORE_PLUGIN, CORE_TOOLBOX, GREETER_GUEST,
    GUEST_0_1_1, LEGACY_GUEST,
};

#[test]
fn inspect_passes_the_projects_plugins() {
    let stdout = expect(0, &["inspect", COMPONENT_GUEST]);
    for line in [
        format!(
            "targets version {COMPONENT_GUEST_VERSION}: example:plugin/plugin@{COMPONENT_GUEST_VERSION}"
        ),
        format!(
            "verdict: compatible with the world example:plugin/plugin@{COMPONENT_GUEST_VERSION}"
        ),
    ] {
        assert!(stdout.contains(&line), "missing {line:?} in\n{stdout}");
    }
    let stdout = expect(0, &["inspect", GUEST_0_1_1]);
    for line in [
        "export point-add: func(a: point, b: point) -> point;",
        "✓ example:plugin/host@0.1.1",
        "✓ wasi:cli/stdout@0.2.6",
        "targets version 0.1.1: example:plugin/plugin@0.1.1",
        "✓ point-add",
        "✓ describe",
        "offers: just-add, point-add, trigger, describe, sum-points",
        "verdict: compatible with the world example:plugin/plugin@0.1.1",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    let stdout = expect(0, &["inspect", LEGACY_GUEST]);
    for line in [
        "✓ example:plugin/host@0.1.0",
        "targets version 0.1.0: example:plugin/plugin@0.1.0",
        "offers: just-add, point-add, trigger\n",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    let stdout = expect(0, &["inspect", CORE_PLUGIN]);
    assert!(stdout.contains("env.host_log_value"), "{stdout}");
    assert!(stdout.contains("just_add                     func (i64, i64) -> (i64)"));
    assert!(stdout.contains("verdict: compatible with the core-module ABI"));
}

#[test]
fn inspect_shows_another_worlds_component_and_what_it_lacks() {
    let stdout = expect(1, &["inspect", GREETER_GUEST]);
    for line in [
        "export greet: func(name: string) -> string;",
        "export example:greeter/text@0.1.0;",
        "✓ wasi:filesystem/preopens@0.2.6",
        "targets no served version; compared with example:plugin/plugin@0.1.0",
        "✗ point-add: missing: func(a: point, b: point) -> point",
        "verdict: does not fit the world example:plugin/plugin@0.1.0:",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
}

#[test]
fn inspect_names_every_unprovided_import_and_mistyped_export() {
    let stdout = expect(1, &["inspect", &misfit_component()]);
    for line in [
        "✗ test:misfit/database: ",
        "✗ example:plugin/host@0.1.0: ",
        "✓ wasi:cli/stdout@0.2.6",
        "✗ just-add: mistyped: expected func(a: u64, b: u64) -> u64, found func(a: u32) -> u32",
        "✗ point-add: missing",
        "✓ trigger",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    let json = expect(1, &["inspect", "--json", &misfit_component()]);
    assert!(json.contains(r#""compatible": false"#), "{json}");
}

#[test]
fn inspect_names_every_core_import_the_host_lacks() {
    let stdout = expect(1, &["inspect", CORE_TOOLBOX]);
    assert!(
        stdout.contains("import `env.add`: unknown import: `env::add` has not been defined"),
        "{stdout}"
    );
    assert!(stdout.contains("missing export `just_add`"), "{stdout}");
}

#[test]
fn inspect_and_call_on_a_file_that_is_not_wasm_exit_2() {
    let file = scratch("not-wasm.txt");
    std::fs::write(&file, "hello").expect("a scratch file");
    let file = file.to_str().expect("a UTF-8 path");
    assert!(expect_error(&["inspect", file]).contains("is not WebAssembly"));
    assert!(expect_error(&["call", file, "f"]).contains("is not WebAssembly"));
}

/// A component that misfits the world in every way at once: it imports an interface the host
/// does not have, the host's `host` interface with `get` mistyped, and WASI's stdout (which
/// fits); `just-add` takes a `u32`, `point-add` is missing, `trigger` fits. Built from WIT by
/// `wit-component`, as a module of stubs.
fn misfit_component() -> String {
    use wit_component::{ComponentEncoder, StringEncoding, dummy_module, embed_component_metadata};
    use wit_parser::{ManglingAndAbi, Resolve};
    const WIT: &str = r#"
        package test:misfit;
        interface database { query: func(sql: string) -> list<string>; }
        world misfit {
            import database;
            import example:plugin/host@0.1.0;
            import wasi:cli/stdout@0.2.6;
            export just-add: func(a: u32) -> u32;
            export trigger: func(input: s32);
        }
        package example:plugin@0.1.0 { interface host { get: func() -> u32; } }
        package wasi:io@0.2.6 { interface streams { resource output-stream; } }
        package wasi:cli@0.2.6 {
            interface stdout { use wasi:io/streams@0.2.6.{output-stream}; get-stdout: func() -> output-stream; }
        }
    "#;
    let mut resolve = Resolve::default();
    let package = resolve.push_source("misfit.wit", WIT).expect("valid WIT");
    let world = resolve
        .select_world(&[package], Some("misfit"))
        .expect("the world");
    let mut module = dummy_module(&resolve, world, ManglingAndAbi::Standard32);
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8).expect("embed");
    let component = ComponentEncoder::default()
        .module(&module)
        .and_then(|mut encoder| encoder.encode())
        .expect("a component");
    let path = scratch("misfit.wasm");
    std::fs::write(&path, component).expect("a scratch file");
    path.to_str().expect("a UTF-8 path").to_owned()
}

#[test]
fn inspect_shows_the_limits_and_grants_a_manifest_leaves_the_plugin() {
    let dir = directory_with_plugin("manifest-inspect", "plugin.wasm");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let plugin = dir.join("plugin.wasm");
    let plugin = plugin.to_str().unwrap();
    let data = format!("{}::/data", dir.join("data").display());

    let defaults = expect(0, &["inspect", plugin]);
    assert!(
        defaults.contains("under the host's defaults (no manifest):"),
        "{defaults}"
    );
    assert!(defaults.contains("  limits: deadline 1000 ms, fuel unmetered, memory 64 MiB"));

    std::fs::write(
        dir.join("plugin.toml"),
        "[limits]\ndeadline_ms = 50\nmemory_bytes = 2097152\n[grants]\nenv = [\"TZ\"]\n",
    )
    .unwrap();
    let narrowed = expect(0, &["inspect", "--env", "TZ=UTC", "--dir", &data, plugin]);
    assert!(narrowed.contains("plugin.toml:"), "{narrowed}");
    assert!(
        narrowed.contains("  limits: deadline 50 ms, fuel unmetered, memory 2 MiB"),
        "{narrowed}"
    );
    assert!(narrowed.contains("  grants: env TZ\n"), "{narrowed}");
    assert!(
        !narrowed.contains("/data"),
        "the manifest left out the directory\n{narrowed}"
    );

    std::fs::write(dir.join("plugin.toml"), "[limits]\ndeadline_ms = 5000\n").unwrap();
    let stderr = expect_error(&["inspect", plugin]);
    assert!(
        stderr.contains("plugin.toml:2: deadline_ms is above"),
        "{stderr}"
    );
}
