//! `plugin_host::bindgen!`: wasmtime's `bindgen!` through the `plugin-host` library.
//!
//! The macro takes what wasmtime's `bindgen!` takes, in its braced form, and expands to:
//! - wasmtime's `bindgen!` with `wasmtime_crate: ::plugin_host::wasmtime` added, so the
//!   generated code names the library's wasmtime and the application needs no `wasmtime`
//!   dependency of its own;
//! - `impl<T> plugin_host::component::Bindings<T>` for the generated world type, whose
//!   `WORLD` is the world's full name (`namespace:package/world@version`), read from the same
//!   WIT the bindings are generated from.
//!
//! The WIT is found as wasmtime's macro finds it: `inline`, else `path` (one or several,
//! relative to the crate's `Cargo.toml`), else the crate's `wit` folder; `world` selects the
//! world as in wasmtime.

mod contract;
// The library's own file: the names `contract!` writes are the ones its calls by name answer to.
#[path = "../../src/wit_name.rs"]
mod wit_name;

use heck::ToUpperCamelCase;
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::{LitStr, parse::Parser, punctuated::Punctuated};
use wit_parser::Resolve;

/// Generates a world's bindings with wasmtime's `bindgen!` and implements
/// `plugin_host::component::Bindings` for them. Takes wasmtime's `bindgen!` options, braced:
///
/// ```ignore
/// plugin_host::bindgen!({ path: "wit", world: "bot" });
/// ```
#[proc_macro]
pub fn bindgen(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    match expand(input.into()) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// A contract served at several versions, generated from the list of its versions: one module
/// of bindings per version, the version list with each version's WIT, enums over every
/// version's plugins and instances, and `versioned_call!`. See the library's
/// `plugin_host::contract!`.
#[proc_macro]
pub fn contract(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    match contract::expand(input.into()) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// What the macro reads of the options: where the WIT is, and which world.
#[derive(Default)]
struct Source {
    paths: Vec<String>,
    inline: Option<String>,
    world: Option<String>,
    wasmtime_crate: bool,
}

fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let options = braced(input, "bindgen")?;
    let source = read_options(&options)?;
    let (world, full_name) = resolve(&source).map_err(|e| error(format!("{e:#}")))?;
    let world = format_ident!("{}", world);
    let pre = format_ident!("{}Pre", world);
    let crate_option = if source.wasmtime_crate {
        quote!()
    } else {
        let comma = if options.is_empty() {
            quote!()
        } else {
            quote!(,)
        };
        quote!(#comma wasmtime_crate: ::plugin_host::wasmtime)
    };
    Ok(quote! {
        ::plugin_host::wasmtime::component::bindgen!({ #options #crate_option });

        impl<T: ::core::marker::Send + 'static> ::plugin_host::component::Bindings<T> for #world {
            type Pre = #pre<::plugin_host::component::ComponentState<T>>;
            const WORLD: &'static str = #full_name;

            fn pre(
                pre: ::plugin_host::wasmtime::component::InstancePre<
                    ::plugin_host::component::ComponentState<T>,
                >,
            ) -> ::plugin_host::wasmtime::Result<Self::Pre> {
                #pre::new(pre)
            }

            fn instantiate(
                pre: &Self::Pre,
                store: &mut ::plugin_host::wasmtime::Store<::plugin_host::component::ComponentState<T>>,
            ) -> ::plugin_host::wasmtime::Result<Self> {
                pre.instantiate(store)
            }

            fn instantiate_async(
                pre: &Self::Pre,
                store: &mut ::plugin_host::wasmtime::Store<::plugin_host::component::ComponentState<T>>,
            ) -> impl ::core::future::Future<Output = ::plugin_host::wasmtime::Result<Self>>
                   + ::core::marker::Send {
                pre.instantiate_async(store)
            }
        }
    })
}

/// The options inside the braces of `plugin_host::{name}!({ … })`, with a trailing comma
/// dropped.
fn braced(input: TokenStream, name: &str) -> syn::Result<TokenStream> {
    let mut tokens = input.into_iter();
    match (tokens.next(), tokens.next()) {
        (Some(TokenTree::Group(group)), None) if group.delimiter() == Delimiter::Brace => {
            let mut options: Vec<TokenTree> = group.stream().into_iter().collect();
            if matches!(options.last(), Some(TokenTree::Punct(p)) if p.as_char() == ',') {
                options.pop();
            }
            Ok(options.into_iter().collect())
        }
        _ => Err(error(format!(
            "plugin_host::{name}! takes its options in braces: `{name}!({{ key: value, … }})`"
        ))),
    }
}

/// Reads `path`, `inline`, `world` and whether `wasmtime_crate` is given, from the options
/// split at their top-level commas; every other option is wasmtime's alone.
fn read_options(options: &TokenStream) -> syn::Result<Source> {
    let mut source = Source::default();
    let tokens: Vec<TokenTree> = options.clone().into_iter().collect();
    let comma = |token: &TokenTree| matches!(token, TokenTree::Punct(p) if p.as_char() == ',');
    for option in tokens.split(comma) {
        let [TokenTree::Ident(key), TokenTree::Punct(colon), value @ ..] = option else {
            continue;
        };
        if colon.as_char() != ':' {
            continue;
        }
        let value: TokenStream = value.iter().cloned().collect();
        match key.to_string().as_str() {
            "path" => source.paths = paths(value)?,
            "inline" => source.inline = Some(syn::parse2::<LitStr>(value)?.value()),
            "world" => source.world = Some(syn::parse2::<LitStr>(value)?.value()),
            "wasmtime_crate" => source.wasmtime_crate = true,
            _ => {}
        }
    }
    Ok(source)
}

/// `path: "wit"` or `path: ["a", "b"]`.
fn paths(value: TokenStream) -> syn::Result<Vec<String>> {
    let mut tokens = value.clone().into_iter();
    if let (Some(TokenTree::Group(group)), None) = (tokens.next(), tokens.next())
        && group.delimiter() == Delimiter::Bracket
    {
        let list = Punctuated::<LitStr, syn::Token![,]>::parse_terminated.parse2(group.stream())?;
        return Ok(list.iter().map(LitStr::value).collect());
    }
    Ok(vec![syn::parse2::<LitStr>(value)?.value()])
}

/// The world's Rust type name, as wasmtime's `bindgen!` names it, and its full WIT name.
fn resolve(source: &Source) -> Result<(String, String), Box<dyn std::error::Error>> {
    let mut resolve = Resolve {
        all_features: true,
        ..Resolve::default()
    };
    let mut packages = Vec::new();
    if let Some(inline) = &source.inline {
        packages.push(resolve.push_str("macro-input", inline)?);
    } else {
        let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
        let paths = if source.paths.is_empty() {
            vec!["wit".to_owned()]
        } else {
            source.paths.clone()
        };
        for path in paths {
            let path = root.join(path);
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            packages.push(resolve.push_path(path)?.0);
        }
    }
    let world = resolve.select_world(&packages, source.world.as_deref())?;
    let world = &resolve.worlds[world];
    let name = &world.name;
    let full = match world.package {
        Some(package) => {
            let package = &resolve.packages[package].name;
            let version = package
                .version
                .as_ref()
                .map(|v| format!("@{v}"))
                .unwrap_or_default();
            format!("{}:{}/{name}{version}", package.namespace, package.name)
        }
        None => name.clone(),
    };
    Ok((world_type(name).to_string(), full))
}

/// The Rust type `bindgen!` names the world `name` with: wasmtime's
/// `to_rust_upper_camel_case` (`Host` is taken by the generated trait).
fn world_type(name: &str) -> proc_macro2::Ident {
    match name {
        "host" => format_ident!("Host_"),
        name => format_ident!("{}", name.to_upper_camel_case()),
    }
}

fn error(message: String) -> syn::Error {
    syn::Error::new(Span::call_site(), message)
}
