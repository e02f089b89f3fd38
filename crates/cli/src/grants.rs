//! The capability flags, which map onto [`plugin_host::Grants`].

use std::path::PathBuf;

use clap::Args;
use plugin_host::{DirGrant, Grants};

/// What the plugins' WASI may reach. Nothing unless granted here; never the network.
#[derive(Args)]
#[command(next_help_heading = "Capabilities")]
pub struct GrantArgs {
    /// Let plugins read the host directory HOST, as GUEST (default: the same path). Read-only.
    #[arg(long, value_name = "HOST[::GUEST]", value_parser = dir_grant(false))]
    dir: Vec<DirGrant>,

    /// As --dir, but plugins may also create, write and remove files in it.
    #[arg(long, value_name = "HOST[::GUEST]", value_parser = dir_grant(true))]
    dir_rw: Vec<DirGrant>,

    /// Set the environment variable KEY to VALUE for plugins (they see no other).
    #[arg(long, value_name = "KEY=VALUE", value_parser = env_var)]
    env: Vec<(String, String)>,
}

impl GrantArgs {
    /// The grants these flags ask for.
    pub fn grants(&self) -> Grants {
        Grants {
            dirs: self.dir.iter().chain(&self.dir_rw).cloned().collect(),
            env: self.env.clone(),
        }
    }
}

/// Parses `HOST[::GUEST]`, the syntax of `wasmtime run --dir`.
fn dir_grant(writable: bool) -> impl Fn(&str) -> Result<DirGrant, String> + Clone {
    move |spec| {
        let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
        if host.is_empty() || guest.is_empty() {
            return Err("expected HOST or HOST::GUEST".to_owned());
        }
        let host = PathBuf::from(host);
        if !host.is_dir() {
            return Err(format!("{} is not a directory", host.display()));
        }
        Ok(DirGrant {
            host,
            guest: guest.to_owned(),
            writable,
        })
    }
}

/// Parses `KEY=VALUE`.
fn env_var(spec: &str) -> Result<(String, String), String> {
    match spec.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err("expected KEY=VALUE".to_owned()),
    }
}
