//! A raw HTTP/1.1 client for requests no well-behaved client would send: any bytes go out as
//! written, and answers are read back (Content-Length, chunked or up to the close).

use std::io::{Error, ErrorKind, Result};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One answer read off a connection.
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The server said it closes the connection after this answer.
    pub close: bool,
}

/// A connection with the bytes read past the last answer.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

/// The head of an answer, owned (parsed out of the buffer it borrowed).
struct Head {
    length: usize,
    status: u16,
    content_type: Option<String>,
    content_length: Option<usize>,
    chunked: bool,
    close: bool,
}

impl Connection {
    pub async fn open(address: &str) -> Result<Connection> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffer: Vec::new(),
        })
    }

    pub async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Tells the server nothing more comes (a request cut short ends here, not at a timeout).
    pub async fn finish(&mut self) -> Result<()> {
        self.stream.shutdown().await
    }

    /// The next answer; `None` if the server closed the connection without one. `head`: the
    /// request was a HEAD (no body follows the answer's head).
    pub async fn answer(&mut self, head_request: bool) -> Result<Option<Answer>> {
        let head = loop {
            match parse_head(&self.buffer)? {
                Some(head) if (100..200).contains(&head.status) => {
                    self.buffer.drain(..head.length);
                }
                Some(head) => break head,
                None => {
                    if self.fill().await? == 0 {
                        return if self.buffer.is_empty() {
                            Ok(None)
                        } else {
                            Err(Error::new(
                                ErrorKind::UnexpectedEof,
                                "closed inside an answer's head",
                            ))
                        };
                    }
                }
            }
        };
        self.buffer.drain(..head.length);
        let no_body = head_request || head.status == 204 || head.status == 304;
        let body = if no_body {
            Vec::new()
        } else if head.chunked {
            self.chunked_body().await?
        } else if let Some(length) = head.content_length {
            self.take(length).await?
        } else {
            while self.fill().await? > 0 {}
            std::mem::take(&mut self.buffer)
        };
        Ok(Some(Answer {
            status: head.status,
            content_type: head.content_type,
            body,
            close: head.close,
        }))
    }

    /// Reads more bytes into the buffer; 0 at the end of the stream.
    async fn fill(&mut self) -> Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = match self.stream.read(&mut chunk).await {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => 0,
            Err(e) => return Err(e),
        };
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    async fn take(&mut self, length: usize) -> Result<Vec<u8>> {
        while self.buffer.len() < length {
            if self.fill().await? == 0 {
                return Err(Error::new(
                    ErrorKind::UnexpectedEof,
                    "closed inside an answer's body",
                ));
            }
        }
        Ok(self.buffer.drain(..length).collect())
    }

    async fn line(&mut self) -> Result<Vec<u8>> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                let line = self.buffer.drain(..end + 2).take(end).collect();
                return Ok(line);
            }
            if self.fill().await? == 0 {
                return Err(Error::new(ErrorKind::UnexpectedEof, "closed inside a chunk"));
            }
        }
    }

    async fn chunked_body(&mut self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.line().await?;
            let size = std::str::from_utf8(&line)
                .ok()
                .and_then(|l| usize::from_str_radix(l.split(';').next()?.trim(), 16).ok())
                .ok_or_else(|| Error::new(ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                while !self.line().await?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.take(size).await?);
            self.line().await?;
        }
    }
}

fn parse_head(buffer: &[u8]) -> Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let length = match response.parse(buffer) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(Error::new(ErrorKind::InvalidData, e)),
    };
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
    };
    Ok(Some(Head {
        length,
        status: response.code.unwrap_or(0),
        content_type: header("content-type"),
        content_length: header("content-length").and_then(|v| v.trim().parse().ok()),
        chunked: header("transfer-encoding").is_some_and(|v| v.contains("chunked")),
        close: header("connection").is_some_and(|v| v.contains("close")) || response.version == Some(0),
    }))
}
