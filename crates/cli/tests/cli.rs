//! The `plugin-host` binary, run for real on the guests the test suite builds.

use std::process::{Command, Output};

use std::path::{Path, PathBuf};

use plugin_artifacts::{
    Behaviour, COMPONENT_GUEST, COMPOSE_CALC, CORE_CALC, CORE_PLUGIN, CORE_TOOLBOX, GREETER_GUEST,
    HOSTILE_GUEST, LEGACY_GUEST, WAT_TOOLBOX,
};

fn plugin_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plugin-host"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A path for a test's own file or directory, in cargo's scratch directory for tests.
fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// An empty scratch directory `name` holding a copy of the 0.1.0 guest named `plugin`.
fn directory_with_plugin(name: &str, plugin: &str) -> PathBuf {
    let dir = scratch(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    std::fs::copy(LEGACY_GUEST, dir.join(plugin)).expect("a copy of the guest");
    dir
}

/// Runs the binary, asserts its exit code, and returns its stdout.
fn expect(code: i32, args: &[&str]) -> String {
    let output = plugin_host(args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}\n{stdout}\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stdout
}

/// Runs the binary, asserts exit code 2, and returns its stderr.
fn expect_error(args: &[&str]) -> String {
    let output = plugin_host(args);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}\n{stderr}");
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    stderr
}

