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

use wit_parser::{IndexMap, Interface, PackageId, Resolve, WorldId, WorldItem, WorldKey};

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

/// Which item of `interface` (of `old`'s package) is gone or changed in `new`'s, as a prefix
/// for the semver check's reason, which names only the interface: `` `f` changed its type: ``.
fn changed_item(old: (&Version, PackageId), new: (&Version, PackageId), interface: &str) -> String {
    fn find<'a>(
        (version, package): (&'a Version, PackageId),
        interface: &str,
    ) -> (&'a Resolve, &'a Interface) {
        let id = version.resolve.packages[package].interfaces[interface];
        (&version.resolve, &version.resolve.interfaces[id])
    }
    let ((old_resolve, was), (new_resolve, now)) = (find(old, interface), find(new, interface));
    for (name, function) in &was.functions {
        match now.functions.get(name) {
            None => return format!("`{}` is gone; ", wit_name(name)),
            Some(now)
                if !crate::inspect::same_function((old_resolve, function), (new_resolve, now)) =>
            {
                return format!("`{}` changed its type; ", wit_name(name));
            }
            Some(_) => {}
        }
    }
    for name in was.types.keys() {
        if !now.types.contains_key(name) {
            return format!("the type `{name}` is gone; ");
        }
    }
    String::new()
}

