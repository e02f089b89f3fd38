//! A plugin's manifest: what one plugin may use, never more than the host allows.
//!
//! A manifest is TOML, beside the plugin as `NAME.toml` (for `NAME.wasm` or `NAME.cwasm`,
//! found by [`PluginHost::load`](crate::PluginHost::load)) or given to
//! [`PluginHost::load_with_manifest`](crate::PluginHost::load_with_manifest). Every key is
//! optional; the host's [`Limits`] and [`Grants`] apply where it is silent:
//!
//! ```toml
//! sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//! contract = "0.1.1"          # the contract version the plugin must target
//! log = "warn"                # the most verbose of the plugin's log messages kept
//!
//! [limits]                    # each at most the host's
//! deadline_ms = 100
//! fuel = 1000000              # only on a host that meters fuel
//! memory_bytes = 16777216
//! table_elements = 1000
//! instances = 8
//! memories = 2
//! tables = 4
//! lifted_bytes = 65536
//! output_bytes = 4096
//! component_handles = 100
//!
//! [grants]                    # replaces the host's grants with a subset of them
//! env = ["LANG"]              # keys the host grants; the values are the host's
//! dirs = [{ guest = "/data", writable = false }]  # directories the host grants, by guest path
//! ```
//!
//! Unknown keys, a wrong type, a limit above the host's, a grant the host does not give and a
//! hash the plugin's bytes do not have are [`ErrorKind::Manifest`] naming the file and the line,
//! and nothing is loaded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::grants::Policy;
use crate::{DirGrant, Error, ErrorKind, Grants, Limits};

