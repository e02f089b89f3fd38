//! Each plugin's metrics (`plugin_host::telemetry`), recorded through the `metrics` facade into a
//! Prometheus recorder of the test's own and read back in the Prometheus text format. The spans
//! are `tests/spans.rs`'s.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};
use plugin_host::{Failure, telemetry};

use crate::expect_failure;

#[path = "../support/noting.rs"]
mod noting;
use noting::{State, noting_plugin, run};

/// The value of the series of `name` in `recorder`'s Prometheus text whose labels include every
/// one of `labels`, if there is one.
fn value(recorder: &PrometheusRecorder, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let text = recorder.handle().render();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| {
            let (series, _) = line.rsplit_once(' ').unwrap_or_default();
            series.split('{').next() == Some(name)
                && labels
                    .iter()
                    .all(|(key, value)| series.contains(&format!("{key}=\"{value}\"")))
        })
        .map(|line| line.rsplit_once(' ').unwrap().1.parse().unwrap())
}

#[test]
fn calls_are_counted_by_outcome_timed_and_metered_per_plugin() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let metric = |name: &str, labels: &[(&str, &str)]| {
        value(&recorder, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?}"))
    };
    metrics::with_local_recorder(&recorder, || {
        let plugin = noting_plugin(true);
        let mut instance = plugin.instantiate(State).expect("it instantiates");
        assert_eq!(metric(telemetry::LIVE, &[("plugin", "test.wat")]), 1.0);
        run(&plugin, &mut instance, 0).expect("run(0) succeeds");
        run(&plugin, &mut instance, 2).expect("run(2) succeeds");
        expect_failure(
            run(&plugin, &mut instance, 1),
            Failure::Trap(plugin_host::Trap::UnreachableCodeReached),
        );
        run(&plugin, &mut instance, 0).expect("run(0) succeeds on a fresh instance");

        let calls = |outcome| {
            let labels = [
                ("plugin", "test.wat"),
                ("export", "run"),
                ("outcome", outcome),
            ];
            metric(telemetry::CALLS, &labels)
        };
        assert_eq!((calls("ok"), calls("trap")), (3.0, 1.0));
        let instantiated = [("plugin", "test.wat"), ("outcome", "ok")];
        assert_eq!(metric(telemetry::INSTANTIATIONS, &instantiated), 2.0);
        assert_eq!(metric(telemetry::RENEWALS, &[]), 1.0);
        assert!(metric(telemetry::FUEL, &[("export", "run")]) > 0.0);
        // One page, grown by two in the second call and by one more in the third.
        assert_eq!(metric(telemetry::MEMORY_HIGH_WATER, &[]), 4.0 * 65536.0);
        let duration = |part| format!("{}_{part}", telemetry::CALL_DURATION);
        assert_eq!(metric(&duration("count"), &[("export", "run")]), 4.0);
        assert!(metric(&duration("sum"), &[("export", "run")]) > 0.0);
        drop(instance);
        assert_eq!(metric(telemetry::LIVE, &[]), 0.0);
    });
}

#[test]
fn with_metrics_off_nothing_is_recorded() {
    let recorder = PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        let plugin = noting_plugin(false);
        let mut instance = plugin.instantiate(State).expect("it instantiates");
        run(&plugin, &mut instance, 0).expect("run(0) succeeds");
    });
    assert_eq!(recorder.handle().render().trim(), "");
}
