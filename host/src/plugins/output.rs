//! What a plugin writes to stdout and stderr during one call: kept in a bounded buffer (output
//! past the cap is dropped, never failing the guest), then logged line by line under the
//! plugin's name. A Rust guest's panic message is found there, so a trap can say why.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Bytes of output kept per call; later output is dropped.
const MAX_OUTPUT: usize = 64 << 10;
/// Lines of one call's output written to the log; the rest are only counted.
const MAX_LOGGED_LINES: usize = 64;
/// Longest line logged or panic message reported; longer ones are cut.
pub const MAX_LINE: usize = 4096;
/// The hint Rust's panic handler prints after the message.
const BACKTRACE_HINT: &str = "note: run with `RUST_BACKTRACE";

/// A guest's stdout and stderr during one call, interleaved as written.
#[derive(Clone, Default)]
pub struct GuestOutput(Arc<Mutex<Vec<u8>>>);

impl GuestOutput {
    /// What the guest wrote so far (at most [`MAX_OUTPUT`] bytes), leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().expect("output lock"))
    }

    fn append(&self, bytes: &[u8]) {
        let mut buffer = self.0.lock().expect("output lock");
        let room = MAX_OUTPUT.saturating_sub(buffer.len());
        buffer.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// WASI p2 streams: always ready, never full.
impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(MAX_OUTPUT)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

/// WASI p3 streams, the same way.
impl AsyncWrite for GuestOutput {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Logs `output` one event per non-blank line, tagged with the plugin's name; bounded by
/// [`MAX_LOGGED_LINES`] lines of at most [`MAX_LINE`] bytes.
pub fn log(plugin: &str, output: &[u8]) {
    if output.is_empty() {
        return;
    }
    let text = String::from_utf8_lossy(output);
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    for line in lines.by_ref().take(MAX_LOGGED_LINES) {
        tracing::info!(plugin, "plugin output: {}", cut(line, MAX_LINE));
    }
    let unlogged = lines.count();
    if unlogged > 0 {
        tracing::info!(plugin, "plugin output: {unlogged} more lines not logged");
    }
}

/// The message of a Rust panic in `output`: the lines after `… panicked at FILE:LINE:COL:`
/// up to Rust's backtrace hint, joined by spaces and cut to [`MAX_LINE`] bytes.
pub fn panic_message(output: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(output);
    let mut lines = text.lines();
    lines.find(|line| line.contains(" panicked at ") && line.ends_with(':'))?;
    let message = lines
        .take_while(|line| !line.starts_with(BACKTRACE_HINT))
        .collect::<Vec<_>>()
        .join(" ");
    let message = cut(message.trim(), MAX_LINE);
    (!message.is_empty()).then(|| message.to_string())
}

/// `text` cut to at most `max` bytes at a character boundary.
pub fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panic_message_is_the_text_between_the_location_and_the_hint() {
        let output = b"starting\nthread '<unnamed>' panicked at src/lib.rs:27:23:\nfixture told to trap\n\
                       second line\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            panic_message(output).as_deref(),
            Some("fixture told to trap second line")
        );
        assert_eq!(panic_message(b"thread 'main' panicked at a.rs:1:1:\n"), None);
        assert_eq!(panic_message(b"just some output\n"), None);
    }

    #[test]
    fn output_past_the_cap_is_dropped_and_long_lines_are_cut_at_char_boundaries() {
        let output = GuestOutput::default();
        output.append(&vec![b'a'; MAX_OUTPUT - 1]);
        output.append(b"bc");
        assert_eq!(output.take().len(), MAX_OUTPUT);
        assert!(output.take().is_empty());
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("hé", 10), "hé");
    }
}
