//! Results written as WAVE text, including the values WAVE has no syntax for.

use std::fmt::Write;

use wasmtime::component::wasm_wave::{
    self,
    wasm::{WasmTypeKind, WasmValue},
};

/// A value [`to_wave`] writes: WAVE's [`WasmValue`], and how to write the values WAVE has no
/// syntax for (their kind is [`WasmTypeKind::Unsupported`]). Implemented for component values
/// ([`wasmtime::component::Val`]) and core values ([`wasmtime::Val`]).
pub trait WaveValue: WasmValue {
    /// Writes `self`, a value WAVE cannot write, to `out`: a resource handle as `<resource>`, a
    /// stream as `<stream>`, a core reference as `<funcref>`, and so on.
    fn write_unsupported(&self, out: &mut String);
}

impl WaveValue for wasmtime::component::Val {
    fn write_unsupported(&self, out: &mut String) {
        use wasmtime::component::Val;
        match self {
            Val::Resource(handle) if handle.owned() => out.push_str("<own resource>"),
            Val::Resource(_) => out.push_str("<borrow resource>"),
            Val::Stream(_) => out.push_str("<stream>"),
            Val::Future(_) => out.push_str("<future>"),
            Val::ErrorContext(_) => out.push_str("<error-context>"),
            // A `map<K, V>`, written as the list of its entries.
            Val::Map(entries) => {
                out.push('[');
                for (index, (key, value)) in entries.iter().enumerate() {
                    if index != 0 {
                        out.push_str(", ");
                    }
                    out.push('(');
                    write_value(key, out, &mut Self::write_unsupported);
                    out.push_str(", ");
                    write_value(value, out, &mut Self::write_unsupported);
                    out.push(')');
                }
                out.push(']');
            }
            other => {
                let _ = write!(out, "<{:?}>", other.kind());
            }
        }
    }
}

impl WaveValue for wasmtime::Val {
    fn write_unsupported(&self, out: &mut String) {
        use wasmtime::Val;
        out.push_str(match self {
            Val::FuncRef(_) => "<funcref>",
            Val::ExternRef(_) => "<externref>",
            Val::AnyRef(_) => "<anyref>",
            _ => "<reference>",
        });
    }
}

/// Results as WAVE text: one value as itself, several as a tuple `(a, b)`, none as the empty
/// string. A value WAVE has no syntax for (a resource handle, stream, future or core
/// reference), alone or inside a list, record, variant, option or result, is written as
/// [`WaveValue::write_unsupported`] writes it: `<own resource>`, `[<stream>]`.
pub fn to_wave<V: WaveValue>(results: &[V]) -> String {
    to_wave_with(results, &mut V::write_unsupported)
}

/// As [`to_wave`], with `unsupported` writing the values WAVE has no syntax for.
pub(crate) fn to_wave_with<V: WasmValue>(
    results: &[V],
    unsupported: &mut Unsupported<'_, V>,
) -> String {
    let mut out = String::new();
    let out_ref = &mut out;
    match results {
        [] => {}
        [one] => write_value(one, out_ref, unsupported),
        many => {
            out_ref.push('(');
            write_all(many.iter(), out_ref, unsupported);
            out_ref.push(')');
        }
    }
    out
}

/// What writes a value WAVE has no syntax for.
pub(crate) type Unsupported<'a, V> = dyn FnMut(&V, &mut String) + 'a;

