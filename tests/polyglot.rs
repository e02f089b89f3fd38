//! The plugins in other languages (`plugins/`) against the Rust guests: each one and the Rust
//! guest of its contract version make the same calls, edge cases included, and must give the
//! same results, log the same values, leave the same shared value and report the same
//! messages. And the C toolbox (`plugins/compose/toolbox`) composed with the Rust calc, at build time
//! (`composed.wasm`, by `just compose`) and at load time.
//!
//! `just polyglot` builds the plugins into a folder and runs this test binary with
//! `POLYGLOT_DIR` set to it (the binary needs the `polyglot` feature, so `just test` leaves it
//! out; the recipe selects the whole workspace, so that wasmtime is built with the features it
//! has in `just test`, not rebuilt). Loading goes through wasmtime's compilation cache in its default directory, which
//! `plugin-host run --cache` in the same recipe shares: the Python and JavaScript plugins are
//! 12 to 18 MB, and only the first load of a build compiles them.

use std::path::PathBuf;

use example_host::contract::Point;
use example_host::{Chain, ExampleHost};
use plugin_artifacts::{COMPONENT_GUEST, COMPOSE_CALC, GREETER_GUEST, LEGACY_GUEST};
use plugin_host::{CompilationCache, Error, ErrorKind, HostConfig};

/// The folder `just polyglot` built the plugins into.
fn polyglot_dir() -> PathBuf {
    std::env::var_os("POLYGLOT_DIR")
        .map(PathBuf::from)
        .expect("POLYGLOT_DIR names the folder of the polyglot plugins: run `just polyglot`")
}

/// A fresh host (its shared value at 42) with wasmtime's compilation cache.
fn host() -> ExampleHost {
    ExampleHost::with_config(HostConfig {
        cache: CompilationCache::DefaultDirectory,
        ..HostConfig::default()
    })
    .expect("the host sets up on this platform")
}

/// Every value an instance of `path` gives for the script of its contract version, in order,
/// each as its `Debug` text with what was called; on a host of its own.
fn observe(path: &str) -> Vec<String> {
    let host = host();
    let plugin = host
        .load_component(path)
        .unwrap_or_else(|e| panic!("{path} loads: {e}"));
    let mut instance = plugin.instantiate().expect("the plugin instantiates");
    let mut seen = Vec::new();
    let mut record = |call: String, value: &dyn std::fmt::Debug| {
        seen.push(format!("{call} → {value:?}"));
    };

    for (a, b) in [
        (0, 0),
        (15, 27),
        (u64::MAX, 1),
        (u64::MAX, u64::MAX),
        (1 << 63, 1 << 63),
        (u64::MAX, 0),
    ] {
        record(format!("just-add({a}, {b})"), &instance.just_add(a, b));
    }

    let edges = [0, 1, -1, 7, i32::MAX, i32::MIN];
    for a in edges {
        for b in edges {
            let (p, q) = (Point { x: a, y: b }, Point { x: b, y: a });
            record(
                format!("point-add({p:?}, {q:?})"),
                &instance.point_add(p, q),
            );
        }
    }

    for start in [42, 0, i32::MAX, i32::MIN] {
        for input in edges {
            host.shared_value().set(start);
            let result = instance.trigger(input);
            let logged = instance.take_logged();
            let value = host.shared_value().get();
            record(
                format!("trigger({input}) from {start}"),
                &(result, logged, value),
            );
        }
    }

    if plugin.version() != "0.1.0" {
        record(
            "describe().calls".into(),
            &instance.describe().map(|info| info.calls),
        );
        let point = |x, y| Point { x, y };
        let long = vec![point(1, -1); 100_000];
        let mut long_overflowing = vec![point(i32::MAX / 100_000, 0); 100_001];
        long_overflowing.push(point(i32::MAX, 0));
        for points in [
            vec![],
            vec![point(i32::MIN, i32::MAX)],
            vec![point(1, 2), point(-5, 4)],
            vec![point(i32::MAX, 0), point(1, 0)],
            vec![point(0, i32::MIN), point(0, -1)],
            vec![point(i32::MAX, i32::MIN), point(i32::MIN, i32::MAX)],
            long,
            long_overflowing,
        ] {
            let result = instance.sum_points(&points);
            let messages = instance.take_messages();
            record(
                format!("sum-points({} points)", points.len()),
                &(result, messages),
            );
        }
    }

    if plugin.has("shapes#sum-stream") {
        let point = |x, y| Point { x, y };
        for points in [
            vec![],
            vec![point(1, 2), point(3, 4)],
            vec![point(i32::MAX, i32::MIN), point(1, -1)],
            vec![point(-7, 7); 300],
        ] {
            let label = format!("({} points)", points.len());
            let sum = instance.accumulator().and_then(|accumulator| {
                for &p in &points {
                    instance.accumulator_add(accumulator, p)?;
                }
                let total = instance.accumulator_total(accumulator);
                instance.drop_accumulator(accumulator)?;
                total
            });
            record(format!("accumulator {label}"), &sum);
            record(
                format!("closed-path {label}"),
                &instance.closed_path(&points),
            );
            record(
                format!("path-length {label}"),
                &instance.path_length(&points),
            );
            record(
                format!("sum-stream {label}"),
                &instance.sum_stream(points.clone(), 0),
            );
        }
    }
    seen
}

