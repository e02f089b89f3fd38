//! `plugin-host call`: calls by name with WAVE values, on single plugins and chains, with grants.

use std::path::Path;

use crate::{expect, expect_error, plugin_host, scratch, text};
use plugin_artifacts::{
    COMPONENT_GUEST, COMPOSE_CALC, CORE_CALC, CORE_PLUGIN, CORE_TOOLBOX, DEBUG_INFO_PLUGIN,
    GREETER_GUEST, HOSTILE_GUEST, LEGACY_GUEST, WAT_BUSY, WAT_TOOLBOX,
};

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
    let stderr = expect_error(&["call", "--compose", LEGACY_GUEST, &toolbox, "foo", "7"]);
    assert!(stderr.contains("example:calc/math@0.1.0"), "{stderr}");
}

#[test]
fn call_feeds_a_stream_from_a_wave_list_and_names_the_handles_it_returns() {
    let sum = [
        "call",
        COMPONENT_GUEST,
        "shapes#sum-stream",
        "[{x: 1, y: 2}, {x: 3, y: 4}]",
        "10",
    ];
    assert_eq!(expect(0, &sum), "{x: 4, y: 6}\n");
    assert_eq!(
        expect(0, &["call", COMPONENT_GUEST, "accumulator.new"]),
        "<accumulator #1>\n"
    );
    // The signature of each export names own and borrow handles by their resource.
    let stderr = expect_error(&["call", COMPONENT_GUEST, "no-such-call"]);
    for signature in [
        "#accumulator.new: func() -> own<accumulator>",
        "#accumulator.add: func(self: borrow<accumulator>, p: record { x: s32, y: s32 })",
        "#path-length: func(p: borrow<path>) -> u32",
        "#sum-stream: async func(points: stream<record { x: s32, y: s32 }>, pause-ms: u32)",
    ] {
        assert!(
            stderr.contains(signature),
            "missing {signature:?} in\n{stderr}"
        );
    }
}

#[test]
fn call_shows_the_plugin_output_unless_quiet() {
    let trigger = ["call", COMPONENT_GUEST, "trigger", "7"];
    let stdout = expect(0, &trigger);
    // What the guest prints is the guest's: the test asks only that it is shown.
    assert!(stdout.contains("trigger(7)"), "{stdout}");
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
    ] {
        assert!(stdout.contains(field), "missing {field} in {stdout}");
    }
    let printed = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix(r#""stdout": ""#))
        .unwrap_or_else(|| panic!("no stdout field in {stdout}"));
    assert!(printed.contains("trigger(7)"), "{printed}");
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
fn with_v_a_trap_shows_source_lines_or_says_how_to_get_them() {
    let output = plugin_host(&["call", "-v", DEBUG_INFO_PLUGIN, "run", "1"]);
    let stderr = text(&output.stderr);
    let at = format!(
        "plugins/debug-info/src/lib.rs:{}",
        debug_info_plugin::PANIC_LINE
    );
    assert!(stderr.contains(&at), "{stderr}");
    assert!(!stderr.contains("no debug info"), "{stderr}");
    let output = plugin_host(&["call", "-v", HOSTILE_GUEST, "trigger", "2"]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("has no debug info"), "{stderr}");
    assert!(stderr.contains("line-tables-only"), "{stderr}");
}

#[test]
fn call_profile_writes_a_profile_with_the_busy_function_in_its_samples() {
    let busy = wat::parse_str(WAT_BUSY).unwrap();
    let dir = scratch("profile");
    std::fs::create_dir_all(&dir).unwrap();
    let (plugin, out) = (dir.join("busy.wasm"), dir.join("busy.json"));
    std::fs::write(&plugin, busy).unwrap();
    let args = [
        "call",
        "--profile",
        out.to_str().unwrap(),
        plugin.to_str().unwrap(),
    ];
    assert_eq!(
        expect(0, &[&args[..], &["run", "268435456"]].concat()),
        "0\n"
    );
    let profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).unwrap()).expect("the profile is JSON");
    let samples = profile["threads"][0]["samples"]["length"]
        .as_u64()
        .unwrap_or(0);
    assert!(samples > 0, "{profile}");
    assert!(profile.to_string().contains("busy"), "{profile}");
}
