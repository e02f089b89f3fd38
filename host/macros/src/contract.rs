//! `plugin_host::contract!`: a contract served at several versions, generated from the list of
//! its versions.
//!
//! For each version the macro reads the version's WIT folder and emits a module of bindings
//! (through `plugin_host::bindgen!`); the newest version of each semver line (`0.1`, `0.2`,
//! `1`) has the full bindings, whose imports the application implements and links, and every
//! older version of the line takes its imported interfaces from that newest one (`with`), as
//! wasmtime's linker serves an older import from the newest compatible definition. A version
//! whose world uses the component model's async ABI (an `async func`, a `stream` or a
//! `future`) gets concurrent export bindings (`exports: { default: async | store }`), called
//! with `Instance::call_concurrent`.
//!
//! Beside the modules: the version list with each version's WIT, an enum over the plugins of
//! every version and one over their instances, the dispatch from the version a component
//! targets to its bindings, and `versioned_call!`, which calls an export on whichever
//! version an instance is of and answers `NotInVersion` on a version without it. Everything
//! per version is generated from the list, so a version cannot be half added.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use heck::ToSnakeCase;
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::LitStr;
use wit_parser::{Function, Resolve, Type, TypeDefKind, WorldId, WorldItem, WorldKey};

use crate::wit_name::wit_name;
use crate::{braced, error};

/// One version of the contract, as read from its folder.
struct Version {
    number: String,
    /// `v0_1_2`.
    module: proc_macro2::Ident,
    /// The semver line: `0.1` below 1.0, the major version from 1.0 on.
    line: String,
    /// The folder, relative to the crate's `Cargo.toml`, as the options gave it.
    folder: String,
    /// The WIT file in it, absolute, for `include_str!`.
    file: PathBuf,
    /// The interfaces of the package the world imports: (name, bindgen module path).
    imported_interfaces: Vec<String>,
    /// Every export a call can name: `name` for a function of the world, `interface#name` for
    /// one of an exported interface (resource functions as WIT writes them:
    /// `shapes#accumulator.add`).
    exports: Vec<String>,
    /// Whether the world uses the component model's async ABI.
    concurrent: bool,
}

