//! Precompiled plugins: compile once with
//! [`PluginHost::precompile`](crate::PluginHost::precompile), then load without compiling
//! ([`PluginHost::load_precompiled`](crate::PluginHost::load_precompiled)).
//!
//! An artifact is this host's header followed by wasmtime's own precompiled bytes
//! (`Engine::precompile_component` or `Engine::precompile_module`):
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 24 | [`MAGIC`] |
//! | 24 | 8 | the engine fingerprint, little-endian `u64` |
//! | 32 | 16 | the payload's checksum: XXH3-128 of the rest, little-endian `u128` |
//! | 48 | rest | wasmtime's artifact (an ELF image of machine code) |
//!
//! The fingerprint hashes `Engine::precompile_compatibility_hash`: the wasmtime version and
//! every setting that changes the machine code. Deserializing runs that machine code, so the
//! host deserializes only bytes that carry this header, carry the fingerprint of its own
//! engine, whose payload matches its checksum (a truncated, bit-flipped or spliced file is
//! refused before wasmtime sees it), and that `Engine::detect_precompiled` recognises. Neither
//! the fingerprint nor the checksum is a signature: anyone can write a file that passes both.
//! Treat artifacts like executables, and load only those you made.

use std::hash::{DefaultHasher, Hash, Hasher};

use wasmtime::{Engine, Precompiled};

/// The first bytes of every artifact.
pub const MAGIC: &[u8; 24] = b"plugin-host precompiled\0";

/// The length of the header: [`MAGIC`], the fingerprint and the checksum.
const HEADER_LEN: usize = MAGIC.len() + 8 + 16;

/// The checksum of a payload: XXH3-128, which catches damage, not forgery.
fn checksum(payload: &[u8]) -> [u8; 16] {
    xxhash_rust::xxh3::xxh3_128(payload).to_le_bytes()
}

/// A `u64` that differs between engines whose artifacts are not interchangeable.
pub(crate) fn fingerprint(engine: &Engine) -> u64 {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.finish()
}

/// Whether `artifact`'s header says `engine` (or one of its configuration) made it.
pub(crate) fn made_by(engine: &Engine, artifact: &[u8]) -> bool {
    let fingerprint = fingerprint(engine).to_le_bytes();
    artifact.get(MAGIC.len()..MAGIC.len() + 8) == Some(&fingerprint[..])
}

/// Whether `bytes` start like an artifact (whatever engine made it).
pub fn is_artifact(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Prepends the header for `engine` to wasmtime's precompiled `payload`.
pub(crate) fn wrap(engine: &Engine, payload: &[u8]) -> Vec<u8> {
    let mut artifact = Vec::with_capacity(HEADER_LEN + payload.len());
    artifact.extend_from_slice(MAGIC);
    artifact.extend_from_slice(&fingerprint(engine).to_le_bytes());
    artifact.extend_from_slice(&checksum(payload));
    artifact.extend_from_slice(payload);
    artifact
}

/// Checks that `artifact` was made by a host whose engine is compatible with `engine`, and
/// returns wasmtime's payload and what it holds.
///
/// # Errors
/// A sentence saying what is wrong: no header, another engine's fingerprint, a payload that
/// does not match its checksum, or one that is not a wasmtime artifact.
pub(crate) fn unwrap<'a>(
    engine: &Engine,
    artifact: &'a [u8],
) -> Result<(&'a [u8], Precompiled), String> {
    let Some((header, payload)) = artifact.split_at_checked(HEADER_LEN) else {
        return Err("it is too short to be a precompiled artifact".into());
    };
    let (magic, rest) = header.split_at(MAGIC.len());
    let (made_by, sum) = rest.split_at(8);
    if magic != MAGIC {
        return Err("it does not start with the precompiled-artifact header".into());
    }
    if made_by != fingerprint(engine).to_le_bytes() {
        return Err(
            "it was precompiled by an engine with another wasmtime version or configuration; \
             precompile it again with this host"
                .into(),
        );
    }
    if sum != checksum(payload) {
        return Err(
            "its payload does not match its checksum: the file is truncated or damaged \
                    (or was made by an older plugin host); precompile it again"
                .into(),
        );
    }
    match Engine::detect_precompiled(payload) {
        Some(kind) => Ok((payload, kind)),
        None => Err("its payload is not a wasmtime artifact".into()),
    }
}

