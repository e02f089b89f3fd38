//! A contract that grows: one WIT package served at several versions at once.
//!
//! A host keeps serving plugins built against older versions of its WIT while new plugins use
//! new calls (Zed's extension host serves every version of its extension API the same way). A
//! [`Contract`] holds the WIT of each version the host serves and answers three questions:
//!
//! - which version a component targets ([`Contract::target`]), read from the versions of the
//!   package's interfaces it imports, never from a file name or a flag;
//! - which calls a version has ([`Contract::exports`]) and which version added a call
//!   ([`Contract::since`]), for the typed error a call gets on a plugin whose version lacks it
//!   ([`Contract::not_in_version`]);
//! - what a version's world requires, for [`inspect`](crate::inspect).
//!
//! wasmtime's `Linker` resolves a semver-compatible import by itself (`0.1.0` is served by a
//! `0.1.1` definition), so the host links only the newest version of each compatible line;
//! each version's exports are still checked against that version's own world.

use wit_parser::{Resolve, WorldId, WorldItem, WorldKey};

use crate::dynamic::component::wit_name;
use crate::{Error, ErrorKind};
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

/// One WIT package (`namespace:name`) served at several versions, each with a world of the same
/// name.
#[derive(Debug, Clone)]
pub struct Contract {
    package: String,
    world: String,
    versions: Vec<Version>,
}

/// Every call a world's exports offer, in the WIT's order: its functions by name, then each
/// function of an exported interface as `interface#function` (a resource's as WIT writes
/// them: `shapes#accumulator.new`, `shapes#accumulator.add`).
fn exports(resolve: &Resolve, world: WorldId) -> Vec<String> {
    let exports = &resolve.worlds[world].exports;
    let functions = exports.iter().filter_map(|(key, item)| match (key, item) {
        (WorldKey::Name(name), WorldItem::Function(_)) => Some(name.clone()),
        _ => None,
    });
    let interfaces = exports.iter().flat_map(|(key, item)| {
        let WorldItem::Interface { id, .. } = item else {
            return Vec::new();
        };
        let interface = &resolve.interfaces[*id];
        let name = match key {
            WorldKey::Name(name) => name.clone(),
            WorldKey::Interface(_) => interface.name.clone().unwrap_or_default(),
        };
        interface
            .functions
            .keys()
            .map(|function| format!("{name}#{}", wit_name(function)))
            .collect()
    });
    functions.chain(interfaces).collect()
}

/// `export` as [`Contract::exports`] names it: the interface by its short name, a resource's
/// function as WIT writes it.
fn call_name(export: &str) -> String {
    match export.rsplit_once('#') {
        Some((interface, function)) => {
            let interface = interface.rsplit('/').next().unwrap_or(interface);
            let interface = interface.split('@').next().unwrap_or(interface);
            format!("{interface}#{}", wit_name(function))
        }
        None => export.to_owned(),
    }
}

/// One version of the contract: its WIT, parsed, and the calls its world exports
/// ([`Contract::exports`]).
#[derive(Debug, Clone)]
struct Version {
    number: String,
    resolve: Resolve,
    world: WorldId,
    exports: Vec<String>,
}

