//! A reader of the Server-Sent Events wire format, for clients of `GET /events` that are not
//! a browser: the simulator's bots and the benchmark (`examples/bench`).
//!
//! It reads a streaming `reqwest::Response` chunk by chunk: `id:` and `data:` fields (several
//! `data:` lines join with `\n`), events ended by a blank line, `:` comment lines (keep-alives)
//! skipped, lines ended by `\n`, `\r\n` or `\r`. Decoding the data is the caller's business.
//!
//! Reads are cancel-safe: the event being assembled lives in the reader, not in the read's
//! future, so a `next` dropped by a `select!` loses nothing and the next call resumes.

use reqwest::Response;

/// One event from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event's own `id:` field, when it has one (durable events do; ephemeral ones and
    /// `resync` do not).
    pub id: Option<String>,
    /// The `data:` lines, joined by `\n`.
    pub data: String,
}

/// An open event stream.
pub struct EventStream {
    response: Response,
    parser: Parser,
}

impl EventStream {
    /// Reads `response`, which should be a `200` with `text/event-stream` (the caller checks).
    pub fn new(response: Response) -> Self {
        Self {
            response,
            parser: Parser::default(),
        }
    }

    /// The next event with data; `Ok(None)` once the server has ended the stream (an
    /// unfinished event at the end is dropped), `Err` when the connection broke.
    pub async fn next(&mut self) -> Result<Option<Event>, reqwest::Error> {
        loop {
            if let Some(event) = self.parser.event() {
                return Ok(Some(event));
            }
            if self.parser.ended {
                return Ok(None);
            }
            // The only await: cancelling here leaves the unread bytes in the response.
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.parser.push(&bytes),
                Ok(None) => self.parser.ended = true,
                Err(error) => {
                    self.parser.ended = true;
                    return Err(error);
                }
            }
        }
    }
}

/// The wire format, from bytes to events.
#[derive(Default)]
struct Parser {
    /// Bytes received; those before `consumed` have been split into lines already.
    buffer: Vec<u8>,
    consumed: usize,
    pending_id: Option<String>,
    pending_data: Option<String>,
    /// No more bytes will come.
    ended: bool,
}

impl Parser {
    fn push(&mut self, bytes: &[u8]) {
        self.buffer.drain(..self.consumed);
        self.consumed = 0;
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete event in what has arrived.
    fn event(&mut self) -> Option<Event> {
        while let Some(line) = self.take_line() {
            if let Some(event) = self.process(&line) {
                return Some(event);
            }
        }
        None
    }

    /// Takes one complete line off the buffer, without its terminator.
    fn take_line(&mut self) -> Option<String> {
        let start = self.consumed;
        let end = start
            + self.buffer[start..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')?;
        let terminator = if self.buffer[end] == b'\n' {
            1
        } else {
            match self.buffer.get(end + 1) {
                Some(b'\n') => 2,
                Some(_) => 1,
                // A `\r` at the end of what has arrived may be the first half of `\r\n`.
                None if self.ended => 1,
                None => return None,
            }
        };
        let line = String::from_utf8_lossy(&self.buffer[start..end]).into_owned();
        self.consumed = end + terminator;
        Some(line)
    }

    /// Applies one line to the event being assembled; a blank line finishes it.
    fn process(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            let id = self.pending_id.take().filter(|id| !id.is_empty());
            return self.pending_data.take().map(|data| Event { id, data });
        }
        if line.starts_with(':') {
            return None; // A comment: keep-alive.
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "id" => self.pending_id = Some(value.to_owned()),
            "data" => match &mut self.pending_data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.pending_data = Some(value.to_owned()),
            },
            _ => {} // `event`, `retry` and unknown fields: the server sends none we need.
        }
        None
    }
}

/// The `kind` of a Meridian event's data (`{"kind":"chat","data":…}`) without decoding the
/// rest, so a reader can skip the many events it does not care about cheaply. `None` when the
/// data does not start that way (then decode it to be sure).
pub fn kind_of(data: &str) -> Option<&str> {
    let rest = data.strip_prefix("{\"kind\":\"")?;
    rest.split_once('"').map(|(kind, _)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&str]) -> Vec<Event> {
        let mut parser = Parser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.push(chunk.as_bytes());
            while let Some(event) = parser.event() {
                out.push(event);
            }
        }
        out
    }

    fn event(id: Option<&str>, data: &str) -> Event {
        Event {
            id: id.map(str::to_owned),
            data: data.to_owned(),
        }
    }

    #[test]
    fn fields_comments_and_every_line_ending() {
        let got = events(&[
            ": keep-alive\n\nid: 7\ndata: {\"a\":1}\n\n",
            "data:x\r\ndata: y\r\n\r\nid:\rdata: z\r\r\n",
        ]);
        assert_eq!(
            got,
            [
                event(Some("7"), "{\"a\":1}"),
                event(None, "x\ny"),
                event(None, "z")
            ]
        );
    }

    #[test]
    fn an_event_split_anywhere_arrives_whole() {
        let wire = "id: 12\r\ndata: {\"kind\":\"chat\"}\r\n\r\n";
        for cut in 1..wire.len() {
            let got = events(&[&wire[..cut], &wire[cut..]]);
            assert_eq!(
                got,
                [event(Some("12"), "{\"kind\":\"chat\"}")],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn kinds_are_read_from_the_envelope_start() {
        assert_eq!(kind_of(r#"{"kind":"chat","data":{}}"#), Some("chat"));
        assert_eq!(kind_of(r#"{"kind":"resync"}"#), Some("resync"));
        assert_eq!(kind_of(r#"{"data":{},"kind":"chat"}"#), None);
    }
}
