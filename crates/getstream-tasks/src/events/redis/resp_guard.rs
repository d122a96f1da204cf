//! A bound on what one Redis reply can make the subscriber hold.
//!
//! The redis crate reads a bulk string whole before it hands it over, however
//! long the server says it is, and anyone who can `PUBLISH` to the channel
//! chooses that length: a 100 MB message would be 100 MB in this process
//! before the size check on the event. [`Guarded`] sits between the socket
//! (inside TLS) and the crate's parser and follows the RESP framing as it
//! passes: a bulk string longer than [`MAX_BULK`] reaches the parser as an
//! empty one (the message is then ignored, and counted) while its bytes are
//! dropped as they arrive. Nothing else changes, so the subscription stays
//! up and later events arrive as usual.
//!
//! RESP is a sequence of lines, where a line that announces a length (`$`,
//! and RESP3's `=` and `!`) is followed by that many bytes and a CRLF; that is
//! all the framing this reader needs. A line longer than [`MAX_LINE`], an
//! oversized RESP3 verbatim string or blob error, or a length that is not a
//! number, is an I/O error: the connection is dropped and made again.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The longest bulk string passed on: far above a compact event (4 KiB)
/// and any channel name.
pub(super) const MAX_BULK: u64 = 64 * 1024;
/// The longest line (a simple string, an error, a number) accepted.
pub(super) const MAX_LINE: usize = 64 * 1024;
/// How much is read from the socket at once.
const CHUNK: usize = 8 * 1024;
/// What an oversized bulk string becomes.
const EMPTY_BULK: &[u8] = b"$0\r\n\r\n";

/// Where the reader is in the RESP stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Reading a line (its bytes so far are in `line`).
    Line,
    /// Passing on the rest of a bulk string and its CRLF.
    Pass(u64),
    /// Dropping the rest of an oversized bulk string and its CRLF.
    Skip(u64),
}

/// A stream whose read side keeps every bulk string to [`MAX_BULK`] bytes;
/// writes go through untouched.
#[derive(Debug)]
pub(super) struct Guarded<S> {
    inner: S,
    framing: Framing,
    /// The line being read.
    line: Vec<u8>,
    /// Read from the socket, not yet looked at (`input[start..]`).
    input: Box<[u8]>,
    start: usize,
    end: usize,
    /// Ready for the parser (`output[sent..]`).
    output: Vec<u8>,
    sent: usize,
    /// Bulk strings replaced by empty ones so far.
    replaced: u64,
}

