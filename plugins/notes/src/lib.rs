//! A plugin of `test:notes` (`wit/notes.wit`), for the library's tests of resources and the
//! component model's async ABI on a world other than the example's: each export does one
//! thing the tests check, well-behaved or hostile.
#![allow(missing_docs, reason = "generated code; the WIT documents it")]

use std::cell::{Cell, RefCell};

wit_bindgen::generate!({ path: "wit", world: "notes" });

use exports::test::notes::board::{Guest, GuestCounter};
use test::notes::store::{self, Note};
use wit_bindgen::{FutureReader, FutureWriter, StreamReader};

thread_local! {
    /// Notes `hoard` keeps: host resources the plugin holds across calls.
    static HOARD: RefCell<Vec<Note>> = const { RefCell::new(Vec::new()) };
    /// Streams `hold` keeps unread.
    static HELD: RefCell<Vec<StreamReader<String>>> = const { RefCell::new(Vec::new()) };
    /// Writers of futures `unwritten` never writes.
    static UNWRITTEN: RefCell<Vec<FutureWriter<u32>>> = const { RefCell::new(Vec::new()) };
}

struct Counter(Cell<u32>);

impl GuestCounter for Counter {
    fn new(start: u32) -> Self {
        Self(Cell::new(start))
    }

    fn bump(&self) -> u32 {
        self.0.set(self.0.get().wrapping_add(1));
        self.0.get()
    }
}

struct Plugin;

impl Guest for Plugin {
    type Counter = Counter;

    fn make(text: String) -> Note {
        Note::new(&text)
    }

    fn hoard(count: u32) {
        HOARD.with_borrow_mut(|hoard| {
            hoard.extend((0..count).map(|i| Note::new(&format!("note {i}"))));
        });
    }

    fn hoard_then_trap(count: u32) {
        Self::hoard(count);
        unreachable!("traps with {count} notes made");
    }

    fn length(n: &Note) -> u32 {
        u32::try_from(n.text().len()).unwrap_or(u32::MAX)
    }

    async fn count_words(mut words: StreamReader<String>, pause_ms: u32) -> u32 {
        let mut count = 0;
        while words.next().await.is_some() {
            count += 1;
            store::wait(pause_ms).await;
        }
        count
    }

    async fn never() {
        let (writer, reader) = wit_future::new::<u32>(|| 0);
        UNWRITTEN.with_borrow_mut(|kept| kept.push(writer));
        let _ = reader.await;
    }

    async fn hold(words: StreamReader<String>) {
        HELD.with_borrow_mut(|held| held.push(words));
    }

    fn unwritten() -> FutureReader<u32> {
        let (writer, reader) = wit_future::new::<u32>(|| 0);
        UNWRITTEN.with_borrow_mut(|kept| kept.push(writer));
        reader
    }

    async fn fan_out(count: u32, ms: u32) -> u32 {
        futures::future::join_all((0..count).map(|_| store::wait(ms))).await;
        count
    }
}

export!(Plugin);