/// Asserts that the plugin `file` in [`polyglot_dir`] answers as the Rust guest at `reference`.
fn matches_the_rust_guest(file: &str, reference: &str) {
    let path = polyglot_dir().join(file);
    let path = path.to_str().expect("the path is UTF-8");
    let (theirs, ours) = (observe(path), observe(reference));
    assert_eq!(
        theirs.len(),
        ours.len(),
        "{file} made another number of calls"
    );
    for (theirs, ours) in theirs.iter().zip(&ours) {
        assert_eq!(theirs, ours, "{file} differs from the Rust guest");
    }
}

#[test]
fn the_c_plugin_answers_as_the_rust_guest() {
    matches_the_rust_guest("c_plugin.wasm", COMPONENT_GUEST);
}

#[test]
fn the_python_plugin_answers_as_the_rust_guest() {
    matches_the_rust_guest("python_plugin.wasm", COMPONENT_GUEST);
}

#[test]
fn the_javascript_plugin_answers_as_the_rust_guest_of_its_version() {
    matches_the_rust_guest("js_plugin.wasm", LEGACY_GUEST);
}

/// `foo(right)` of the plugin at `paths`, or of the last of them composed at load time, as
/// WAVE.
fn foo(paths: &[PathBuf], right: i32) -> String {
    let host = host();
    let args = [right.to_string()];
    let call = match paths {
        [plugin] => host.call_wave(plugin, "foo", &args),
        chain => host.call_wave_chained(Chain::Compose, chain, "foo", &args),
    };
    let call = call.unwrap_or_else(|e| panic!("foo loads: {e:#}"));
    call.results
        .unwrap_or_else(|e| panic!("foo answers: {e:#}"))
}

#[test]
fn the_c_toolbox_composed_at_build_time_with_the_rust_calc_answers_foo() {
    let composed = [polyglot_dir().join("composed.wasm")];
    assert_eq!(foo(&composed, 7), "8");
    assert_eq!(foo(&composed, i32::MAX), i32::MIN.to_string());
}

#[test]
fn the_c_toolbox_composed_at_load_time_with_the_rust_calc_answers_foo() {
    let pair = [
        PathBuf::from(COMPOSE_CALC),
        polyglot_dir().join("toolbox.wasm"),
    ];
    assert_eq!(foo(&pair, 7), "8");
    assert_eq!(foo(&pair, -8), "-7");
}

/// The load error of the plugin at `path`, on a host with the compilation cache.
fn load_error(path: impl AsRef<std::path::Path>) -> Error {
    match host().load(path.as_ref()) {
        Ok(_) => panic!("{} must not load", path.as_ref().display()),
        Err(error) => error,
    }
}

#[test]
fn what_the_toolchains_get_wrong_gets_the_load_errors_a_rust_plugin_gets() {
    let mistakes = polyglot_dir().join("mistakes");
    // A missing export: C, built against a copy of 0.1.2 without `describe`.
    let error = load_error(mistakes.join("c_without_describe.wasm"));
    let ErrorKind::WorldMismatch { world } = error.kind() else {
        panic!("{error:?}");
    };
    assert_eq!(world, "example:plugin/plugin@0.1.2");
    assert!(
        format!("{error:#}").contains("no export `describe`"),
        "{error:?}"
    );

    // A WASI interface the host does not provide: componentize-js's default imports.
    let error = load_error(mistakes.join("js_with_http.wasm"));
    assert!(
        matches!(error.kind(), ErrorKind::WorldMismatch { .. }),
        "{error:?}"
    );
    assert!(format!("{error:#}").contains("wasi:http/"), "{error:?}");

    // A component of another world: the C toolbox, and the Rust greeter beside it.
    for other in [polyglot_dir().join("toolbox.wasm"), GREETER_GUEST.into()] {
        let error = load_error(&other);
        let ErrorKind::WorldMismatch { world } = error.kind() else {
            panic!("{}: {error:?}", other.display());
        };
        assert_eq!(world, "example:plugin/plugin@0.1.0", "{}", other.display());
    }
}
