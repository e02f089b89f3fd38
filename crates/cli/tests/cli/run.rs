//! `plugin-host run`: the demonstration, its exit codes, its output.

use std::process::Command;

use crate::{directory_with_plugin, expect, plugin_host, scratch, text, totals};
use plugin_artifacts::{
    Behaviour, COMPONENT_GUEST, COMPONENT_GUEST_VERSION, CORE_CALC, CORE_PLUGIN, CORE_TOOLBOX,
    GUEST_0_1_1, HOSTILE_GUEST, LEGACY_GUEST,
};

#[test]
fn run_passes_every_check_on_all_guests() {
    let output = plugin_host(&[
        "run",
        COMPONENT_GUEST,
        GUEST_0_1_1,
        LEGACY_GUEST,
        CORE_PLUGIN,
        "--link",
        CORE_CALC,
        CORE_TOOLBOX,
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(!stdout.contains('✗'), "{stdout}");
    for line in [
        "✓ just-add(15, 27)",
        "✓ trigger(7): shared value",
        "→ 42 -> 54",
        "│ guest",
        "✓ simple_add(1, 1)",
        "│ core guest: my value is 777",
        "✓ foo(7), which calls the linked add(1, 7)",
        "▶ legacy_guest.wasm: component, world example:plugin/plugin@0.1.0",
        "▶ guest_0_1_1.wasm: component, world example:plugin/plugin@0.1.1",
        "✓ describe().calls",
        "│ legacy guest (0.1.0): trigger(7)",
        "across 5 plugin runs: all passed",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    let newest =
        format!("▶ guest.wasm: component, world example:plugin/plugin@{COMPONENT_GUEST_VERSION}");
    assert!(stdout.contains(&newest), "missing {newest:?} in\n{stdout}");
    let (passed, failed) = totals(&stdout);
    assert_eq!(failed, 0);
    assert_eq!(passed, stdout.matches('✓').count());
}

#[test]
fn run_keeps_going_after_failed_calls_and_counts_each_one() {
    // The hostile guest, told through its environment to fail three ways: `just-add` spins,
    // `point-add` recurses, `trigger` sets the value and then allocates without end.
    let told = |export: &str, behaviour: Behaviour| {
        format!("{}={}", Behaviour::variable(export), behaviour.name())
    };
    let env = [
        told("just-add", Behaviour::Spin),
        told("point-add", Behaviour::Recurse),
        told("trigger", Behaviour::SetThenAllocate),
    ];
    // A small memory limit, so that `trigger` reaches it in a few allocations, well inside
    // the deadline even on a loaded machine (at the default 64 MiB it once took longer).
    let mut args = vec!["run", "--deadline-ms", "200", "--max-memory-mib", "8"];
    for variable in &env {
        args.extend(["--env", variable]);
    }
    args.push(HOSTILE_GUEST);
    let stdout = expect(1, &args);
    for line in [
        "✗ just-add(15, 27)",
        "→ failed: it ran past its deadline",
        "→ failed: it overflowed its stack",
        "→ failed: it ran into the linear-memory limit",
        "shared value unchanged (42): the failed call committed nothing",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    assert!(
        !stdout.contains("wasm backtrace"),
        "behind -v only:\n{stdout}"
    );
    let (passed, failed) = totals(&stdout);
    assert_eq!(failed, stdout.matches('✗').count(), "{stdout}");
    assert_eq!(passed, stdout.matches('✓').count(), "{stdout}");
    assert!(failed >= 3, "{stdout}");

    args.insert(1, "-v");
    let verbose = expect(1, &args);
    assert!(verbose.contains("wasm backtrace"), "{verbose}");
}

#[test]
fn run_on_a_missing_file_exits_2_with_a_clear_error() {
    let output = plugin_host(&["run", "no/such/plugin.wasm"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: failed to read no/such/plugin.wasm: "),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn run_on_bytes_that_are_not_wasm_exits_2() {
    // Cargo.toml is a file that exists and is certainly not WebAssembly.
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let output = plugin_host(&["run", manifest]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("is not WebAssembly"), "{stderr}");
}

#[test]
fn run_still_runs_the_good_plugins_when_one_fails_to_load() {
    let output = plugin_host(&["run", "missing.wasm", COMPONENT_GUEST]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stdout).contains(" 0 failed across 1 plugin runs"));
}

#[test]
fn link_with_a_component_is_a_load_error() {
    let output = plugin_host(&["run", "--link", COMPONENT_GUEST, CORE_TOOLBOX]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("is a component, but a core module was expected"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    let output = plugin_host(&["run", "--link", CORE_CALC]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("Usage"));
}

#[test]
fn run_names_the_missing_exports_before_calling_anything() {
    let module = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "just_add") (param i64 i64) (result i64) local.get 0))"#,
    )
    .unwrap();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("partial-core.wasm");
    std::fs::write(&path, module).unwrap();
    let output = plugin_host(&["run", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("does not fit the core-module ABI"),
        "{stderr}"
    );
    for missing in [
        "trigger_host_calls",
        "point_add",
        "get_plugin_shared_value_ptr",
        "simple_add",
    ] {
        assert!(
            stderr.contains(&format!("missing export `{missing}`")),
            "{stderr}"
        );
    }
    assert!(
        !text(&output.stdout).contains("just_add(15, 27)"),
        "no call was made"
    );
}

#[test]
fn run_applies_the_memory_limit_flag() {
    let output = plugin_host(&["run", "--max-memory-mib", "1", COMPONENT_GUEST]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("✗ could not run: failed to instantiate plugin")
            && stdout.contains("it ran into the linear-memory limit"),
        "{stdout}"
    );
}

#[test]
fn run_reports_a_hostile_plugin_and_caps_its_output() {
    // The demo's `trigger(7)` makes the hostile guest print forever.
    let output = plugin_host(&[
        "run",
        "--deadline-ms",
        "200",
        "--max-output-kib",
        "1",
        HOSTILE_GUEST,
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    for line in [
        "✓ just-add(15, 27)",
        "✗ trigger(7): shared value",
        "→ failed: it ran past its deadline",
        "hostile_guest.wasm stdout:\n  │ hostile guest: line 0\n",
        "more bytes of output dropped (--max-output-kib)",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    let printed = stdout
        .lines()
        .filter(|l| l.contains("hostile guest: line"))
        .count();
    assert!(
        printed < 100,
        "1 KiB of output is a few dozen lines, not {printed}"
    );
}

#[test]
fn run_loads_every_wasm_file_of_a_directory_and_ends_with_a_table() {
    let directory = std::path::Path::new(COMPONENT_GUEST)
        .parent()
        .expect("the guest sits in a directory");
    let directory = directory.to_str().expect("a UTF-8 path");
    let output = plugin_host(&["run", "--deadline-ms", "200", directory]);
    // The directory holds the good guest, the hostile one, whose trigger times out, and the
    // greeter, which is of another world and does not load: a load error, exit 2.
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("greeter_guest.wasm does not fit the world"),
        "{stderr}"
    );
    let stdout = text(&output.stdout);
    let row = |file: &str| -> (String, usize, usize) {
        let row: Vec<&str> = stdout
            .lines()
            .find(|line| line.starts_with(&format!("{file} ")) && line.contains(" ms"))
            .unwrap_or_else(|| panic!("no table row for {file} in\n{stdout}"))
            .split_whitespace()
            .skip(1)
            .take(3)
            .collect();
        let number = |n: &str| n.parse::<usize>().expect("a count");
        (row[0].to_owned(), number(row[1]), number(row[2]))
    };
    assert!(stdout.contains("passed  failed  time"), "{stdout}");
    for good in ["guest.wasm", "legacy_guest.wasm"] {
        let (kind, passed, failed) = row(good);
        assert!(kind == "component" && passed > 0 && failed == 0, "{stdout}");
    }
    let (_, passed, failed) = row("hostile_guest.wasm");
    assert!(passed > 0 && failed > 0, "its trigger times out:\n{stdout}");
}

#[test]
fn verbose_shows_each_guest_log_call_with_the_plugin_name_without_colour_in_a_pipe() {
    let output = plugin_host(&["run", "-v", COMPONENT_GUEST]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    let line = stderr
        .lines()
        .find(|line| line.contains("plugin log"))
        .unwrap_or_else(|| panic!("no log event in\n{stderr}"));
    assert!(line.contains(&format!("plugin={COMPONENT_GUEST}")) && line.contains("value=14"));
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes when stderr is not a terminal"
    );
    assert!(text(&plugin_host(&["run", COMPONENT_GUEST]).stderr).is_empty());
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    // Megabytes of captured output, far more than a pipe holds, so writing hits a closed pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_plugin-host"))
        .args(["run", "--deadline-ms", "300", "--max-output-kib", "8192"])
        .arg(HOSTILE_GUEST)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut first = [0; 100];
    child
        .stdout
        .take()
        .expect("piped")
        .read_exact(&mut first)
        .expect("some output");
    // The read end is dropped here, like `| head` exiting.
    let output = child.wait_with_output().expect("the binary ends");
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the failed check still sets the exit code"
    );
}

#[test]
fn run_json_and_quiet() {
    let stdout = expect(0, &["run", "--json", COMPONENT_GUEST]);
    assert!(
        stdout.contains(r#""failed": 0"#) && stdout.contains(r#""passed": "#),
        "{stdout}"
    );
    let quiet = expect(0, &["run", "-q", COMPONENT_GUEST]);
    assert!(
        !quiet.contains("✓") && quiet.contains(" 0 failed across 1 plugin runs"),
        "{quiet}"
    );
}

#[test]
fn run_on_a_directory_reports_a_manifest_without_its_plugin() {
    let dir = directory_with_plugin("manifest-orphan", "legacy.wasm");
    std::fs::write(dir.join("gone.toml"), "[limits]\ndeadline_ms = 10\n").unwrap();
    let output = plugin_host(&["run", dir.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("gone.toml: no plugin"), "{stderr}");
    assert!(
        text(&output.stdout).contains("legacy.wasm"),
        "the plugin still ran"
    );
}

#[test]
fn run_profile_writes_a_profile_per_plugin_and_chain() {
    let dir = scratch("run-profile");
    let _ = std::fs::remove_dir_all(&dir);
    let profiles = dir.to_str().unwrap();
    let args = [
        "run",
        "-q",
        "--profile",
        profiles,
        COMPONENT_GUEST,
        CORE_PLUGIN,
        "--link",
        CORE_CALC,
        CORE_TOOLBOX,
    ];
    expect(0, &args);
    for name in ["guest.json", "core_plugin.json", "link.json"] {
        let text = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let profile: serde_json::Value = serde_json::from_slice(&text).expect("JSON");
        assert!(
            profile["threads"][0]["samples"].is_object(),
            "{name}: {profile}"
        );
    }
}
