//! What the fuzz targets share: hosts under tight limits, components made from WIT, and
//! component values drawn from fuzz input for a given type.

use std::time::Duration;

use arbitrary::{Result, Unstructured};
use plugin_host::wasmtime::component::Val;
use plugin_host::wasmtime::component::types::Type;
use plugin_host::{Allocator, HostConfig, Limits, PluginHost};
use wit_component::{ComponentEncoder, StringEncoding, dummy_module, embed_component_metadata};
use wit_parser::{ManglingAndAbi, Resolve, WorldId};

/// A host whose instances get 10 ms, a million units of fuel and 16 MiB each, with memory
/// mapped per instance (a target that makes a host per input would otherwise reserve a pool
/// each time).
///
/// # Panics
/// If the host cannot be created: the fuzz target cannot run at all.
pub fn host() -> PluginHost<()> {
    let limits = Limits {
        deadline: Duration::from_millis(10),
        fuel: Some(1_000_000),
        memory_bytes: 16 << 20,
        ..Limits::default()
    };
    let config = HostConfig {
        limits,
        allocator: Allocator::OnDemand,
        ..HostConfig::default()
    };
    PluginHost::with_config(config).expect("a host under the fuzz limits")
}

/// A component of `world` in `resolve` whose core module is wit-component's dummy module: it
/// has every import and export the world names, and every export traps.
///
/// # Errors
/// wit-component's reason when it cannot make one.
pub fn dummy_component(resolve: &Resolve, world: WorldId) -> anyhow::Result<Vec<u8>> {
    let mut module = dummy_module(resolve, world, ManglingAndAbi::Standard32);
    embed_component_metadata(&mut module, resolve, world, StringEncoding::UTF8)?;
    ComponentEncoder::default()
        .module(&module)?
        .validate(true)
        .encode()
}

/// A value of type `ty` drawn from `u`, or `None` for a type no value can be written for
/// without an instance (resource handles, streams, futures, error contexts). `depth` bounds
/// the nesting.
///
/// # Errors
/// When `u` runs out of data.
pub fn value(ty: &Type, u: &mut Unstructured<'_>, depth: u32) -> Result<Option<Val>> {
    let nested = |ty: &Type, u: &mut Unstructured<'_>| value(ty, u, depth + 1);
    if depth > 8 {
        return Err(arbitrary::Error::IncorrectFormat);
    }
    Ok(Some(match ty {
        Type::Bool => Val::Bool(u.arbitrary()?),
        Type::S8 => Val::S8(u.arbitrary()?),
        Type::U8 => Val::U8(u.arbitrary()?),
        Type::S16 => Val::S16(u.arbitrary()?),
        Type::U16 => Val::U16(u.arbitrary()?),
        Type::S32 => Val::S32(u.arbitrary()?),
        Type::U32 => Val::U32(u.arbitrary()?),
        Type::S64 => Val::S64(u.arbitrary()?),
        Type::U64 => Val::U64(u.arbitrary()?),
        Type::Float32 => Val::Float32(u.arbitrary()?),
        Type::Float64 => Val::Float64(u.arbitrary()?),
        Type::Char => Val::Char(u.arbitrary()?),
        Type::String => Val::String(u.arbitrary()?),
        Type::List(list) => {
            let len = u.int_in_range(0..=4)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                let Some(item) = nested(&list.ty(), u)? else {
                    return Ok(None);
                };
                items.push(item);
            }
            Val::List(items)
        }
        Type::Record(record) => {
            let mut fields = Vec::new();
            for field in record.fields() {
                let Some(item) = nested(&field.ty, u)? else {
                    return Ok(None);
                };
                fields.push((field.name.to_owned(), item));
            }
            Val::Record(fields)
        }
        Type::Tuple(tuple) => {
            let mut items = Vec::new();
            for ty in tuple.types() {
                let Some(item) = nested(&ty, u)? else {
                    return Ok(None);
                };
                items.push(item);
            }
            Val::Tuple(items)
        }
        Type::Variant(variant) => {
            let cases: Vec<_> = variant.cases().collect();
            let case = u.choose(&cases)?;
            let payload = match &case.ty {
                Some(ty) => match nested(ty, u)? {
                    Some(item) => Some(Box::new(item)),
                    None => return Ok(None),
                },
                None => None,
            };
            Val::Variant(case.name.to_owned(), payload)
        }
        Type::Enum(cases) => {
            let names: Vec<_> = cases.names().collect();
            Val::Enum(u.choose(&names)?.to_string())
        }
        Type::Option(option) => match u.arbitrary::<bool>()? {
            true => match nested(&option.ty(), u)? {
                Some(item) => Val::Option(Some(Box::new(item))),
                None => return Ok(None),
            },
            false => Val::Option(None),
        },
        Type::Result(result) => {
            let ok = u.arbitrary::<bool>()?;
            let ty = if ok { result.ok() } else { result.err() };
            let payload = match ty {
                Some(ty) => match nested(&ty, u)? {
                    Some(item) => Some(Box::new(item)),
                    None => return Ok(None),
                },
                None => None,
            };
            Val::Result(if ok { Ok(payload) } else { Err(payload) })
        }
        Type::Flags(flags) => {
            let mut set = Vec::new();
            for name in flags.names() {
                if u.arbitrary()? {
                    set.push(name.to_owned());
                }
            }
            Val::Flags(set)
        }
        _ => return Ok(None),
    }))
}