/// The options the macro reads; every other one goes to each version's `bindgen!`.
struct Options {
    package: String,
    world: String,
    path: String,
    versions: Vec<String>,
    /// `imports`, passed to the full bindings only (an older version's imports are the
    /// newest's).
    full_only: Vec<TokenStream>,
    /// `with`'s entries, `"key": path`: to the full bindings only; one whose key names a
    /// version (`"my:app/types@2.0.0"`) to that version's alone.
    with: Vec<(String, TokenStream)>,
    /// Every other option, passed to every version.
    passthrough: Vec<TokenStream>,
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let options = read_options(braced(input, "contract")?)?;
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| error(e.to_string()))?);
    let versions = options
        .versions
        .iter()
        .map(|number| read_version(&root, &options, number))
        .collect::<Result<Vec<_>, String>>()
        .map_err(error)?;
    if versions.is_empty() {
        return Err(error("a contract needs at least one version".to_owned()));
    }
    let newest_of_line: BTreeMap<&str, &Version> = versions
        .iter()
        .map(|version| (version.line.as_str(), version))
        .collect();
    for (key, _) in &options.with {
        if let Some(version) = key_version(key)
            && !newest_of_line
                .values()
                .any(|newest| newest.number == version)
        {
            return Err(error(format!(
                "the `with` key `{key}` names {version}, which is not the newest version of its \
                 line: only those have bindings of their own"
            )));
        }
    }

    let modules = versions.iter().map(|version| {
        let newest = newest_of_line[version.line.as_str()];
        module(&options, version, newest)
    });
    let latest = &versions.last().expect("not empty").module;
    let lines = newest_of_line.iter().map(|(line, newest)| {
        let alias = format_ident!("line_{}", line.replace('.', "_"));
        let module = &newest.module;
        let doc = format!(
            "The newest version of the {line} line, `{}`: whose imports the host implements and \
             links for every plugin of the line, and whose types are the line's.",
            newest.number
        );
        quote! {
            #[doc = #doc]
            pub use #module as #alias;
        }
    });
    let package = &options.package;
    let world = &options.world;
    let count = versions.len();
    let version_entries = versions.iter().map(|v| {
        let module = &v.module;
        quote!((#module::VERSION, #module::WIT))
    });
    let dispatch = dispatch(&options, &versions);
    Ok(quote! {
        #(#modules)*

        /// The newest version's bindings.
        pub use #latest as latest;

        #(#lines)*

        /// The contract's package, `namespace:name`.
        pub const PACKAGE: &str = #package;

        /// The contract's world, the same name at every version.
        pub const WORLD: &str = #world;

        /// Every version served, oldest first, with its WIT: what [`contract`] parses.
        pub const VERSIONS: [(&str, &str); #count] = [#(#version_entries),*];

        /// The contract, parsed from the WIT the crate was built with.
        ///
        /// # Errors
        /// [`ErrorKind::Contract`](::plugin_host::ErrorKind::Contract) if that WIT is not what
        /// [`VERSIONS`] says.
        pub fn contract() -> ::core::result::Result<::plugin_host::contract::Contract, ::plugin_host::Error> {
            ::plugin_host::contract::Contract::new(PACKAGE, WORLD, &VERSIONS)
        }

        #dispatch
    })
}

/// The module of one version's bindings.
fn module(options: &Options, version: &Version, newest: &Version) -> TokenStream {
    let Version {
        number,
        module,
        folder,
        file,
        concurrent,
        ..
    } = version;
    let file = file.display().to_string();
    let world = format!("{}/{}@{number}", options.package, options.world);
    let mut bindgen = vec![quote!(world: #world), quote!(path: #folder)];
    bindgen.extend(options.passthrough.iter().cloned());
    if *concurrent
        && !options
            .passthrough
            .iter()
            .any(|o| starts_with(o, "exports"))
    {
        bindgen.push(quote!(exports: { default: async | store }));
    }
    let newest_module = &newest.module;
    if version.number == newest.number {
        bindgen.extend(options.full_only.iter().cloned());
        let entries = options
            .with
            .iter()
            .filter(|(key, _)| key_version(key).is_none_or(|v| v == version.number))
            .map(|(key, path)| quote!(#key: #path));
        let entries: Vec<_> = entries.collect();
        if !entries.is_empty() {
            bindgen.push(quote!(with: { #(#entries),* }));
        }
    } else {
        let entries = version.imported_interfaces.iter().map(|interface| {
            let key = format!("{}/{interface}@{number}", options.package);
            let path = interface_path(&options.package, interface);
            quote!(#key: super::#newest_module::#path)
        });
        bindgen.push(quote!(with: { #(#entries),* }));
    }
    let doc = format!(
        "`{}@{number}`: the bindings of its world, `{world}`.",
        options.package
    );
    quote! {
        #[doc = #doc]
        #[allow(missing_docs, reason = "generated code; the WIT documents it")]
        pub mod #module {
            /// The version this module binds.
            pub const VERSION: &str = #number;
            /// The version's WIT.
            pub const WIT: &str = include_str!(#file);
            /// Whether the version's world uses the component model's async ABI: its exports
            /// are called with `Instance::call_concurrent`, and its plugins need a host with
            /// `HostConfig::component_model_async`.
            pub const CONCURRENT: bool = #concurrent;
            ::plugin_host::bindgen!({ #(#bindgen),* });
        }
    }
}

/// `example::plugin::host` for the interface `host` of `example:plugin`: where `bindgen!`
/// puts an imported interface's bindings.
fn interface_path(package: &str, interface: &str) -> TokenStream {
    let (namespace, name) = package.split_once(':').unwrap_or(("", package));
    let parts = [namespace, name, interface].map(|part| format_ident!("{}", part.to_snake_case()));
    quote!(#(#parts)::*)
}

/// The enums over every version's plugins and instances, and `versioned_call!`.
fn dispatch(options: &Options, versions: &[Version]) -> TokenStream {
    let package = &options.package;
    let variants: Vec<_> = versions
        .iter()
        .map(|v| format_ident!("V{}", v.number.replace(['.', '-', '+'], "_")))
        .collect();
    let modules: Vec<_> = versions.iter().map(|v| &v.module).collect();
    let world = crate::world_type(&options.world);
    let numbers: Vec<_> = versions.iter().map(|v| v.number.as_str()).collect();
    let docs = numbers
        .iter()
        .map(|n| format!("A plugin of {package}@{n}."));
    let instance_docs = numbers
        .iter()
        .map(|n| format!("An instance of a plugin of {package}@{n}."));

    // One arm of `versioned_call!` per export: the versions that have it, called the way
    // their bindings are.
    let mut exports: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, version) in versions.iter().enumerate() {
        for export in &version.exports {
            exports.entry(export).or_default().push(index);
        }
    }
    // A list argument is a slice in plain bindings and a `Vec` in concurrent ones: the same
    // closure body serves both with `.into()`, which is the identity in the plain arm.
    let allow = quote! {
        #[allow(clippy::useless_conversion, reason = "`.into()` is for the other versions' arms")]
    };
    let call_arms = exports.iter().map(|(export, having)| {
        let since = &versions[having[0]].number;
        let arms = having.iter().map(|&index| {
            let variant = &variants[index];
            match versions[index].concurrent {
                false => quote! {
                    #allow
                    VersionedInstance::#variant(instance) => instance.call(#export, |$plugin, $store| $body)
                },
                true => quote! {
                    #allow
                    VersionedInstance::#variant(instance) => {
                        instance.call_concurrent(#export, async |$plugin, $store| $body.await)
                    }
                },
            }
        });
        let async_arms = having.iter().map(|&index| {
            let variant = &variants[index];
            match versions[index].concurrent {
                false => quote! {
                    #allow
                    VersionedInstance::#variant(instance) => instance.call(#export, async |$plugin, $store| $body.await).await
                },
                true => quote! {
                    #allow
                    VersionedInstance::#variant(instance) => {
                        instance.call_concurrent(#export, async |$plugin, $store| $body.await).await
                    }
                },
            }
        });
        let wildcard = match having.len() == versions.len() {
            true => quote!(),
            false => quote!(other => ::core::result::Result::Err(other.not_in_version(#export, #since)),),
        };
        quote! {
            ($instance:expr, #export, |$plugin:ident, $store:ident| $body:expr) => {
                match $instance {
                    #(#arms,)*
                    #wildcard
                }
            };
            (async $instance:expr, #export, |$plugin:ident, $store:ident| $body:expr) => {
                match $instance {
                    #(#async_arms,)*
                    #wildcard
                }
            };
        }
    });

    quote! {
        /// A component plugin of any served version, checked against its version's world.
        /// Cheap to clone and to share across threads.
        pub enum VersionedPlugin<T: 'static, M: ::plugin_host::Mode = ::plugin_host::Blocking> {
            #(
                #[doc = #docs]
                #variants(::plugin_host::component::ComponentPlugin<#modules::#world, T, M>),
            )*
        }

        /// An instance of a [`VersionedPlugin`]: call its exports with `versioned_call!`.
        pub enum VersionedInstance<T: 'static, M: ::plugin_host::Mode = ::plugin_host::Blocking>
        where
            T: ::plugin_host::Transactional + ::core::marker::Send,
        {
            #(
                #[doc = #instance_docs]
                #variants(::plugin_host::component::ComponentInstance<#modules::#world, T, M>),
            )*
        }

        impl<T: 'static, M: ::plugin_host::Mode> ::core::clone::Clone for VersionedPlugin<T, M> {
            fn clone(&self) -> Self {
                match self {
                    #(Self::#variants(plugin) => Self::#variants(plugin.clone()),)*
                }
            }
        }

        impl<T: 'static, M: ::plugin_host::Mode> ::core::fmt::Debug for VersionedPlugin<T, M> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #(Self::#variants(plugin) => ::core::fmt::Debug::fmt(plugin, f),)*
                }
            }
        }

        impl<T, M> ::core::fmt::Debug for VersionedInstance<T, M>
        where
            T: ::plugin_host::Transactional + ::core::marker::Send + 'static,
            M: ::plugin_host::Mode,
        {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #(Self::#variants(instance) => ::core::fmt::Debug::fmt(instance, f),)*
                }
            }
        }

        impl<T, M> VersionedPlugin<T, M>
        where
            T: ::plugin_host::Transactional + ::core::marker::Send + 'static,
            M: ::plugin_host::Mode,
        {
            /// Checks `compiled` against the world of the version it targets
            /// ([`Contract::target`](::plugin_host::contract::Contract::target), which reads
            /// it from the versions of the interfaces it imports and exports) and pre-links
            /// it.
            ///
            /// # Errors
            /// [`ErrorKind::WrongKind`](::plugin_host::ErrorKind::WrongKind) for a core module;
            /// as [`Contract::target`](::plugin_host::contract::Contract::target) and
            /// [`PluginHost::component`](::plugin_host::PluginHost::component).
            pub fn new(
                host: &::plugin_host::PluginHost<T, M>,
                contract: &::plugin_host::contract::Contract,
                compiled: &::plugin_host::Compiled,
            ) -> ::core::result::Result<Self, ::plugin_host::Error> {
                let version = contract.target(compiled.name(), compiled.as_component()?)?;
                match version {
                    #(#numbers => ::core::result::Result::Ok(Self::#variants(host.component(compiled)?)),)*
                    other => ::core::result::Result::Err(
                        ::plugin_host::Error::new(::plugin_host::ErrorKind::UnservedVersion {
                            package: PACKAGE.to_owned(),
                            version: other.to_owned(),
                            served: contract.versions().map(str::to_owned).collect(),
                        })
                        .with_plugin(compiled.name()),
                    ),
                }
            }

            /// The version of the contract the plugin targets.
            pub fn version(&self) -> &'static str {
                match self {
                    #(Self::#variants(_) => #modules::VERSION,)*
                }
            }

            /// The plugin as the library has it, whatever its version.
            pub fn plugin(&self) -> &dyn ::plugin_host::AnyPlugin {
                match self {
                    #(Self::#variants(plugin) => plugin,)*
                }
            }
        }

        impl<T> VersionedPlugin<T, ::plugin_host::Blocking>
        where
            T: ::plugin_host::Transactional + ::core::marker::Send + 'static,
        {
            /// Creates a fresh instance in a store of its own holding `data`
            /// ([`Plugin::instantiate`](::plugin_host::Plugin::instantiate)).
            ///
            /// # Errors
            /// As [`Plugin::instantiate`](::plugin_host::Plugin::instantiate).
            pub fn instantiate(&self, data: T) -> ::core::result::Result<VersionedInstance<T>, ::plugin_host::Error> {
                ::core::result::Result::Ok(match self {
                    #(Self::#variants(plugin) => VersionedInstance::#variants(plugin.instantiate(data)?),)*
                })
            }
        }

        impl<T> VersionedPlugin<T, ::plugin_host::Async>
        where
            T: ::plugin_host::Transactional + ::core::marker::Send + 'static,
        {
            /// Creates a fresh instance in a store of its own holding `data`, as a future.
            ///
            /// # Errors
            /// As [`Plugin::instantiate`](::plugin_host::Plugin::instantiate).
            pub async fn instantiate(&self, data: T) -> ::core::result::Result<VersionedInstance<T, ::plugin_host::Async>, ::plugin_host::Error> {
                ::core::result::Result::Ok(match self {
                    #(Self::#variants(plugin) => VersionedInstance::#variants(plugin.instantiate(data).await?),)*
                })
            }
        }

        impl<T, M> VersionedInstance<T, M>
        where
            T: ::plugin_host::Transactional + ::core::marker::Send + 'static,
            M: ::plugin_host::Mode,
        {
            /// The version of the contract the plugin targets.
            pub fn version(&self) -> &'static str {
                match self {
                    #(Self::#variants(_) => #modules::VERSION,)*
                }
            }

            /// The instance as the library has it, whatever its version.
            pub fn instance(&self) -> &dyn ::plugin_host::AnyInstance<T> {
                match self {
                    #(Self::#variants(instance) => instance,)*
                }
            }

            /// The instance as the library has it, whatever its version, to change it.
            pub fn instance_mut(&mut self) -> &mut dyn ::plugin_host::AnyInstance<T> {
                match self {
                    #(Self::#variants(instance) => instance,)*
                }
            }

            /// The instance's table of host resources
            /// ([`ComponentState::resources`](::plugin_host::component::ComponentState::resources)).
            pub fn resources(&mut self) -> &mut ::plugin_host::wasmtime::component::ResourceTable {
                match self {
                    #(Self::#variants(instance) => instance.resources(),)*
                }
            }

            /// [`ErrorKind::NotInVersion`](::plugin_host::ErrorKind::NotInVersion) for calling
            /// `export`, which `since` added, on this instance's older version.
            pub fn not_in_version(&self, export: &str, since: &str) -> ::plugin_host::Error {
                ::plugin_host::Error::new(::plugin_host::ErrorKind::NotInVersion {
                    package: PACKAGE.to_owned(),
                    version: self.version().to_owned(),
                    since: ::core::option::Option::Some(since.to_owned()),
                })
                .with_plugin(self.instance().name())
                .with_export(export)
            }
        }

        impl<T> VersionedInstance<T, ::plugin_host::Blocking>
        where
            T: ::plugin_host::Transactional + ::core::marker::Send + 'static,
        {
            /// Drops a resource of the plugin's ([`Instance::drop_resource`](::plugin_host::Instance::drop_resource)).
            ///
            /// # Errors
            /// As [`Instance::drop_resource`](::plugin_host::Instance::drop_resource).
            pub fn drop_resource(&mut self, resource: ::plugin_host::GuestResource) -> ::core::result::Result<(), ::plugin_host::Error> {
                match self {
                    #(Self::#variants(instance) => instance.drop_resource(resource),)*
                }
            }
        }

        impl<T> VersionedInstance<T, ::plugin_host::Async>
        where
            T: ::plugin_host::Transactional + ::core::marker::Send + 'static,
        {
            /// Drops a resource of the plugin's, as a future.
            ///
            /// # Errors
            /// As [`Instance::drop_resource`](::plugin_host::Instance::drop_resource).
            pub async fn drop_resource(&mut self, resource: ::plugin_host::GuestResource) -> ::core::result::Result<(), ::plugin_host::Error> {
                match self {
                    #(Self::#variants(instance) => instance.drop_resource(resource).await,)*
                }
            }
        }

        /// Calls an export on a [`VersionedInstance`], whatever its version:
        /// `versioned_call!(instance, "export", |bindings, store| bindings.call_export(store, …))`
        /// runs the closure's body through `Instance::call` on a version with plain exports,
        /// and awaited through `Instance::call_concurrent` (its `store` then an `Accessor`) on
        /// one whose exports are concurrent; a version without the export answers
        /// `NotInVersion`, naming the version that added it. `versioned_call!(async instance,
        /// …)` is the same in an async host, awaited. The export is named as the contract
        /// lists it (`describe`, `shapes#closed-path`); one no served version has does not
        /// compile. Write the body as one expression, not a block: in Rust 2024 a block's
        /// temporaries (`bindings.shapes().accumulator()`) end with the block, before a
        /// concurrent arm awaits the call (`#[rustfmt::skip]` keeps rustfmt from adding one).
        /// A list argument is a slice in plain bindings and a `Vec` in concurrent ones: pass
        /// `list.into()`, which serves both.
        macro_rules! versioned_call {
            #(#call_arms)*
        }
        #[allow(unused_imports, reason = "for the application's modules")]
        pub(crate) use versioned_call;
    }
}

fn starts_with(option: &TokenStream, key: &str) -> bool {
    matches!(option.clone().into_iter().next(), Some(TokenTree::Ident(ident)) if ident == key)
}

fn read_options(options: TokenStream) -> syn::Result<Options> {
    let tokens: Vec<TokenTree> = options.into_iter().collect();
    let comma = |token: &TokenTree| matches!(token, TokenTree::Punct(p) if p.as_char() == ',');
    let mut package = None;
    let mut world = None;
    let mut path = None;
    let mut versions = None;
    let mut full_only = Vec::new();
    let mut with = Vec::new();
    let mut passthrough = Vec::new();
    for option in tokens.split(comma) {
        let [TokenTree::Ident(key), TokenTree::Punct(colon), value @ ..] = option else {
            if option.is_empty() {
                continue;
            }
            return Err(error("expected `key: value`".to_owned()));
        };
        if colon.as_char() != ':' {
            return Err(error(format!("expected `:` after `{key}`")));
        }
        let value: TokenStream = value.iter().cloned().collect();
        let string = || syn::parse2::<LitStr>(value.clone()).map(|lit| lit.value());
        match key.to_string().as_str() {
            "package" => package = Some(string()?),
            "world" => world = Some(string()?),
            "path" => path = Some(string()?),
            "versions" => versions = Some(list(value)?),
            "imports" => full_only.push(option.iter().cloned().collect()),
            "with" => with = with_entries(value)?,
            _ => passthrough.push(option.iter().cloned().collect()),
        }
    }
    let missing = |key: &str| error(format!("plugin_host::contract! needs `{key}`"));
    Ok(Options {
        package: package.ok_or_else(|| missing("package"))?,
        world: world.ok_or_else(|| missing("world"))?,
        path: path.ok_or_else(|| missing("path"))?,
        versions: versions.ok_or_else(|| missing("versions"))?,
        full_only,
        with,
        passthrough,
    })
}

/// The entries of `with: { "key": path, … }`.
fn with_entries(value: TokenStream) -> syn::Result<Vec<(String, TokenStream)>> {
    let mut tokens = value.into_iter();
    let (Some(TokenTree::Group(group)), None) = (tokens.next(), tokens.next()) else {
        return Err(error("`with` is a map: `{ \"key\": path, … }`".to_owned()));
    };
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    let comma = |token: &TokenTree| matches!(token, TokenTree::Punct(p) if p.as_char() == ',');
    tokens
        .split(comma)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry {
            [
                key @ TokenTree::Literal(_),
                TokenTree::Punct(colon),
                path @ ..,
            ] if colon.as_char() == ':' => {
                let key = syn::parse2::<LitStr>(key.clone().into())?.value();
                Ok((key, path.iter().cloned().collect()))
            }
            _ => Err(error("a `with` entry is `\"key\": path`".to_owned())),
        })
        .collect()
}

/// The version a `with` key names (`2.0.0` of `my:app/types@2.0.0` and of
/// `my:app/host@2.0.0.path`), if it names one.
fn key_version(key: &str) -> Option<&str> {
    let (_, rest) = key.split_once('@')?;
    let mut dots = 0;
    let end = rest
        .char_indices()
        .find(|&(_, c)| {
            if c == '.' {
                dots += 1;
                dots == 3
            } else {
                !(c.is_ascii_alphanumeric() || c == '-')
            }
        })
        .map_or(rest.len(), |(at, _)| at);
    Some(&rest[..end])
}

/// `["0.1.0", "0.1.1"]`.
fn list(value: TokenStream) -> syn::Result<Vec<String>> {
    let mut tokens = value.into_iter();
    match (tokens.next(), tokens.next()) {
        (Some(TokenTree::Group(group)), None) if group.delimiter() == Delimiter::Bracket => group
            .stream()
            .into_iter()
            .filter(|token| !matches!(token, TokenTree::Punct(p) if p.as_char() == ','))
            .map(|token| syn::parse2::<LitStr>(token.into()).map(|lit| lit.value()))
            .collect(),
        _ => Err(syn::Error::new(
            Span::call_site(),
            "`versions` is a list of strings: `[\"0.1.0\", \"0.1.1\"]`",
        )),
    }
}

/// Reads the version `number` from `PATH/number`.
fn read_version(root: &Path, options: &Options, number: &str) -> Result<Version, String> {
    let folder = format!("{}/{number}", options.path.trim_end_matches('/'));
    let dir = root.join(&folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "wit"))
        .collect();
    let file = match files.len() {
        1 => files.pop().expect("one"),
        n => {
            return Err(format!(
                "{} has {n} `.wit` files; a version of a contract is one file",
                dir.display()
            ));
        }
    };
    let mut resolve = Resolve {
        all_features: true,
        ..Resolve::default()
    };
    let (package, _) = resolve
        .push_path(&file)
        .map_err(|e| format!("{}: {e:#}", file.display()))?;
    let declared = resolve.packages[package].name.to_string();
    let expected = format!("{}@{number}", options.package);
    if declared != expected {
        return Err(format!(
            "{} declares {declared}, not {expected}",
            file.display()
        ));
    }
    let world = resolve
        .select_world(&[package], Some(&options.world))
        .map_err(|e| format!("{}: {e:#}", file.display()))?;
    let semver = semver_line(number)?;
    let file = std::fs::canonicalize(&file).unwrap_or(file);
    Ok(Version {
        module: format_ident!("v{}", number.replace(['.', '-', '+'], "_")),
        number: number.to_owned(),
        line: semver,
        folder,
        file,
        imported_interfaces: imported_interfaces(&resolve, world, package),
        exports: exports(&resolve, world),
        concurrent: concurrent(&resolve, world),
    })
}

/// `0.1` for `0.1.2`, `2` for `2.0.1`: versions wasmtime's linker treats as compatible.
fn semver_line(number: &str) -> Result<String, String> {
    let mut parts = number.split(['.', '-', '+']);
    let (Some(major), Some(minor)) = (parts.next(), parts.next()) else {
        return Err(format!("`{number}` is not a semver version"));
    };
    Ok(match major {
        "0" => format!("0.{minor}"),
        major => major.to_owned(),
    })
}

/// The interfaces of `package` that `world` imports, by name.
fn imported_interfaces(
    resolve: &Resolve,
    world: WorldId,
    package: wit_parser::PackageId,
) -> Vec<String> {
    resolve.worlds[world]
        .imports
        .values()
        .filter_map(|item| match item {
            WorldItem::Interface { id, .. } => {
                let interface = &resolve.interfaces[*id];
                (interface.package == Some(package))
                    .then(|| interface.name.clone())
                    .flatten()
            }
            _ => None,
        })
        .collect()
}

/// Every export a call can name: the world's functions by name, and each function of an
/// exported interface as `interface#function`, a resource's as WIT writes it
/// (`shapes#accumulator.new`, `shapes#accumulator.add`), as `Contract::exports` names them.
fn exports(resolve: &Resolve, world: WorldId) -> Vec<String> {
    let mut names = Vec::new();
    for (key, item) in &resolve.worlds[world].exports {
        match item {
            WorldItem::Function(function) => names.push(function.name.clone()),
            WorldItem::Interface { id, .. } => {
                let interface = &resolve.interfaces[*id];
                let name = match key {
                    WorldKey::Name(name) => name.clone(),
                    WorldKey::Interface(_) => interface.name.clone().unwrap_or_default(),
                };
                for function in interface.functions.values() {
                    names.push(format!("{name}#{}", wit_name(&function.name)));
                }
            }
            WorldItem::Type { .. } => {}
        }
    }
    names
}

/// Whether `world` uses the component model's async ABI: an `async func`, or a `stream` or
/// `future` type, anywhere in what it imports or exports.
fn concurrent(resolve: &Resolve, world: WorldId) -> bool {
    let uses_async = |function: &Function| {
        function.kind.is_async()
            || function
                .params
                .iter()
                .map(|param| &param.ty)
                .chain(&function.result)
                .any(|ty| mentions_async_types(resolve, ty))
    };
    let world = &resolve.worlds[world];
    world
        .imports
        .values()
        .chain(world.exports.values())
        .any(|item| match item {
            WorldItem::Function(function) => uses_async(function),
            WorldItem::Interface { id, .. } => {
                resolve.interfaces[*id].functions.values().any(uses_async)
            }
            WorldItem::Type { .. } => false,
        })
}

/// Whether `ty` is or holds a `stream` or a `future`.
fn mentions_async_types(resolve: &Resolve, ty: &Type) -> bool {
    let Type::Id(id) = ty else { return false };
    let inner = |ty: &Type| mentions_async_types(resolve, ty);
    let optional = |ty: &Option<Type>| ty.as_ref().is_some_and(inner);
    match &resolve.types[*id].kind {
        TypeDefKind::Stream(_) | TypeDefKind::Future(_) => true,
        TypeDefKind::Record(record) => record.fields.iter().any(|field| inner(&field.ty)),
        TypeDefKind::Tuple(tuple) => tuple.types.iter().any(inner),
        TypeDefKind::Variant(variant) => variant.cases.iter().any(|case| optional(&case.ty)),
        TypeDefKind::Option(ty) | TypeDefKind::List(ty) | TypeDefKind::Type(ty) => inner(ty),
        TypeDefKind::FixedLengthList(ty, _) => inner(ty),
        TypeDefKind::Map(key, value) => inner(key) || inner(value),
        TypeDefKind::Result(result) => optional(&result.ok) || optional(&result.err),
        _ => false,
    }
}
