//! What a plugin is and whether it fits the host: a check an application can run on a plugin
//! before accepting it, or show to the plugin's author ([`PluginHost::inspect`]).
//!
//! A component's report has its WIT, each import with whether the host's linker satisfies it
//! and, given a [`Contract`](crate::contract::Contract), the version it targets and each export
//! that version's world requires with whether the component has it with the right type. A core
//! module's report lists its imports (each checked against the host's linker on its own) and
//! exports. The application adds its own verdict ([`Inspection::add_problems`]: what loading
//! the plugin its way says, or its core ABI's check), so that a plugin the report calls
//! compatible is one the application accepts.
//!
//! [`PluginHost::inspect`]: crate::PluginHost::inspect

mod component;
mod core;
mod types;

pub(crate) use component::inspect_component;
pub(crate) use core::inspect_core_module;
pub(crate) use types::same_function;

/// A plugin inspected: what it is, and whether it fits.
#[derive(Debug, Clone)]
pub enum Inspection {
    /// A component.
    Component(ComponentReport),
    /// A core module.
    CoreModule(CoreReport),
}

impl Inspection {
    /// Everything that keeps the plugin from loading; empty if it is compatible.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::Component(report) => report
                .imports
                .iter()
                .chain(&report.exports)
                .filter_map(|item| {
                    let problem = item.problem.as_ref()?;
                    Some(format!("{}: {problem}", item.name))
                })
                .chain(report.other_problems.iter().cloned())
                .collect(),
            Self::CoreModule(report) => report.problems.clone(),
        }
    }

    /// Adds problems the application found itself, such as what loading the plugin its way
    /// said. Problems already in the report are not added twice.
    pub fn add_problems(&mut self, problems: impl IntoIterator<Item = String>) {
        let list = match self {
            Self::Component(report) => &mut report.other_problems,
            Self::CoreModule(report) => &mut report.problems,
        };
        for problem in problems {
            if !list.contains(&problem) {
                list.push(problem);
            }
        }
    }

    /// Whether [`PluginHost::load`](crate::PluginHost::load) accepts the plugin.
    pub fn is_compatible(&self) -> bool {
        self.problems().is_empty()
    }
}

/// A component inspected against the host's linker and contract.
#[derive(Debug, Clone)]
pub struct ComponentReport {
    /// The component's world as WIT, decoded by `wit-component`.
    pub wit: String,
    /// The contract version the component targets, when one was given and the component's
    /// imports tell a served version.
    pub version: Option<String>,
    /// The world its exports were compared with (`my:app/app@1.1.0`), when a
    /// contract was given: the targeted version's; for a component that uses none of the
    /// contract's interfaces, the version's whose functions it exports the most of; for one
    /// that targets a version not served, the newest.
    pub world: Option<String>,
    /// Each interface or function the component imports, with why the host cannot provide it.
    pub imports: Vec<ItemVerdict>,
    /// Each export [`ComponentReport::world`] requires, with why the component's does not fit.
    pub exports: Vec<ItemVerdict>,
    /// Reasons the host refuses the component that are not about one import or export.
    pub other_problems: Vec<String>,
}

impl ComponentReport {
    /// The calls the component offers: the exports of its world it has with the right type.
    pub fn offers(&self) -> Vec<&str> {
        self.exports
            .iter()
            .filter(|export| export.problem.is_none())
            .map(|export| export.name.as_str())
            .collect()
    }
}

/// One import or export, and what is wrong with it, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVerdict {
    /// The item's name, e.g. `wasi:cli/stdout@0.2.6` or `point-add`.
    pub name: String,
    /// `None` if it fits; otherwise why not.
    pub problem: Option<String>,
}

/// A core module's imports and exports, and what keeps it from loading.
#[derive(Debug, Clone)]
pub struct CoreReport {
    /// Each import as `module.name` and its type.
    pub imports: Vec<CoreItem>,
    /// Each export and its type.
    pub exports: Vec<CoreItem>,
    /// Each import the host does not provide (or provides with another type), and what the
    /// application added ([`Inspection::add_problems`]).
    pub problems: Vec<String>,
}

/// One import or export of a core module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreItem {
    /// `module.name` for an import, the name for an export.
    pub name: String,
    /// Its type: `func (i64, i64) -> i64`, `memory 17 pages`, `table 1 funcref`, `global i32`.
    pub ty: String,
}
