//! Splits a body of concatenated JSON objects (`{…}{…}`, with or without white space between)
//! into one object at a time as its bytes arrive, so a streaming request is handled record
//! by record without holding the whole body.

use bytes::{Buf, Bytes, BytesMut};

/// Why the stream cannot go on.
#[derive(Debug, PartialEq, Eq)]
pub enum SplitError {
    /// Something other than a JSON object at the top level, or a body ending inside one.
    Malformed(String),
    /// One object is larger than the limit (bytes).
    TooLarge(usize),
}

/// Incremental splitter: [`push`](Self::push) bytes, then take objects with
/// [`next_object`](Self::next_object) until it answers `None` (more bytes needed).
pub struct JsonSplitter {
    buffer: BytesMut,
    /// How far the current object has been scanned, and the scanner's state there.
    scanned: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
    max_object: usize,
}

impl JsonSplitter {
    /// `max_object`: the largest object accepted, in bytes.
    pub fn new(max_object: usize) -> Self {
        JsonSplitter {
            buffer: BytesMut::new(),
            scanned: 0,
            depth: 0,
            in_string: false,
            escaped: false,
            max_object,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Whether anything but white space is waiting.
    pub fn has_content(&mut self) -> bool {
        self.skip_white_space();
        !self.buffer.is_empty()
    }

    /// The next complete object, `None` if it has not fully arrived yet.
    pub fn next_object(&mut self) -> Option<Result<Bytes, SplitError>> {
        if self.scanned == 0 {
            self.skip_white_space();
            match self.buffer.first() {
                None => return None,
                Some(b'{') => {}
                Some(&other) => {
                    return Some(Err(SplitError::Malformed(format!(
                        "Unexpected character ('{}'): expected a JSON object",
                        char::from(other).escape_default()
                    ))))
                }
            }
        }
        for index in self.scanned..self.buffer.len() {
            let byte = self.buffer[index];
            if self.in_string {
                match (self.escaped, byte) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.scanned = 0;
                        if index >= self.max_object {
                            return Some(Err(SplitError::TooLarge(self.max_object)));
                        }
                        return Some(Ok(self.buffer.split_to(index + 1).freeze()));
                    }
                }
                _ => {}
            }
        }
        self.scanned = self.buffer.len();
        (self.scanned > self.max_object).then_some(Err(SplitError::TooLarge(self.max_object)))
    }

    /// At the end of the body: an error if an object was left incomplete.
    pub fn finish(&mut self) -> Result<(), SplitError> {
        match self.has_content() {
            true => Err(SplitError::Malformed(
                "Unexpected end-of-input: the body ends inside a JSON object".into(),
            )),
            false => Ok(()),
        }
    }

    fn skip_white_space(&mut self) {
        if self.scanned > 0 {
            return;
        }
        let white = self.buffer.iter().take_while(|b| b.is_ascii_whitespace()).count();
        self.buffer.advance(white);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(chunks: &[&str]) -> (Vec<String>, Option<SplitError>) {
        let mut splitter = JsonSplitter::new(1 << 20);
        let mut objects = Vec::new();
        for chunk in chunks {
            splitter.push(chunk.as_bytes());
            while let Some(object) = splitter.next_object() {
                match object {
                    Ok(bytes) => objects.push(String::from_utf8(bytes.to_vec()).unwrap()),
                    Err(e) => return (objects, Some(e)),
                }
            }
        }
        (objects, splitter.finish().err())
    }

    #[test]
    fn splits_objects_across_chunks_with_or_without_white_space() {
        let (objects, error) = split_all(&["{\"a\":\"}{\\\"\"}{\"b\":[1,{", "}]}\n\r\n {\"c\"", ":{}}  "]);
        assert_eq!(objects, vec![r#"{"a":"}{\""}"#, r#"{"b":[1,{}]}"#, r#"{"c":{}}"#]);
        assert_eq!(error, None);
    }

    #[test]
    fn garbage_between_objects_and_a_cut_body_are_malformed() {
        let (objects, error) = split_all(&["{}x{}"]);
        assert_eq!(objects, vec!["{}"]);
        assert!(matches!(error, Some(SplitError::Malformed(m)) if m.contains("'x'")));
        let (objects, error) = split_all(&["{} {\"a\":"]);
        assert_eq!(objects, vec!["{}"]);
        assert!(matches!(error, Some(SplitError::Malformed(_))));
    }

    #[test]
    fn an_object_over_the_limit_is_refused() {
        let mut splitter = JsonSplitter::new(8);
        splitter.push(b"{\"a\":\"0123456789\"}");
        assert_eq!(splitter.next_object(), Some(Err(SplitError::TooLarge(8))));
        let mut splitter = JsonSplitter::new(8);
        splitter.push(b"{\"a\":\"012");
        assert_eq!(splitter.next_object(), Some(Err(SplitError::TooLarge(8))));
    }
}
