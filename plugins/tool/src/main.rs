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
//! - `polyglot compose A.wasm B.wasm... -o OUT` composes components into one at build time,
//!   what `wac plug` does, with wac-graph: each one's exports are plugged into the next one's
//!   imports of the same name, and the last one's exports are the composition's.
//!
//! `just polyglot` runs them (see `plugins/c/build.sh`).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, NodeId, PackageId};
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
    /// Composes COMPONENTS in order into one component: each one's exports satisfy the next
    /// one's imports of the same name; the imports left are the composition's, and so are the
    /// last one's exports.
    Compose {
        /// The components, providers first.
        #[arg(num_args = 2..)]
        components: Vec<PathBuf>,
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
        Command::Compose { components, out } => compose(&components, &out),
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

/// Composes `components` in order into the component at `out`.
fn compose(components: &[PathBuf], out: &PathBuf) -> anyhow::Result<()> {
    let mut graph = CompositionGraph::new();
    let mut previous: Option<(String, PackageId, NodeId)> = None;
    for path in components {
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .map(|stem| format!("compose:{}", stem.replace('_', "-")))
            .with_context(|| format!("{} has no usable file name", path.display()))?;
        let package = Package::from_file(&name, None, path, graph.types_mut())
            .with_context(|| format!("failed to read {}", path.display()))?;
        let package = graph.register_package(package)?;
        let instance = graph.instantiate(package);
        if let Some((provider, provider_package, provider_instance)) = &previous {
            let imports = &graph.types()[graph[package].ty()].imports;
            let plugged: Vec<String> = export_names(&graph, *provider_package)
                .into_iter()
                .filter(|export| imports.contains_key(export))
                .collect();
            if plugged.is_empty() {
                anyhow::bail!("{} imports nothing that {provider} exports", path.display());
            }
            for item in plugged {
                let export = graph.alias_instance_export(*provider_instance, &item)?;
                graph
                    .set_instantiation_argument(instance, &item, export)
                    .with_context(|| {
                        format!("{} cannot take `{item}` from {provider}", path.display())
                    })?;
            }
        }
        previous = Some((path.display().to_string(), package, instance));
    }
    let Some((_, last_package, last_instance)) = previous else {
        anyhow::bail!("there are no components to compose");
    };
    for name in export_names(&graph, last_package) {
        let export = graph.alias_instance_export(last_instance, &name)?;
        graph.export(export, &name)?;
    }
    let bytes = graph.encode(EncodeOptions::default())?;
    std::fs::write(out, bytes).with_context(|| format!("failed to write {}", out.display()))
}

/// The names of what `package` exports.
fn export_names(graph: &CompositionGraph, package: PackageId) -> Vec<String> {
    graph.types()[graph[package].ty()]
        .exports
        .keys()
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component exporting `example:calc/math@0.1.0` whose `add` has the WIT type `ty`.
    fn calc(ty: &str) -> Vec<u8> {
        let core = if ty.contains("u64") { "i64" } else { "i32" };
        wat::parse_str(format!(
            r#"(component
  (core module $m (func (export "add") (param {core} {core}) (result {core}) local.get 0))
  (core instance $i (instantiate $m))
  (func $add {ty} (canon lift (core func $i "add")))
  (instance $math (export "add" (func $add)))
  (export "example:calc/math@0.1.0" (instance $math)))"#
        ))
        .expect("valid WAT")
    }

    /// Composes `calc` with the toolbox in a scratch folder named `test`.
    fn compose_with(test: &str, calc: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        let dir = std::env::temp_dir().join(format!("polyglot-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let (calc_path, toolbox_path, out) = (
            dir.join("calc.wasm"),
            dir.join("toolbox.wasm"),
            dir.join("composed.wasm"),
        );
        std::fs::write(&calc_path, calc)?;
        std::fs::write(
            &toolbox_path,
            wat::parse_str(plugin_artifacts::WAT_TOOLBOX)?,
        )?;
        let composed =
            compose(&[calc_path, toolbox_path], &out).and_then(|()| Ok(std::fs::read(&out)?));
        std::fs::remove_dir_all(&dir)?;
        composed
    }

    #[test]
    fn a_matching_pair_composes_into_one_component_exporting_foo() {
        let calc = calc(r#"(param "a" s32) (param "b" s32) (result s32)"#);
        let composed = compose_with("matching", calc).expect("the pair composes");
        let exports: Vec<String> = wasmparser::Parser::new(0)
            .parse_all(&composed)
            .filter_map(|payload| match payload {
                Ok(wasmparser::Payload::ComponentExportSection(section)) => Some(section),
                _ => None,
            })
            .last()
            .into_iter()
            .flat_map(|section| {
                section
                    .into_iter()
                    .map(|export| export.unwrap().name.name.to_owned())
            })
            .collect();
        assert_eq!(exports, ["foo"]);
    }

    /// A component that takes the guest's `shapes` (the `accumulator` resource, by a subset
    /// of its functions) and exports `total-of-two`: an accumulator of `{x: 1, y: 2}` and
    /// `{x: 3, y: 4}`, dropped, whose total's `x + y` it returns (10).
    const ACCUMULATOR_USER: &str = r#"(component
  (type $shapes (instance
    (type $pt (record (field "x" s32) (field "y" s32)))
    (export "point" (type $point (eq $pt)))
    (export "accumulator" (type $acc (sub resource)))
    (export "[constructor]accumulator" (func (result (own $acc))))
    (export "[method]accumulator.add" (func (param "self" (borrow $acc)) (param "p" $point)))
    (export "[method]accumulator.total" (func (param "self" (borrow $acc)) (result $point)))))
  (import "example:plugin/shapes@0.1.2" (instance $shapes (type $shapes)))
  (alias export $shapes "accumulator" (type $acc))
  (alias export $shapes "[constructor]accumulator" (func $new))
  (alias export $shapes "[method]accumulator.add" (func $add))
  (alias export $shapes "[method]accumulator.total" (func $total))
  (core module $memory (memory (export "memory") 1))
  (core instance $memory (instantiate $memory))
  (alias core export $memory "memory" (core memory $mem))
  (core func $new (canon lower (func $new)))
  (core func $add (canon lower (func $add)))
  (core func $total (canon lower (func $total) (memory $mem)))
  (core func $drop (canon resource.drop $acc))
  (core module $m
    (import "" "new" (func $new (result i32)))
    (import "" "add" (func $add (param i32 i32 i32)))
    (import "" "total" (func $total (param i32 i32)))
    (import "" "drop" (func $drop (param i32)))
    (import "" "memory" (memory 1))
    (func (export "run") (result i32) (local $acc i32)
      (local.set $acc (call $new))
      (call $add (local.get $acc) (i32.const 1) (i32.const 2))
      (call $add (local.get $acc) (i32.const 3) (i32.const 4))
      (call $total (local.get $acc) (i32.const 8))
      (call $drop (local.get $acc))
      (i32.add (i32.load (i32.const 8)) (i32.load (i32.const 12)))))
  (core instance $env
    (export "new" (func $new))
    (export "add" (func $add))
    (export "total" (func $total))
    (export "drop" (func $drop))
    (export "memory" (memory $mem)))
  (core instance $i (instantiate $m (with "" (instance $env))))
  (func (export "total-of-two") (result s32) (canon lift (core func $i "run"))))"#;

    #[test]
    fn a_provider_of_a_resource_composes_and_its_resource_crosses() {
        let dir = std::env::temp_dir().join(format!("polyglot-resource-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (user, out) = (dir.join("user.wasm"), dir.join("composed.wasm"));
        std::fs::write(&user, wat::parse_str(ACCUMULATOR_USER).unwrap()).unwrap();
        let guest = PathBuf::from(plugin_artifacts::COMPONENT_GUEST);
        compose(&[guest, user], &out).expect("the guest's shapes plug into the user's import");

        let host = example_host::ExampleHost::new().unwrap();
        let call = host.call_wave(&out, "total-of-two", &[] as &[&str]);
        std::fs::remove_dir_all(&dir).unwrap();
        let results = call.expect("the composed component loads").results;
        assert_eq!(results.expect("the composed call runs"), "10");
    }

    #[test]
    fn a_mistyped_export_says_which_item_and_which_types() {
        let calc = calc(r#"(param "a" u64) (param "b" u64) (result u64)"#);
        let error = compose_with("mistyped", calc).expect_err("the types differ");
        let text = format!("{error:#}");
        for part in ["example:calc/math@0.1.0", "add", "u64", "s32"] {
            assert!(text.contains(part), "{part:?} not in {text}");
        }
    }
}
