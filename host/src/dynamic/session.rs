//! Calls by name on one instance, kept across calls: the resource handles its calls return,
//! numbered for a later call to pass back or to drop, and `stream<T>` arguments fed from WAVE
//! lists.

use std::fmt;
use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::types::Type;
use wasmtime::component::wasm_wave;
use wasmtime::component::{
    ComponentType, Lift, Lower, ResourceAny, ResourceType, StreamAny, StreamReader, Val,
};

use super::component::{ComponentFunction, type_name};
use super::wave::to_wave_with;
use super::{DynamicComponent, DynamicInstance, WaveCall};
use crate::component::ComponentState;
use crate::{Error, ErrorKind, GuestResource, Transactional, kind};

/// How a WAVE list becomes a `stream<E>` argument of a call by name: `E` from each value,
/// fed to the guest from the host. wasmtime 48 feeds a host stream only of a Rust type
/// (`StreamReader<E>`), so each payload type a host feeds needs one
/// ([`PluginHost::feed_streams`](crate::PluginHost::feed_streams)); the library has one for
/// every number, `bool`, `char` and `string`.
pub struct StreamFeed<T: 'static> {
    make: Arc<FeedFn<T>>,
}

type FeedFn<T> =
    dyn Fn(&mut Store<ComponentState<T>>, &[Val]) -> Option<wasmtime::Result<Val>> + Send + Sync;

impl<T: 'static> Clone for StreamFeed<T> {
    fn clone(&self) -> Self {
        Self {
            make: self.make.clone(),
        }
    }
}

impl<T: 'static> fmt::Debug for StreamFeed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamFeed").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> StreamFeed<T> {
    /// A feed of `E`s made from values with `convert` (`None` for a value that is not one).
    pub fn new<E>(convert: fn(&Val) -> Option<E>) -> Self
    where
        E: ComponentType + Lower + Lift + Send + Sync + Unpin + 'static,
    {
        Self {
            make: Arc::new(move |store, values| {
                let items: Vec<E> = values.iter().map(convert).collect::<Option<_>>()?;
                Some((|| {
                    let reader = StreamReader::new(&mut *store, items)?;
                    Ok(Val::Stream(StreamAny::try_from_stream_reader(
                        &mut *store,
                        reader,
                    )?))
                })())
            }),
        }
    }

    /// The feeds of every number, `bool`, `char` and `string`.
    pub(crate) fn primitives() -> Vec<Self> {
        macro_rules! feeds {
            ($($variant:ident => $ty:ty),* $(,)?) => {
                vec![$(Self::new::<$ty>(|value| match value {
                    Val::$variant(item) => Some(item.clone()),
                    _ => None,
                })),*]
            };
        }
        feeds![
            Bool => bool, U8 => u8, S8 => i8, U16 => u16, S16 => i16, U32 => u32, S32 => i32,
            U64 => u64, S64 => i64, Float32 => f32, Float64 => f64, Char => char,
            String => String,
        ]
    }
}

/// One resource handle a session keeps, numbered by its place.
#[derive(Debug, Clone)]
struct Kept {
    /// The resource's name, `accumulator`.
    resource: String,
    handle: GuestResource,
}

/// An instance of a component for calls by name, kept across calls: what the calls return
/// that WAVE has no syntax for stays usable. A resource handle a call returns is written
/// `<accumulator #1>` (the resource's name and a number) and kept; a later call passes it as
/// an argument with the same text (or `#1`), and [`WaveSession::drop_handle`] drops it. A
/// `stream<T>` argument is written as a WAVE list of `T`s, which the host feeds to the
/// plugin ([`StreamFeed`]). What `plugin-host watch` keeps per plugin.
///
/// A handle belongs to the instance that made it: after a failed call the instance is
/// renewed and its handles answer [`ErrorKind::StaleResource`]. Only top-level arguments are
/// handles and streams; a handle inside a record or list is not written back.
pub struct WaveSession<T: Transactional + Send + 'static> {
    plugin: DynamicComponent<T>,
    instance: DynamicInstance<kind::Component, T>,
    kept: Vec<Option<Kept>>,
}

