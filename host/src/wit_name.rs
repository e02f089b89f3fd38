//! A function's name as WIT writes it. One file, compiled into the library and into its macros
//! (`host/macros`, by `#[path]`), so that the export names `contract!` writes at build time are
//! the names the library's calls by name answer to.

/// A function name as WIT writes it: `accumulator.add` for the component's
/// `[method]accumulator.add` or `[static]accumulator.add`, `accumulator.new` for
/// `[constructor]accumulator`; any other name as it is.
pub(crate) fn wit_name(function: &str) -> String {
    if let Some(resource) = function.strip_prefix("[constructor]") {
        return format!("{resource}.new");
    }
    ["[method]", "[static]"]
        .iter()
        .find_map(|prefix| function.strip_prefix(prefix))
        .unwrap_or(function)
        .to_owned()
}