/// A parsed manifest, with its file for errors. See the [module docs](self) for its keys.
#[derive(Debug, Clone)]
pub struct Manifest {
    path: PathBuf,
    text: String,
    raw: Raw,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    sha256: Option<Spanned<String>>,
    contract: Option<Spanned<String>>,
    log: Option<Spanned<String>>,
    #[serde(default)]
    limits: RawLimits,
    grants: Option<RawGrants>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    deadline_ms: Option<Spanned<u64>>,
    fuel: Option<Spanned<u64>>,
    memory_bytes: Option<Spanned<usize>>,
    table_elements: Option<Spanned<usize>>,
    instances: Option<Spanned<usize>>,
    memories: Option<Spanned<usize>>,
    tables: Option<Spanned<usize>>,
    lifted_bytes: Option<Spanned<usize>>,
    output_bytes: Option<Spanned<usize>>,
    component_handles: Option<Spanned<usize>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrants {
    #[serde(default)]
    env: Vec<Spanned<String>>,
    #[serde(default)]
    dirs: Vec<Spanned<RawDir>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDir {
    guest: String,
    #[serde(default)]
    writable: bool,
}

impl Manifest {
    /// Reads and parses the manifest at `path`.
    ///
    /// # Errors
    /// [`ErrorKind::Read`] if the file cannot be read; [`ErrorKind::Manifest`] with the line for
    /// TOML that does not parse, an unknown key or a value of the wrong type.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::read(path, source))?;
        Self::parse(path, text)
    }

    /// Parses `text` as the manifest at `path` (which names it in errors).
    ///
    /// # Errors
    /// As [`Manifest::read`], without [`ErrorKind::Read`].
    pub fn parse(path: impl AsRef<Path>, text: impl Into<String>) -> Result<Self, Error> {
        let (path, text) = (path.as_ref().to_owned(), text.into());
        match toml::from_str::<Raw>(&text) {
            Ok(raw) => Ok(Self { path, text, raw }),
            Err(error) => {
                let line = error.span().map(|span| line_of(&text, span.start));
                let reason = error.message().to_owned();
                Err(Error::new(ErrorKind::Manifest { path, line, reason }))
            }
        }
    }

    /// The manifest beside the plugin at `plugin` (`NAME.toml` for `NAME.wasm`), if there is
    /// one.
    ///
    /// # Errors
    /// As [`Manifest::read`].
    pub fn beside(plugin: impl AsRef<Path>) -> Result<Option<Self>, Error> {
        let plugin = plugin.as_ref();
        let path = plugin.with_extension("toml");
        // A file named `NAME.toml` is nobody's manifest but its own (and not a plugin).
        if path != plugin && path.is_file() {
            Self::read(path).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The file the manifest came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The contract version the plugin must target, if the manifest says.
    pub fn contract(&self) -> Option<&str> {
        self.raw
            .contract
            .as_ref()
            .map(|version| version.get_ref().as_str())
    }

    /// Checks that the plugin targets the version the manifest expects, if it names one.
    ///
    /// # Errors
    /// [`ErrorKind::Manifest`] at the `contract` line if `version` is another.
    pub fn expect_contract(&self, version: &str) -> Result<(), Error> {
        match &self.raw.contract {
            Some(expected) if expected.get_ref() != version => Err(self.error(
                expected,
                format!(
                    "the plugin targets version {version}, the manifest expects {}",
                    expected.get_ref()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Checks `bytes` against the manifest's `sha256`, if it has one.
    ///
    /// # Errors
    /// [`ErrorKind::Manifest`] at the `sha256` line if the digest differs.
    pub(crate) fn check_bytes(&self, bytes: &[u8]) -> Result<(), Error> {
        let Some(expected) = &self.raw.sha256 else {
            return Ok(());
        };
        let actual = hex(&Sha256::digest(bytes));
        if actual.eq_ignore_ascii_case(expected.get_ref().trim()) {
            Ok(())
        } else {
            Err(self.error(
                expected,
                format!("the plugin's sha256 is {actual}, not the one the manifest gives"),
            ))
        }
    }

    /// The policy of a plugin under this manifest within the host's `host` policy.
    ///
    /// # Errors
    /// [`ErrorKind::Manifest`] at the line of the first limit above the host's, or of the first
    /// grant the host does not give.
    pub(crate) fn narrow(&self, host: &Policy) -> Result<Policy, Error> {
        Ok(Policy {
            limits: self.narrow_limits(&host.limits)?,
            grants: match &self.raw.grants {
                Some(grants) => self.narrow_grants(grants, &host.grants)?,
                None => host.grants.clone(),
            },
            metrics: host.metrics,
            clock: host.clock.clone(),
            log: match &self.raw.log {
                Some(level) => Some(level.get_ref().parse().map_err(|_| {
                    self.error(
                        level,
                        format!(
                            "`{}` is not a log level: off, error, warn, info, debug or trace",
                            level.get_ref()
                        ),
                    )
                })?),
                None => host.log,
            },
        })
    }

    fn narrow_limits(&self, host: &Limits) -> Result<Limits, Error> {
        let raw = &self.raw.limits;
        let mut limits = host.clone();
        if let Some(ms) = &raw.deadline_ms {
            let deadline = Duration::from_millis(*ms.get_ref());
            if deadline > host.deadline {
                return Err(self.above(ms, "deadline_ms", host.deadline.as_millis()));
            }
            limits.deadline = deadline;
        }
        if let Some(fuel) = &raw.fuel {
            match host.fuel {
                None => {
                    return Err(self.error(
                        fuel,
                        "the host does not meter fuel, so a plugin's fuel cannot be limited \
                         (give the host a fuel limit)"
                            .into(),
                    ));
                }
                Some(most) if *fuel.get_ref() > most => {
                    return Err(self.above(fuel, "fuel", most));
                }
                Some(_) => limits.fuel = Some(*fuel.get_ref()),
            }
        }
        let sizes = [
            (&raw.memory_bytes, "memory_bytes", &mut limits.memory_bytes),
            (
                &raw.table_elements,
                "table_elements",
                &mut limits.table_elements,
            ),
            (&raw.instances, "instances", &mut limits.instances),
            (&raw.memories, "memories", &mut limits.memories),
            (&raw.tables, "tables", &mut limits.tables),
            (&raw.lifted_bytes, "lifted_bytes", &mut limits.lifted_bytes),
            (&raw.output_bytes, "output_bytes", &mut limits.output_bytes),
            (
                &raw.component_handles,
                "component_handles",
                &mut limits.component_handles,
            ),
        ];
        for (value, key, limit) in sizes {
            if let Some(value) = value {
                if *value.get_ref() > *limit {
                    return Err(self.above(value, key, *limit));
                }
                *limit = *value.get_ref();
            }
        }
        Ok(limits)
    }

    fn narrow_grants(&self, raw: &RawGrants, host: &Grants) -> Result<Grants, Error> {
        let mut grants = Grants::default();
        for key in &raw.env {
            let Some(pair) = host.env.iter().find(|(name, _)| name == key.get_ref()) else {
                return Err(self.error(
                    key,
                    format!(
                        "the host does not grant the environment variable {key:?}",
                        key = key.get_ref()
                    ),
                ));
            };
            grants.env.push(pair.clone());
        }
        for dir in &raw.dirs {
            let wanted = dir.get_ref();
            let granted = host
                .dirs
                .iter()
                .find(|granted| granted.guest == wanted.guest);
            match granted {
                Some(granted) if granted.writable || !wanted.writable => {
                    grants.dirs.push(DirGrant {
                        writable: wanted.writable,
                        ..granted.clone()
                    })
                }
                Some(_) => {
                    return Err(
                        self.error(dir, format!("the host grants {} read-only", wanted.guest))
                    );
                }
                None => {
                    return Err(self.error(
                        dir,
                        format!("the host does not grant the directory {}", wanted.guest),
                    ));
                }
            }
        }
        Ok(grants)
    }

    fn above<T, M: std::fmt::Display>(&self, value: &Spanned<T>, key: &str, most: M) -> Error {
        self.error(value, format!("{key} is above the host's limit of {most}"))
    }

    fn error<T>(&self, at: &Spanned<T>, reason: String) -> Error {
        Error::new(ErrorKind::Manifest {
            path: self.path.clone(),
            line: Some(line_of(&self.text, at.span().start)),
            reason,
        })
    }
}

/// The manifests among `files` (a directory's entries) with no plugin beside them: `NAME.toml`
/// without `NAME.wasm` or `NAME.cwasm`. Each is an [`ErrorKind::Manifest`], for a host that loads a
/// directory to report instead of ignoring a manifest that protects nothing.
pub fn orphans(files: &[PathBuf]) -> Vec<Error> {
    let has = |file: &Path, extension: &str| files.contains(&file.with_extension(extension));
    files
        .iter()
        .filter(|file| file.extension().is_some_and(|e| e == "toml"))
        .filter(|file| !has(file, "wasm") && !has(file, "cwasm"))
        .map(|file| {
            Error::new(ErrorKind::Manifest {
                path: file.clone(),
                line: None,
                reason: format!(
                    "no plugin {} beside it",
                    file.with_extension("wasm").display()
                ),
            })
        })
        .collect()
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// `bytes` in lowercase hexadecimal, two digits a byte: how a SHA-256 is written in a manifest
/// and in the compilation cache's entry names.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Policy {
        Policy {
            limits: Limits::default(),
            grants: Grants {
                dirs: vec![DirGrant {
                    host: "/srv/data".into(),
                    guest: "/data".into(),
                    writable: false,
                }],
                env: vec![("LANG".into(), "C".into())],
            },
            metrics: false,
            clock: Default::default(),
            log: None,
        }
    }

    fn narrowed(text: &str) -> Result<Policy, Error> {
        Manifest::parse("p.toml", text)?.narrow(&host())
    }

    fn line(error: Error) -> Option<usize> {
        match error.kind() {
            ErrorKind::Manifest { line, .. } => *line,
            _ => panic!("not a manifest error: {error}"),
        }
    }

    #[test]
    fn a_manifest_narrows_the_limits_and_the_grants() {
        let policy = narrowed(
            "[limits]\ndeadline_ms = 100\nmemory_bytes = 1048576\n\
             [grants]\nenv = [\"LANG\"]\ndirs = [{ guest = \"/data\" }]\n",
        )
        .unwrap();
        assert_eq!(policy.limits.deadline, Duration::from_millis(100));
        assert_eq!(policy.limits.memory_bytes, 1 << 20);
        assert_eq!(
            policy.limits.tables,
            Limits::default().tables,
            "silent: the host's"
        );
        assert_eq!(policy.grants.env, [("LANG".to_owned(), "C".to_owned())]);
        assert_eq!(policy.grants.dirs[0].host, PathBuf::from("/srv/data"));
    }

    #[test]
    fn no_grants_section_keeps_the_hosts_and_an_empty_one_grants_nothing() {
        assert_eq!(narrowed("").unwrap().grants.env.len(), 1);
        let none = narrowed("[grants]\n").unwrap().grants;
        assert!(none.env.is_empty() && none.dirs.is_empty());
    }

    #[test]
    fn widening_is_an_error_at_its_line() {
        assert_eq!(
            line(narrowed("\n[limits]\nmemory_bytes = 1099511627776\n").unwrap_err()),
            Some(3)
        );
        assert_eq!(
            line(narrowed("[limits]\ndeadline_ms = 60000\n").unwrap_err()),
            Some(2)
        );
        assert_eq!(
            line(narrowed("[limits]\nfuel = 10\n").unwrap_err()),
            Some(2)
        );
        assert_eq!(
            line(narrowed("[grants]\nenv = [\"HOME\"]\n").unwrap_err()),
            Some(2)
        );
        let write = "[grants]\n\ndirs = [{ guest = \"/data\", writable = true }]\n";
        assert_eq!(line(narrowed(write).unwrap_err()), Some(3));
        assert_eq!(
            line(narrowed("[grants]\ndirs = [{ guest = \"/etc\" }]\n").unwrap_err()),
            Some(2)
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors_at_their_line() {
        let error = Manifest::parse("p.toml", "sha256 = \"00\"\nnetwork = true\n").unwrap_err();
        assert!(error.to_string().contains("network"), "{error}");
        assert_eq!(line(error), Some(2));
        let error = Manifest::parse("p.toml", "[limits]\ninstances = \"many\"\n").unwrap_err();
        assert_eq!(line(error), Some(2));
    }

    #[test]
    fn the_hash_must_match_the_bytes() {
        // sha256("test")
        let text =
            "sha256 = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n";
        let manifest = Manifest::parse("p.toml", text).unwrap();
        manifest.check_bytes(b"test").unwrap();
        let error = manifest.check_bytes(b"tesT").unwrap_err();
        assert!(error.to_string().contains("p.toml:1"), "{error}");
    }

    #[test]
    fn a_manifest_without_its_plugin_is_an_orphan() {
        let files: Vec<PathBuf> = ["a.wasm", "a.toml", "b.cwasm", "b.toml", "c.toml"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let orphans = orphans(&files);
        assert_eq!(orphans.len(), 1);
        assert!(
            orphans[0]
                .to_string()
                .starts_with("manifest c.toml: no plugin c.wasm")
        );
    }

    #[test]
    fn the_expected_contract_version_is_checked() {
        let manifest = Manifest::parse("p.toml", "\ncontract = \"0.1.1\"\n").unwrap();
        manifest.expect_contract("0.1.1").unwrap();
        assert_eq!(
            line(manifest.expect_contract("0.1.0").unwrap_err()),
            Some(2)
        );
    }
}
