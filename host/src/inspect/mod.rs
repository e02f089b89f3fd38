//! What a plugin is and whether it fits the host: `plugin-host inspect`, and a check an
//! application can run on a plugin before accepting it.
//!
//! A component's verdict lists each import with whether the host's linker satisfies it, and
//! each export the `plugin` world requires with whether the component has it with the right
//! type; a core module's verdict lists what keeps it from the raw ABI of [`crate::core_module`].
//! A plugin the verdict calls compatible is one [`PluginHost::load`] accepts.
//!
//! [`PluginHost::load`]: crate::PluginHost::load

mod component;
mod core;
mod types;

pub(crate) use component::inspect_component;
pub(crate) use core::inspect_core_module;

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
                .chain(report.other_problem.clone())
                .collect(),
            Self::CoreModule(report) => report.problems.clone(),
        }
    }

    /// Whether [`PluginHost::load`](crate::PluginHost::load) accepts the plugin.
    pub fn is_compatible(&self) -> bool {
        self.problems().is_empty()
    }
}

/// A component inspected against the `plugin` world.
#[derive(Debug, Clone)]
pub struct ComponentReport {
    /// The component's world as WIT, decoded by `wit-component`.
    pub wit: String,
    /// Each interface or function the component imports, with why the host cannot provide it.
    pub imports: Vec<ItemVerdict>,
    /// Each export the `plugin` world requires, with why the component's does not fit.
    pub exports: Vec<ItemVerdict>,
    /// A reason the host refuses the component that is not about one import or export.
    pub other_problem: Option<String>,
}

/// One import or export, and what is wrong with it, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVerdict {
    /// The item's name, e.g. `wasi:cli/stdout@0.2.6` or `point-add`.
    pub name: String,
    /// `None` if it fits; otherwise why not.
    pub problem: Option<String>,
}

/// A core module's imports and exports, and what keeps it from the raw ABI.
#[derive(Debug, Clone)]
pub struct CoreReport {
    /// Each import as `module.name` and its type.
    pub imports: Vec<CoreItem>,
    /// Each export and its type.
    pub exports: Vec<CoreItem>,
    /// Each missing or mistyped export, and each import the host does not provide.
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
