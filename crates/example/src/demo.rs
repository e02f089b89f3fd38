//! The demonstrations `plugin-host run` performs: every host/guest interaction of a plugin,
//! each call checked against the result its version of the contract (or the raw ABI)
//! specifies.
//!
//! A demonstration never panics and never stops early, whatever the plugin does: a call that
//! fails is a failed check carrying the typed error, the instance is renewed, and the next
//! check runs. Only a plugin that cannot be instantiated at all ends its demonstration, in
//! [`Transcript::error`].

use std::fmt::Display;

use plugin_host::dynamic::Dynamic;

use crate::abi::AbiPlugin;
use crate::contract::{ContractInstance, ContractPlugin, Level, Point, SumError};
use crate::{CapturedOutput, Error, HostState, Message, Plugin, SharedValue};

/// One call and its outcome.
#[derive(Debug)]
pub struct Check {
    /// What was done, written as a call: `just-add(15, 27)`.
    pub call: String,
    /// The result the contract specifies, rendered as text.
    pub expected: String,
    /// The result the plugin produced, rendered the same way, or why the call failed.
    pub actual: Result<String, Error>,
    /// What else the check observed, e.g. that a failed call left the shared value unchanged.
    pub note: Option<String>,
}

impl Check {
    /// Whether the plugin produced the expected result.
    pub fn passed(&self) -> bool {
        matches!(&self.actual, Ok(actual) if *actual == self.expected)
    }
}

/// What a demonstration did to one plugin, and what came of it.
#[derive(Debug)]
pub struct Transcript {
    /// The plugin's name (or names, for linked modules).
    pub plugin: String,
    /// What kind of plugin it is and which contract it was held to.
    pub contract: String,
    /// The checks made, in order.
    pub checks: Vec<Check>,
    /// What the plugin wrote to stdout.
    pub stdout: String,
    /// What the plugin wrote to stderr.
    pub stderr: String,
    /// How many bytes of output were dropped beyond the output limit.
    pub dropped_output_bytes: u64,
    /// Why the plugin could not be instantiated, which left nothing to check.
    pub error: Option<Error>,
}

impl Transcript {
    fn new(plugin: &str, contract: String) -> Self {
        Self {
            plugin: plugin.to_owned(),
            contract,
            checks: Vec::new(),
            stdout: String::new(),
            stderr: String::new(),
            dropped_output_bytes: 0,
            error: None,
        }
    }

    fn check(
        &mut self,
        call: impl Into<String>,
        expected: impl Display,
        actual: Result<impl Display, Error>,
    ) {
        self.checks.push(Check {
            call: call.into(),
            expected: expected.to_string(),
            actual: actual.map(|actual| actual.to_string()),
            note: None,
        });
    }

    /// Records what the plugin printed.
    fn capture(&mut self, output: &CapturedOutput) {
        self.stdout = output.stdout();
        self.stderr = output.stderr();
        self.dropped_output_bytes = output.dropped_bytes();
    }

    /// Ends the transcript with the error that kept the plugin from running.
    fn stopped(mut self, error: Error) -> Self {
        self.error = Some(error);
        self
    }

    /// How many checks passed.
    pub fn passed_checks(&self) -> usize {
        self.checks.iter().filter(|check| check.passed()).count()
    }

    /// How many checks failed, counting a plugin that could not be instantiated as one.
    pub fn failed_checks(&self) -> usize {
        self.checks.len() - self.passed_checks() + usize::from(self.error.is_some())
    }

    /// Whether every check passed and the plugin ran.
    pub fn passed(&self) -> bool {
        self.failed_checks() == 0
    }
}

/// Runs the demonstration that fits `plugin`'s kind.
pub fn plugin(plugin: &Plugin, shared: &SharedValue) -> Transcript {
    match plugin {
        Plugin::Component(plugin) => component(plugin, shared),
        Plugin::CoreModule(plugin) => core_module(plugin, shared),
    }
}

