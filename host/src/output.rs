//! A guest's captured stdout and stderr: bounded, and never a reason for the guest to fail.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use metrics::Counter;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};
use wasmtime_wasi::{WasiCtxBuilder, async_trait};

use crate::Grants;

/// How much one write may hand over, as `check-write` tells the guest.
const WRITE_PERMIT: usize = 64 << 10;

/// One captured stream: the first `capacity` bytes written to it, and a count of the bytes
/// dropped after those. Writes always succeed, so a guest that prints a lot (or forever) is
/// never failed for it: it only loses the output past the capacity, and is stopped by its
/// deadline if it never stops printing. Clones share the buffer.
#[derive(Clone)]
pub(crate) struct CapturedStream {
    capacity: usize,
    captured: Arc<Mutex<Captured>>,
    /// The plugin's metric of dropped output (a no-op without metrics).
    dropped_metric: Counter,
}

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    dropped: u64,
}

impl CapturedStream {
    fn new(capacity: usize, dropped_metric: Counter) -> Self {
        Self {
            capacity,
            captured: Arc::default(),
            dropped_metric,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Captured> {
        // A panic while holding the lock cannot leave `Captured` inconsistent: keep going.
        self.captured
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps what fits of `data`, counts the rest as dropped.
    fn capture(&self, data: &[u8]) {
        let mut captured = self.lock();
        let room = self.capacity.saturating_sub(captured.bytes.len());
        let kept = data.len().min(room);
        captured.bytes.extend_from_slice(&data[..kept]);
        let dropped = (data.len() - kept) as u64;
        if dropped > 0 {
            captured.dropped += dropped;
            self.dropped_metric.increment(dropped);
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    fn dropped(&self) -> u64 {
        self.lock().dropped
    }
}

#[async_trait]
impl OutputStream for CapturedStream {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.capture(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(WRITE_PERMIT)
    }
}

#[async_trait]
impl Pollable for CapturedStream {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CapturedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.capture(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for CapturedStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// A plugin instance's captured stdout and stderr: the first
/// [`Limits::output_bytes`](crate::Limits::output_bytes) of each, and a count of what was
/// dropped beyond that. Capture carries over when an instance is renewed after a failed call.
#[derive(Clone)]
pub struct CapturedOutput {
    stdout: CapturedStream,
    stderr: CapturedStream,
}

impl std::fmt::Debug for CapturedOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapturedOutput")
            .field("stdout", &self.stdout())
            .field("stderr", &self.stderr())
            .field("dropped_bytes", &self.dropped_bytes())
            .finish()
    }
}

impl CapturedOutput {
    /// Empty streams keeping `capacity` bytes each, adding what they drop to `dropped`.
    pub(crate) fn new(capacity: usize, dropped: Counter) -> Self {
        Self {
            stdout: CapturedStream::new(capacity, dropped.clone()),
            stderr: CapturedStream::new(capacity, dropped),
        }
    }

    /// What the guest wrote to stdout, up to the capacity (invalid UTF-8 replaced).
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    /// What the guest wrote to stderr, up to the capacity (invalid UTF-8 replaced). A Rust
    /// guest's panic message lands here.
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// How many bytes of stdout and stderr together were dropped for want of capacity.
    pub fn dropped_bytes(&self) -> u64 {
        self.stdout.dropped() + self.stderr.dropped()
    }

    /// A WASI context that grants only `grants`: no arguments, stdin closed, every network
    /// use denied, and no directories or environment beyond the grants. Stdout and stderr go
    /// to these streams.
    ///
    /// # Errors
    /// If a granted directory cannot be opened.
    pub(crate) fn wasi(&self, grants: &Grants) -> wasmtime::Result<WasiCtxBuilder> {
        let mut builder = WasiCtxBuilder::new();
        builder
            .stdout(self.stdout.clone())
            .stderr(self.stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        grants.apply(&mut builder)?;
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_bytes_up_to_the_capacity_and_counts_the_rest() {
        let output = CapturedOutput::new(8, Counter::noop());
        let mut stream = output.stdout.clone();
        stream.write(Bytes::from_static(b"hello ")).unwrap();
        stream.write(Bytes::from_static(b"world")).unwrap();
        assert_eq!(output.stdout(), "hello wo");
        assert_eq!(output.dropped_bytes(), 3);
        assert_eq!(
            stream.check_write().unwrap(),
            WRITE_PERMIT,
            "still accepting"
        );
        assert_eq!(output.stderr(), "");
    }
}
