//! Inspecting a core module: its imports and exports with types, each import checked against
//! the host's linker.

use wasm_encoder::{EntityType, ImportSection, Module as Encoder, TypeSection};
use wasmtime::{ExternType, Linker, Module, RefType, ValType};

use super::{CoreItem, CoreReport};
use crate::core_module::{CoreState, signature};

/// Lists `module`'s imports and exports. Each import is linked on its own against the host's
/// core `linker` (through a probe module that imports only it), so every missing or mistyped
/// one is named, with wasmtime's reason.
pub(crate) fn inspect_core_module<T: 'static>(
    module: &Module,
    linker: &Linker<CoreState<T>>,
) -> CoreReport {
    let mut problems = Vec::new();
    let mut imports = Vec::new();
    for import in module.imports() {
        let name = format!("{}.{}", import.module(), import.name());
        let ty = import.ty();
        if let Some(bytes) = probe(import.module(), import.name(), &ty) {
            let linked = Module::from_binary(module.engine(), &bytes)
                .and_then(|probe| linker.instantiate_pre(&probe).map(drop));
            if let Err(error) = linked {
                problems.push(format!("import `{name}`: {error:#}"));
            }
        }
        imports.push(CoreItem {
            ty: describe(&ty),
            name,
        });
    }
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

/// A module that imports only `module.name` of type `ty`; `None` for kinds of import the probe
/// does not cover (tags, and types beyond numbers and the two plain reference types).
fn probe(module: &str, name: &str, ty: &ExternType) -> Option<Vec<u8>> {
    let mut types = TypeSection::new();
    let entity = match ty {
        ExternType::Func(func) => {
            let params = func
                .params()
                .map(|t| val_type(&t))
                .collect::<Option<Vec<_>>>()?;
            let results = func
                .results()
                .map(|t| val_type(&t))
                .collect::<Option<Vec<_>>>()?;
            types.ty().function(params, results);
            EntityType::Function(0)
        }
        ExternType::Memory(memory) => EntityType::Memory(wasm_encoder::MemoryType {
            minimum: memory.minimum(),
            maximum: memory.maximum(),
            memory64: memory.is_64(),
            shared: memory.is_shared(),
            page_size_log2: None,
        }),
        ExternType::Global(global) => EntityType::Global(wasm_encoder::GlobalType {
            val_type: val_type(global.content())?,
            mutable: global.mutability() == wasmtime::Mutability::Var,
            shared: false,
        }),
        ExternType::Table(table) => EntityType::Table(wasm_encoder::TableType {
            element_type: ref_type(table.element())?,
            minimum: table.minimum(),
            maximum: table.maximum(),
            table64: table.is_64(),
            shared: false,
        }),
        ExternType::Tag(_) => return None,
    };
    let mut imports = ImportSection::new();
    imports.import(module, name, entity);
    let mut encoder = Encoder::new();
    encoder.section(&types).section(&imports);
    Some(encoder.finish())
}

fn val_type(ty: &ValType) -> Option<wasm_encoder::ValType> {
    Some(match ty {
        ValType::I32 => wasm_encoder::ValType::I32,
        ValType::I64 => wasm_encoder::ValType::I64,
        ValType::F32 => wasm_encoder::ValType::F32,
        ValType::F64 => wasm_encoder::ValType::F64,
        ValType::V128 => wasm_encoder::ValType::V128,
        ValType::Ref(reference) => wasm_encoder::ValType::Ref(ref_type(reference)?),
    })
}

fn ref_type(ty: &RefType) -> Option<wasm_encoder::RefType> {
    let nullable = ty.is_nullable();
    match ty.heap_type() {
        wasmtime::HeapType::Func if nullable => Some(wasm_encoder::RefType::FUNCREF),
        wasmtime::HeapType::Extern if nullable => Some(wasm_encoder::RefType::EXTERNREF),
        _ => None,
    }
}

/// `func (i64, i64) -> (i64)`, `memory 17 pages`, `table 1 funcref`, `global i32`.
fn describe(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => format!("func {}", signature(f.params(), f.results())),
        ExternType::Memory(m) => format!("memory {} pages", m.minimum()),
        ExternType::Table(t) => format!("table {} {}", t.minimum(), t.element()),
        ExternType::Global(g) => format!("global {}", g.content()),
        ExternType::Tag(_) => "tag".to_owned(),
    }
}