/// Exercises a component on a fresh instance with every call of its version: `just-add` and
/// `point-add` (also at their wrapping edges), `trigger(7)` with the shared value set to 42,
/// which must log 14 and leave 54; from 0.1.1, `describe` (which must list the version's
/// calls) and `sum-points` (a sum, and both errors, each reported as a `warn` message).
pub fn component(plugin: &ContractPlugin, shared: &SharedValue) -> Transcript {
    let t = Transcript::new(
        plugin.name(),
        format!("component, world {}", plugin.world()),
    );
    let mut instance = match plugin.instantiate() {
        Ok(instance) => instance,
        Err(error) => return t.stopped(error),
    };
    let mut t = t;
    t.check("just-add(15, 27)", 42, instance.just_add(15, 27));
    t.check(
        format!("just-add({}, 1)", u64::MAX),
        "0 (wrapped)",
        instance.just_add(u64::MAX, 1).map(wrapped),
    );
    for (a, b, sum) in [
        (point(100, 200), point(30, 70), point(130, 270)),
        (point(i32::MAX, 0), point(1, 0), point(i32::MIN, 0)),
    ] {
        t.check(
            format!("point-add({}, {})", wave(a), wave(b)),
            wave(sum),
            instance.point_add(a, b).map(wave),
        );
    }
    trigger(&mut t, "trigger(7)", shared, || instance.trigger(7));
    t.check(
        "host log after trigger(7)",
        "[14]",
        Ok(list(&instance.take_logged())),
    );
    if plugin.has("describe") {
        t.check(
            "describe().calls",
            list(plugin.calls()),
            instance.describe().map(|info| list(&info.calls)),
        );
    }
    if plugin.has("sum-points") {
        // Only what `sum-points` reports counts below.
        instance.take_messages();
        let overflowing = vec![point(i32::MAX, 0), point(1, 0)];
        for (points, expected) in [
            (vec![point(1, 2), point(-5, 4)], "ok({x: -4, y: 6})"),
            (Vec::new(), "err(empty)"),
            (overflowing, "err(overflow(1))"),
        ] {
            let points_text = list(&points.iter().map(|&p| wave(p)).collect::<Vec<_>>());
            t.check(
                format!("sum-points({points_text})"),
                expected,
                instance.sum_points(&points).map(sum_text),
            );
        }
        t.check(
            "host messages after sum-points",
            "[warn, warn]",
            Ok(levels(&instance.take_messages())),
        );
    }
    if plugin.has("shapes#sum-stream") {
        shapes(&mut t, &mut instance);
    }
    t.capture(instance.output());
    t
}

/// The checks of `shapes` (0.1.2): an `accumulator` the plugin keeps, a host `path` it makes
/// and one it borrows, and a `stream` it sums while sleeping on the host's timer.
fn shapes(t: &mut Transcript, instance: &mut ContractInstance) {
    let points = [point(1, 2), point(3, 4)];
    let sum = instance.accumulator().and_then(|accumulator| {
        for p in points {
            instance.accumulator_add(accumulator, p)?;
        }
        let total = instance.accumulator_total(accumulator);
        instance.drop_accumulator(accumulator)?;
        total
    });
    t.check(
        "accumulator: add {x: 1, y: 2}, {x: 3, y: 4}; total",
        wave(point(4, 6)),
        sum.map(wave),
    );
    let points_text = list(&points.iter().map(|&p| wave(p)).collect::<Vec<_>>());
    t.check(
        format!("closed-path({points_text}): the host path's points"),
        points_text.clone(),
        instance
            .closed_path(&points)
            .map(|path| list(&path.iter().map(|&p| wave(p)).collect::<Vec<_>>())),
    );
    t.check(
        format!("path-length(borrow of a host path through {points_text})"),
        2,
        instance.path_length(&points),
    );
    t.check(
        format!("sum-stream(stream of {points_text}, sleeping 10 ms after each)"),
        wave(point(4, 6)),
        instance.sum_stream(points.to_vec(), 10).map(wave),
    );
}

/// Exercises a core module through the raw ABI on a fresh instance: the ABI's five patterns.
///
/// 1. `just_add(15, 27)` = 42 (and wrapping at `i64::MAX + 1`);
/// 2. `trigger_host_calls(7)` logs 14 and moves the shared value 42 -> 54;
/// 3. `point_add` of (100, 200) and (30, 70) through guest memory = (130, 270);
/// 4. the plugin's own value, read through `get_plugin_shared_value_ptr` (100), then 777 written
///    over it and read back;
/// 5. `simple_add(1, 1)` = 2, and the plugin's stdout shows that it now sees 777.
pub fn core_module(plugin: &AbiPlugin, shared: &SharedValue) -> Transcript {
    let t = Transcript::new(plugin.name(), "core module, raw ABI".to_owned());
    let mut instance = match plugin.instantiate() {
        Ok(instance) => instance,
        Err(error) => return t.stopped(error),
    };
    let mut t = t;
    t.check("just_add(15, 27)", 42, instance.just_add(15, 27));
    t.check(
        format!("just_add({}, 1)", i64::MAX),
        format!("{} (wrapped)", i64::MIN),
        instance.just_add(i64::MAX, 1).map(wrapped),
    );
    trigger(&mut t, "trigger_host_calls(7)", shared, || {
        instance.trigger_host_calls(7)
    });
    t.check(
        "host log after trigger_host_calls(7)",
        "[14]",
        Ok(list(&instance.take_logged())),
    );
    let (a, b) = (point(100, 200), point(30, 70));
    t.check(
        format!("point_add(&result, &{}, &{})", wave(a), wave(b)),
        wave(point(130, 270)),
        instance.point_add(a, b).map(wave),
    );
    let address = instance
        .guest_value_address()
        .map_or_else(|_| "?".to_owned(), |address| format!("{address:#x}"));
    t.check(
        format!("read i32 at get_plugin_shared_value_ptr() = {address}"),
        100,
        instance.read_guest_value(),
    );
    t.check(
        format!("write 777 at {address}, read it back"),
        777,
        instance
            .write_guest_value(777)
            .and_then(|()| instance.read_guest_value()),
    );
    let before = instance.output().stdout().len();
    let sum = instance.simple_add(1, 1);
    t.capture(instance.output());
    t.check("simple_add(1, 1)", 2, sum);
    let printed = t.stdout.get(before..).unwrap_or_default();
    t.check(
        "value simple_add printed (the guest's own view)",
        777,
        Ok(seen(printed, 777)),
    );
    t
}

