//! Resources and the component model's async ABI on a world of the tests' own (`test:notes`,
//! `plugins/notes`): host resources in the instance's table, guest resources kept across calls
//! and gone with their instance, a `borrow`, a `stream` the host feeds, async calls on both
//! sides, several calls at once, and the hostile uses of each.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use plugin_artifacts::NOTES_PLUGIN;
use plugin_host::component::{ComponentInstance, ComponentState};
use plugin_host::wasmtime::component::{
    Accessor, FutureConsumer, HasSelf, Resource, Source, StreamReader,
};
use plugin_host::wasmtime::{self, StoreContextMut};
use plugin_host::{
    Async, ErrorKind, Failure, HostConfig, Limit, Limits, PluginHost, Transactional,
};

use crate::{DEADLINE, expect_failure};

mod world {
    plugin_host::bindgen!({
        path: "../plugins/notes/wit",
        world: "notes",
        exports: { default: async | store },
        imports: { "test:notes/store.[constructor]note": trappable },
        with: { "test:notes/store.note": super::Note },
    });
}

use world::Notes;
use world::test::notes::store;

/// What a `note` handle stands for: its text, and a count of the notes alive in the test.
pub struct Note {
    text: String,
    _alive: Alive,
}

/// Counts itself in the test's count of live notes while it lives.
struct Alive(Arc<AtomicUsize>);

impl Alive {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The application's state: the count of live notes.
#[derive(Default)]
struct State {
    notes: Arc<AtomicUsize>,
}

impl Transactional for State {}

impl store::Host for ComponentState<State> {}

impl store::HostNote for ComponentState<State> {
    fn new(&mut self, text: String) -> wasmtime::Result<Resource<Note>> {
        let alive = Alive::new(&self.data().notes);
        Ok(self.resources().push(Note {
            text,
            _alive: alive,
        })?)
    }

    fn text(&mut self, note: Resource<Note>) -> String {
        self.resources()
            .get(&note)
            .map(|note| note.text.clone())
            .unwrap_or_default()
    }

