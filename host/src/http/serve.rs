//! Serves the HTTP app on one listener (plain or TLS) with connection deadlines: the TLS
//! handshake and request headers must arrive within `request.header.timeout.ms` (which also
//! bounds an idle keep-alive connection), a request body within `request.body.timeout.ms`,
//! and a connection with no traffic for `idle.timeout.ms` is closed. Headers are bounded by
//! `max.request.header.size` (431), and open connections by
//! `server.connection.limit`/`connector.connection.limit`: at the limit, no connection is
//! accepted until one closes. On stop, no new connections are accepted and open ones finish
//! their in-flight requests. Every request carries its [`ConnectionFacts`].

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{bail, Context as _};
use axum::extract::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt as _;
use tracing::{debug, warn};
use url::Url;

use super::body_deadline;
use super::tls::{client_identity, TlsServer};
use super::App;
use crate::config::{ConnectionLimits, ConnectionTimeouts as Timeouts};

/// What a request knows of its connection; every request carries it as an extension.
#[derive(Clone, Debug)]
pub struct ConnectionFacts {
    pub peer: SocketAddr,
    /// The client certificate's subject (RFC 2253), on a TLS listener that asked for one.
    pub tls_client_identity: Option<String>,
}

/// A bound listener; TLS when bound for an `https://` URL.
pub struct Listener {
    tcp: TcpListener,
    tls: Option<Arc<TlsServer>>,
}

impl Listener {
    /// `http://ADDRESS` or `https://ADDRESS`, as bound (port 0 resolved).
    pub fn url(&self) -> anyhow::Result<String> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        Ok(format!("{scheme}://{}", self.tcp.local_addr()?))
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// What bounds the connections of every listener of the process.
#[derive(Clone)]
pub struct Limits {
    timeouts: Timeouts,
    header_bytes: usize,
    /// Shared by all listeners (`server.connection.limit`).
    server_slots: Option<Arc<Semaphore>>,
    per_listener: Option<usize>,
}

impl Limits {
    pub fn new(timeouts: Timeouts, limits: ConnectionLimits) -> Self {
        Limits {
            timeouts,
            header_bytes: limits.header_bytes,
            server_slots: limits.server.map(|n| Arc::new(Semaphore::new(n))),
            per_listener: limits.per_listener,
        }
    }
}

/// Accepts connections until `stop` turns true, then waits for open connections to finish.
pub async fn serve(listener: Listener, app: App, limits: Limits, mut stop: watch::Receiver<bool>) {
    // Every connection task holds a sender; the channel closes once the last one ends.
    let (open_tx, mut open_rx) = mpsc::channel::<()>(1);
    let listener_slots = limits.per_listener.map(|n| Arc::new(Semaphore::new(n)));
    loop {
        // At a limit, new connections wait in the kernel's accept queue (bounded by the
        // listen backlog; beyond it the kernel refuses them): nothing grows here.
        let slots = tokio::select! {
            slots = take_slots(listener_slots.as_ref(), limits.server_slots.as_ref()) => slots,
            _ = stop.wait_for(|stopped| *stopped) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.tcp.accept() => accepted,
            _ = stop.wait_for(|stopped| *stopped) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let connection = serve_connection(
                    stream,
                    peer,
                    listener.tls.as_ref().map(|tls| tls.acceptor()),
                    app.clone(),
                    limits.clone(),
                    stop.clone(),
                );
                let open = open_tx.clone();
                tokio::spawn(async move {
                    connection.await;
                    drop((open, slots));
                });
            }
            Err(e) => {
                // Out of descriptors, typically: back off instead of spinning.
                warn!("cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    drop(open_tx);
    open_rx.recv().await;
}

/// A place for one more connection under each limit that is set; the listener's own first,
/// so a listener at its limit holds none of the shared places while it waits.
async fn take_slots(
    listener: Option<&Arc<Semaphore>>,
    server: Option<&Arc<Semaphore>>,
) -> Vec<OwnedSemaphorePermit> {
    let mut slots = Vec::new();
    for semaphore in [listener, server].into_iter().flatten() {
        if let Ok(slot) = Arc::clone(semaphore).acquire_owned().await {
            slots.push(slot);
        }
    }
    slots
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: App,
    limits: Limits,
    stop: watch::Receiver<bool>,
) {
    // Answers written in pieces (v3's streamed produce answers) go out at once instead of
    // waiting for the client's delayed ACK of the piece before (Nagle's algorithm).
    if let Err(e) = stream.set_nodelay(true) {
        debug!("cannot set TCP_NODELAY for {peer}: {e}");
    }
    let activity = Activity::new();
    let tracked = Tracked {
        inner: stream,
        activity: Arc::clone(&activity),
    };
    let Some(tls) = tls else {
        let facts = ConnectionFacts {
            peer,
            tls_client_identity: None,
        };
        return serve_http(tracked, facts, activity, app, &limits, stop).await;
    };
    let stream = match tokio::time::timeout(limits.timeouts.header, tls.accept(tracked)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return debug!("TLS handshake with {peer} failed: {e}"),
        Err(_) => return debug!("TLS handshake with {peer} not done within request.header.timeout.ms"),
    };
    let facts = ConnectionFacts {
        peer,
        tls_client_identity: client_identity(stream.get_ref().1),
    };
    serve_http(stream, facts, activity, app, &limits, stop).await;
}

async fn serve_http<S>(
    io: S,
    facts: ConnectionFacts,
    activity: Arc<Activity>,
    app: App,
    limits: &Limits,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    let timeouts = limits.timeouts;
    let service = app.map_request(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(facts.clone());
        body_deadline::bound(request, timeouts.body)
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Headers over the limit are answered 431 by hyper.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .max_buf_size(limits.header_bytes);
    builder
        .http2()
        .max_header_list_size(u32::try_from(limits.header_bytes).unwrap_or(u32::MAX));
    let connection = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    debug!("connection ended: {e}");
                }
                return;
            }
            _ = activity.idle_for(timeouts.idle) => {
                debug!("closing a connection idle for idle.timeout.ms={}", timeouts.idle.as_millis());
                return;
            }
            _ = stop.wait_for(|stopped| *stopped), if !stopping => {
                connection.as_mut().graceful_shutdown();
                stopping = true;
            }
        }
    }
}

/// When a connection last moved bytes, in milliseconds since it was accepted.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        })
    }

    fn touch(&self) {
        self.last_ms
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Resolves once no bytes moved for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            if last.elapsed() >= limit {
                return;
            }
            tokio::time::sleep_until(last + limit).await;
        }
    }
}

/// A stream that records when bytes last moved through it.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.touch();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        result
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Binds the address of a `http://HOST:PORT` or `https://HOST:PORT` listener URL; `tls`
/// serves the latter.
pub async fn bind(url: &Url, tls: Option<&Arc<TlsServer>>) -> anyhow::Result<Listener> {
    let host = url.host_str().context("listener without host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().context("listener without port")?;
    let tls = match (url.scheme(), tls) {
        ("https", Some(tls)) => Some(Arc::clone(tls)),
        ("https", None) => bail!("{url} needs the ssl.keystore settings"),
        _ => None,
    };
    let tcp = TcpListener::bind((host, port))
        .await
        .with_context(|| format!("cannot listen on {url}"))?;
    Ok(Listener { tcp, tls })
}