/// Writes `value`: as WAVE writes it when it holds nothing WAVE cannot write, else its parts
/// one by one, in WAVE's syntax for their compound.
fn write_value<V: WasmValue>(value: &V, out: &mut String, unsupported: &mut Unsupported<'_, V>) {
    if writable(value) {
        match wasm_wave::to_string(value) {
            Ok(text) => out.push_str(&text),
            Err(error) => {
                let _ = write!(out, "<{error}>");
            }
        }
        return;
    }
    match value.kind() {
        WasmTypeKind::List | WasmTypeKind::FixedLengthList => {
            out.push('[');
            write_all(value.unwrap_list(), out, unsupported);
            out.push(']');
        }
        WasmTypeKind::Tuple => {
            out.push('(');
            write_all(value.unwrap_tuple(), out, unsupported);
            out.push(')');
        }
        WasmTypeKind::Record => {
            out.push('{');
            for (index, (name, field)) in value.unwrap_record().enumerate() {
                if index != 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{name}: ");
                write_value(&*field, out, unsupported);
            }
            out.push('}');
        }
        WasmTypeKind::Variant => {
            let (case, payload) = value.unwrap_variant();
            // A case named as one of WAVE's keywords is written `%none`, as WAVE writes it.
            if KEYWORDS.contains(&&*case) {
                out.push('%');
            }
            out.push_str(&case);
            write_payload(payload.as_deref(), out, unsupported);
        }
        WasmTypeKind::Option => match value.unwrap_option() {
            Some(inner) => {
                out.push_str("some");
                write_payload(Some(&*inner), out, unsupported);
            }
            None => out.push_str("none"),
        },
        WasmTypeKind::Result => {
            let (case, payload) = match value.unwrap_result() {
                Ok(payload) => ("ok", payload),
                Err(payload) => ("err", payload),
            };
            out.push_str(case);
            write_payload(payload.as_deref(), out, unsupported);
        }
        _ => unsupported(value, out),
    }
}

/// WAVE's keywords, which a variant case of the same name is escaped from.
const KEYWORDS: [&str; 8] = ["true", "false", "inf", "nan", "some", "none", "ok", "err"];

/// Writes `values` separated by `, `.
fn write_all<'a, V: WasmValue + 'a>(
    values: impl Iterator<Item = impl std::ops::Deref<Target = V> + 'a>,
    out: &mut String,
    unsupported: &mut Unsupported<'_, V>,
) {
    for (index, value) in values.enumerate() {
        if index != 0 {
            out.push_str(", ");
        }
        write_value(&*value, out, unsupported);
    }
}

/// Writes a case's payload in parentheses, if it has one.
fn write_payload<V: WasmValue>(
    payload: Option<&V>,
    out: &mut String,
    unsupported: &mut Unsupported<'_, V>,
) {
    if let Some(payload) = payload {
        out.push('(');
        write_value(payload, out, unsupported);
        out.push(')');
    }
}

/// Whether WAVE can write `value` whole: it is, and holds, no value of an unsupported kind.
fn writable<V: WasmValue>(value: &V) -> bool {
    match value.kind() {
        WasmTypeKind::Unsupported => false,
        WasmTypeKind::List | WasmTypeKind::FixedLengthList => {
            value.unwrap_list().all(|item| writable(&*item))
        }
        WasmTypeKind::Tuple => value.unwrap_tuple().all(|item| writable(&*item)),
        WasmTypeKind::Record => value.unwrap_record().all(|(_, field)| writable(&*field)),
        WasmTypeKind::Variant => value.unwrap_variant().1.is_none_or(|item| writable(&*item)),
        WasmTypeKind::Option => value.unwrap_option().is_none_or(|item| writable(&*item)),
        WasmTypeKind::Result => match value.unwrap_result() {
            Ok(item) | Err(item) => item.is_none_or(|item| writable(&*item)),
        },
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::component::Val;

    use super::to_wave;

    #[test]
    fn values_wave_writes_are_written_by_wave() {
        let point = Val::Record(vec![("x".into(), Val::S32(-2)), ("y".into(), Val::S32(1))]);
        assert_eq!(to_wave(std::slice::from_ref(&point)), "{x: -2, y: 1}");
        assert_eq!(to_wave(&[Val::U8(1), point]), "(1, {x: -2, y: 1})");
        assert_eq!(to_wave::<Val>(&[]), "");
    }

    #[test]
    fn values_wave_cannot_write_are_written_in_place_inside_their_compounds() {
        // A `map<string, u8>`, which WAVE has no syntax for.
        let map = || Val::Map(vec![(Val::String("k".into()), Val::U8(1))]);
        let nested = Val::Record(vec![
            ("name".into(), Val::String("a\"b".into())),
            ("items".into(), Val::List(vec![map(), map()])),
            ("maybe".into(), Val::Option(Some(Box::new(map())))),
            ("done".into(), Val::Result(Err(Some(Box::new(map()))))),
            (
                "case".into(),
                Val::Variant("one".into(), Some(Box::new(map()))),
            ),
        ]);
        assert_eq!(
            to_wave(&[nested]),
            r#"{name: "a\"b", items: [[("k", 1)], [("k", 1)]], maybe: some([("k", 1)]), done: err([("k", 1)]), case: one([("k", 1)])}"#
        );
    }
}
