//! Compiles every test plugin for its wasm target, into a target directory of its own under
//! `OUT_DIR`: the Rust plugins with a nested `cargo build`, the C++ toolbox with its
//! `build.sh`. Then writes `guests.rs`: one path constant per plugin, which `src/lib.rs`
//! includes. No `.wasm` is committed; the tests always run what the sources say.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// A guest crate: its package, its wasm target, the constant that names its `.wasm`, and
/// whether it is built in cargo's `dev` profile (with debug info) instead of `release`.
struct Guest {
    package: &'static str,
    target: &'static str,
    constant: &'static str,
    debug: bool,
}

const GUESTS: [Guest; 13] = [
    Guest {
        package: "guest",
        target: "wasm32-wasip2",
        constant: "COMPONENT_GUEST",
        debug: false,
    },
    Guest {
        package: "legacy-guest",
        target: "wasm32-wasip2",
        constant: "LEGACY_GUEST",
        debug: false,
    },
    Guest {
        package: "guest-0-1-1",
        target: "wasm32-wasip2",
        constant: "GUEST_0_1_1",
        debug: false,
    },
    Guest {
        package: "hostile-guest",
        target: "wasm32-wasip2",
        constant: "HOSTILE_GUEST",
        debug: false,
    },
    Guest {
        package: "greeter-guest",
        target: "wasm32-wasip2",
        constant: "GREETER_GUEST",
        debug: false,
    },
    Guest {
        package: "escape-plugin",
        target: "wasm32-wasip2",
        constant: "ESCAPE_PLUGIN",
        debug: false,
    },
    Guest {
        package: "notes-plugin",
        target: "wasm32-wasip2",
        constant: "NOTES_PLUGIN",
        debug: false,
    },
    Guest {
        package: "bot-plugin",
        target: "wasm32-wasip2",
        constant: "BOT_PLUGIN",
        debug: false,
    },
    Guest {
        package: "compose-calc",
        target: "wasm32-wasip2",
        constant: "COMPOSE_CALC",
        debug: false,
    },
    Guest {
        package: "core-plugin",
        target: "wasm32-wasip1",
        constant: "CORE_PLUGIN",
        debug: false,
    },
    Guest {
        package: "raw-abi-plugin",
        target: "wasm32-wasip1",
        constant: "RAW_ABI_PLUGIN",
        debug: false,
    },
    Guest {
        package: "core-calc",
        target: "wasm32-unknown-unknown",
        constant: "CORE_CALC",
        debug: false,
    },
    Guest {
        package: "debug-info-plugin",
        target: "wasm32-unknown-unknown",
        constant: "DEBUG_INFO_PLUGIN",
        debug: true,
    },
];

fn main() -> ExitCode {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .ancestors()
        .nth(2)
        .expect("plugins/artifacts sits two levels down in the workspace");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let target_dir = out_dir.join("guests");
    for dir in [
        "wit",
        "crates/sdk",
        "guest",
        "plugins/legacy",
        "plugins/guest-0.1.1",
        "plugins/hostile",
        "plugins/greeter",
        "plugins/escape",
        "plugins/notes",
        "plugins/bot",
        "plugins/core",
        "plugins/raw-abi",
        "plugins/core-calc",
        "plugins/debug-info",
        "plugins/toolbox",
        "plugins/compose",
        "examples/bot-host/wit",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }

    let mut constants = String::new();
    for guest in &GUESTS {
        if let Err(message) = build(workspace, &target_dir, guest) {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
        let file = format!("{}.wasm", guest.package.replace('-', "_"));
        let profile = if guest.debug { "debug" } else { "release" };
        let wasm = target_dir.join(guest.target).join(profile).join(&file);
        writeln!(
            constants,
            "/// `{file}` (package `{}`), built for `{}`.\npub const {}: &str = {:?};",
            guest.package,
            guest.target,
            guest.constant,
            wasm.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    let toolbox = target_dir.join("wasm32-unknown-unknown/release/core_toolbox.wasm");
    // `just setup`'s zig, if it installed one, is in the target folder this build runs in: the
    // nearest parent of OUT_DIR that holds cargo's `CACHEDIR.TAG`.
    let zig_venv = out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map_or_else(|| workspace.join("target"), Path::to_path_buf)
        .join("zig-venv");
    if let Err(message) = build_toolbox(workspace, &toolbox, &zig_venv) {
        eprintln!("error: {message}");
        return ExitCode::FAILURE;
    }
    writeln!(
        constants,
        "/// `core_toolbox.wasm`, the C++ toolbox (`plugins/toolbox`), built for wasm32.\n\
         pub const CORE_TOOLBOX: &str = {:?};",
        toolbox.display().to_string()
    )
    .expect("writing to a String cannot fail");
    std::fs::write(out_dir.join("guests.rs"), constants).expect("OUT_DIR is writable");
    ExitCode::SUCCESS
}

/// Runs `cargo build --release --target <target> -p <package>` for one guest (without
/// `--release` for a debug one).
fn build(workspace: &Path, target_dir: &Path, guest: &Guest) -> Result<(), String> {
    if !target_installed(guest.target) {
        return Err(format!(
            "the Rust target {0} is not installed; run `rustup target add {0}` \
             (or `just setup`)",
            guest.target
        ));
    }
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args(["build", "--locked", "--target", guest.target, "-p"])
        .arg(guest.package)
        .args((!guest.debug).then_some("--release"))
        .env("CARGO_TARGET_DIR", target_dir)
        // Flags meant for the host build must not leak into the wasm builds.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_MAKEFLAGS")
        .status()
        .map_err(|e| format!("failed to run cargo to build {}: {e}", guest.package))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "building guest {} for {} failed ({status})",
            guest.package, guest.target
        ))
    }
}

/// Compiles the C++ toolbox into `out` with its `build.sh`, which finds clang, or else the zig
/// in `zig_venv`.
fn build_toolbox(workspace: &Path, out: &Path, zig_venv: &Path) -> Result<(), String> {
    let status = Command::new("sh")
        .current_dir(workspace)
        .arg("plugins/toolbox/build.sh")
        .arg(out)
        .env("ZIG_VENV", zig_venv)
        .status()
        .map_err(|e| format!("failed to run sh to build the C++ toolbox: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "building the C++ toolbox failed ({status}); `just setup` installs a compiler"
        ))
    }
}

/// Whether the standard library for `target` is installed, asked of the same rustc cargo uses.
fn target_installed(target: &str) -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Command::new(rustc)
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .is_some_and(|dir| Path::new(dir.trim()).is_dir())
}
