//! The contract at every version it is served: one host loads a plugin of each version side
//! by side, tells each one's version from its imports, runs each version's calls, and answers
//! a typed error for a call a plugin's version lacks.

use example_host::contract::{Level, Point, SumError};
use example_host::{ContractPlugin, ExampleHost, Message, demo};
use plugin_artifacts::{
    COMPONENT_GUEST, COMPONENT_GUEST_VERSION, GUEST_0_1_1, HOSTILE_GUEST, LEGACY_GUEST,
};
use plugin_host::ErrorKind;

use crate::{host, wasm};

fn load(host: &ExampleHost, path: &str) -> ContractPlugin {
    host.load_component(path).expect("the plugin loads")
}

#[test]
fn the_version_is_told_from_what_the_component_imports() {
    let host = host();
    assert_eq!(load(&host, LEGACY_GUEST).version(), "0.1.0");
    assert_eq!(load(&host, HOSTILE_GUEST).version(), "0.1.0");
    assert_eq!(load(&host, GUEST_0_1_1).version(), "0.1.1");
    assert_eq!(
        load(&host, COMPONENT_GUEST).version(),
        COMPONENT_GUEST_VERSION
    );
}

#[test]
fn a_plugin_of_each_version_passes_every_check_of_its_version() {
    let host = host();
    // The calls each version added, which every later version keeps.
    for (path, added) in [
        (LEGACY_GUEST, &["just-add", "point-add", "trigger"][..]),
        (GUEST_0_1_1, &["describe", "sum-points"][..]),
        (
            COMPONENT_GUEST,
            &["accumulator", "closed-path", "path-length", "sum-stream"][..],
        ),
    ] {
        let plugin = load(&host, path);
        let transcript = demo::component(&plugin, host.shared_value());
        assert!(transcript.passed(), "{transcript:#?}");
        for call in added {
            assert!(
                transcript.checks.iter().any(|c| c.call.starts_with(call)),
                "no check of `{call}` for {path}: {transcript:#?}"
            );
        }
    }
}

#[test]
fn plugins_of_both_versions_share_one_host_and_its_value() {
    let host = host();
    let mut legacy = load(&host, LEGACY_GUEST).instantiate().unwrap();
    let mut newest = load(&host, COMPONENT_GUEST).instantiate().unwrap();
    legacy.trigger(7).unwrap(); // 42 -> 54
    newest.trigger(1).unwrap(); // 54 -> 60
    assert_eq!(host.shared_value().get(), 60);
    assert_eq!(legacy.take_logged(), [14]);
    assert_eq!(newest.take_logged(), [2]);
    let sum = legacy
        .point_add(Point { x: 1, y: 2 }, Point { x: 3, y: 4 })
        .unwrap();
    assert_eq!(sum, Point { x: 4, y: 6 });
}

#[test]
fn a_call_the_plugins_version_lacks_is_a_typed_error_naming_the_version_that_added_it() {
    let host = host();
    let mut legacy = load(&host, LEGACY_GUEST).instantiate().unwrap();
    let error = legacy.describe().unwrap_err();
    let ErrorKind::NotInVersion { version, since, .. } = error.kind() else {
        panic!("{error:?}");
    };
    assert_eq!(
        (
            error.plugin(),
            error.export(),
            version.as_str(),
            since.as_deref()
        ),
        (Some(LEGACY_GUEST), Some("describe"), "0.1.0", Some("0.1.1"))
    );
    assert!(
        error
            .to_string()
            .ends_with("which has no `describe`: it was added in 0.1.1"),
        "{error}"
    );
    assert!(matches!(
        legacy.sum_points(&[]).map_err(|e| e.kind().clone()),
        Err(ErrorKind::NotInVersion { .. })
    ));
    assert_eq!(
        legacy.just_add(1, 2).unwrap(),
        3,
        "nothing was called or broken"
    );
}