impl Contract {
    /// Parses the WIT of each version, oldest first: `(version, WIT source of the package)`.
    /// Each source must declare `package {package}@{version};` and a world named `world`.
    ///
    /// # Errors
    /// [`ErrorKind::Contract`] if a source does not parse, declares another package or version, or
    /// has no such world.
    pub fn new(package: &str, world: &str, versions: &[(&str, &str)]) -> Result<Self, Error> {
        let invalid = |version: &str, reason: String| {
            let package = format!("{package}@{version}");
            Error::new(ErrorKind::Contract { package, reason })
        };
        let versions = versions
            .iter()
            .map(|&(number, wit)| {
                let mut resolve = Resolve::default();
                let id = resolve
                    .push_str(format!("{package}@{number}.wit"), wit)
                    .map_err(|e| invalid(number, format!("{e:#}")))?;
                let declared = resolve.packages[id].name.to_string();
                if declared != format!("{package}@{number}") {
                    return Err(invalid(number, format!("the WIT declares {declared}")));
                }
                let world = resolve
                    .select_world(&[id], Some(world))
                    .map_err(|e| invalid(number, format!("{e:#}")))?;
                let exports = exports(&resolve, world);
                Ok(Version {
                    number: number.to_owned(),
                    resolve,
                    world,
                    exports,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            package: package.to_owned(),
            world: world.to_owned(),
            versions,
        })
    }

    /// The package, `namespace:name`.
    pub fn package(&self) -> &str {
        &self.package
    }

    /// The versions served, oldest first.
    pub fn versions(&self) -> impl Iterator<Item = &str> {
        self.versions.iter().map(|v| v.number.as_str())
    }

    /// The full name of `version`'s world: `my:app/app@1.1.0`.
    pub fn world_name(&self, version: &str) -> String {
        format!("{}/{}@{version}", self.package, self.world)
    }

    /// The calls `version`'s world exports, in the WIT's order: its functions by name, then
    /// each function of an exported interface as `interface#function` (a resource's as WIT
    /// writes them: `shapes#accumulator.new`, `shapes#accumulator.add`); empty for a version
    /// not served.
    pub fn exports(&self, version: &str) -> &[String] {
        self.version(version).map_or(&[], |v| &v.exports)
    }

    /// The first version whose world exports `export`, if any does. `export` is named as
    /// [`Contract::exports`] names it, or as a call by name may: with the interface's full
    /// name (`example:plugin/shapes@0.1.2#closed-path`), or a resource's function as the
    /// component names it (`shapes#[method]accumulator.add`).
    pub fn since(&self, export: &str) -> Option<&str> {
        let export = call_name(export);
        self.versions
            .iter()
            .find(|v| v.exports.contains(&export))
            .map(|v| v.number.as_str())
    }

    /// Whether `version`'s world exports `export` (named as for [`Contract::since`]).
    pub fn has(&self, version: &str, export: &str) -> bool {
        self.exports(version).contains(&call_name(export))
    }

    /// The version of the contract `component` targets: the one version of the package its
    /// imported (or exported) interfaces carry. A component that uses none of the package's
    /// interfaces targets the version whose world's functions it exports the most of, the
    /// oldest on a tie (if it lacks some, loading names them against the smallest world).
    ///
    /// # Errors
    /// [`ErrorKind::MixedVersions`] if its interfaces carry more than one version of the package;
    /// [`ErrorKind::UnservedVersion`] if they carry one this contract does not have. Both list the
    /// versions served.
    pub fn target(&self, plugin: &str, component: &Component) -> Result<&str, Error> {
        let found = self.referenced_versions(component);
        let served = || self.versions().map(str::to_owned).collect();
        match found.as_slice() {
            [] => {
                let engine = component.engine();
                let ty = component.component_type();
                let functions: Vec<&str> = ty
                    .exports(engine)
                    .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
                    .map(|(name, _)| name)
                    .collect();
                Ok(self
                    .versions
                    .iter()
                    .rev()
                    .max_by_key(|v| {
                        let exported = |e: &&String| functions.contains(&e.as_str());
                        v.exports.iter().filter(exported).count()
                    })
                    .map_or("", |v| v.number.as_str()))
            }
            [one] => self
                .versions
                .iter()
                .find(|v| v.number == *one)
                .map(|v| v.number.as_str())
                .ok_or_else(|| {
                    Error::new(ErrorKind::UnservedVersion {
                        package: self.package.clone(),
                        version: one.clone(),
                        served: served(),
                    })
                    .with_plugin(plugin)
                }),
            _ => Err(Error::new(ErrorKind::MixedVersions {
                package: self.package.clone(),
                versions: found,
                served: served(),
            })
            .with_plugin(plugin)),
        }
    }

    /// The versions of the package that `component`'s imported and exported interfaces carry,
    /// in the order they appear (`""` for an interface without a version); empty if it uses
    /// none of the package's interfaces.
    pub fn referenced_versions(&self, component: &Component) -> Vec<String> {
        let engine = component.engine();
        let ty = component.component_type();
        let prefix = format!("{}/", self.package);
        let mut found: Vec<String> = Vec::new();
        for (name, _) in ty.imports(engine).chain(ty.exports(engine)) {
            if let Some(interface) = name.strip_prefix(&prefix) {
                let version = interface.split_once('@').map_or("", |(_, v)| v);
                if !found.iter().any(|v| v == version) {
                    found.push(version.to_owned());
                }
            }
        }
        found
    }

    /// The error for calling `export` on `plugin`, which targets `version`, a version without
    /// it: [`ErrorKind::NotInVersion`], naming the version that added the call.
    pub fn not_in_version(&self, plugin: &str, version: &str, export: &str) -> Error {
        Error::new(ErrorKind::NotInVersion {
            package: self.package.clone(),
            version: version.to_owned(),
            since: self.since(export).map(str::to_owned),
        })
        .with_plugin(plugin)
        .with_export(export)
    }

    /// `version`'s WIT and world, for comparing a component's exports with it.
    pub(crate) fn world(&self, version: &str) -> Option<(&Resolve, WorldId)> {
        self.version(version).map(|v| (&v.resolve, v.world))
    }

    fn version(&self, version: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.number == version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "package my:app@1.0.0; world app { export run: func(); }";
    const V1_1: &str =
        "package my:app@1.1.0; world app { export run: func(); export stop: func(); }";

    fn contract() -> Contract {
        Contract::new("my:app", "app", &[("1.0.0", V1), ("1.1.0", V1_1)]).unwrap()
    }

    #[test]
    fn each_version_lists_its_calls_and_each_call_its_first_version() {
        let contract = contract();
        assert_eq!(contract.versions().collect::<Vec<_>>(), ["1.0.0", "1.1.0"]);
        assert_eq!(contract.exports("1.1.0"), ["run", "stop"]);
        assert_eq!(contract.since("run"), Some("1.0.0"));
        assert_eq!(contract.since("stop"), Some("1.1.0"));
        assert_eq!(contract.since("start"), None);
        assert!(!contract.has("1.0.0", "stop"));
        assert_eq!(contract.world_name("1.1.0"), "my:app/app@1.1.0");
    }

    #[test]
    fn a_source_of_another_version_is_refused() {
        let error = Contract::new("my:app", "app", &[("2.0.0", V1)]).unwrap_err();
        assert!(
            error.to_string().contains("my:app@2.0.0") && format!("{error}").contains("1.0.0"),
            "{error}"
        );
    }

    #[test]
    fn the_missing_call_names_the_version_that_added_it() {
        let error = contract().not_in_version("old.wasm", "1.0.0", "stop");
        assert_eq!(
            error.to_string(),
            "plugin old.wasm targets my:app@1.0.0, which has no `stop`: it was added in 1.1.0"
        );
    }
}
