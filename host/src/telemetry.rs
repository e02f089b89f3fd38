//! What the library tells an application about its plugins while they run: metrics through the
//! [`metrics`] facade and a [`tracing`] span per instantiation and call.
//!
//! # Metrics
//!
//! With [`HostConfig::metrics`](crate::HostConfig::metrics) on, each plugin records these
//! through the recorder installed when the plugin is made ([`metrics::set_global_recorder`],
//! or an exporter's own install function, such as `metrics-exporter-prometheus`'s
//! `PrometheusBuilder::install`). Names and units follow the Prometheus and OpenMetrics
//! conventions (a `_total` counter, base units: seconds and bytes). Every metric has the labels
//! `plugin` (the name the plugin was loaded under) and `world` (the world the plugin was
//! checked against, with its package version, e.g. `example:plugin/plugin@0.1.1`; the ABI's
//! name for a core module; empty for calls by name):
//!
//! | metric | kind | more labels | what |
//! |---|---|---|---|
//! | [`CALLS`] `plugin_calls_total` | counter | `export`, `outcome` | calls, by outcome: `ok` or [`Failure::label`] |
//! | [`CALL_DURATION`] `plugin_call_duration_seconds` | histogram | `export` | how long each call took, in seconds |
//! | [`FUEL`] `plugin_fuel_consumed_total` | counter | `export` | fuel the calls burnt, where [`Limits::fuel`](crate::Limits::fuel) meters it |
//! | [`INSTANTIATIONS`] `plugin_instantiations_total` | counter | `outcome` | instantiations, by outcome: `ok` or [`Failure::label`] |
//! | [`RENEWALS`] `plugin_renewals_total` | counter | | fresh instances made because the last call failed |
//! | [`LIVE`] `plugin_live_instances` | gauge | | instances alive now |
//! | [`MEMORY_HIGH_WATER`] `plugin_memory_high_water_bytes` | gauge | | the largest linear memory any instance of the plugin reached, in bytes |
//! | [`OUTPUT_DROPPED`] `plugin_output_dropped_bytes_total` | counter | | captured stdout and stderr dropped past [`Limits::output_bytes`](crate::Limits::output_bytes) |
//! | [`RELOADS`] `plugin_reloads_total` | counter | `outcome` | a watched directory's loads: `loaded`, `reloaded`, `failed`, `unloaded` (label `file`, the file name, only) |
//!
//! Off (the default), a call reads no clock and touches no metric: the `metrics` facade cannot
//! tell whether a recorder is installed, and timing a call costs a few percent of the cheapest
//! one (BENCHMARKS.md, "Telemetry").
//!
//! # Spans
//!
//! Each instantiation is an `info` span named [`INSTANTIATE_SPAN`] and each call a `debug`
//! span named [`CALL_SPAN`], both of target `plugin_host`, with the fields `plugin`, `world`,
//! `export` (calls), `outcome` (as the metrics'), `error.type` (the outcome, on failure: the
//! OpenTelemetry semantic name), `otel.status_code` (`ERROR` on failure, as
//! `tracing-opentelemetry` reads it) and `duration_s`. What the application's host functions
//! log during a call (a plugin's log messages) are events inside the call's span. A span that
//! no subscriber wants is not made, and then the call is not timed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Label, counter, gauge, histogram};
use tracing::Span;
use tracing::field::Empty;

use crate::Error;
use crate::error::Failure;

/// The counter of calls, by `export` and `outcome`.
pub const CALLS: &str = "plugin_calls_total";
/// The histogram of call durations, in seconds, by `export`.
pub const CALL_DURATION: &str = "plugin_call_duration_seconds";
/// The counter of fuel burnt by calls, by `export`.
pub const FUEL: &str = "plugin_fuel_consumed_total";
/// The counter of instantiations, by `outcome`.
pub const INSTANTIATIONS: &str = "plugin_instantiations_total";
/// The counter of fresh instances made because the last call failed.
pub const RENEWALS: &str = "plugin_renewals_total";
/// The gauge of live instances.
pub const LIVE: &str = "plugin_live_instances";
/// The gauge of the largest linear memory an instance reached, in bytes.
pub const MEMORY_HIGH_WATER: &str = "plugin_memory_high_water_bytes";
/// The counter of captured output bytes dropped.
pub const OUTPUT_DROPPED: &str = "plugin_output_dropped_bytes_total";
/// The counter of a watched directory's loads, by `outcome`.
pub const RELOADS: &str = "plugin_reloads_total";

/// The name of a call's span.
pub const CALL_SPAN: &str = "plugin.call";
/// The name of an instantiation's span.
pub const INSTANTIATE_SPAN: &str = "plugin.instantiate";
/// The name of a watched directory's load span.
pub const LOAD_SPAN: &str = "plugin.load";

/// The outcome label of a call or instantiation that succeeded.
pub const OK: &str = "ok";

