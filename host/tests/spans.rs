//! A `tracing` span per instantiation and call (`plugin_host::telemetry`), seen by a subscriber
//! of the test's own, with the plugin's log inside its call's span.
//!
//! A test binary of its own: `tracing` caches whether a callsite is wanted, and a subscriber
//! set for one thread (`with_default`) races with tests on other threads hitting the same
//! callsites without one.

use std::sync::{Arc, Mutex};

use plugin_host::telemetry::{CALL_SPAN, INSTANTIATE_SPAN};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[path = "support/noting.rs"]
mod noting;
use noting::{NOTE, State, noting_plugin, run};

/// A span the subscriber saw closed: its name and fields.
#[derive(Debug, Clone, Default)]
struct SeenSpan {
    name: &'static str,
    fields: Vec<(String, String)>,
}

impl SeenSpan {
    fn field(&self, name: &str) -> Option<&str> {
        let found = self.fields.iter().rev().find(|(field, _)| field == name);
        found.map(|(_, value)| value.as_str())
    }
}

impl Visit for SeenSpan {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let value = format!("{value:?}").trim_matches('"').to_owned();
        self.fields.push((field.name().to_owned(), value));
    }
}

/// An event the subscriber saw: its message, and the name of the span it was in.
type SeenEvent = (String, Option<&'static str>);

/// What the subscriber saw: closed spans, and each event.
#[derive(Default, Clone)]
struct Seen {
    spans: Arc<Mutex<Vec<SeenSpan>>>,
    events: Arc<Mutex<Vec<SeenEvent>>>,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Seen {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut seen = SeenSpan {
            name: attrs.metadata().name(),
            ..SeenSpan::default()
        };
        attrs.record(&mut seen);
        let span = ctx.span(id).expect("a new span is there");
        span.extensions_mut().insert(seen);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("a recorded span is there");
        if let Some(seen) = span.extensions_mut().get_mut::<SeenSpan>() {
            values.record(seen);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut message = SeenSpan::default();
        event.record(&mut message);
        let text = message.field("message").unwrap_or_default().to_owned();
        let parent = ctx.event_span(event).map(|span| span.name());
        self.events.lock().unwrap().push((text, parent));
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).expect("a closed span is there");
        if let Some(seen) = span.extensions().get::<SeenSpan>() {
            self.spans.lock().unwrap().push(seen.clone());
        }
    }
}

#[test]
fn every_instantiation_and_call_is_a_span_and_the_plugins_log_is_inside_its_call() {
    let seen = Seen::default();
    let subscriber = tracing_subscriber::registry().with(seen.clone());
    tracing::subscriber::with_default(subscriber, || {
        let plugin = noting_plugin(false);
        let mut instance = plugin.instantiate(State).expect("it instantiates");
        run(&plugin, &mut instance, 0).expect("run(0) succeeds");
        let _ = run(&plugin, &mut instance, 1);
    });
    let spans = seen.spans.lock().unwrap();
    let calls: Vec<_> = spans.iter().filter(|s| s.name == CALL_SPAN).collect();
    assert_eq!(calls.len(), 2, "{spans:#?}");
    for call in &calls {
        assert_eq!(call.field("plugin"), Some("test.wat"));
        assert_eq!(call.field("export"), Some("run"));
        let seconds: f64 = call.field("duration_s").expect("timed").parse().unwrap();
        assert!(seconds > 0.0);
    }
    assert_eq!(calls[0].field("outcome"), Some("ok"));
    assert_eq!(calls[0].field("otel.status_code"), None);
    assert_eq!(calls[1].field("outcome"), Some("trap"));
    assert_eq!(calls[1].field("error.type"), Some("trap"));
    assert_eq!(calls[1].field("otel.status_code"), Some("ERROR"));
    let instantiations = spans.iter().filter(|s| s.name == INSTANTIATE_SPAN);
    assert_eq!(instantiations.count(), 1, "{spans:#?}");
    let events = seen.events.lock().unwrap();
    let notes: Vec<_> = events.iter().filter(|(text, _)| text == NOTE).collect();
    assert_eq!(notes.len(), 2, "{events:?}");
    assert!(
        notes.iter().all(|(_, parent)| *parent == Some(CALL_SPAN)),
        "{events:?}"
    );
}
