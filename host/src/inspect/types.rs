//! Comparing and writing WIT types across two `Resolve`s: the world the host expects and the
//! one a component was decoded into.

use wit_component::WitPrinter;
use wit_parser::{Function, Handle, Resolve, Type, TypeDefKind, TypeId, TypeOwner};

/// A type in a `Resolve`.
#[derive(Clone, Copy)]
pub(crate) struct Typed<'a> {
    pub(crate) resolve: &'a Resolve,
    pub(crate) ty: &'a Type,
}

impl<'a> Typed<'a> {
    fn with(self, ty: &'a Type) -> Self {
        Self { ty, ..self }
    }

    /// The type behind any aliases (`type a = b`).
    fn unaliased(self) -> Self {
        let mut ty = self.ty;
        while let Type::Id(id) = ty {
            match &self.resolve.types[*id].kind {
                TypeDefKind::Type(inner) => ty = inner,
                _ => break,
            }
        }
        self.with(ty)
    }
}

/// Whether two types are the same in the component model's terms: structurally, with field,
/// case and flag names, but not type names.
pub(crate) fn same(a: Typed<'_>, b: Typed<'_>) -> bool {
    let (a, b) = (a.unaliased(), b.unaliased());
    let (Type::Id(ia), Type::Id(ib)) = (a.ty, b.ty) else {
        return a.ty == b.ty;
    };
    let both = |x: &Type, y: &Type| same(a.with(x), b.with(y));
    let both_optional = |x: &Option<Type>, y: &Option<Type>| match (x, y) {
        (Some(x), Some(y)) => both(x, y),
        (None, None) => true,
        _ => false,
    };
    match (&a.resolve.types[*ia].kind, &b.resolve.types[*ib].kind) {
        (TypeDefKind::Record(x), TypeDefKind::Record(y)) => {
            x.fields.len() == y.fields.len()
                && x.fields
                    .iter()
                    .zip(&y.fields)
                    .all(|(x, y)| x.name == y.name && both(&x.ty, &y.ty))
        }
        (TypeDefKind::Tuple(x), TypeDefKind::Tuple(y)) => {
            x.types.len() == y.types.len() && x.types.iter().zip(&y.types).all(|(x, y)| both(x, y))
        }
        (TypeDefKind::Flags(x), TypeDefKind::Flags(y)) => x
            .flags
            .iter()
            .map(|f| &f.name)
            .eq(y.flags.iter().map(|f| &f.name)),
        (TypeDefKind::Enum(x), TypeDefKind::Enum(y)) => x
            .cases
            .iter()
            .map(|c| &c.name)
            .eq(y.cases.iter().map(|c| &c.name)),
        (TypeDefKind::Variant(x), TypeDefKind::Variant(y)) => {
            x.cases.len() == y.cases.len()
                && x.cases
                    .iter()
                    .zip(&y.cases)
                    .all(|(x, y)| x.name == y.name && both_optional(&x.ty, &y.ty))
        }
        (TypeDefKind::Option(x), TypeDefKind::Option(y))
        | (TypeDefKind::List(x), TypeDefKind::List(y)) => both(x, y),
        (TypeDefKind::Result(x), TypeDefKind::Result(y)) => {
            both_optional(&x.ok, &y.ok) && both_optional(&x.err, &y.err)
        }
        (TypeDefKind::FixedLengthList(x, n), TypeDefKind::FixedLengthList(y, m)) => {
            n == m && both(x, y)
        }
        (TypeDefKind::Map(xk, xv), TypeDefKind::Map(yk, yv)) => both(xk, yk) && both(xv, yv),
        (TypeDefKind::Future(x), TypeDefKind::Future(y))
        | (TypeDefKind::Stream(x), TypeDefKind::Stream(y)) => both_optional(x, y),
        (TypeDefKind::Handle(Handle::Own(x)), TypeDefKind::Handle(Handle::Own(y)))
        | (TypeDefKind::Handle(Handle::Borrow(x)), TypeDefKind::Handle(Handle::Borrow(y))) => {
            same_resource((a.resolve, *x), (b.resolve, *y))
        }
        (TypeDefKind::Resource, TypeDefKind::Resource) => {
            same_resource((a.resolve, *ia), (b.resolve, *ib))
        }
        _ => false,
    }
}

/// Whether two resource types are the same resource: of the same name, in interfaces of the
/// same name (a resource is nominal, and both sides name the contract's own).
fn same_resource(a: (&Resolve, TypeId), b: (&Resolve, TypeId)) -> bool {
    let resource = |(resolve, mut id): (&Resolve, TypeId)| {
        // Through `use` aliases, to the resource itself.
        while let TypeDefKind::Type(Type::Id(inner)) = resolve.types[id].kind {
            id = inner;
        }
        let ty = &resolve.types[id];
        let interface = match ty.owner {
            TypeOwner::Interface(interface) => resolve.interfaces[interface].name.clone(),
            _ => None,
        };
        (ty.name.clone(), interface)
    };
    resource(a) == resource(b)
}

/// Whether two functions have the same parameter and result types (parameter names aside).
pub(crate) fn same_function(a: (&Resolve, &Function), b: (&Resolve, &Function)) -> bool {
    let ((ra, fa), (rb, fb)) = (a, b);
    let typed = |resolve, ty| Typed { resolve, ty };
    fa.params.len() == fb.params.len()
        && fa
            .params
            .iter()
            .zip(&fb.params)
            .all(|(x, y)| same(typed(ra, &x.ty), typed(rb, &y.ty)))
        && match (&fa.result, &fb.result) {
            (Some(x), Some(y)) => same(typed(ra, x), typed(rb, y)),
            (None, None) => true,
            _ => false,
        }
}

/// A function's signature in WIT, e.g. `func(a: point, b: point) -> point`.
pub(crate) fn signature(resolve: &Resolve, function: &Function) -> String {
    let name = |ty: &Type| {
        let mut printer = WitPrinter::default();
        match printer.print_type_name(resolve, ty) {
            Ok(()) => printer.output.to_string(),
            Err(_) => "?".to_owned(),
        }
    };
    let params: Vec<String> = function
        .params
        .iter()
        .map(|param| format!("{}: {}", param.name, name(&param.ty)))
        .collect();
    let result = function
        .result
        .as_ref()
        .map(|ty| format!(" -> {}", name(ty)))
        .unwrap_or_default();
    format!("func({}){result}", params.join(", "))
}
