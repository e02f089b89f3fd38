//! Precompiled plugins: compile once with
//! [`PluginHost::precompile`](crate::PluginHost::precompile), then load without compiling
//! ([`PluginHost::load_precompiled`](crate::PluginHost::load_precompiled)).
//!
//! An artifact is wasmtime's own precompiled bytes (`Engine::precompile_component` or
//! `Engine::precompile_module`, an ELF image of machine code) followed by this host's trailer:
//!
//! | offset from the end | size | content |
//! |---|---|---|
//! | 48 | 8 | the engine fingerprint, little-endian `u64` |
//! | 40 | 16 | the payload's checksum: XXH3-128 of everything before the trailer, little-endian `u128` |
//! | 24 | 24 | [`MAGIC`] |
//!
//! The trailer comes last so that the payload starts the file: wasmtime maps an artifact file
//! as it is (`Component::deserialize_file`), its memory images straight from the file, and
//! reads its ELF image from the first byte, leaving the bytes after it alone.
//!
//! The fingerprint hashes `Engine::precompile_compatibility_hash`: the wasmtime version and
//! every setting that changes the machine code. Deserializing runs that machine code, so the
//! host deserializes only bytes that carry this trailer, carry the fingerprint of its own
//! engine, whose payload matches its checksum (a truncated, bit-flipped or spliced file is
//! refused before wasmtime sees it), and that `Engine::detect_precompiled` recognises. Neither
//! the fingerprint nor the checksum is a signature: anyone can write a file that passes both.
//! Treat artifacts like executables, and load only those you made.
//!
//! A file is read once: mapped, its trailer and checksum checked on the mapped bytes, then
//! mapped by wasmtime, which finds its pages in the page cache. While a plugin loaded from a
//! file lives, that file must not change in place (a truncated mapping faults, `SIGBUS`): replace
//! it with [`write()`], which renames a new file over it, as `cp` or `fs::write` would not.

use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use wasmtime::{Engine, Precompiled};

/// The last bytes of every artifact.
pub const MAGIC: &[u8; 24] = b"plugin-host precompiled\0";

/// The length of the trailer: the fingerprint, the checksum and [`MAGIC`].
const TRAILER_LEN: usize = 8 + 16 + MAGIC.len();

/// The checksum of a payload: XXH3-128, which catches damage, not forgery. twox-hash picks
/// the widest SIMD the CPU has (AVX2 on x86-64) at run time.
fn checksum(payload: &[u8]) -> [u8; 16] {
    twox_hash::XxHash3_128::oneshot(payload).to_le_bytes()
}

/// Whether `bytes` end like an artifact (whatever engine made it).
pub fn is_artifact(bytes: &[u8]) -> bool {
    bytes.ends_with(MAGIC)
}

/// The artifacts of one engine: what it writes and what it accepts.
#[derive(Clone, Debug)]
pub(crate) struct Artifacts {
    engine: Engine,
    /// A `u64` that differs between engines whose artifacts are not interchangeable, computed
    /// once (hashing the engine's settings costs about as much as checking a small artifact).
    fingerprint: u64,
}

impl Artifacts {
    pub(crate) fn new(engine: &Engine) -> Self {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self {
            engine: engine.clone(),
            fingerprint: hasher.finish(),
        }
    }

    /// The engine whose artifacts these are.
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine's fingerprint, which names its compilation cache folder.
    pub(crate) fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Whether `artifact`'s trailer says this engine (or one of its configuration) made it.
    pub(crate) fn made_by(&self, artifact: &[u8]) -> bool {
        trailer(artifact).is_some_and(|(_, made_by, _)| made_by == self.fingerprint.to_le_bytes())
    }

    /// Appends the trailer for this engine to wasmtime's precompiled `payload`.
    pub(crate) fn wrap(&self, mut payload: Vec<u8>) -> Vec<u8> {
        let sum = checksum(&payload);
        payload.reserve_exact(TRAILER_LEN);
        payload.extend_from_slice(&self.fingerprint.to_le_bytes());
        payload.extend_from_slice(&sum);
        payload.extend_from_slice(MAGIC);
        payload
    }