    fn drop(&mut self, note: Resource<Note>) -> wasmtime::Result<()> {
        self.resources().delete(note)?;
        Ok(())
    }
}

impl<T> store::HostWithStore<T> for HasSelf<ComponentState<State>> {
    async fn wait(_: &Accessor<T, Self>, ms: u32) {
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}

type Instance = ComponentInstance<Notes, State>;

/// A host with the component model's async ABI and `test:notes` linked, under `limits`.
fn notes_host<M: plugin_host::Mode>(limits: Limits) -> PluginHost<State, M> {
    let mut host = PluginHost::with_config(HostConfig {
        limits,
        component_model_async: true,
        ..HostConfig::default()
    })
    .unwrap();
    host.link_concurrent(Notes::add_to_linker::<_, HasSelf<ComponentState<State>>>)
        .unwrap();
    host
}

/// An instance of the notes plugin, and the count of its live notes.
fn instance(limits: Limits) -> (Instance, Arc<AtomicUsize>) {
    let host = notes_host::<plugin_host::Blocking>(limits);
    let plugin = host
        .component::<Notes>(&host.load(NOTES_PLUGIN).unwrap())
        .unwrap();
    let state = State::default();
    let notes = state.notes.clone();
    (plugin.instantiate(state).unwrap(), notes)
}

fn live(notes: &AtomicUsize) -> usize {
    notes.load(Ordering::SeqCst)
}

fn hoard(instance: &mut Instance, count: u32) -> Result<(), plugin_host::Error> {
    instance.call_concurrent("hoard", async |notes, accessor| {
        notes.test_notes_board().call_hoard(accessor, count).await
    })
}

fn hoard_then_trap(instance: &mut Instance, count: u32) -> Result<(), plugin_host::Error> {
    instance.call_concurrent("hoard-then-trap", async |notes, accessor| {
        notes
            .test_notes_board()
            .call_hoard_then_trap(accessor, count)
            .await
    })
}

fn counter(instance: &mut Instance, start: u32) -> plugin_host::GuestResource {
    let handle = instance
        .call_concurrent("[constructor]counter", async |notes, accessor| {
            notes
                .test_notes_board()
                .counter()
                .call_constructor(accessor, start)
                .await
        })
        .unwrap();
    instance.keep(handle)
}

fn bump(
    instance: &mut Instance,
    counter: plugin_host::GuestResource,
) -> Result<u32, plugin_host::Error> {
    let handle = instance.resource(&counter)?;
    instance.call_concurrent("[method]counter.bump", async |notes, accessor| {
        notes
            .test_notes_board()
            .counter()
            .call_bump(accessor, handle)
            .await
    })
}

#[test]
fn a_host_resource_the_plugin_returns_is_in_the_instance_table() {
    let (mut instance, notes) = instance(Limits::default());
    let note = instance
        .call_concurrent("make", async |plugin, accessor| {
            plugin
                .test_notes_board()
                .call_make(accessor, "hello".into())
                .await
        })
        .unwrap();
    assert_eq!(instance.resources().get(&note).unwrap().text, "hello");
    assert_eq!(live(&notes), 1);
    instance.resources().delete(note).unwrap();
    assert_eq!(live(&notes), 0);
}

#[test]
fn a_failed_call_and_every_renewal_leave_no_host_resource_alive() {
    let (mut instance, notes) = instance(Limits::default());
    hoard(&mut instance, 10).unwrap();
    assert_eq!(live(&notes), 10, "the plugin holds its notes across calls");
    expect_failure(
        hoard_then_trap(&mut instance, 5),
        Failure::Trap(wasmtime::Trap::UnreachableCodeReached),
    );
    assert_eq!(
        live(&notes),
        0,
        "the failed call's notes and the old instance's are dropped"
    );
    for _ in 0..1000 {
        hoard(&mut instance, 2).unwrap();
        assert!(hoard_then_trap(&mut instance, 3).is_err());
    }
    assert_eq!(live(&notes), 0, "1,000 renewals leave no note behind");
}

#[test]
fn dropping_the_instance_drops_its_host_resources() {
    let (mut instance, notes) = instance(Limits::default());
    hoard(&mut instance, 7).unwrap();
    assert_eq!(live(&notes), 7);
    drop(instance);
    assert_eq!(live(&notes), 0);
}

#[test]
fn a_guest_resource_keeps_its_state_across_calls_and_is_dropped_by_the_host() {
    let (mut instance, _) = instance(Limits::default());
    let counter = counter(&mut instance, 5);
    assert!(counter.owned());
    assert_eq!(bump(&mut instance, counter).unwrap(), 6);
    assert_eq!(bump(&mut instance, counter).unwrap(), 7);
    instance.drop_resource(counter).unwrap();
    let error = bump(&mut instance, counter).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Call(Failure::Host), "{error:#}");
}

#[test]
fn a_guest_resource_of_a_renewed_instance_is_stale_and_renews_nothing() {
    let (mut instance, _) = instance(Limits::default());
    let old = counter(&mut instance, 5);
    assert!(hoard_then_trap(&mut instance, 1).is_err());
    let stale = bump(&mut instance, old).unwrap_err();
    assert_eq!(stale.kind(), &ErrorKind::StaleResource, "{stale:#}");
    // The instance was renewed once, by the first call after the failure; the stale handle
    // renewed nothing: a counter made since keeps counting.
    let new = counter(&mut instance, 10);
    assert_eq!(bump(&mut instance, new).unwrap(), 11);
    assert_eq!(
        bump(&mut instance, old).unwrap_err().kind(),
        &ErrorKind::StaleResource
    );
    assert_eq!(bump(&mut instance, new).unwrap(), 12);
    // Dropping a stale handle has nothing left to drop.
    instance.drop_resource(old).unwrap();
}

#[test]
fn a_guest_resource_of_another_instance_is_stale() {
    let (mut first, _) = instance(Limits::default());
    let (mut second, _) = instance(Limits::default());
    let counter = counter(&mut first, 1);
    assert_eq!(
        bump(&mut second, counter).unwrap_err().kind(),
        &ErrorKind::StaleResource
    );
    assert_eq!(bump(&mut first, counter).unwrap(), 2);
}

#[test]
fn the_plugin_borrows_a_host_resource_for_one_call() {
    let (mut instance, notes) = instance(Limits::default());
    let text = String::from("hello");
    let note = instance
        .resources()
        .push(Note {
            text,
            _alive: Alive::new(&notes),
        })
        .unwrap();
    let rep = note.rep();
    let length = instance
        .call_concurrent("length", async |plugin, accessor| {
            let borrowed = Resource::new_borrow(rep);
            plugin
                .test_notes_board()
                .call_length(accessor, borrowed)
                .await
        })
        .unwrap();
    assert_eq!(length, 5);
    assert_eq!(live(&notes), 1, "a borrow leaves the note with the host");
}

/// The words as a host-made `stream<string>`.
fn words(
    accessor: &Accessor<ComponentState<State>>,
    words: &[&str],
) -> wasmtime::Result<StreamReader<String>> {
    let words: Vec<String> = words.iter().map(|&w| w.to_owned()).collect();
    accessor.with(|mut store| StreamReader::new(&mut store, words))
}

#[test]
fn the_host_feeds_a_stream_while_the_plugin_waits_on_the_host() {
    let (mut instance, _) = instance(Limits::default());
    let count = instance
        .call_concurrent("count-words", async |plugin, accessor| {
            let words = words(accessor, &["a", "b", "c"])?;
            plugin
                .test_notes_board()
                .call_count_words(accessor, words, 5)
                .await
        })
        .unwrap();
    assert_eq!(count, 3);
}

#[test]
fn several_calls_run_on_one_instance_at_once() {
    let (mut instance, _) = instance(Limits::default());
    let started = std::time::Instant::now();
    let (a, b) = instance
        .call_concurrent("count-words", async |plugin, accessor| {
            let (one, two) = (words(accessor, &["a"; 4])?, words(accessor, &["b"; 4])?);
            let board = plugin.test_notes_board();
            let (a, b) = futures_join(
                board.call_count_words(accessor, one, 50),
                board.call_count_words(accessor, two, 50),
            )
            .await;
            Ok((a?, b?))
        })
        .unwrap();
    assert_eq!((a, b), (4, 4));
    // Each call waits 4 × 50 ms on the host: one after the other they would take 400 ms.
    assert!(
        started.elapsed() < Duration::from_millis(390),
        "the calls waited at once: {:?}",
        started.elapsed()
    );
}

/// Both futures, polled together.
async fn futures_join<A, B>(a: impl Future<Output = A>, b: impl Future<Output = B>) -> (A, B) {
    tokio::join!(a, b)
}

fn short() -> Limits {
    Limits {
        deadline: DEADLINE,
        ..Limits::default()
    }
}

#[test]
fn an_async_export_that_never_resolves_times_out_and_the_next_call_runs() {
    let (mut instance, _) = instance(short());
    expect_failure(
        instance.call_concurrent("never", async |plugin, accessor| {
            plugin.test_notes_board().call_never(accessor).await
        }),
        Failure::Timeout,
    );
    let counter = counter(&mut instance, 0);
    assert_eq!(bump(&mut instance, counter).unwrap(), 1);
}

/// Reads a `future<u32>` into a channel.
struct Read(Option<tokio::sync::oneshot::Sender<u32>>);

impl<D> FutureConsumer<D> for Read {
    type Item = u32;

