//! `plugin-host compile`: precompiled artifacts, and loading them.

use crate::{plugin_host, scratch, text};
use plugin_artifacts::COMPONENT_GUEST;

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
