//! Inspecting a component: its WIT, and its imports and exports against the host.

use wasmtime::component::{Component, Linker};
use wit_component::{ComponentEncoder, DecodedWasm, StringEncoding, WitPrinter};
use wit_parser::{InterfaceId, ManglingAndAbi, Resolve, WorldId, WorldItem, WorldKey};

use super::types::{same_function, signature};
use super::{ComponentReport, ItemVerdict};
use crate::component::ComponentState;
use crate::contract::Contract;

/// Inspects `component` (compiled from `bytes`) against the host's `linker` and, if given, the
/// `contract`: the version the component targets, and that version's exports.
pub(crate) fn inspect_component<T: 'static>(
    bytes: &[u8],
    component: &Component,
    linker: &Linker<ComponentState<T>>,
    contract: Option<&Contract>,
) -> Result<ComponentReport, String> {
    let DecodedWasm::Component(resolve, world) =
        wit_component::decode(bytes).map_err(|e| because("cannot decode its WIT", e))?
    else {
        return Err("it is a WIT package, not a component".to_owned());
    };
    let mut printer = WitPrinter::default();
    let package = resolve.worlds[world]
        .package
        .ok_or("its world belongs to no package")?;
    printer
        .print(&resolve, package, &[])
        .map_err(|e| because("cannot print its WIT", e))?;

    let linked = linker.instantiate_pre(component).is_ok();
    let imports = resolve.worlds[world]
        .imports
        .iter()
        .filter(|(_, item)| !matches!(item, WorldItem::Type { .. }))
        .map(|(key, item)| ItemVerdict {
            name: resolve.name_world_key(key),
            problem: if linked {
                None
            } else {
                import_problem(&resolve, key, item, component, linker)
            },
        })
        .collect();
    let mut report = ComponentReport {
        wit: printer.output.to_string(),
        version: None,
        world: None,
        imports,
        exports: Vec::new(),
        other_problems: Vec::new(),
    };
    if let Some(contract) = contract {
        let version = match contract.target("the component", component) {
            Ok(version) => {
                if !contract.referenced_versions(component).is_empty() {
                    report.version = Some(version.to_owned());
                }
                version
            }
            Err(error) => {
                report.other_problems.push(error.to_string());
                contract.versions().last().unwrap_or_default()
            }
        };
        if let Some(expected) = contract.world(version) {
            report.world = Some(contract.world_name(version));
            report.exports = exports(expected, (&resolve, world));
        }
    }
    Ok(report)
}

/// Why the host cannot provide the import `key`, found by linking a probe component that
/// imports only it (and what its types need) against the host's linker.
fn import_problem<T: 'static>(
    resolve: &Resolve,
    key: &WorldKey,
    item: &WorldItem,
    component: &Component,
    linker: &Linker<ComponentState<T>>,
) -> Option<String> {
    let WorldItem::Interface { id, .. } = item else {
        return Some("the host provides interfaces, not functions at the root".to_owned());
    };
    let Some(name) = resolve.id_of(*id) else {
        return Some(format!(
            "`{}` is an interface of the component's own; the host provides only named \
             interfaces",
            resolve.name_world_key(key)
        ));
    };
    probe(resolve, &name, component, linker).err()
}

/// Links a component that imports only `interface` against `linker`.
fn probe<T: 'static>(
    resolve: &Resolve,
    interface: &str,
    component: &Component,
    linker: &Linker<ComponentState<T>>,
) -> Result<(), String> {
    let mut resolve = resolve.clone();
    let wit = format!("package plugin-host:probe;\nworld probe {{\n  import {interface};\n}}\n");
    let unexpected = |e| because("cannot check it", e);
    let package = resolve.push_source("probe.wit", &wit).map_err(unexpected)?;
    let world = resolve
        .select_world(&[package], Some("probe"))
        .map_err(unexpected)?;
    let mut module = wit_component::dummy_module(&resolve, world, ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)
        .map_err(unexpected)?;
    let bytes = ComponentEncoder::default()
        .module(&module)
        .and_then(|mut encoder| encoder.encode())
        .map_err(unexpected)?;
    let probe = Component::from_binary(component.engine(), &bytes)
        .map_err(|e| because("cannot check it", e))?;
    linker
        .instantiate_pre(&probe)
        .map(drop)
        .map_err(|e| format!("{e:#}"))
}

/// Each export the `expected` world requires, and what is wrong with the component's (`found`).
fn exports(expected: (&Resolve, WorldId), found: (&Resolve, WorldId)) -> Vec<ItemVerdict> {
    let ((expected, expected_world), (resolve, world)) = (expected, found);
    let found = &resolve.worlds[world].exports;
    expected.worlds[expected_world]
        .exports
        .iter()
        .map(|(key, item)| {
            let name = expected.name_world_key(key);
            let problem = match item {
                WorldItem::Function(wanted) => {
                    let found = found.iter().find_map(|(key, item)| match (key, item) {
                        (WorldKey::Name(n), WorldItem::Function(f)) if *n == name => Some(f),
                        _ => None,
                    });
                    match found {
                        None => Some(format!("missing: {}", signature(expected, wanted))),
                        Some(f) if same_function((expected, wanted), (resolve, f)) => None,
                        Some(f) => Some(format!(
                            "mistyped: expected {}, found {}",
                            signature(expected, wanted),
                            signature(resolve, f)
                        )),
                    }
                }
                WorldItem::Interface { id: wanted, .. } => {
                    let found = found.iter().find_map(|(key, item)| match item {
                        WorldItem::Interface { id, .. } if resolve.name_world_key(key) == name => {
                            Some(*id)
                        }
                        _ => None,
                    });
                    match found {
                        None => Some("missing".to_owned()),
                        Some(found) => interface_problem((expected, *wanted), (resolve, found)),
                    }
                }
                WorldItem::Type { .. } => None,
            };
            ItemVerdict { name, problem }
        })
        .collect()
}

/// What is wrong with an exported interface (`found`) against the one expected (`wanted`):
/// each function it lacks or mistypes, resources' methods included.
fn interface_problem(
    wanted: (&Resolve, InterfaceId),
    found: (&Resolve, InterfaceId),
) -> Option<String> {
    let ((expected, wanted), (resolve, found)) = (wanted, found);
    let found = &resolve.interfaces[found].functions;
    let problems: Vec<String> = expected.interfaces[wanted]
        .functions
        .iter()
        .filter_map(|(name, function)| match found.get(name) {
            None => Some(format!(
                "`{name}` missing: {}",
                signature(expected, function)
            )),
            Some(f) if same_function((expected, function), (resolve, f)) => None,
            Some(f) => Some(format!(
                "`{name}` mistyped: expected {}, found {}",
                signature(expected, function),
                signature(resolve, f)
            )),
        })
        .collect();
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// `what: cause`, with the cause's own causes.
fn because(what: &str, cause: impl std::fmt::Display) -> String {
    format!("{what}: {cause:#}")
}