/// `0.1` for `0.1.2`, `2` for `2.0.1`: versions wasmtime's linker treats as compatible.
fn semver_line(number: &str) -> String {
    let mut parts = number.split(['.', '-', '+']);
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("0.{minor}"),
        (Some(major), _) => major.to_owned(),
        (None, _) => String::new(),
    }
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
    /// The WIT, as given.
    source: String,
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
                    source: wit.to_owned(),
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

    /// Checks that each version only adds to the version before it in its semver line (`0.1`,
    /// `0.2`, `1`), as a plugin built against the older one needs: every interface of the
    /// package is still there, each with every item it had, unchanged (a newer interface may
    /// add functions and resources); the world imports and exports everything it did, and its
    /// own functions have the types they had. A version that starts a new line (`0.2.0` after
    /// `0.1.2`) may break anything.
    ///
    /// Each interface is checked by `wit_component::semver_check`: a component of the older
    /// interface's shape is instantiated where the newer one's is expected, and wasmparser's
    /// type checker decides.
    ///
    /// # Errors
    /// [`ErrorKind::Contract`] naming the newer version, the item that broke and why.
    pub fn check_growth(&self) -> Result<(), Error> {
        for pair in self.versions.windows(2) {
            let [old, new] = pair else { continue };
            if semver_line(&old.number) == semver_line(&new.number) {
                self.check_pair(old, new)?;
            }
        }
        Ok(())
    }

    /// [`Contract::check_growth`] of `new` over `old`.
    fn check_pair(&self, old: &Version, new: &Version) -> Result<(), Error> {
        let broke = |reason: String| {
            Error::new(ErrorKind::Contract {
                package: format!("{}@{}", self.package, new.number),
                reason: format!("it does not only add to {}: {reason}", old.number),
            })
        };
        let package_of = |version: &Version| {
            let world = &version.resolve.worlds[version.world];
            world.package.expect("a contract's world is in its package")
        };
        let (old_package, new_package) = (package_of(old), package_of(new));
        let interfaces = |version: &Version, package| {
            version.resolve.packages[package]
                .interfaces
                .keys()
                .cloned()
                .collect::<Vec<String>>()
        };
        let new_interfaces = interfaces(new, new_package);
        for interface in interfaces(old, old_package) {
            if !new_interfaces.contains(&interface) {
                return Err(broke(format!("the interface `{interface}` is gone")));
            }
            self.check_interface(old, new, &interface)
                .map_err(|reason| {
                    let item = changed_item((old, old_package), (new, new_package), &interface);
                    broke(format!("the interface `{interface}`: {item}{reason}"))
                })?;
        }
        let (old_world, new_world) = (
            &old.resolve.worlds[old.world],
            &new.resolve.worlds[new.world],
        );
        let names = |resolve: &Resolve, items: &IndexMap<WorldKey, WorldItem>| {
            items
                .keys()
                .map(|key| resolve.name_world_key(key))
                .map(|name| name.split('@').next().unwrap_or(&name).to_owned())
                .collect::<Vec<String>>()
        };
        for (what, old_items, new_items) in [
            ("import", &old_world.imports, &new_world.imports),
            ("export", &old_world.exports, &new_world.exports),
        ] {
            let kept = names(&new.resolve, new_items);
            if let Some(gone) = names(&old.resolve, old_items)
                .into_iter()
                .find(|name| !kept.contains(name))
            {
                return Err(broke(format!("the world no longer {what}s `{gone}`")));
            }
        }
        for (key, item) in &old_world.exports {
            let WorldItem::Function(was) = item else {
                continue;
            };
            let now = new_world.exports.get(key).and_then(|item| match item {
                WorldItem::Function(function) => Some(function),
                _ => None,
            });
            let same = now.is_some_and(|now| {
                crate::inspect::same_function((&old.resolve, was), (&new.resolve, now))
            });
            if !same {
                return Err(broke(format!(
                    "the world's export `{}` changed its type",
                    was.name
                )));
            }
        }
        Ok(())
    }

    /// Whether the interface `interface` of `new` has every item `old`'s has, unchanged:
    /// `wit_component::semver_check` of two worlds that import one each (with what it uses):
    /// a component that imports the older interface is instantiated where the newer one is
    /// provided.
    fn check_interface(&self, old: &Version, new: &Version, interface: &str) -> Result<(), String> {
        let mut resolve = Resolve::default();
        fn reason(error: impl std::fmt::Display) -> String {
            format!("{error:#}")
        }
        for version in [old, new] {
            let name = format!("{}@{}.wit", self.package, version.number);
            resolve.push_str(name, &version.source).map_err(reason)?;
        }
        let mut world = |version: &Version, probe: &str| {
            let wit = format!(
                "package plugin-host:growth@{probe};\nworld growth {{\n  import {}/{interface}@{};\n}}\n",
                self.package, version.number
            );
            let package = resolve
                .push_str(format!("growth@{probe}.wit"), &wit)
                .map_err(reason)?;
            resolve
                .select_world(&[package], Some("growth"))
                .map_err(reason)
        };
        let (old_world, new_world) = (world(old, "0.0.1")?, world(new, "0.0.2")?);
        wit_component::semver_check(resolve, old_world, new_world).map_err(reason)
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

    /// `my:app` at `version`: an interface `api` with `body` in it, a world importing it and
    /// exporting `run`.
    fn api(version: &str, body: &str) -> String {
        format!(
            "package my:app@{version}; interface api {{ {body} }} \
             world app {{ import api; export run: func(); }}"
        )
    }

    fn growth(versions: &[(&str, &str)]) -> Result<(), Error> {
        let sources: Vec<(&str, String)> = versions
            .iter()
            .map(|&(version, body)| (version, api(version, body)))
            .collect();
        let sources: Vec<(&str, &str)> = sources.iter().map(|(v, s)| (*v, s.as_str())).collect();
        Contract::new("my:app", "app", &sources)?.check_growth()
    }

    #[test]
    fn a_version_that_only_adds_passes_the_growth_check() {
        growth(&[
            ("1.0.0", "f: func(a: u32);"),
            (
                "1.1.0",
                "f: func(a: u32); g: func(); resource r { constructor(); }",
            ),
        ])
        .unwrap();
    }

    #[test]
    fn a_changed_or_removed_item_fails_the_growth_check_naming_it() {
        let changed = growth(&[("1.0.0", "f: func(a: u32);"), ("1.1.0", "f: func(a: u64);")])
            .unwrap_err()
            .to_string();

        assert!(
            changed.contains("my:app@1.1.0") && changed.contains("the interface `api`: `f`"),
            "{changed}"
        );
        let removed = growth(&[("1.0.0", "f: func(); g: func();"), ("1.1.0", "f: func();")])
            .unwrap_err()
            .to_string();
        assert!(
            removed.contains("the interface `api`: `g` is gone"),
            "{removed}"
        );
    }

    #[test]
    fn a_new_line_may_break_what_the_old_one_had() {
        growth(&[("1.0.0", "f: func(a: u32);"), ("2.0.0", "f: func(a: u64);")]).unwrap();
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
