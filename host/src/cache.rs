//! The compilation cache: a compiled plugin is kept on disk as a precompiled artifact
//! ([`crate::precompiled`]), keyed by the SHA-256 of its bytes, in a folder named by the
//! engine's fingerprint, so loading the same bytes again deserializes instead of compiling.
//! An entry is that SHA-256 (32 bytes) followed by the artifact: an entry of other bytes
//! (copied or renamed into place) is told apart before anything else is read.
//!
//! The cache is the host's own rather than wasmtime's (`Config::cache`) because wasmtime's
//! trusts what it reads back: its entries are zstd-compressed machine code with no checksum,
//! so a bit flipped on disk could be run. Here every entry is checked as a precompiled artifact
//! is (header, engine fingerprint, XXH3-128 checksum of the payload, wasmtime's own header),
//! and its source hash against the bytes being loaded,
//! before it is deserialized. An entry that fails a check, a folder that cannot be read or
//! written and a full disk are each reported once (a `tracing` warning) and never fail a
//! load: the plugin compiles from its bytes, and a damaged entry is replaced.

use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind as IoErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wasmtime::Engine;

use crate::PluginKind;
use crate::precompiled::{self, Artifact};

/// A compilation cache in one folder, for one engine.
#[derive(Debug)]
pub(crate) struct Cache {
    /// `ROOT/ENGINE-FINGERPRINT`: entries of engines with other settings live beside it.
    dir: PathBuf,
    /// The problems already reported, so each is reported once.
    reported: Mutex<HashSet<String>>,
}

impl Cache {
    /// A cache under `root` for `engine`. Nothing is created until an entry is stored.
    pub(crate) fn new(root: &Path, engine: &Engine) -> Self {
        let dir = root.join(format!("{:016x}", precompiled::fingerprint(engine)));
        Self {
            dir,
            reported: Mutex::new(HashSet::new()),
        }
    }

    /// Where the entry for bytes of SHA-256 `hash` lives.
    fn entry(&self, hash: &[u8]) -> PathBuf {
        self.dir
            .join(format!("{}.cwasm", crate::manifest::hex(hash)))
    }

    /// The plugin `name` of the `kind` `bytes` as it was stored for these bytes, or
    /// `compile()`d now and stored.
    ///
    /// # Errors
    /// Only `compile`'s: the cache itself never fails a load.
    pub(crate) fn get_or_compile<E>(
        &self,
        engine: &Engine,
        name: &str,
        bytes: &[u8],
        kind: PluginKind,
        compile: impl FnOnce() -> Result<Artifact, E>,
    ) -> Result<Artifact, E> {
        let hash = Sha256::digest(bytes);
        let entry = self.entry(&hash);
        match fs::read(&entry) {
            Ok(stored) => match checked(engine, &hash, kind, &stored) {
                Ok(loaded) => return Ok(loaded),
                Err(reason) => {
                    self.report(format!(
                        "compilation cache entry {} for {name} is refused and replaced: {reason}",
                        entry.display()
                    ));
                    let _ = fs::remove_file(&entry);
                }
            },
            Err(error) if error.kind() == IoErrorKind::NotFound => {}
            Err(error) => self.report(format!(
                "compilation cache entry {} for {name} cannot be read ({error}); compiling",
                entry.display()
            )),
        }
        let compiled = compile()?;
        if let Ok(payload) = compiled.serialize() {
            let mut stored = hash.to_vec();
            stored.extend_from_slice(&precompiled::wrap(engine, &payload));
            if let Err(error) = self.store(&entry, &stored) {
                self.report(format!(
                    "compilation cache folder {} cannot be written ({error}); plugins compile \
                     on every load",
                    self.dir.display()
                ));
            }
        }
        Ok(compiled)
    }

    /// Writes `artifact` at `entry`: into a temporary file beside it, renamed into place, so a
    /// reader (another host sharing the folder) never sees half of it. It is not synced: an
    /// entry a crash cuts short fails its checksum and is replaced.
    fn store(&self, entry: &Path, artifact: &[u8]) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let temporary = entry.with_extension(format!("{}.tmp", std::process::id()));
        let written = fs::write(&temporary, artifact);
        match written.and_then(|()| fs::rename(&temporary, entry)) {
            Ok(()) => Ok(()),
            Err(error) => {
                let _ = fs::remove_file(&temporary);
                Err(error)
            }
        }
    }

    /// Logs `problem` as a warning unless it was logged before.
    fn report(&self, problem: String) {
        let mut reported = self
            .reported
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if reported.insert(problem.clone()) {
            tracing::warn!(target: "plugin_host", "{problem}");
        }
    }
}

/// The plugin in the entry `stored`, if it is the entry of bytes of SHA-256 `hash` and of the
/// `kind` they are, and passes every check of a precompiled artifact.
///
/// # Errors
/// A sentence saying which check failed.
fn checked(
    engine: &Engine,
    hash: &[u8],
    kind: PluginKind,
    stored: &[u8],
) -> Result<Artifact, String> {
    let artifact = match stored.split_at_checked(hash.len()) {
        Some((source, artifact)) if source == hash => artifact,
        _ => return Err("it was compiled from other bytes".into()),
    };
    let loaded = precompiled::deserialize(engine, artifact)?;
    if loaded.kind() != kind {
        return Err("it holds another kind of plugin".into());
    }
    Ok(loaded)
}
