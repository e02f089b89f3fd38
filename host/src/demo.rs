//! The demonstrations `plugin-host run` performs: every host/guest interaction of a plugin,
//! each call checked against the result the world (or the raw ABI) specifies.
//!
//! Each demonstration returns a [`Transcript`]; it never panics, whatever the plugin does. A
//! call that fails stops the demonstration and is kept in [`Transcript::error`].

use std::fmt::Display;

use crate::component::{ComponentPlugin, WORLD};
use crate::core_module::{CorePlugin, LinkedModules};
use crate::{CapturedOutput, Error, Plugin, Point, SharedValue};

/// One call and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was done, written as a call: `just-add(15, 27)`.
    pub call: String,
    /// The result the contract specifies, rendered as text.
    pub expected: String,
    /// The result the plugin produced, rendered the same way.
    pub actual: String,
}

impl Check {
    /// Whether the plugin produced the expected result.
    pub fn passed(&self) -> bool {
        self.expected == self.actual
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
    /// The failure that stopped the demonstration early, if one did.
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

    fn check(&mut self, call: impl Into<String>, expected: impl Display, actual: impl Display) {
        self.checks.push(Check {
            call: call.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        });
    }

    /// Records what the plugin printed.
    fn capture(&mut self, output: &CapturedOutput) {
        self.stdout = output.stdout();
        self.stderr = output.stderr();
        self.dropped_output_bytes = output.dropped_bytes();
    }

    /// Records how `steps` ended.
    fn finish(mut self, steps: Result<(), Error>) -> Self {
        self.error = steps.err();
        self
    }

    /// Whether every check passed and nothing failed.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.checks.iter().all(Check::passed)
    }
}

/// Runs the demonstration that fits `plugin`'s kind.
pub fn plugin(plugin: &Plugin, shared: &SharedValue) -> Transcript {
    match plugin {
        Plugin::Component(plugin) => component(plugin, shared),
        Plugin::CoreModule(plugin) => core_module(plugin, shared),
    }
}

/// Exercises a component on a fresh instance: `just-add` and `point-add` (also at their
/// wrapping edges), then `trigger(7)` with the shared value set to 42, which must log 14 and
/// leave 54.
pub fn component(plugin: &ComponentPlugin, shared: &SharedValue) -> Transcript {
    let mut transcript = Transcript::new(plugin.name(), format!("component, world {WORLD}"));
    let steps = (|| {
        let t = &mut transcript;
        let mut instance = plugin.instantiate()?;
        t.check("just-add(15, 27)", 42, instance.just_add(15, 27)?);
        t.check(
            format!("just-add({}, 1)", u64::MAX),
            "0 (wrapped)",
            wrapped(instance.just_add(u64::MAX, 1)?),
        );
        let (a, b) = (point(100, 200), point(30, 70));
        t.check(
            format!("point-add({}, {})", wave(a), wave(b)),
            wave(point(130, 270)),
            wave(instance.point_add(a, b)?),
        );
        let (a, b) = (point(i32::MAX, 0), point(1, 0));
        t.check(
            format!("point-add({}, {})", wave(a), wave(b)),
            wave(point(i32::MIN, 0)),
            wave(instance.point_add(a, b)?),
        );
        let result = trigger(t, "trigger(7)", shared, || instance.trigger(7));
        t.capture(instance.output());
        result?;
        t.check(
            "host log after trigger(7)",
            "[14]",
            list(&instance.take_logged()),
        );
        Ok(())
    })();
    transcript.finish(steps)
}