/// Registers the descriptions and units of the library's metrics with the recorder installed
/// now, for exporters that show them (Prometheus's `# HELP`). Optional: metrics are recorded
/// without it.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(CALLS, Unit::Count, "Calls into plugins, by outcome.");
    describe_histogram!(CALL_DURATION, Unit::Seconds, "How long plugin calls took.");
    describe_counter!(FUEL, Unit::Count, "Fuel burnt by plugin calls.");
    describe_counter!(
        INSTANTIATIONS,
        Unit::Count,
        "Plugin instantiations, by outcome."
    );
    describe_counter!(
        RENEWALS,
        Unit::Count,
        "Fresh instances made after a failed call."
    );
    describe_gauge!(LIVE, Unit::Count, "Plugin instances alive now.");
    describe_gauge!(
        MEMORY_HIGH_WATER,
        Unit::Bytes,
        "The largest linear memory a plugin instance reached."
    );
    describe_counter!(
        OUTPUT_DROPPED,
        Unit::Bytes,
        "Captured plugin output dropped past its limit."
    );
    describe_counter!(
        RELOADS,
        Unit::Count,
        "Loads of a watched directory, by outcome."
    );
}

/// One plugin's telemetry: its labels, its per-plugin metric handles (registered once, when the
/// plugin is made) and the high-water mark of its instances' memories.
pub(crate) struct Telemetry {
    metrics: bool,
    plugin: Arc<str>,
    world: &'static str,
    labels: Vec<Label>,
    live: Gauge,
    renewals: Counter,
    output_dropped: Counter,
    /// Shared by every plugin of the same labels ([`high_water`]); `None` with metrics off.
    memory: Option<Arc<MemoryMark>>,
}