    /// Checks that `artifact` was made by a host whose engine is compatible with this one, and
    /// returns its payload and what it holds.
    ///
    /// # Errors
    /// A sentence saying what is wrong: no trailer, another engine's fingerprint, a payload
    /// that does not match its checksum, or one that is not a wasmtime artifact.
    pub(crate) fn check<'a>(&self, artifact: &'a [u8]) -> Result<Checked<'a>, String> {
        let Some((payload, made_by, sum)) = trailer(artifact) else {
            if crate::PluginKind::detect(artifact).is_some() {
                return Err(
                    "it is WebAssembly, not a precompiled artifact: load it as a \
                            plugin, or precompile it first"
                        .into(),
                );
            }
            return Err(
                "it does not end with the precompiled-artifact trailer: the file is \
                        truncated or damaged, or not an artifact; precompile it again"
                    .into(),
            );
        };
        if made_by != self.fingerprint.to_le_bytes() {
            return Err(
                "it was precompiled by an engine with another wasmtime version or \
                 configuration; precompile it again with this host"
                    .into(),
            );
        }
        if sum != checksum(payload) {
            return Err(
                "its payload does not match its checksum: the file is truncated or damaged; \
                 precompile it again"
                    .into(),
            );
        }
        match Engine::detect_precompiled(payload) {
            Some(kind) => Ok(Checked { payload, kind }),
            None => Err("its payload is not a wasmtime artifact".into()),
        }
    }

    /// Checks `artifact` with [`Artifacts::check`], then deserializes a copy of its payload.
    ///
    /// # Errors
    /// A sentence saying why: a failed check, or wasmtime's reason for refusing the payload.
    pub(crate) fn deserialize(&self, artifact: &[u8]) -> Result<Artifact, String> {
        let Checked { payload, kind } = self.check(artifact)?;
        #[allow(
            unsafe_code,
            reason = "deserializing precompiled machine code is unsafe in wasmtime"
        )]
        // SAFETY: `check` found this host's trailer with the fingerprint of this very engine
        // configuration, a payload that is the one the trailer was written for (its checksum),
        // and a payload wasmtime recognises as its own artifact of this kind. wasmtime then
        // checks the payload's own version and settings before using it. What remains (a
        // forged artifact) is excluded by the callers' contract: `PluginHost::load_precompiled`
        // documents that only trusted artifacts may be loaded.
        let loaded = unsafe {
            match kind {
                Precompiled::Component => {
                    wasmtime::component::Component::deserialize(&self.engine, payload)
                        .map(Artifact::Component)
                }
                Precompiled::Module => {
                    wasmtime::Module::deserialize(&self.engine, payload).map(Artifact::Module)
                }
            }
        };
        loaded.map_err(|error| format!("{error:#}"))
    }

    /// Has wasmtime map and deserialize `file` at `path`, whose mapped bytes passed
    /// [`Artifacts::check`] as `checked`. wasmtime reads the ELF image the payload starts
    /// with, and leaves whatever follows it alone.
    ///
    /// # Errors
    /// wasmtime's reason for refusing the file.
    pub(crate) fn deserialize_file(
        &self,
        path: &Path,
        file: File,
        checked: Checked<'_>,
    ) -> Result<Artifact, String> {
        #[allow(
            unsafe_code,
            reason = "deserializing precompiled machine code is unsafe in wasmtime"
        )]
        // SAFETY: as in `deserialize`, for the bytes of the open file: `file` is the file
        // whose mapping `check` read (a module is deserialized from that very file; a
        // component from its path, which wasmtime 48 takes instead of a file). The callers'
        // contract excludes a file changed in place, as it excludes a forged one.
        let loaded = unsafe {
            match checked.kind {
                Precompiled::Component => {
                    wasmtime::component::Component::deserialize_file(&self.engine, path)
                        .map(Artifact::Component)
                }
                Precompiled::Module => wasmtime::Module::deserialize_open_file(&self.engine, file)
                    .map(Artifact::Module),
            }
        };
        loaded.map_err(|error| format!("{error:#}"))
    }
}

/// An artifact that passed [`Artifacts::check`]: its payload and what the payload holds.
#[derive(Debug)]
pub(crate) struct Checked<'a> {
    payload: &'a [u8],
    kind: Precompiled,
}