    fn poll_consume(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        store: StoreContextMut<D>,
        mut source: Source<'_, u32>,
        _: bool,
    ) -> std::task::Poll<wasmtime::Result<()>> {
        let mut value = None;
        source.read(store, &mut value)?;
        if let (Some(value), Some(sender)) = (value, self.0.take()) {
            let _ = sender.send(value);
        }
        std::task::Poll::Ready(Ok(()))
    }
}

#[test]
fn a_future_the_plugin_never_writes_times_out() {
    let (mut instance, _) = instance(short());
    expect_failure(
        instance.call_concurrent("unwritten", async |plugin, accessor| {
            let future = plugin.test_notes_board().call_unwritten(accessor).await?;
            let (sender, receiver) = tokio::sync::oneshot::channel();
            accessor.with(|mut store| future.pipe(&mut store, Read(Some(sender))))?;
            Ok(receiver.await.ok())
        }),
        Failure::Timeout,
    );
    let counter = counter(&mut instance, 0);
    assert_eq!(bump(&mut instance, counter).unwrap(), 1);
}

#[test]
fn a_stream_the_plugin_never_reads_leaves_the_call_and_the_next_one_whole() {
    let (mut instance, _) = instance(short());
    instance
        .call_concurrent("hold", async |plugin, accessor| {
            let words = words(accessor, &["never", "read"])?;
            plugin.test_notes_board().call_hold(accessor, words).await
        })
        .unwrap();
    let count = instance
        .call_concurrent("count-words", async |plugin, accessor| {
            let words = words(accessor, &["a", "b"])?;
            plugin
                .test_notes_board()
                .call_count_words(accessor, words, 0)
                .await
        })
        .unwrap();
    assert_eq!(count, 2);
}

/// `fan-out(count)` under a component-handle limit of `handles`.
fn fan_out(handles: usize, count: u32) -> Result<u32, plugin_host::Error> {
    let (mut instance, _) = instance(Limits {
        component_handles: handles,
        ..Limits::default()
    });
    instance.call_concurrent("fan-out", async |plugin, accessor| {
        plugin
            .test_notes_board()
            .call_fan_out(accessor, count, 1)
            .await
    })
}

/// Handles `fan-out` holds besides one per subtask (its own task's, and the waitable set it
/// waits on): with wit-bindgen 0.61 and wasmtime 48, `LIMIT - 2` subtasks fit and one more
/// does not, which the test below checks from both sides.
const FAN_OUT_OVERHEAD: u32 = 2;

#[test]
fn subtasks_are_held_to_the_component_handle_limit() {
    const LIMIT: u32 = 50;
    let under = LIMIT - FAN_OUT_OVERHEAD;
    assert_eq!(
        fan_out(LIMIT as usize, under).unwrap(),
        under,
        "just under the limit"
    );
    expect_failure(
        fan_out(LIMIT as usize, under + 1),
        Failure::Limit(Limit::ComponentHandles),
    );
}

#[tokio::test]
async fn an_async_host_calls_concurrently_and_dropping_the_call_renews_the_instance() {
    let host = notes_host::<Async>(Limits::default());
    let plugin = host
        .component::<Notes>(&host.load(NOTES_PLUGIN).unwrap())
        .unwrap();
    let mut instance = plugin.instantiate(State::default()).await.unwrap();
    let count = instance
        .call_concurrent("count-words", async |plugin, accessor| {
            let words = words(accessor, &["a", "b"])?;
            plugin
                .test_notes_board()
                .call_count_words(accessor, words, 1)
                .await
        })
        .await
        .unwrap();
    assert_eq!(count, 2);
    let handle = instance
        .call_concurrent("[constructor]counter", async |plugin, accessor| {
            plugin
                .test_notes_board()
                .counter()
                .call_constructor(accessor, 0)
                .await
        })
        .await
        .unwrap();
    let counter = instance.keep(handle);
    // A call dropped while the plugin waits on the host: the instance is renewed, and the
    // counter with it.
    let dropped = tokio::time::timeout(
        Duration::from_millis(20),
        instance.call_concurrent("count-words", async |plugin, accessor| {
            let words = words(accessor, &["a"; 100])?;
            plugin
                .test_notes_board()
                .call_count_words(accessor, words, 10)
                .await
        }),
    )
    .await;
    assert!(dropped.is_err(), "the call was still waiting");
    let count = instance
        .call_concurrent("count-words", async |plugin, accessor| {
            let words = words(accessor, &["a"])?;
            plugin
                .test_notes_board()
                .call_count_words(accessor, words, 0)
                .await
        })
        .await
        .unwrap();
    assert_eq!(count, 1);
    assert_eq!(
        instance.resource(&counter).unwrap_err().kind(),
        &ErrorKind::StaleResource
    );
}

/// A session of calls by name on the notes plugin.
fn session() -> plugin_host::dynamic::WaveSession<State> {
    let host = notes_host::<plugin_host::Blocking>(short());
    let compiled = host.load(NOTES_PLUGIN).unwrap();
    match host.dynamic(&compiled).unwrap() {
        plugin_host::dynamic::Dynamic::Component(plugin) => {
            plugin.session(State::default()).unwrap()
        }
        plugin_host::dynamic::Dynamic::CoreModule(_) => unreachable!("a component"),
    }
}

/// The results of a call by name as text.
fn by_name(
    session: &mut plugin_host::dynamic::WaveSession<State>,
    function: &str,
    args: &[&str],
) -> String {
    session
        .call_wave(function, args)
        .unwrap()
        .results
        .unwrap_or_else(|error| panic!("{function} failed: {error:#}"))
}

#[test]
fn by_name_a_returned_handle_is_numbered_passed_back_and_dropped() {
    let mut session = session();
    assert_eq!(
        by_name(&mut session, "board#counter.new", &["5"]),
        "<counter #1>"
    );
    assert_eq!(
        by_name(&mut session, "counter.bump", &["<counter #1>"]),
        "6"
    );
    assert_eq!(by_name(&mut session, "[method]counter.bump", &["#1"]), "7");
    assert_eq!(by_name(&mut session, "make", &["\"hi\""]), "<note #2>");
    assert_eq!(by_name(&mut session, "length", &["<note #2>"]), "2");
    let wrong = session
        .call_wave("counter.bump", &["<note #2>"])
        .unwrap_err();
    assert!(
        matches!(wrong.kind(), ErrorKind::BadArguments { reason, .. } if reason.contains("not a handle to counter")),
        "{wrong:#}"
    );
    session.drop_handle("<counter #1>").unwrap();
    let gone = session.call_wave("counter.bump", &["#1"]).unwrap_err();
    assert!(
        matches!(gone.kind(), ErrorKind::BadArguments { .. }),
        "{gone:#}"
    );
    assert_eq!(session.handles(), ["<note #2>"]);
}

#[test]
fn by_name_handles_of_a_renewed_instance_are_stale() {
    let mut session = session();
    assert_eq!(by_name(&mut session, "counter.new", &["1"]), "<counter #1>");
    let failed = session.call_wave("hoard-then-trap", &["1"]).unwrap();
    assert!(failed.results.is_err());
    let stale = session.call_wave("counter.bump", &["#1"]).unwrap_err();
    assert_eq!(stale.kind(), &ErrorKind::StaleResource, "{stale:#}");
    assert_eq!(
        by_name(&mut session, "counter.new", &["10"]),
        "<counter #2>"
    );
    assert_eq!(by_name(&mut session, "counter.bump", &["#2"]), "11");
}

#[test]
fn by_name_a_wave_list_feeds_a_stream_and_an_async_export_is_awaited() {
    let mut session = session();
    assert_eq!(
        by_name(&mut session, "count-words", &["[\"a\", \"b\", \"c\"]", "1"]),
        "3"
    );
    let failed = session.call_wave("never", &[] as &[&str]).unwrap();
    assert_eq!(
        failed.results.unwrap_err().failure(),
        Some(Failure::Timeout)
    );
}
