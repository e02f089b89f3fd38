//! Every capability escape, tried: `plugins/escape` attempts, with the standard library,
//! everything it was not granted, and each attempt is refused, beside a granted control that
//! works. Files: outside its directory through `..` and through a relative and an absolute
//! symlink, by the host's own path, and another plugin's; writing, creating, renaming,
//! removing, `mkdir` and `rmdir` in a read-only directory. The network: TCP connect and
//! listen, UDP send and name lookup, with listeners on loopback that must hear nothing. The
//! host's environment variables and arguments.

use std::fs;
use std::io::ErrorKind as IoErrorKind;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};

use plugin_artifacts::ESCAPE_PLUGIN;
use plugin_host::component::ComponentPlugin;
use plugin_host::{DirGrant, Grants, HostConfig, PluginHost};

mod world {
    plugin_host::bindgen!({ path: "../plugins/escape/wit", world: "escape" });
}
use world::Escape;

/// A folder of the test's own, emptied.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("plugin-host-escape-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The escape plugin on a host that grants `dirs` and the variable `TZ=UTC`, nothing else.
fn plugin(dirs: Vec<DirGrant>) -> (PluginHost<()>, ComponentPlugin<Escape, ()>) {
    let host = PluginHost::with_config(HostConfig {
        grants: Grants {
            dirs,
            env: vec![("TZ".into(), "UTC".into())],
        },
        ..HostConfig::default()
    })
    .unwrap();
    let plugin = host
        .component::<Escape>(&host.load(ESCAPE_PLUGIN).unwrap())
        .unwrap();
    (host, plugin)
}

fn grant(host: &Path, guest: &str, writable: bool) -> DirGrant {
    DirGrant {
        host: host.to_owned(),
        guest: guest.into(),
        writable,
    }
}

/// What the plugin got for `action` on `target`: its answer, or the error it saw.
fn attempt(
    plugin: &ComponentPlugin<Escape, ()>,
    action: &str,
    target: &str,
) -> Result<String, String> {
    let mut instance = plugin.instantiate(()).unwrap();
    instance
        .call("attempt", |escape, store| {
            escape.call_attempt(store, action, target)
        })
        .unwrap()
}

/// Asserts that `action` on `target` was refused by the sandbox: an error, and not the
/// standard library saying it cannot even try on this platform.
#[track_caller]
fn refused(plugin: &ComponentPlugin<Escape, ()>, action: &str, target: &str) {
    match attempt(plugin, action, target) {
        Ok(got) => panic!("{action} {target} was allowed: {got}"),
        Err(error) => assert!(
            !error.contains("Unsupported"),
            "{action} {target} never reached the sandbox: {error}"
        ),
    }
}