impl<T: Transactional + Send + 'static> DynamicComponent<T> {
    /// A session on a fresh instance holding `data` ([`WaveSession`]).
    ///
    /// # Errors
    /// As [`Plugin::instantiate`](crate::Plugin::instantiate).
    pub fn session(&self, data: T) -> Result<WaveSession<T>, Error> {
        Ok(WaveSession {
            plugin: self.clone(),
            instance: self.instantiate(data)?,
            kept: Vec::new(),
        })
    }
}

impl<T: Transactional + Send + 'static> WaveSession<T> {
    /// The instance the calls go to.
    pub fn instance(&self) -> &DynamicInstance<kind::Component, T> {
        &self.instance
    }

    /// Text in, text out, as [`DynamicPlugin::call_wave`](super::DynamicPlugin::call_wave),
    /// on the session's instance: handles and streams as [`WaveSession`] says.
    ///
    /// # Errors
    /// Before calling: [`ErrorKind::NoSuchExport`], [`ErrorKind::BadArguments`] (a handle this
    /// session does not hold, or of another resource), [`ErrorKind::StaleResource`], or
    /// [`ErrorKind::Instantiate`]. A failed call is `Ok`, with the error in
    /// [`WaveCall::results`].
    pub fn call_wave(
        &mut self,
        function: &str,
        args: &[impl AsRef<str>],
    ) -> Result<WaveCall, Error> {
        let function = self.plugin.function(function)?;
        let (args, moved) = self.arguments(&function, args)?;
        let results = self
            .instance
            .call_function(&function, &args)
            .map(|results| {
                for number in moved {
                    self.kept[number] = None;
                }
                let types: Vec<Type> = function.ty().results().collect();
                let named = self.keep(&results, &types);
                to_wave_with(&results, &mut |value, out| match value {
                    Val::Resource(handle) => match named.iter().find(|(h, _)| h == handle) {
                        Some((_, text)) => out.push_str(text),
                        None => out.push_str("<borrow>"),
                    },
                    other => wave_unsupported(other, out),
                })
            });
        Ok(WaveCall {
            signature: function.to_string(),
            results,
            output: self.instance.output().clone(),
        })
    }

    /// Drops the handle `text` names (`<accumulator #1>` or `#1`): the plugin's destructor
    /// runs; a stale one is dropped already.
    ///
    /// # Errors
    /// [`ErrorKind::BadArguments`] if the session holds no such handle; as
    /// [`Instance::drop_resource`](crate::Instance::drop_resource).
    pub fn drop_handle(&mut self, text: &str) -> Result<(), Error> {
        let number = self.number(text).map_err(|reason| {
            Error::new(ErrorKind::BadArguments {
                signature: "drop <resource #N>".to_owned(),
                reason,
            })
            .with_plugin(self.plugin.name())
        })?;
        let kept = self.kept[number].take().expect("`number` found it");
        self.instance.drop_resource(kept.handle)
    }

    /// The handles the session holds, as their text (`<accumulator #1>`).
    pub fn handles(&self) -> Vec<String> {
        self.kept
            .iter()
            .enumerate()
            .filter_map(|(index, kept)| Some(handle_text(&kept.as_ref()?.resource, index)))
            .collect()
    }

    /// The place in `kept` of the handle `text` names, or why there is none.
    fn number(&self, text: &str) -> Result<usize, String> {
        let number = parse_handle(text)
            .ok_or_else(|| format!("`{text}` is not a handle (`<resource #N>` or `#N`)"))?;
        match number.checked_sub(1).and_then(|at| self.kept.get(at)) {
            Some(Some(_)) => Ok(number - 1),
            _ => {
                let held = self.handles();
                Err(match held.is_empty() {
                    true => format!("the session holds no handle #{number}, nor any other"),
                    false => format!(
                        "the session holds no handle #{number}; it holds {}",
                        held.join(", ")
                    ),
                })
            }
        }
    }

    /// `args` as values for `function`'s parameters, and the places of the kept handles an
    /// `own` parameter takes (gone from the session once the call succeeds).
    fn arguments(
        &mut self,
        function: &ComponentFunction,
        args: &[impl AsRef<str>],
    ) -> Result<(Vec<Val>, Vec<usize>), Error> {
        let name = function.name().to_owned();
        let bad = |reason: String| {
            Error::new(ErrorKind::BadArguments {
                signature: function.to_string(),
                reason,
            })
            .with_plugin(self.plugin.name())
            .with_export(&name)
        };
        let params: Vec<(String, Type)> = function
            .ty()
            .params()
            .map(|(name, ty)| (name.to_owned(), ty))
            .collect();
        if args.len() != params.len() {
            return Err(bad(format!(
                "{} argument{} given, {} expected",
                args.len(),
                if args.len() == 1 { "" } else { "s" },
                params.len()
            )));
        }
        let resources = self.plugin.resources();
        let mut values = Vec::with_capacity(args.len());
        let mut moved = Vec::new();
        for (position, (arg, (param, ty))) in args.iter().zip(&params).enumerate() {
            let arg = arg.as_ref();
            let at = |reason: String| {
                bad(format!(
                    "argument {} ({param}) `{arg}`: {reason}",
                    position + 1
                ))
            };
            let value = match ty {
                Type::Own(resource) | Type::Borrow(resource) => {
                    let number = self.number(arg).map_err(at)?;
                    let kept = self.kept[number].as_ref().expect("`number` found it");
                    let wanted = resource_name(resource, &resources);
                    if kept.resource != wanted {
                        return Err(at(format!(
                            "it is {}, not a handle to {wanted}",
                            handle_text(&kept.resource, number)
                        )));
                    }
                    let handle = self.instance.resource(&kept.handle)?;
                    if matches!(ty, Type::Own(_)) {
                        moved.push(number);
                    }
                    Val::Resource(handle)
                }
                Type::Stream(stream) => {
                    let Some(payload) = stream.ty() else {
                        return Err(at("a stream without values takes no list".to_owned()));
                    };
                    let items = list_items(arg)
                        .ok_or_else(|| at("a stream argument is a WAVE list: `[a, b]`".to_owned()))?
                        .iter()
                        .map(|item| wasm_wave::from_str::<Val>(&payload, item))
                        .collect::<Result<Vec<Val>, _>>()
                        .map_err(|e| at(e.to_string()))?;
                    let feeds = self.plugin.feeds().to_vec();
                    let fed = self.instance.with_live(|_, store| {
                        feeds.iter().find_map(|feed| (feed.make)(store, &items))
                    })?;
                    match fed {
                        Some(stream) => stream.map_err(|e| at(format!("{e:#}")))?,
                        None => {
                            return Err(at(format!(
                                "the host feeds no stream<{}>: register one with \
                                 PluginHost::feed_streams",
                                type_name(&payload, &resources)
                            )));
                        }
                    }
                }
                ty => wasm_wave::from_str::<Val>(ty, arg).map_err(|e| at(e.to_string()))?,
            };
            values.push(value);
        }
        Ok((values, moved))
    }

    /// Keeps every handle in `results` (of the types `types`), and returns each with its text.
    fn keep(&mut self, results: &[Val], types: &[Type]) -> Vec<(ResourceAny, String)> {
        let resources = self.plugin.resources();
        let mut found = Vec::new();
        for (value, ty) in results.iter().zip(types) {
            handles(value, ty, &mut found);
        }
        found
            .into_iter()
            .map(|(handle, resource)| {
                let name = resource_name(&resource, &resources);
                let text = handle_text(&name, self.kept.len());
                self.kept.push(Some(Kept {
                    resource: name,
                    handle: self.instance.keep(handle),
                }));
                (handle, text)
            })
            .collect()
    }
}