/// The numbers of the closing line `N passed, M failed across K plugin runs: …`.
fn totals(stdout: &str) -> (usize, usize) {
    let line = stdout
        .lines()
        .find(|line| line.contains(" plugin runs: "))
        .unwrap_or_else(|| panic!("no closing line in\n{stdout}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

#[test]
fn run_passes_every_check_on_all_guests() {
    let output = plugin_host(&[
        "run",
        COMPONENT_GUEST,
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
        "│ guest: trigger(7) calls log, get and set on the host",
        "✓ simple_add(1, 1)",
        "│ core guest: my value is 777",
        "✓ foo(7), which calls the linked add(1, 7)",
        "▶ legacy_guest.wasm: component, world example:plugin/plugin@0.1.0",
        "▶ guest.wasm: component, world example:plugin/plugin@0.1.1",
        "✓ describe().calls",
        "│ legacy guest (0.1.0): trigger(7)",
        "across 4 plugin runs: all passed",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
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
    let mut args = vec!["run", "--deadline-ms", "200"];
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
fn compile_writes_an_artifact_that_run_loads_only_when_allowed() {
    let artifact = scratch("cli-guest.cwasm");
    let artifact = artifact.to_str().expect("a UTF-8 path");
    let output = plugin_host(&["compile", COMPONENT_GUEST, "-o", artifact]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("wrote"));

    let refused = plugin_host(&["run", artifact]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("is a precompiled artifact"));

    let output = plugin_host(&["run", "--allow-precompiled", artifact]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains(" 0 failed across 1 plugin runs"));

    // Fuel changes the machine code: the artifact is refused, not run.
    let output = plugin_host(&["run", "--allow-precompiled", "--fuel", "1000000", artifact]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("another wasmtime version or configuration"));
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
fn call_takes_and_prints_wave_values() {
    let point = [
        "call",
        COMPONENT_GUEST,
        "point-add",
        "{x: 1, y: 2}",
        "{x: 3, y: 4}",
    ];
    assert_eq!(expect(0, &point), "{x: 4, y: 6}\n");
    assert_eq!(
        expect(
            0,
            &[
                "call",
                COMPONENT_GUEST,
                "just-add",
                "18446744073709551615",
                "1"
            ]
        ),
        "0\n"
    );
    assert_eq!(
        expect(0, &["call", GREETER_GUEST, "greet", "\"world\""]),
        "\"Hello, world!\"\n"
    );
    let words = [
        "call",
        GREETER_GUEST,
        "text#words",
        "\"to be or not to be\"",
    ];
    assert_eq!(
        expect(0, &words),
        "[(\"to\", 2), (\"be\", 2), (\"or\", 1), (\"not\", 1)]\n"
    );
    for name in ["shout", "text#shout", "example:greeter/text@0.1.0#shout"] {
        assert_eq!(
            expect(0, &["call", GREETER_GUEST, name, "\"hi\""]),
            "\"HI\"\n"
        );
    }
}

#[test]
fn call_works_on_both_versions_and_says_what_an_old_one_lacks() {
    assert_eq!(
        expect(0, &["call", "-q", LEGACY_GUEST, "just-add", "40", "2"]),
        "42\n"
    );
    let info = expect(0, &["call", COMPONENT_GUEST, "describe"]);
    assert!(
        info.starts_with(r#"{name: "guest", version: "0.1.0", calls: ["just-add""#),
        "{info}"
    );
    assert_eq!(
        expect(0, &["call", COMPONENT_GUEST, "sum-points", "[]"]),
        "err(empty)\n"
    );
    let stderr = expect_error(&["call", LEGACY_GUEST, "describe"]);
    let lacks = "targets example:plugin@0.1.0, which has no `describe`: it was added in 0.1.1";
    assert!(stderr.contains(lacks), "{stderr}");
}

#[test]
fn call_calls_into_linked_core_modules() {
    let foo = ["call", "--link", CORE_CALC, CORE_TOOLBOX, "foo", "7"];
    assert_eq!(expect(0, &foo), "8\n");
    let stderr = expect_error(&["call", "--link", CORE_CALC, CORE_TOOLBOX, "bar"]);
    assert!(stderr.contains("bar"), "{stderr}");
}

/// `WAT_TOOLBOX` as a component file.
fn toolbox_file() -> String {
    let path = scratch("toolbox.wasm");
    let bytes = wat::parse_str(WAT_TOOLBOX).expect("valid WAT");
    std::fs::write(&path, bytes).expect("a scratch file");
    path.display().to_string()
}

#[test]
fn run_and_call_compose_components_at_load_time() {
    let toolbox = toolbox_file();
    let stdout = expect(0, &["run", "--compose", COMPOSE_CALC, &toolbox]);
    assert!(
        stdout.contains("✓ foo(7), which calls the composed add(1, 7)  → 8"),
        "{stdout}"
    );
    assert!(stdout.contains("components, composed"), "{stdout}");
    let foo = ["call", "--compose", COMPOSE_CALC, &toolbox, "foo", "-8"];
    assert_eq!(expect(0, &foo), "-7\n");
    // The contract's guest exports no `example:calc/math`: the toolbox's import is named.
    let stderr = expect_error(&["call", "--compose", COMPONENT_GUEST, &toolbox, "foo", "7"]);
    assert!(stderr.contains("example:calc/math@0.1.0"), "{stderr}");
}

#[test]
fn call_shows_the_plugin_output_unless_quiet() {
    let trigger = ["call", COMPONENT_GUEST, "trigger", "7"];
    let stdout = expect(0, &trigger);
    assert!(stdout.contains("guest: trigger(7) calls log"), "{stdout}");
    assert_eq!(expect(0, &[&trigger[..], &["-q"]].concat()), "");
}

#[test]
fn call_on_a_core_module_takes_numbers() {
    let stdout = expect(0, &["call", "-q", CORE_PLUGIN, "simple_add", "40", "2"]);
    assert_eq!(stdout, "42\n");
    let stderr = expect_error(&["call", CORE_PLUGIN, "simple_add", "1.5", "2"]);
    assert!(stderr.contains("argument 1 `1.5`"), "{stderr}");
    assert!(
        stderr.contains("simple_add: (i64, i64) -> (i64)"),
        "{stderr}"
    );
}

#[test]
fn call_errors_show_the_expected_signature() {
    let signature = "just-add: func(a: u64, b: u64) -> u64";
    let stderr = expect_error(&["call", COMPONENT_GUEST, "just-add", "1"]);
    assert!(stderr.contains("1 argument given, 2 expected"), "{stderr}");
    assert!(stderr.contains(signature), "{stderr}");
    let stderr = expect_error(&[
        "call",
        COMPONENT_GUEST,
        "point-add",
        "{x: 1}",
        "{x: 1, y: 2}",
    ]);
    assert!(stderr.contains("argument 1 (a) `{x: 1}`"), "{stderr}");
    let stderr = expect_error(&["call", COMPONENT_GUEST, "just-add", "-1", "2"]);
    assert!(stderr.contains("argument 1 (a) `-1`"), "{stderr}");
    let stderr = expect_error(&["call", COMPONENT_GUEST, "no-such-function"]);
    assert!(
        stderr.contains("has no function export `no-such-function`"),
        "{stderr}"
    );
    assert!(stderr.contains(signature) && stderr.contains("trigger: func(input: s32)"));
}

#[test]
fn call_that_traps_exits_1_with_the_failure() {
    let spin = (plugin_artifacts::Behaviour::Spin as i32).to_string();
    let args = [
        "call",
        "--deadline-ms",
        "100",
        HOSTILE_GUEST,
        "trigger",
        &spin,
    ];
    let output = plugin_host(&args);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("failed in `trigger`: it ran past its deadline"),
        "{stderr}"
    );
}

#[test]
fn call_json_has_the_results_and_the_output() {
    let stdout = expect(0, &["call", "--json", COMPONENT_GUEST, "trigger", "7"]);
    for field in [
        r#""results": """#,
        r#""error": null"#,
        r#""function": "trigger: func(input: s32)""#,
        r#""stdout": "guest: trigger(7) calls log, get and set on the host\n""#,
    ] {
        assert!(stdout.contains(field), "missing {field} in {stdout}");
    }
}

#[test]
fn grants_give_exactly_the_directories_and_variables_asked_for() {
    let dir = scratch("grants");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    std::fs::write(dir.join("notes.txt"), "hello from the host").expect("a file");
    let dir = dir.to_str().expect("a UTF-8 path");
    let read = |grant: &[&str]| {
        let args = [
            &["call"],
            grant,
            &[GREETER_GUEST, "read-file", "\"/data/notes.txt\""],
        ]
        .concat();
        expect(0, &args)
    };
    assert!(read(&[]).starts_with("err("), "no grant, no file");
    let mapped = format!("{dir}::/data");
    assert_eq!(read(&["--dir", &mapped]), "ok(\"hello from the host\")\n");

    let write = |grant: &str| {
        let file = "\"/data/written.txt\"";
        expect(
            0,
            &[
                "call",
                grant,
                &mapped,
                GREETER_GUEST,
                "write-file",
                file,
                "\"x\"",
            ],
        )
    };
    assert!(write("--dir").starts_with("err("), "--dir is read-only");
    assert_eq!(write("--dir-rw"), "ok\n");
    assert_eq!(
        std::fs::read_to_string(Path::new(dir).join("written.txt")).expect("written"),
        "x"
    );

    let env = ["call", GREETER_GUEST, "env-var", "\"GREETING\""];
    assert_eq!(expect(0, &env), "none\n", "no variable unless granted");
    let granted = [&env[..], &["--env", "GREETING=hi"]].concat();
    assert_eq!(expect(0, &granted), "some(\"hi\")\n");
    let stderr = expect_error(&[
        "call",
        "--dir",
        "/no/such/dir",
        GREETER_GUEST,
        "greet",
        "\"x\"",
    ]);
    assert!(
        stderr.contains("/no/such/dir is not a directory"),
        "{stderr}"
    );
}

#[test]
fn inspect_passes_the_projects_plugins() {
    let stdout = expect(0, &["inspect", COMPONENT_GUEST]);
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
fn watch_loads_reloads_and_answers_calls_typed_on_stdin() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let dir = directory_with_plugin("watch-cli", "p.wasm");
    let mut child = Command::new(env!("CARGO_BIN_EXE_plugin-host"))
        .args(["watch", dir.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let next = || {
        received
            .recv_timeout(Duration::from_secs(20))
            .expect("a line")
    };
    let mut stdin = child.stdin.take().unwrap();

    assert!(next().starts_with("loaded p.wasm ("));
    writeln!(stdin, "p.wasm just-add 40 2").unwrap();
    assert_eq!(next(), "42");

    plugin_artifacts::replace(&dir.join("p.wasm"), COMPONENT_GUEST).unwrap();
    assert!(next().starts_with("reloaded p.wasm ("));
    writeln!(stdin, "p.wasm point-add '{{x: 1, y: 2}}' '{{x: 3, y: 4}}'").unwrap();
    assert_eq!(next(), "{x: 4, y: 6}");
    writeln!(stdin, "p.wasm sum-points '[]'").unwrap();
    assert_eq!(next(), "err(empty)", "the 0.1.1 plugin answers");

    std::fs::write(dir.join("p.wasm"), b"broken").unwrap();
    assert!(next().starts_with("failed p.wasm, the previous version"));
    assert!(next().contains("is not WebAssembly"));
    writeln!(stdin, "p.wasm just-add 1 1").unwrap();
    assert_eq!(next(), "2", "the previous version still serves");

    std::fs::remove_file(dir.join("p.wasm")).unwrap();
    assert_eq!(next(), "unloaded p.wasm");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}
