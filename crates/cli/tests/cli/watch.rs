//! `plugin-host watch`: a watched directory answering calls on standard input.

use std::process::Command;

use crate::directory_with_plugin;
use plugin_artifacts::COMPONENT_GUEST;

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
    assert_eq!(next(), "err(empty)", "the newer plugin answers");

    // The component's instance is kept from line to line, and so are the handles it returns.
    writeln!(stdin, "p.wasm shapes#accumulator.new").unwrap();
    assert_eq!(next(), "<accumulator #1>");
    writeln!(
        stdin,
        "p.wasm accumulator.add '<accumulator #1>' '{{x: 1, y: 2}}'"
    )
    .unwrap();
    writeln!(stdin, "p.wasm accumulator.add '#1' '{{x: 3, y: 4}}'").unwrap();
    writeln!(stdin, "p.wasm accumulator.total '<accumulator #1>'").unwrap();
    assert_eq!(next(), "{x: 4, y: 6}");
    writeln!(stdin, "drop p.wasm '<accumulator #1>'").unwrap();
    assert_eq!(next(), "dropped <accumulator #1>");
    writeln!(
        stdin,
        "p.wasm shapes#sum-stream '[{{x: 1, y: 2}}, {{x: 3, y: 4}}]' 1"
    )
    .unwrap();
    assert_eq!(next(), "{x: 4, y: 6}");

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