impl<T: Transactional + Send + 'static> fmt::Debug for WaveSession<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaveSession")
            .field("plugin", &self.plugin.name())
            .field("handles", &self.handles())
            .finish_non_exhaustive()
    }
}

/// `<accumulator #1>` for the handle at `index` (numbers count from 1).
fn handle_text(resource: &str, index: usize) -> String {
    format!("<{resource} #{}>", index + 1)
}

/// The number of a handle's text: `<accumulator #1>` or `#1`.
fn parse_handle(text: &str) -> Option<usize> {
    let text = text.trim();
    let inner = text
        .strip_prefix('<')
        .and_then(|text| text.strip_suffix('>'))
        .unwrap_or(text);
    let (_, number) = inner.rsplit_once('#')?;
    number.trim().parse().ok().filter(|&n| n > 0)
}

/// The name `resources` gives `resource`, `_` if none.
fn resource_name(resource: &ResourceType, resources: &[(ResourceType, String)]) -> String {
    resources
        .iter()
        .find(|(ty, _)| ty == resource)
        .map_or_else(|| "_".to_owned(), |(_, name)| name.clone())
}

/// Every `own` handle in `value` (of the type `ty`), with its resource's type.
fn handles(value: &Val, ty: &Type, found: &mut Vec<(ResourceAny, ResourceType)>) {
    match (value, ty) {
        (Val::Resource(handle), Type::Own(resource)) => found.push((*handle, *resource)),
        (Val::List(items), Type::List(list)) => {
            for item in items {
                handles(item, &list.ty(), found);
            }
        }
        (Val::Option(Some(inner)), Type::Option(option)) => handles(inner, &option.ty(), found),
        (Val::Result(Ok(Some(inner))), Type::Result(result)) => {
            if let Some(ty) = result.ok() {
                handles(inner, &ty, found);
            }
        }
        (Val::Result(Err(Some(inner))), Type::Result(result)) => {
            if let Some(ty) = result.err() {
                handles(inner, &ty, found);
            }
        }
        (Val::Tuple(items), Type::Tuple(tuple)) => {
            for (item, ty) in items.iter().zip(tuple.types()) {
                handles(item, &ty, found);
            }
        }
        (Val::Record(fields), Type::Record(record)) => {
            for ((_, value), field) in fields.iter().zip(record.fields()) {
                handles(value, &field.ty, found);
            }
        }
        _ => {}
    }
}

