//! The compilation cache: a compiled plugin is kept on disk as a precompiled artifact
//! ([`crate::precompiled`]), keyed by the BLAKE3 hash of its bytes, in a folder named by the
//! engine's fingerprint, so loading the same bytes again deserializes instead of compiling.
//! An entry is an artifact whose payload is wasmtime's bytes followed by that hash (32
//! bytes), under the artifact's checksum: an entry of other bytes (copied or renamed into
//! place) is told apart before it is deserialized. wasmtime maps the entry's file as it is and
//! reads its ELF image from the first byte.
//!
//! The cache is the host's own rather than wasmtime's (`Config::cache`) because wasmtime's
//! trusts what it reads back: its entries are zstd-compressed machine code with no checksum,
//! so a bit flipped on disk could be run. Here every entry is checked as a precompiled artifact
//! is (trailer, engine fingerprint, XXH3-128 checksum of the payload, wasmtime's own header),
//! and its source hash against the bytes being loaded,
//! before it is deserialized. An entry that fails a check, a folder that cannot be read or
//! written and a full disk are each reported once (a `tracing` warning) and never fail a
//! load: the plugin compiles from its bytes, and a damaged entry is replaced.

use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind as IoErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::PluginKind;
use crate::precompiled::{self, Artifact, Artifacts};

/// What a plugin's entries are found by: the BLAKE3 hash of its bytes, a cryptographic hash
/// (another plugin's entry cannot be made to pass for these bytes) at 2-3 times SHA-256's
/// speed, which matters for a plugin of megabytes; such a plugin is hashed on every core.
pub(crate) struct Key([u8; 32]);

impl Key {
    /// Below this many bytes, hashing on one thread is as fast: blake3's docs put the break-even
    /// of `update_rayon` on x86-64 at 128 KiB.
    const PARALLEL_FROM: usize = 128 * 1024;

    pub(crate) fn of(bytes: &[u8]) -> Self {
        let mut hasher = blake3::Hasher::new();
        if bytes.len() >= Self::PARALLEL_FROM {
            hasher.update_rayon(bytes);
        } else {
            hasher.update(bytes);
        }
        Self(*hasher.finalize().as_bytes())
    }
}

/// A compilation cache in one folder, for one engine.
#[derive(Debug)]
pub(crate) struct Cache {
    /// `ROOT/ENGINE-FINGERPRINT`: entries of engines with other settings live beside it.
    dir: PathBuf,
    /// What the engine writes and accepts.
    artifacts: Artifacts,
    /// The problems already reported, so each is reported once.
    reported: Mutex<HashSet<String>>,
}

impl Cache {
    /// A cache under `root` for `engine`. Nothing is created until an entry is stored.
    pub(crate) fn new(root: &Path, artifacts: &Artifacts) -> Self {
        let dir = root.join(format!("{:016x}", artifacts.fingerprint()));
        Self {
            dir,
            artifacts: artifacts.clone(),
            reported: Mutex::new(HashSet::new()),
        }
    }

    /// Where the entry for bytes of hash `hash` lives.
    fn entry(&self, hash: &[u8]) -> PathBuf {
        self.dir
            .join(format!("{}.cwasm", crate::manifest::hex(hash)))
    }

    /// The plugin `name` of the `kind` as it was stored for bytes of `key`, if an entry for
    /// them passes every check. An entry that fails one is reported and removed.
    pub(crate) fn get(&self, name: &str, key: &Key, kind: PluginKind) -> Option<Artifact> {
        let entry = self.entry(&key.0);
        match precompiled::map(&entry) {
            Ok((file, stored)) => match self.checked(&entry, file, &stored, &key.0, kind) {
                Ok(loaded) => return Some(loaded),
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
        None
    }

    /// Stores `compiled`, compiled from bytes of `key`. A folder that cannot be written is
    /// reported, never an error.
    pub(crate) fn put(&self, key: &Key, compiled: &Artifact) {
        let Ok(mut payload) = compiled.serialize() else {
            return;
        };
        payload.extend_from_slice(&key.0);
        let stored = self.artifacts.wrap(payload);
        if let Err(error) = self.store(&self.entry(&key.0), &stored) {
            self.report(format!(
                "compilation cache folder {} cannot be written ({error}); plugins compile on \
                 every load",
                self.dir.display()
            ));
        }
    }

    /// Writes `artifact` at `entry` with [`precompiled::write`], so a reader (another host
    /// sharing the folder) never sees half of it. It is not synced: an entry a crash cuts short
    /// fails its checks and is replaced.
    fn store(&self, entry: &Path, artifact: &[u8]) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        precompiled::write(entry, artifact)
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

    /// The plugin in the entry `file` at `path`, mapped as `stored`, if it is the entry of
    /// bytes of hash `hash` and of the `kind` they are, and passes every check of a
    /// precompiled artifact.
    ///
    /// # Errors
    /// A sentence saying which check failed.
    fn checked(
        &self,
        path: &Path,
        file: fs::File,
        stored: &[u8],
        hash: &[u8],
        kind: PluginKind,
    ) -> Result<Artifact, String> {
        let checked = self.artifacts.check(stored)?;
        if !checked.payload().ends_with(hash) {
            return Err("it was compiled from other bytes".into());
        }
        let loaded = self.artifacts.deserialize_file(path, file, checked)?;
        if loaded.kind() != kind {
            return Err("it holds another kind of plugin".into());
        }
        Ok(loaded)
    }
}