/// Exercises a core module through the raw ABI on a fresh instance: the seed's five patterns.
///
/// 1. `just_add(15, 27)` = 42 (and wrapping at `i64::MAX + 1`);
/// 2. `trigger_host_calls(7)` logs 14 and moves the shared value 42 -> 54;
/// 3. `point_add` of (100, 200) and (30, 70) through guest memory = (130, 270);
/// 4. the plugin's own value, read through `get_plugin_shared_value_ptr` (100), then 777 written
///    over it and read back;
/// 5. `simple_add(1, 1)` = 2, and the plugin's stdout shows that it now sees 777.
pub fn core_module(plugin: &CorePlugin, shared: &SharedValue) -> Transcript {
    let mut transcript = Transcript::new(plugin.name(), "core module, raw ABI".to_owned());
    let steps = (|| {
        let t = &mut transcript;
        let mut instance = plugin.instantiate()?;
        t.check("just_add(15, 27)", 42, instance.just_add(15, 27)?);
        t.check(
            format!("just_add({}, 1)", i64::MAX),
            format!("{} (wrapped)", i64::MIN),
            wrapped(instance.just_add(i64::MAX, 1)?),
        );
        trigger(t, "trigger_host_calls(7)", shared, || {
            instance.trigger_host_calls(7)
        })?;
        t.check(
            "host log after trigger_host_calls(7)",
            "[14]",
            list(&instance.take_logged()),
        );
        let (a, b) = (point(100, 200), point(30, 70));
        t.check(
            format!("point_add(&result, &{}, &{})", wave(a), wave(b)),
            wave(point(130, 270)),
            wave(instance.point_add(a, b)?),
        );
        let address = instance.guest_value_address()?;
        t.check(
            format!("read i32 at get_plugin_shared_value_ptr() = {address:#x}"),
            100,
            instance.read_guest_value()?,
        );
        instance.write_guest_value(777)?;
        t.check(
            format!("write 777 at {address:#x}, read it back"),
            777,
            instance.read_guest_value()?,
        );
        let sum = instance.simple_add(1, 1);
        t.capture(instance.output());
        t.check("simple_add(1, 1)", 2, sum?);
        let printed = last_word(&t.stdout).to_owned();
        t.check(
            "value simple_add printed (the guest's own view)",
            777,
            printed,
        );
        Ok(())
    })();
    transcript.finish(steps)
}

/// Exercises two linked core modules: the consumer's `foo(7)` calls the provider's `add(1, 7)`
/// through the link, giving 8.
pub fn linked(names: &str, modules: &mut LinkedModules) -> Transcript {
    let mut transcript = Transcript::new(names, "core modules, linked through `env`".to_owned());
    let steps = (|| {
        let result: i32 = modules.call("foo", 7)?;
        transcript.check("foo(7), which calls the linked add(1, 7)", 8, result);
        Ok(())
    })();
    transcript.finish(steps)
}

/// Sets the shared value to 42, runs `call`, and checks the value went to 54.
fn trigger(
    t: &mut Transcript,
    call: &str,
    shared: &SharedValue,
    run: impl FnOnce() -> Result<(), Error>,
) -> Result<(), Error> {
    shared.set(SharedValue::INITIAL);
    let before = shared.get();
    run()?;
    t.check(
        format!("{call}: shared value"),
        "42 -> 54",
        format!("{before} -> {}", shared.get()),
    );
    Ok(())
}

fn point(x: i32, y: i32) -> Point {
    Point { x, y }
}

/// A point as a WAVE record: `{x: 1, y: 2}`.
fn wave(p: Point) -> String {
    format!("{{x: {}, y: {}}}", p.x, p.y)
}

fn wrapped(value: impl Display) -> String {
    format!("{value} (wrapped)")
}

fn list(values: &[i32]) -> String {
    let items: Vec<String> = values.iter().map(i32::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// The last whitespace-separated word of the last line of `text`, or `""`.
fn last_word(text: &str) -> &str {
    text.lines()
        .last()
        .and_then(|line| line.split_whitespace().last())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_word_reads_the_final_line() {
        assert_eq!(last_word("a 1\ncore guest: my value is 777\n"), "777");
        assert_eq!(last_word(""), "");
    }

    #[test]
    fn renders_values_as_wave() {
        assert_eq!(wave(point(-1, 2)), "{x: -1, y: 2}");
        assert_eq!(list(&[14, -2]), "[14, -2]");
    }
}