/// The items of a WAVE list written as `[a, b]`, split at its top-level commas (outside
/// brackets, braces, parentheses, strings and characters); `None` if it is not a list.
fn list_items(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut items = Vec::new();
    let (mut depth, mut quote, mut escaped) = (0usize, None, false);
    let mut current = String::new();
    for c in inner.chars() {
        if let Some(q) = quote {
            current.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, c) if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if quote.is_some() || depth != 0 {
        return None;
    }
    let last = current.trim();
    if !last.is_empty() {
        items.push(last.to_owned());
    } else if !items.is_empty() {
        return None;
    }
    Some(items)
}

/// What [`to_wave_with`] writes for a value WAVE has no syntax for, handles aside.
fn wave_unsupported(value: &Val, out: &mut String) {
    super::wave::WaveValue::write_unsupported(value, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_splits_at_its_top_level_commas_only() {
        assert_eq!(
            list_items(r#"[{x: 1, y: 2}, "a,b", 'c', [3, 4]]"#).unwrap(),
            [r#"{x: 1, y: 2}"#, r#""a,b""#, "'c'", "[3, 4]"]
        );
        assert_eq!(list_items("[]").unwrap(), Vec::<String>::new());
        assert_eq!(list_items("[1, ]"), None);
        assert_eq!(list_items("1, 2"), None);
        assert_eq!(list_items("[(1]"), None);
    }

    #[test]
    fn a_handle_is_written_with_its_number_and_read_back() {
        assert_eq!(handle_text("accumulator", 0), "<accumulator #1>");
        assert_eq!(parse_handle("<accumulator #1>"), Some(1));
        assert_eq!(parse_handle("#12"), Some(12));
        assert_eq!(parse_handle("#0"), None);
        assert_eq!(parse_handle("accumulator"), None);
    }
}
