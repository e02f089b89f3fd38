//! `polyglot`: the build steps of the plugins in other languages (`plugins/`) that their own
//! toolchains lack, each a call into the library the field's CLI wraps.
//!
//! - `polyglot c-bindings WIT_DIR WORLD OUT_DIR` writes a world's C bindings, what
//!   `wit-bindgen c` writes: `<world>.h`, `<world>.c` and `<world>_component_type.o`, the object
//!   that carries the world's types into the core module for the next step.
//! - `polyglot componentize CORE -o OUT` makes a wasip1 core module a component, what
//!   `wasm-tools component new --adapt` does: the world comes from the module's component-type
//!   section, and the WASI preview1 adapter of wasmtime's own version turns its WASI imports
//!   into WASI preview 2 imports.
//!
//! `just polyglot` runs them (see `plugins/c/build.sh`).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};
use wit_bindgen_core::{Files, wit_parser::Resolve};

/// The build steps of the plugins in other languages.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes the C bindings of WORLD in the WIT package at WIT_DIR into OUT_DIR (wit-bindgen's
    /// C generator with its default options).
    CBindings {
        /// A directory holding one WIT package, e.g. `wit/0.1.1`.
        wit_dir: PathBuf,
        /// The world, by name (`plugin`) or in full (`example:plugin/plugin@0.1.1`).
        world: String,
        /// Where to write the `.h`, `.c` and `_component_type.o` files; created if missing.
        out_dir: PathBuf,
    },
    /// Makes the wasip1 core module CORE, linked with a world's `_component_type.o`, a
    /// component, adapting its WASI imports with the WASI preview1 reactor adapter.
    Componentize {
        /// The core module.
        core: PathBuf,
        /// The component to write.
        #[arg(short, long)]
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::CBindings {
            wit_dir,
            world,
            out_dir,
        } => c_bindings(&wit_dir, &world, &out_dir),
        Command::Componentize { core, out } => componentize(&core, &out),
    }
}

/// Writes the C bindings of `world` in the package at `wit_dir` into `out_dir`.
fn c_bindings(wit_dir: &PathBuf, world: &str, out_dir: &PathBuf) -> anyhow::Result<()> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_path(wit_dir)
        .with_context(|| format!("failed to read the WIT package in {}", wit_dir.display()))?;
    let world = resolve.select_world(&[package], Some(world))?;
    let mut files = Files::default();
    wit_bindgen_c::Opts::default()
        .build()
        .generate(&mut resolve, world, &mut files)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("failed to create {}", out_dir.display()))?;
    for (name, contents) in files.iter() {
        let path = out_dir.join(name);
        std::fs::write(&path, contents)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    Ok(())
}

/// Makes the core module at `core` a component at `out`.
fn componentize(core: &PathBuf, out: &PathBuf) -> anyhow::Result<()> {
    let module =
        std::fs::read(core).with_context(|| format!("failed to read {}", core.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .with_context(|| format!("{} has no usable component-type section", core.display()))?
        .adapter(
            WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )?
        .encode()
        .with_context(|| format!("failed to make {} a component", core.display()))?;
    std::fs::write(out, component).with_context(|| format!("failed to write {}", out.display()))
}