/// What a checked artifact holds, deserialized.
pub(crate) enum Artifact {
    Component(wasmtime::component::Component),
    Module(wasmtime::Module),
}

impl From<Artifact> for crate::profile::Code {
    fn from(artifact: Artifact) -> Self {
        match artifact {
            Artifact::Component(component) => Self::Component(component),
            Artifact::Module(module) => Self::CoreModule(module),
        }
    }
}

impl Artifact {
    /// Which kind of plugin it is.
    pub(crate) fn kind(&self) -> crate::PluginKind {
        match self {
            Self::Component(_) => crate::PluginKind::Component,
            Self::Module(_) => crate::PluginKind::CoreModule,
        }
    }

    /// wasmtime's precompiled bytes of it, the payload of an artifact.
    pub(crate) fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        match self {
            Self::Component(component) => component.serialize(),
            Self::Module(module) => module.serialize(),
        }
    }
}

/// Checks `artifact` with [`unwrap`], then deserializes it.
///
/// # Errors
/// A sentence saying why: a failed check, or wasmtime's reason for refusing the payload.
pub(crate) fn deserialize(engine: &Engine, artifact: &[u8]) -> Result<Artifact, String> {
    let (payload, kind) = unwrap(engine, artifact)?;
    #[allow(
        unsafe_code,
        reason = "deserializing precompiled machine code is unsafe in wasmtime"
    )]
    // SAFETY: `unwrap` checked that the bytes carry this host's header with the fingerprint of
    // this very engine configuration, that the payload is the one the header was written for
    // (its checksum), and that wasmtime recognises the payload as its own artifact of this
    // kind. wasmtime then checks the payload's own version and settings
    // before using it. What remains (a forged artifact) is excluded by the callers' contract:
    // `PluginHost::load_precompiled` documents that only trusted artifacts may be loaded.
    let loaded = unsafe {
        match kind {
            Precompiled::Component => wasmtime::component::Component::deserialize(engine, payload)
                .map(Artifact::Component),
            Precompiled::Module => {
                wasmtime::Module::deserialize(engine, payload).map(Artifact::Module)
            }
        }
    };
    loaded.map_err(|error| format!("{error:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_artifact_made_by_one_engine_is_refused_by_an_incompatible_one() {
        let engine = Engine::default();
        let module = wat::parse_str("(module)").unwrap();
        let artifact = wrap(&engine, &engine.precompile_module(&module).unwrap());
        assert!(is_artifact(&artifact));
        let (_, kind) = unwrap(&engine, &artifact).unwrap();
        assert_eq!(kind, Precompiled::Module);

        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let other = Engine::new(&config).unwrap();
        assert!(
            unwrap(&other, &artifact)
                .unwrap_err()
                .contains("another wasmtime version")
        );
    }

    #[test]
    fn bytes_without_the_header_or_payload_are_refused() {
        let engine = Engine::default();
        assert!(unwrap(&engine, b"short").is_err());
        assert!(unwrap(&engine, &[0; 64]).unwrap_err().contains("header"));
        let header_only = wrap(&engine, b"not elf");
        assert!(
            unwrap(&engine, &header_only)
                .unwrap_err()
                .contains("payload")
        );
    }

    #[test]
    fn a_truncated_or_bit_flipped_artifact_is_refused_before_wasmtime_sees_it() {
        let engine = Engine::default();
        let module = wat::parse_str("(module (func (export \"f\")))").unwrap();
        let artifact = wrap(&engine, &engine.precompile_module(&module).unwrap());
        let truncated = &artifact[..artifact.len() - 1];
        assert!(unwrap(&engine, truncated).unwrap_err().contains("checksum"));
        // Every byte of the payload, flipped one bit at a time.
        for at in (HEADER_LEN..artifact.len()).step_by(7) {
            let mut flipped = artifact.clone();
            flipped[at] ^= 1 << (at % 8);
            assert!(
                unwrap(&engine, &flipped).unwrap_err().contains("checksum"),
                "byte {at}"
            );
        }
    }
}
