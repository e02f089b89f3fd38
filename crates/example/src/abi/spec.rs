//! The example's raw ABI for core modules, declared once: which imports and exports a core plugin
//! has, with which types, and how structs sit in linear memory.

use plugin_host::core_module::signature;
use plugin_host::wasmtime::{ExternType, FuncType, Module, ValType};

use crate::Point;

/// The module name of the host functions a core plugin imports.
pub const IMPORT_MODULE: &str = "env";

/// The name of the linear memory a core plugin exports.
pub const MEMORY: &str = "memory";

/// An optional export: the guest's allocator, with the component model's `cabi_realloc`
/// signature `(old_ptr, old_len, align, new_len) -> ptr`. When present, the host takes its
/// scratch memory from it; when absent, the host grows linear memory by a page of its own.
pub const ALLOCATOR: &str = "cabi_realloc";

/// A wasm number type in a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Num {
    I32,
    I64,
}

impl Num {
    fn matches(self, ty: &ValType) -> bool {
        match self {
            Self::I32 => ty.is_i32(),
            Self::I64 => ty.is_i64(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::I32 => "i32",
            Self::I64 => "i64",
        }
    }
}

/// A function's name and core-wasm signature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signature {
    pub(crate) name: &'static str,
    params: &'static [Num],
    results: &'static [Num],
}

impl Signature {
    const fn new(name: &'static str, params: &'static [Num], results: &'static [Num]) -> Self {
        Self {
            name,
            params,
            results,
        }
    }

    fn matches(&self, ty: &FuncType) -> bool {
        fn same(expected: &[Num], actual: impl ExactSizeIterator<Item = ValType>) -> bool {
            expected.len() == actual.len()
                && expected.iter().zip(actual).all(|(n, t)| n.matches(&t))
        }
        same(self.params, ty.params()) && same(self.results, ty.results())
    }

    fn describe(&self) -> String {
        signature(
            self.params.iter().map(|n| n.name()),
            self.results.iter().map(|n| n.name()),
        )
    }
}

use Num::{I32, I64};

/// The host functions a core plugin may import from [`IMPORT_MODULE`].
pub(crate) const IMPORTS: [Signature; 3] = [
    Signature::new("host_log_value", &[I32], &[]),
    Signature::new("host_get_shared_value", &[], &[I32]),
    Signature::new("host_set_shared_value", &[I32], &[]),
];

/// The functions a core plugin must export. Pointers are `i32` offsets into [`MEMORY`].
pub(crate) const EXPORTS: [Signature; 5] = [
    Signature::new("just_add", &[I64, I64], &[I64]),
    Signature::new("trigger_host_calls", &[I32], &[]),
    // (result, a, b): pointers to `Point`s; see `PointLayout`.
    Signature::new("point_add", &[I32, I32, I32], &[]),
    // Returns a pointer to the plugin's own `i32`.
    Signature::new("get_plugin_shared_value_ptr", &[], &[I32]),
    Signature::new("simple_add", &[I64, I64], &[I64]),
];

/// The allocator's signature, when the module has one.
pub(crate) const ALLOCATOR_SIGNATURE: Signature =
    Signature::new(ALLOCATOR, &[I32, I32, I32, I32], &[I32]);

/// Lists every way `module` misses the ABI: a missing or mistyped required export or memory, a
/// mistyped allocator. Empty when it fits. Imports are checked when the module is linked.
pub(crate) fn check_exports(module: &Module) -> Vec<String> {
    let mut problems = Vec::new();
    match module.get_export(MEMORY) {
        Some(ExternType::Memory(_)) => {}
        Some(other) => problems.push(format!("export `{MEMORY}` is {other:?}, not a memory")),
        None => problems.push(format!("missing export `{MEMORY}` (a memory)")),
    }
    for wanted in &EXPORTS {
        if let Some(problem) = check_func(module, wanted) {
            problems.push(problem);
        }
    }
    if module.get_export(ALLOCATOR).is_some() {
        problems.extend(check_func(module, &ALLOCATOR_SIGNATURE));
    }
    problems
}

fn check_func(module: &Module, wanted: &Signature) -> Option<String> {
    let name = wanted.name;
    let expected = wanted.describe();
    match module.get_export(name) {
        Some(ExternType::Func(ty)) if wanted.matches(&ty) => None,
        Some(ExternType::Func(ty)) => Some(format!(
            "export `{name}` has type {}, expected {expected}",
            signature(ty.params(), ty.results())
        )),
        Some(_) => Some(format!(
            "export `{name}` is not a function, expected {expected}"
        )),
        None => Some(format!("missing export `{name}`: {expected}")),
    }
}

/// How a [`Point`] sits in linear memory: 8 bytes, `x` at offset 0 and `y` at offset 4, each a
/// little-endian `i32`, 4-byte aligned. This is the C layout of `#[repr(C)] struct Point { x:
/// i32, y: i32 }` on wasm32, which is what the guest declares.
pub struct PointLayout;

impl PointLayout {
    /// Size in bytes.
    pub const SIZE: usize = 8;
    /// Alignment in bytes.
    pub const ALIGN: usize = 4;
    /// Offset of `x` in bytes.
    pub const X_OFFSET: usize = 0;
    /// Offset of `y` in bytes.
    pub const Y_OFFSET: usize = 4;

    /// The bytes of `point` as the guest stores it.
    pub fn encode(point: Point) -> [u8; Self::SIZE] {
        let mut bytes = [0; Self::SIZE];
        bytes[Self::X_OFFSET..Self::X_OFFSET + 4].copy_from_slice(&point.x.to_le_bytes());
        bytes[Self::Y_OFFSET..Self::Y_OFFSET + 4].copy_from_slice(&point.y.to_le_bytes());
        bytes
    }

    /// The point stored in `bytes`.
    pub fn decode(bytes: [u8; Self::SIZE]) -> Point {
        let field = |offset: usize| {
            let mut field = [0; 4];
            field.copy_from_slice(&bytes[offset..offset + 4]);
            i32::from_le_bytes(field)
        };
        Point {
            x: field(Self::X_OFFSET),
            y: field(Self::Y_OFFSET),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_layout_round_trips_and_is_little_endian() {
        let point = Point {
            x: -2,
            y: 0x0102_0304,
        };
        let bytes = PointLayout::encode(point);
        assert_eq!(bytes, [0xfe, 0xff, 0xff, 0xff, 0x04, 0x03, 0x02, 0x01]);
        let back = PointLayout::decode(bytes);
        assert_eq!((back.x, back.y), (point.x, point.y));
    }

    #[test]
    fn signatures_describe_like_wasm_tools() {
        assert_eq!(EXPORTS[2].describe(), "(i32, i32, i32) -> ()");
        assert_eq!(IMPORTS[1].describe(), "() -> (i32)");
    }
}