/// Exercises a chain of plugins joined into one, linked core modules or composed components:
/// the last one's `foo(7)` calls the one before's `add(1, 7)` through the chain, giving 8.
pub fn chained(chain: &Dynamic<HostState>, shared: &SharedValue) -> Transcript {
    let (kind, joined) = match chain {
        Dynamic::CoreModule(_) => ("core modules, linked", "linked"),
        Dynamic::Component(_) => ("components, composed", "composed"),
    };
    let mut t = Transcript::new(chain.name(), kind.to_owned());
    let state =
        HostState::new(chain.name().into(), shared.clone()).with_log_level(chain.log_level());
    match chain.call_wave("foo", &["7"], state) {
        Ok(call) => {
            t.check(
                format!("foo(7), which calls the {joined} add(1, 7)"),
                8,
                call.results,
            );
            t.capture(&call.output);
            t
        }
        Err(error) => t.stopped(error),
    }
}

/// Sets the shared value to 42, runs `call`, and checks the value went to 54. When the call
/// fails, the check notes what became of the value: a failed call commits nothing.
fn trigger(
    t: &mut Transcript,
    call: &str,
    shared: &SharedValue,
    run: impl FnOnce() -> Result<(), Error>,
) {
    shared.set(SharedValue::INITIAL);
    let before = shared.get();
    let result = run();
    let after = shared.get();
    let note = result.is_err().then(|| {
        if after == before {
            format!("shared value unchanged ({before}): the failed call committed nothing")
        } else {
            format!("shared value {before} -> {after}")
        }
    });
    t.checks.push(Check {
        call: format!("{call}: shared value"),
        expected: "42 -> 54".to_owned(),
        actual: result.map(|()| format!("{before} -> {after}")),
        note,
    });
}

fn point(x: i32, y: i32) -> Point {
    Point { x, y }
}

/// A point as a WAVE record: `{x: 1, y: 2}`.
fn wave(p: Point) -> String {
    format!("{{x: {}, y: {}}}", p.x, p.y)
}

/// `sum-points`' result as WAVE: `ok({x: 1, y: 2})`, `err(empty)`, `err(overflow(3))`.
fn sum_text(result: Result<Point, SumError>) -> String {
    match result {
        Ok(sum) => format!("ok({})", wave(sum)),
        Err(SumError::Empty) => "err(empty)".to_owned(),
        Err(SumError::Overflow(index)) => format!("err(overflow({index}))"),
    }
}

/// The levels of `messages`, as WIT names them: `[warn, info]`.
fn levels(messages: &[Message]) -> String {
    let names: Vec<&str> = messages
        .iter()
        .map(|message| match message.level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        })
        .collect();
    list(&names)
}

fn wrapped(value: impl Display) -> String {
    format!("{value} (wrapped)")
}

fn list(values: &[impl Display]) -> String {
    let items: Vec<String> = values.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// Whether a guest printed `value`: `value` itself if it stands in `printed` as a number of
/// its own (whatever else the guest prints around it, on any line), else the numbers it did
/// print, for the failure to show. The raw-ABI plugin prints its view of the value on one line
/// and then "Performing simple add: 1 + 1"; ours prints one line that ends with the value.
fn seen(printed: &str, value: i64) -> String {
    let numbers: Vec<&str> = printed
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .filter(|word| word.parse::<i64>().is_ok())
        .collect();
    if numbers.iter().any(|number| number.parse() == Ok(value)) {
        value.to_string()
    } else if numbers.is_empty() {
        format!("no number in {printed:?}")
    } else {
        numbers.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_value_is_seen_whatever_else_is_printed() {
        assert_eq!(seen("core guest: my value is 777\n", 777), "777");
        let raw_abi = "Current plugin's internal shared value: 777\nPerforming simple add: 1 + 1\n";
        assert_eq!(seen(raw_abi, 777), "777");
        assert_eq!(seen("value: 100\nadding 1 + 1\n", 777), "100 1 1");
        assert_eq!(seen("7770 and 1777", 777), "7770 1777");
        assert_eq!(seen("", 777), "no number in \"\"");
    }

    #[test]
    fn renders_values_as_wave() {
        assert_eq!(wave(point(-1, 2)), "{x: -1, y: 2}");
        assert_eq!(list(&[14, -2]), "[14, -2]");
        assert_eq!(sum_text(Err(SumError::Overflow(3))), "err(overflow(3))");
    }
}
