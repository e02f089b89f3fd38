//! A manifest per plugin: `NAME.toml` beside it narrows the host's limits and grants, pins the
//! plugin's bytes and its contract version, and every mistake in it is a load error naming the
//! file and the line.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use example_host::ExampleHost;
use plugin_artifacts::{COMPONENT_GUEST, LEGACY_GUEST};
use plugin_host::{
    DirGrant, Error, ErrorKind, Failure, Grants, HostConfig, Limit, Limits, Manifest,
};
use sha2::{Digest, Sha256};

use crate::host;

/// A fresh folder holding a copy of the 0.1.0 guest as `plugin.wasm` and, if given, the
/// manifest `plugin.toml`. Returns the plugin's path.
fn plugin_with(name: &str, manifest: Option<&str>) -> PathBuf {
    guest_with(LEGACY_GUEST, name, manifest)
}

/// As [`plugin_with`], for a copy of `guest`.
fn guest_with(guest: &str, name: &str, manifest: Option<&str>) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("manifests")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let plugin = dir.join("plugin.wasm");
    fs::copy(guest, &plugin).unwrap();
    if let Some(text) = manifest {
        fs::write(dir.join("plugin.toml"), text).unwrap();
    }
    plugin
}

fn sha256(path: &PathBuf) -> String {
    let bytes = fs::read(path).unwrap();
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The manifest error `error` is, as (file name, line).
fn at(error: &Error) -> (String, Option<usize>) {
    match error.kind() {
        ErrorKind::Manifest { path, line, .. } => (
            path.file_name().unwrap().to_string_lossy().into_owned(),
            *line,
        ),
        _ => panic!("not a manifest error: {error}"),
    }
}

#[test]
fn a_manifest_beside_the_plugin_narrows_its_limits_and_pins_its_bytes_and_version() {
    let plugin = plugin_with("narrows", None);
    let manifest = format!(
        "sha256 = \"{}\"\ncontract = \"0.1.0\"\n\n[limits]\ndeadline_ms = 250\n",
        sha256(&plugin)
    );
    fs::write(plugin.with_extension("toml"), manifest).unwrap();
    let host = host();
    let loaded = host.host().load(&plugin).unwrap();
    assert_eq!(loaded.limits().deadline, Duration::from_millis(250));
    assert_eq!(loaded.limits().memory_bytes, Limits::default().memory_bytes);
    assert!(loaded.manifest().is_some());
    let mut instance = host.load_component(&plugin).unwrap().instantiate().unwrap();
    assert_eq!(instance.just_add(40, 2).unwrap(), 42);
}

#[test]
fn the_narrowed_limits_hold_in_the_plugins_instances() {
    // The guest's linear memory starts at 17 pages (1.1 MiB): a 1 MiB manifest limit refuses it.
    let plugin = plugin_with("memory", Some("[limits]\nmemory_bytes = 1048576\n"));
    let error = host()
        .load_component(&plugin)
        .unwrap()
        .instantiate()
        .unwrap_err();
    assert_eq!(
        error.failure(),
        Some(Failure::Limit(Limit::Memory)),
        "{error}"
    );
    // The same bytes without the manifest run under the host's 64 MiB.
    let plain = plugin_with("memory-plain", None);
    host()
        .load_component(&plain)
        .unwrap()
        .instantiate()
        .unwrap();
}

#[test]
fn a_wrong_hash_loads_nothing_and_names_the_file_and_line() {
    let zeros = "0".repeat(64);
    let plugin = plugin_with("hash", Some(&format!("\nsha256 = \"{zeros}\"\n")));
    let error = host().load(&plugin).unwrap_err();
    assert_eq!(at(&error), ("plugin.toml".to_owned(), Some(2)));
    assert!(error.to_string().contains("sha256"), "{error}");
}

#[test]
fn an_unknown_key_and_a_wider_limit_are_load_errors_at_their_line() {
    let plugin = plugin_with(
        "unknown",
        Some("[limits]\ndeadline_ms = 10\nnetwork = true\n"),
    );
    let error = host().load(&plugin).unwrap_err();
    assert_eq!(at(&error), ("plugin.toml".to_owned(), Some(3)));
    assert!(error.to_string().contains("network"), "{error}");

    let plugin = plugin_with("wider", Some("[limits]\ninstances = 1000\n"));
    let error = host().load(&plugin).unwrap_err();
    assert_eq!(at(&error), ("plugin.toml".to_owned(), Some(2)));
    assert!(
        error.to_string().contains("above the host's limit of 32"),
        "{error}"
    );
}

#[test]
fn a_manifest_grants_only_what_the_host_grants() {
    let data = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("manifests-data");
    fs::create_dir_all(&data).unwrap();
    let host = ExampleHost::with_config(HostConfig {
        grants: Grants {
            dirs: vec![DirGrant {
                host: data.clone(),
                guest: "/data".into(),
                writable: false,
            }],
            env: vec![("LANG".into(), "C".into()), ("TZ".into(), "UTC".into())],
        },
        ..HostConfig::default()
    })
    .unwrap();
    let plugin = plugin_with("grants", Some("[grants]\nenv = [\"TZ\"]\n"));
    let loaded = host.host().load(&plugin).unwrap();
    assert_eq!(loaded.grants().env, [("TZ".to_owned(), "UTC".to_owned())]);
    assert!(loaded.grants().dirs.is_empty());

    let writable = "[grants]\ndirs = [{ guest = \"/data\", writable = true }]\n";
    let plugin = plugin_with("grants-rw", Some(writable));
    let error = host.load(&plugin).unwrap_err();
    assert_eq!(at(&error), ("plugin.toml".to_owned(), Some(2)));
    assert!(error.to_string().contains("read-only"), "{error}");
}

#[test]
fn a_plugin_of_another_version_than_its_manifest_expects_is_not_loaded() {
    let plugin = plugin_with("version", Some("contract = \"0.1.1\"\n"));
    let error = host().load(&plugin).unwrap_err();
    assert_eq!(at(&error), ("plugin.toml".to_owned(), Some(1)));
    assert!(
        error.to_string().contains("targets version 0.1.0"),
        "{error}"
    );
}

#[test]
fn a_manifest_given_to_the_library_applies_like_one_beside_the_file() {
    let plugin = plugin_with("given", None);
    let manifest = Manifest::parse("given.toml", "[limits]\ntables = 4\n").unwrap();
    let loaded = host().host().load_with_manifest(&plugin, manifest).unwrap();
    assert_eq!(loaded.limits().tables, 4);
    assert_eq!(
        loaded.manifest().unwrap().path(),
        PathBuf::from("given.toml")
    );
}

#[test]
fn a_manifests_log_level_quiets_that_plugin_alone() {
    // `sum-points([])` reports a warning with `log-message`.
    let messages = |plugin: &PathBuf| {
        let mut instance = host()
            .load_component(plugin)
            .unwrap()
            .instantiate()
            .unwrap();
        instance.sum_points(&[]).unwrap().unwrap_err();
        instance.take_messages().len()
    };
    let quiet = guest_with(COMPONENT_GUEST, "log-error", Some("log = \"error\"\n"));
    let loud = guest_with(COMPONENT_GUEST, "log-warn", Some("log = \"warn\"\n"));
    let silent = guest_with(COMPONENT_GUEST, "log-default", None);
    assert_eq!(
        (messages(&quiet), messages(&loud), messages(&silent)),
        (0, 1, 1)
    );
    let wrong = guest_with(COMPONENT_GUEST, "log-wrong", Some("\nlog = \"loud\"\n"));
    let error = host().load(&wrong).unwrap_err();
    assert_eq!(at(&error), ("plugin.toml".to_owned(), Some(2)));
    assert!(error.to_string().contains("not a log level"), "{error}");
}