impl<S> Guarded<S> {
    pub(super) fn new(inner: S) -> Self {
        Guarded {
            inner,
            framing: Framing::Line,
            line: Vec::new(),
            input: vec![0; CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            output: Vec::new(),
            sent: 0,
            replaced: 0,
        }
    }

    /// How many bulk strings were replaced by empty ones.
    #[cfg(test)]
    fn replaced(&self) -> u64 {
        self.replaced
    }

    /// Moves what is in `input` into `output` (or drops it), following the framing.
    fn process(&mut self) -> io::Result<()> {
        while self.start < self.end {
            let available = &self.input[self.start..self.end];
            match self.framing {
                Framing::Pass(left) | Framing::Skip(left) => {
                    let n = available
                        .len()
                        .min(usize::try_from(left).unwrap_or(usize::MAX));
                    if matches!(self.framing, Framing::Pass(_)) {
                        self.output.extend_from_slice(&available[..n]);
                    }
                    let left = left - n as u64;
                    self.framing = match (self.framing, left) {
                        (_, 0) => Framing::Line,
                        (Framing::Pass(_), left) => Framing::Pass(left),
                        (_, left) => Framing::Skip(left),
                    };
                    self.start += n;
                }
                Framing::Line => {
                    let (taken, complete) = match available.iter().position(|&b| b == b'\n') {
                        Some(i) => (i + 1, true),
                        None => (available.len(), false),
                    };
                    if self.line.len() + taken > MAX_LINE {
                        return Err(invalid("a Redis reply line is too long"));
                    }
                    self.line.extend_from_slice(&available[..taken]);
                    self.start += taken;
                    if complete {
                        self.end_line()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A whole line (with its LF) is in `line`: pass it on, or its replacement.
    fn end_line(&mut self) -> io::Result<()> {
        let line = std::mem::take(&mut self.line);
        let kind = line.first().copied();
        if let Some(kind @ (b'$' | b'=' | b'!')) = kind {
            let text = std::str::from_utf8(&line[1..])
                .map_err(|_| invalid("a Redis length is not a number"))?
                .trim_end();
            // `$-1` (nil) and RESP3's `$?` (streamed; Redis sends none) have no body here.
            if !text.starts_with(['-', '?']) {
                let len: u64 = text
                    .parse()
                    .map_err(|_| invalid("a Redis length is not a number"))?;
                let body = len.saturating_add(2);
                if len > MAX_BULK {
                    if kind != b'$' {
                        return Err(invalid("a Redis reply is too large"));
                    }
                    self.replaced += 1;
                    self.output.extend_from_slice(EMPTY_BULK);
                    self.framing = Framing::Skip(body);
                    self.line = line;
                    self.line.clear();
                    return Ok(());
                }
                self.framing = Framing::Pass(body);
            }
        }
        self.output.extend_from_slice(&line);
        // The allocation is kept for the next line (at most MAX_LINE).
        self.line = line;
        self.line.clear();
        Ok(())
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.sent < this.output.len() {
                let n = buf.remaining().min(this.output.len() - this.sent);
                buf.put_slice(&this.output[this.sent..this.sent + n]);
                this.sent += n;
                if this.sent == this.output.len() {
                    this.output.clear();
                    this.sent = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.start < this.end {
                this.process()?;
                continue;
            }
            let mut read = ReadBuf::new(&mut this.input);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            let n = read.filled().len();
            if n == 0 {
                // End of the stream.
                return Poll::Ready(Ok(()));
            }
            this.start = 0;
            this.end = n;
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt as _;

    use super::*;

    /// Hands out its bytes `step` at a time.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let n = self
                .step
                .min(buf.remaining())
                .min(self.data.len() - self.at);
            let at = self.at;
            buf.put_slice(&self.data[at..at + n]);
            self.at += n;
            Poll::Ready(Ok(()))
        }
    }

    async fn through(data: &[u8], step: usize) -> (io::Result<Vec<u8>>, u64) {
        let mut guarded = Guarded::new(Trickle {
            data: data.to_vec(),
            at: 0,
            step,
        });
        let mut out = Vec::new();
        let result = guarded.read_to_end(&mut out).await.map(|_| out);
        (result, guarded.replaced())
    }

    fn message(channel: &str, payload: &[u8]) -> Vec<u8> {
        let mut m = format!(
            "*3\r\n$7\r\nmessage\r\n${}\r\n{channel}\r\n${}\r\n",
            channel.len(),
            payload.len()
        )
        .into_bytes();
        m.extend_from_slice(payload);
        m.extend_from_slice(b"\r\n");
        m
    }

    #[tokio::test]
    async fn small_replies_pass_unchanged_in_any_chunking() {
        let mut stream = b"+OK\r\n:1\r\n$-1\r\n*-1\r\n-ERR no\r\n%1\r\n+a\r\n_\r\n".to_vec();
        stream.extend(message("ch", br#"{"v":1}"#));
        stream.extend(message("ch", &[b'x'; MAX_BULK as usize]));
        stream.extend(b"=8\r\ntxt:abcd\r\n");
        for step in [1, 2, 7, CHUNK, usize::MAX] {
            let (out, replaced) = through(&stream, step).await;
            assert_eq!(out.unwrap(), stream, "step {step}");
            assert_eq!(replaced, 0);
        }
    }

    #[tokio::test]
    async fn an_oversized_bulk_string_becomes_an_empty_one_and_what_follows_goes_on() {
        let big = vec![b'\n'; 3 * CHUNK + MAX_BULK as usize];
        let mut stream = message("ch", &big);
        stream.extend(message("ch", b"after"));
        let mut expected = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$0\r\n\r\n".to_vec();
        expected.extend(message("ch", b"after"));
        for step in [1, 5, CHUNK, usize::MAX] {
            let (out, replaced) = through(&stream, step).await;
            assert_eq!(out.unwrap(), expected, "step {step}");
            assert_eq!(replaced, 1);
        }
    }

    #[tokio::test]
    async fn what_cannot_be_bounded_is_an_error() {
        let long_line = [b"+".as_slice(), &vec![b'a'; MAX_LINE + 1]].concat();
        for stream in [
            long_line,
            b"$12x\r\n".to_vec(),
            b"=99999999\r\ntxt:".to_vec(),
            format!("!{}\r\n", MAX_BULK + 1).into_bytes(),
            b"$18446744073709551616\r\n".to_vec(),
        ] {
            let (out, _) = through(&stream, usize::MAX).await;
            assert_eq!(out.unwrap_err().kind(), io::ErrorKind::InvalidData);
        }
        // The most a huge length can ask for is skipped, not allocated.
        let (out, replaced) = through(b"$18446744073709551615\r\nxyz", 1).await;
        assert_eq!(out.unwrap(), EMPTY_BULK);
        assert_eq!(replaced, 1);
    }
}