/// The layout: `data/` (granted read-only as `/data`) holding `visible.txt`, a folder `keep/`
/// and the symlinks `up -> ../secret.txt` and `abs -> ROOT/secret.txt`; `rw/` (granted
/// writable as `/rw`); `secret.txt` beside them, not granted.
fn layout(name: &str) -> PathBuf {
    let root = scratch(name);
    fs::create_dir_all(root.join("data/keep")).unwrap();
    fs::create_dir_all(root.join("rw")).unwrap();
    fs::write(root.join("data/visible.txt"), "visible").unwrap();
    fs::write(root.join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink("../secret.txt", root.join("data/up")).unwrap();
    std::os::unix::fs::symlink(root.join("secret.txt"), root.join("data/abs")).unwrap();
    root
}

#[test]
fn files_outside_the_granted_directory_cannot_be_reached() {
    let root = layout("outside");
    let (_host, plugin) = plugin(vec![grant(&root.join("data"), "/data", false)]);
    assert_eq!(
        attempt(&plugin, "read", "/data/visible.txt").unwrap(),
        "visible"
    );
    refused(&plugin, "read", "/data/../secret.txt");
    refused(&plugin, "read", "/data/up");
    refused(&plugin, "read", "/data/abs");
    refused(
        &plugin,
        "read",
        &root.join("secret.txt").display().to_string(),
    );
    refused(&plugin, "read", "/secret.txt");
    refused(&plugin, "list", "/");
    refused(&plugin, "list", "/data/..");
}

#[test]
fn a_read_only_directory_cannot_be_changed_and_a_writable_one_can() {
    let root = layout("read-only");
    let (_host, plugin) = plugin(vec![
        grant(&root.join("data"), "/data", false),
        grant(&root.join("rw"), "/rw", true),
    ]);
    for (action, target) in [
        ("write", "/data/visible.txt"),
        ("create", "/data/new.txt"),
        ("rename", "/data/visible.txt>/data/moved.txt"),
        ("remove", "/data/visible.txt"),
        ("mkdir", "/data/sub"),
        ("rmdir", "/data/keep"),
    ] {
        refused(&plugin, action, target);
    }
    let mut names: Vec<_> = fs::read_dir(root.join("data"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["abs", "keep", "up", "visible.txt"],
        "nothing changed"
    );
    assert_eq!(
        fs::read_to_string(root.join("data/visible.txt")).unwrap(),
        "visible"
    );

    // The controls: each of the same in the writable grant.
    for (action, target, answer) in [
        ("write", "/rw/new.txt", "written"),
        ("create", "/rw/created.txt", "created"),
        ("rename", "/rw/new.txt>/rw/moved.txt", "renamed"),
        ("remove", "/rw/created.txt", "removed"),
        ("mkdir", "/rw/sub", "made"),
        ("rmdir", "/rw/sub", "removed"),
    ] {
        assert_eq!(
            attempt(&plugin, action, target).as_deref(),
            Ok(answer),
            "{action} {target}"
        );
    }
    assert_eq!(
        fs::read_to_string(root.join("rw/moved.txt")).unwrap(),
        "escaped"
    );
    assert_eq!(attempt(&plugin, "list", "/rw").unwrap(), "moved.txt");
}

#[test]
fn another_plugins_files_are_out_of_reach() {
    let root = layout("another");
    fs::create_dir_all(root.join("other")).unwrap();
    fs::write(root.join("other/theirs.txt"), "theirs").unwrap();
    let (_mine, plugin) = plugin(vec![grant(&root.join("data"), "/data", true)]);
    let (_theirs, other) = self::plugin(vec![grant(&root.join("other"), "/data", true)]);
    assert_eq!(
        attempt(&other, "read", "/data/theirs.txt").unwrap(),
        "theirs"
    );
    refused(&plugin, "read", "/data/theirs.txt");
    refused(
        &plugin,
        "read",
        &root.join("other/theirs.txt").display().to_string(),
    );
    refused(&plugin, "read", "/data/../other/theirs.txt");
    refused(&plugin, "write", "/data/../other/theirs.txt");
    assert_eq!(
        fs::read_to_string(root.join("other/theirs.txt")).unwrap(),
        "theirs"
    );
}

#[test]
fn the_network_is_refused_and_loopback_listeners_hear_nothing() {
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    tcp.set_nonblocking(true).unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_nonblocking(true).unwrap();
    let (_host, plugin) = plugin(Vec::new());
    refused(
        &plugin,
        "tcp-connect",
        &tcp.local_addr().unwrap().to_string(),
    );
    refused(&plugin, "tcp-listen", "127.0.0.1:0");
    refused(&plugin, "udp-send", &udp.local_addr().unwrap().to_string());
    refused(&plugin, "lookup", "localhost");
    // Every attempt has returned, so anything it sent has arrived.
    assert_eq!(
        tcp.accept().map(|_| ()).unwrap_err().kind(),
        IoErrorKind::WouldBlock
    );
    let mut buffer = [0; 16];
    assert_eq!(
        udp.recv(&mut buffer).unwrap_err().kind(),
        IoErrorKind::WouldBlock
    );
}

#[test]
fn only_the_granted_environment_is_seen_and_no_arguments() {
    assert!(
        std::env::var_os("PATH").is_some(),
        "the host has variables to leak"
    );
    let (_host, plugin) = plugin(Vec::new());
    assert_eq!(attempt(&plugin, "env", "").unwrap(), "TZ=UTC");
    assert_eq!(attempt(&plugin, "args", "").unwrap(), "");
}
