//! What a plugin's WASI may reach: nothing, unless granted.

use std::sync::Arc;

use std::path::PathBuf;

use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::Limits;

/// The WASI capabilities every plugin of a host is granted. The default grants nothing: no
/// directories, no environment variables (and never the network, arguments or stdin).
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Host directories the plugins may open, each under a path of its own.
    pub dirs: Vec<DirGrant>,
    /// Environment variables the plugins see, as `(key, value)`.
    pub env: Vec<(String, String)>,
}

/// One host directory a plugin may open (a WASI preopen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGrant {
    /// The directory on the host.
    pub host: PathBuf,
    /// The path the plugin opens it by, e.g. `/data` or `.`.
    pub guest: String,
    /// Whether the plugin may create, write and remove files in it; read-only if not.
    pub writable: bool,
}

/// What every store of one host runs under: its limits and its grants; whether its plugins
/// record metrics ([`HostConfig::metrics`](crate::HostConfig::metrics)); and the most verbose of
/// a plugin's log messages the application should keep, if its manifest says.
#[derive(Debug, Default)]
pub(crate) struct Policy {
    pub(crate) limits: Limits,
    pub(crate) grants: Grants,
    pub(crate) metrics: bool,
    pub(crate) log: Option<tracing::level_filters::LevelFilter>,
    /// The host's epoch ticks, for the wall-clock deadlines of concurrent calls.
    pub(crate) clock: Arc<crate::deadline::Clock>,
}

impl Grants {
    /// Adds the grants to a WASI context builder.
    ///
    /// # Errors
    /// If a granted directory cannot be opened on the host.
    pub(crate) fn apply(&self, builder: &mut WasiCtxBuilder) -> wasmtime::Result<()> {
        for dir in &self.dirs {
            let perms = if dir.writable {
                FsPerms::ReadWrite
            } else {
                FsPerms::ReadOnly
            };
            builder
                .preopened_dir(&dir.host, &dir.guest, perms)
                .map_err(|error| {
                    error.context(format!(
                        "failed to grant the directory {}",
                        dir.host.display()
                    ))
                })?;
        }
        for (key, value) in &self.env {
            builder.env(key, value);
        }
        Ok(())
    }
}