impl Telemetry {
    /// The telemetry of the plugin `plugin`, checked against `world`; records metrics if
    /// `metrics`.
    pub(crate) fn new(plugin: Arc<str>, world: &'static str, metrics: bool) -> Self {
        let labels = vec![
            Label::new("plugin", plugin.clone()),
            Label::new("world", world),
        ];
        let gauge_of = |name: &'static str| match metrics {
            true => gauge!(name, labels.clone()),
            false => Gauge::noop(),
        };
        let counter_of = |name: &'static str| match metrics {
            true => counter!(name, labels.clone()),
            false => Counter::noop(),
        };
        Self {
            live: gauge_of(LIVE),
            renewals: counter_of(RENEWALS),
            output_dropped: counter_of(OUTPUT_DROPPED),
            metrics,
            plugin,
            world,
            memory: match metrics {
                true => {
                    // Calibrates the clock now, not in the plugin's first call.
                    clock();
                    Some(high_water(&labels))
                }
                false => None,
            },
            labels,
        }
    }

    /// Whether anything listens to calls: metrics are on, or a subscriber wants call spans.
    /// Checked before every call; cheap when nothing does.
    #[inline]
    pub(crate) fn observed(&self) -> bool {
        self.metrics || tracing::enabled!(target: "plugin_host", tracing::Level::DEBUG)
    }

    /// Whether anything listens to instantiations: metrics are on, or a subscriber wants
    /// instantiation spans.
    #[inline]
    pub(crate) fn instantiations_observed(&self) -> bool {
        self.metrics || tracing::enabled!(target: "plugin_host", tracing::Level::INFO)
    }

    /// A call's span, to enter for the call.
    pub(crate) fn call_span(&self, export: &str) -> Span {
        tracing::debug_span!(
            target: "plugin_host",
            CALL_SPAN,
            plugin = %self.plugin,
            world = self.world,
            export,
            outcome = Empty,
            "error.type" = Empty,
            "otel.status_code" = Empty,
            duration_s = Empty,
        )
    }

    /// An instantiation's span, to enter for the instantiation.
    pub(crate) fn instantiate_span(&self) -> Span {
        tracing::info_span!(
            target: "plugin_host",
            INSTANTIATE_SPAN,
            plugin = %self.plugin,
            world = self.world,
            outcome = Empty,
            "error.type" = Empty,
            "otel.status_code" = Empty,
            duration_s = Empty,
        )
    }

    /// The per-export handles of `export`, registered with the current recorder; the fuel
    /// counter only if `fuel_metered`.
    pub(crate) fn export(&self, export: &str, fuel_metered: bool) -> ExportMeter {
        if !self.metrics {
            return ExportMeter {
                export: export.into(),
                ok: Counter::noop(),
                duration: Histogram::noop(),
                fuel: Counter::noop(),
            };
        }
        let labels = self.with(&[("export", export)]);
        ExportMeter {
            export: export.into(),
            ok: counter!(CALLS, self.with(&[("export", export), ("outcome", OK)])),
            duration: histogram!(CALL_DURATION, labels.clone()),
            fuel: match fuel_metered {
                true => counter!(FUEL, labels),
                false => Counter::noop(),
            },
        }
    }

    /// Fills in a finished call's `span` (if any subscriber wants it) with its outcome and
    /// duration.
    pub(crate) fn record(&self, span: &Span, outcome: Result<(), &Error>, took: Duration) {
        if !span.is_disabled() {
            record(span, outcome_label(outcome), took);
        }
    }

    /// Counts a failed call of `meter`'s export under its outcome (registered now: failures
    /// are rare, and their outcomes many).
    #[cold]
    pub(crate) fn failed(&self, meter: &ExportMeter, outcome: Result<(), &Error>) {
        let outcome = ("outcome", outcome_label(outcome));
        counter!(CALLS, self.with(&[("export", &meter.export), outcome])).increment(1);
    }

    /// Records an instantiation that ended with `outcome` after `took`; `renewal` if it
    /// replaced an instance whose call failed.
    pub(crate) fn instantiated(
        &self,
        span: &Span,
        outcome: Result<(), &Error>,
        took: Duration,
        renewal: bool,
    ) {
        let label = outcome_label(outcome);
        record(span, label, took);
        if self.metrics {
            counter!(INSTANTIATIONS, self.with(&[("outcome", label)])).increment(1);
            if renewal {
                self.renewals.increment(1);
            }
        }
    }

    /// An instance came alive.
    pub(crate) fn born(&self) {
        self.live.increment(1);
    }

    /// An instance was dropped.
    pub(crate) fn died(&self) {
        self.live.decrement(1);
    }

    /// The memory high-water mark a store's limiter raises as memories grow, with metrics on.
    pub(crate) fn memory_mark(&self) -> Option<Arc<MemoryMark>> {
        self.memory.clone()
    }

    /// The counter captured output adds what it drops to (a no-op with metrics off).
    pub(crate) fn output_dropped(&self) -> Counter {
        self.output_dropped.clone()
    }

    /// Whether metrics are recorded.
    pub(crate) fn metrics(&self) -> bool {
        self.metrics
    }

    /// The plugin's labels with `more`.
    fn with(&self, more: &[(&'static str, &str)]) -> Vec<Label> {
        let mut labels = self.labels.clone();
        labels.extend(
            more.iter()
                .map(|(key, value)| Label::new(*key, value.to_string())),
        );
        labels
    }
}

/// The largest linear memory any instance of a plugin reached, and its gauge: raised by the
/// stores' limiters as memories grow (growing is rare; calls pay nothing for it).
#[derive(Debug)]
pub(crate) struct MemoryMark {
    bytes: AtomicU64,
    gauge: Gauge,
}

impl MemoryMark {
    /// A linear memory reached `bytes`: raises the mark if above it.
    pub(crate) fn reached(&self, bytes: u64) {
        if bytes > self.bytes.fetch_max(bytes, Ordering::Relaxed) {
            self.gauge.set(bytes as f64);
        }
    }
}

/// The memory high-water mark of the plugins labelled `labels`: one for every plugin made from
/// the same name and world, so that a plugin made again (say, for each call) does not lower the
/// gauge. Kept for the life of the process, as a recorder keeps its series.
fn high_water(labels: &[Label]) -> Arc<MemoryMark> {
    static MARKS: Mutex<BTreeMap<Vec<Label>, Arc<MemoryMark>>> = Mutex::new(BTreeMap::new());
    let mut marks = MARKS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mark = marks.entry(labels.to_vec()).or_insert_with(|| {
        Arc::new(MemoryMark {
            bytes: AtomicU64::new(0),
            gauge: gauge!(MEMORY_HIGH_WATER, labels.to_vec()),
        })
    });
    mark.clone()
}

/// One export's metric handles, kept by each instance for the exports it has called.
pub(crate) struct ExportMeter {
    export: Box<str>,
    pub(crate) ok: Counter,
    pub(crate) duration: Histogram,
    pub(crate) fuel: Counter,
}

impl ExportMeter {
    /// Whether these are the metrics of `export`.
    #[inline]
    pub(crate) fn is(&self, export: &str) -> bool {
        *self.export == *export
    }
}

/// Times a call or instantiation, with `quanta`'s clock: the CPU's time-stamp counter where it
/// is invariant, a few instructions to read and no system call (the monotonic clock where it is
/// not). The first start calibrates it, once per process.
pub(crate) struct Stopwatch(u64);

impl Stopwatch {
    #[inline]
    pub(crate) fn start() -> Self {
        Self(clock().raw())
    }

    #[inline]
    pub(crate) fn took(&self) -> Duration {
        let clock = clock();
        clock.delta(self.0, clock.raw())
    }
}

/// The process's one `quanta` clock.
fn clock() -> &'static quanta::Clock {
    static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

/// The outcome label of a call or instantiation.
fn outcome_label(outcome: Result<(), &Error>) -> &'static str {
    match outcome {
        Ok(()) => OK,
        Err(error) => error.failure().map_or("error", Failure::label),
    }
}

/// Fills in a finished span's outcome fields.
fn record(span: &Span, outcome: &'static str, took: Duration) {
    span.record("outcome", outcome);
    span.record("duration_s", took.as_secs_f64());
    if outcome != OK {
        span.record("error.type", outcome);
        span.record("otel.status_code", "ERROR");
    }
}

/// Records a watched directory's load of `file` (a file name) that ended with `outcome`.
pub(crate) fn reloaded(file: &str, outcome: &'static str) {
    counter!(RELOADS, "file" => file.to_owned(), "outcome" => outcome).increment(1);
}
