//! Telling a component from a core module by its header.

use std::fmt;

use wasmparser::Parser;

/// What kind of WebAssembly binary a plugin is, read from its 8-byte header (magic `\0asm`, then
/// a version and layer field; see the component-model binary format, `Binary.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginKind {
    /// A component (layer 1): talks to the host through the WIT world.
    Component,
    /// A core module (layer 0): talks to the host through the raw `extern "C"` ABI.
    CoreModule,
}

impl PluginKind {
    /// Reads the kind from the header of `bytes`; `None` when `bytes` does not start with a
    /// WebAssembly header. Only the header is looked at: the rest is validated when compiled.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        if Parser::is_component(bytes) {
            Some(Self::Component)
        } else if Parser::is_core_wasm(bytes) {
            Some(Self::CoreModule)
        } else {
            None
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Component => "component",
            Self::CoreModule => "core module",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_kind_by_header() {
        assert_eq!(
            PluginKind::detect(b"\0asm\x01\0\0\0"),
            Some(PluginKind::CoreModule)
        );
        assert_eq!(
            PluginKind::detect(b"\0asm\x0d\0\x01\0"),
            Some(PluginKind::Component)
        );
        assert_eq!(PluginKind::detect(b"(module)"), None);
        assert_eq!(PluginKind::detect(b""), None);
    }
}