impl<'a> Checked<'a> {
    /// The bytes before the trailer: wasmtime's artifact, and whatever the writer put after
    /// it (a cache entry's source hash).
    pub(crate) fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// The payload, the fingerprint and the checksum of `artifact`, if it ends with a trailer.
fn trailer(artifact: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let payload_len = artifact.len().checked_sub(TRAILER_LEN)?;
    let (payload, trailer) = artifact.split_at(payload_len);
    let (made_by, rest) = trailer.split_at(8);
    let (sum, magic) = rest.split_at(16);
    (magic == MAGIC).then_some((payload, made_by, sum))
}

/// A read-only mapping of the file at `path`, and the file.
///
/// # Errors
/// The I/O error of opening or mapping it.
pub(crate) fn map(path: &Path) -> std::io::Result<(File, memmap2::Mmap)> {
    let file = File::open(path)?;
    #[allow(unsafe_code, reason = "mapping a file is unsafe in memmap2")]
    // SAFETY: the mapping is read-only and private to this process; a file truncated while
    // mapped would fault on access, which the callers' contract (artifacts are the
    // application's own files, cache entries are replaced by renaming, never written in
    // place) excludes.
    let mapped = unsafe { memmap2::Mmap::map(&file)? };
    Ok((file, mapped))
}

/// Writes `artifact` at `path` without changing a file there in place: into a temporary file
/// beside it, then renamed over it. A host that has the old file loaded keeps its mapping of
/// the old bytes; a file truncated or rewritten in place under a loaded artifact would end the
/// process with `SIGBUS` the next time wasmtime touches a page of it.
///
/// # Errors
/// The I/O error of writing or renaming; the temporary file is removed.
pub fn write(path: &Path, artifact: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    match std::fs::write(&temporary, artifact).and_then(|()| std::fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(error)
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn module_artifact(engine: &Engine, wat: &str) -> Vec<u8> {
        let module = wat::parse_str(wat).unwrap();
        Artifacts::new(engine).wrap(engine.precompile_module(&module).unwrap())
    }

    #[test]
    fn an_artifact_made_by_one_engine_is_refused_by_an_incompatible_one() {
        let engine = Engine::default();
        let artifact = module_artifact(&engine, "(module)");
        assert!(is_artifact(&artifact));
        assert_eq!(
            Artifacts::new(&engine).check(&artifact).unwrap().kind,
            Precompiled::Module
        );

        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let other = Artifacts::new(&Engine::new(&config).unwrap());
        assert!(!other.made_by(&artifact));
        assert!(
            other
                .check(&artifact)
                .unwrap_err()
                .contains("another wasmtime version")
        );
    }

    #[test]
    fn bytes_without_the_trailer_or_payload_are_refused() {
        let artifacts = Artifacts::new(&Engine::default());
        assert!(artifacts.check(b"short").is_err());
        assert!(artifacts.check(&[0; 64]).unwrap_err().contains("trailer"));
        let trailer_only = artifacts.wrap(b"not elf".to_vec());
        assert!(
            artifacts
                .check(&trailer_only)
                .unwrap_err()
                .contains("payload")
        );
    }

    #[test]
    fn a_truncated_or_bit_flipped_artifact_is_refused_before_wasmtime_sees_it() {
        let engine = Engine::default();
        let artifacts = Artifacts::new(&engine);
        let artifact = module_artifact(&engine, "(module (func (export \"f\")))");
        // Cut anywhere, an artifact loses its trailer.
        let truncated = &artifact[..artifact.len() - 1];
        assert!(artifacts.check(truncated).unwrap_err().contains("trailer"));
        // Every byte of the payload, flipped one bit at a time.
        for at in (0..artifact.len() - TRAILER_LEN).step_by(7) {
            let mut flipped = artifact.clone();
            flipped[at] ^= 1 << (at % 8);
            assert!(
                artifacts.check(&flipped).unwrap_err().contains("checksum"),
                "byte {at}"
            );
        }
    }

    #[test]
    fn a_mapped_artifact_file_is_deserialized_by_wasmtime_as_it_is() {
        let engine = Engine::default();
        let artifacts = Artifacts::new(&engine);
        let path = std::env::temp_dir().join(format!("artifact-{}.cwasm", std::process::id()));
        let module = module_artifact(&engine, "(module (func (export \"f\")))");
        std::fs::write(&path, &module).unwrap();
        let (file, mapped) = map(&path).unwrap();
        let checked = artifacts.check(&mapped).unwrap();
        let Artifact::Module(module) = artifacts.deserialize_file(&path, file, checked).unwrap()
        else {
            panic!("a module artifact deserialized as a component");
        };
        assert!(module.get_export("f").is_some());

        let component = wat::parse_str("(component (core module (func (export \"f\"))))").unwrap();
        let component = artifacts.wrap(engine.precompile_component(&component).unwrap());
        std::fs::write(&path, &component).unwrap();
        let (file, mapped) = map(&path).unwrap();
        let checked = artifacts.check(&mapped).unwrap();
        let loaded = artifacts.deserialize_file(&path, file, checked).unwrap();
        assert_eq!(loaded.kind(), crate::PluginKind::Component);
        std::fs::remove_file(&path).unwrap();
    }
}