#[test]
fn describe_lists_the_calls_of_the_plugins_version() {
    let host = host();
    let plugin = load(&host, COMPONENT_GUEST);
    let info = plugin.instantiate().unwrap().describe().unwrap();
    assert_eq!(info.name, "guest");
    assert_eq!(info.calls, plugin.calls());
}

#[test]
fn sum_points_returns_the_plugins_errors_as_values_and_reports_them_as_messages() {
    let host = host();
    let mut instance = load(&host, COMPONENT_GUEST).instantiate().unwrap();
    let points = [Point { x: 1, y: 2 }, Point { x: 3, y: 4 }];
    assert_eq!(
        instance.sum_points(&points).unwrap(),
        Ok(Point { x: 4, y: 6 })
    );
    assert_eq!(instance.sum_points(&[]).unwrap(), Err(SumError::Empty));
    let long = vec![Point { x: 1, y: 1 }; 10_000];
    assert_eq!(
        instance.sum_points(&long).unwrap(),
        Ok(Point {
            x: 10_000,
            y: 10_000
        })
    );
    let overflow = [Point { x: 0, y: i32::MIN }, Point { x: 0, y: -1 }];
    assert_eq!(
        instance.sum_points(&overflow).unwrap(),
        Err(SumError::Overflow(1))
    );
    let messages = instance.take_messages();
    assert_eq!(
        messages.iter().map(|m| m.level).collect::<Vec<_>>(),
        [Level::Warn, Level::Warn]
    );
    assert!(
        messages
            .iter()
            .all(|Message { text, .. }| text.starts_with("sum-points"))
    );
}

/// A component that imports each of `interfaces` (`host@9.0.0`) of `example:plugin` as an empty
/// instance, and exports nothing.
fn importing(interfaces: &[&str]) -> Vec<u8> {
    let imports: String = interfaces
        .iter()
        .map(|interface| format!(r#"(import "example:plugin/{interface}" (instance))"#))
        .collect();
    wasm(&format!("(component {imports})"))
}

#[test]
fn a_version_the_host_does_not_serve_is_refused_with_the_versions_it_serves() {
    let host = host();
    let Err(error) = host.load_bytes("future.wasm", &importing(&["host@9.0.0"])) else {
        panic!("loading must fail");
    };
    let serving: Vec<&str> = host.contract().versions().collect();
    assert!(
        matches!(error.kind(), ErrorKind::UnservedVersion { version, served, .. }
            if version == "9.0.0" && served == &serving),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "plugin future.wasm targets example:plugin@9.0.0, which this host does not serve; \
             it serves {}",
            serving.join(", ")
        )
    );
}

#[test]
fn a_component_mixing_versions_is_refused() {
    let Err(error) = host().load_bytes("mixed.wasm", &importing(&["host@0.1.0", "types@0.1.1"]))
    else {
        panic!("loading must fail");
    };
    assert!(
        matches!(error.kind(), ErrorKind::MixedVersions { versions, .. } if versions.len() == 2)
    );
    assert!(
        error.to_string().contains("mixes versions 0.1.0 and 0.1.1"),
        "{error}"
    );
}

#[test]
fn the_embedded_contract_serves_every_version_in_the_repository_oldest_first() {
    let wit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    let mut folders: Vec<String> = std::fs::read_dir(&wit)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let number = |version: &str| -> Vec<u64> {
        version
            .split('.')
            .map(|part| part.parse().unwrap())
            .collect()
    };
    folders.sort_by_key(|version| number(version));
    let contract = example_host::contract::contract().unwrap();
    assert_eq!(contract.versions().collect::<Vec<_>>(), folders);
    assert_eq!(contract.since("sum-points"), Some("0.1.1"));
    assert_eq!(contract.since("trigger"), Some("0.1.0"));
}

#[test]
fn each_version_only_adds_to_the_one_before_it_in_its_line() {
    // wit-component's semver check of every interface, and the world's imports, exports and
    // functions: a plugin of an older version keeps every item it was built against.
    example_host::contract::contract()
        .unwrap()
        .check_growth()
        .unwrap_or_else(|error| panic!("{error}"));
}
