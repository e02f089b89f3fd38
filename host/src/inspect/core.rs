//! Inspecting a core module: its imports and exports with types, and the raw-ABI verdict.

use wasmtime::{Extern, ExternType, Linker, Module};

use super::{CoreItem, CoreReport};
use crate::SharedValue;
use crate::core_module::abi;
use crate::core_module::core_store;
use crate::grants::Policy;
use crate::output::CapturedOutput;
use crate::state::{CoreState, HostState};

/// Inspects `module` against the host's core `linker` and the ABI's required exports. Each
/// import is looked up in the linker on its own, so every missing or mistyped one is listed.
pub(crate) fn inspect_core_module(module: &Module, linker: &Linker<CoreState>) -> CoreReport {
    let policy = Policy::default();
    let host = HostState::new("inspect".into(), SharedValue::default());
    let output = CapturedOutput::new(0);
    let mut problems = Vec::new();
    let mut imports = Vec::new();
    // A store that grants nothing cannot fail to be made; if it did, imports go unchecked.
    let mut store = core_store(module.engine(), host, &output, &policy).ok();
    for import in module.imports() {
        let name = format!("{}.{}", import.module(), import.name());
        let provided = store
            .as_mut()
            .map(|store| (linker.get_by_import(&mut *store, &import), store));
        match (provided, import.ty()) {
            (Some((None, _)), _) => {
                problems.push(format!("import `{name}` is not provided by the host"))
            }
            (Some((Some(Extern::Func(f)), store)), ExternType::Func(wanted))
                if !f.ty(&*store).matches(&wanted) =>
            {
                problems.push(format!(
                    "import `{name}` has type {}, but the host's is {}",
                    describe(&import.ty()),
                    describe(&ExternType::Func(f.ty(&*store)))
                ));
            }
            _ => {}
        }
        imports.push(CoreItem {
            ty: describe(&import.ty()),
            name,
        });
    }
    problems.extend(abi::check_exports(module));
    let exports = module
        .exports()
        .map(|export| CoreItem {
            name: export.name().to_owned(),
            ty: describe(&export.ty()),
        })
        .collect();
    CoreReport {
        imports,
        exports,
        problems,
    }
}

/// `func (i64, i64) -> (i64)`, `memory 17 pages`, `table 1 funcref`, `global i32`.
fn describe(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => format!("func {}", abi::describe(f.params(), f.results())),
        ExternType::Memory(m) => format!("memory {} pages", m.minimum()),
        ExternType::Table(t) => format!("table {} {}", t.minimum(), t.element()),
        ExternType::Global(g) => format!("global {}", g.content()),
        ExternType::Tag(_) => "tag".to_owned(),
    }
}
