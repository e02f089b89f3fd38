//! The `plugin-host` binary, run for real on the plugins the test suite builds: one module per
//! command, as the binary has them.

mod call;
mod compile;
mod inspect;
mod run;
mod watch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use plugin_artifacts::LEGACY_GUEST;

/// Runs the binary with `args` and waits for it.
pub(crate) fn plugin_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plugin-host"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Output bytes as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A path for a test's own file or directory, in cargo's scratch directory for tests.
pub(crate) fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// An empty scratch directory `name` holding a copy of the 0.1.0 guest named `plugin`.
pub(crate) fn directory_with_plugin(name: &str, plugin: &str) -> PathBuf {
    let dir = scratch(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    std::fs::copy(LEGACY_GUEST, dir.join(plugin)).expect("a copy of the guest");
    dir
}

/// Runs the binary, asserts its exit code, and returns its stdout.
pub(crate) fn expect(code: i32, args: &[&str]) -> String {
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
pub(crate) fn expect_error(args: &[&str]) -> String {
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
pub(crate) fn totals(stdout: &str) -> (usize, usize) {
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
