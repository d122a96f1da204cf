//! The accept loop: connections up to the cap, each served by hyper under the watch of
//! `connection` (header and idle timeouts), and the graceful shutdown of them all.
//!
//! Our own loop rather than `axum::serve`, which has no connection cap, no timeouts and a
//! fixed shutdown, and whose hyper answers some bad requests with empty bodies that we can
//! answer with Stream's error envelope instead (see [`head_refusal`]).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::Service;

use crate::http::connection::{Activity, ConnectionLimits, Tracked};
use crate::http::error::{ApiError, codes};
use crate::http::stack;
use crate::state::EmulatorState;

/// The longest request URI (path and query) answered; a longer one gets a 414 envelope. Hyper
/// itself refuses URIs of 64 KiB and more (with an empty 414 body).
pub(crate) const MAX_URI_BYTES: usize = 16 * 1024;

/// The most request header fields answered; more get a 431 envelope. Hyper itself refuses
/// heads of more than [`HYPER_MAX_HEADERS`] fields (with an empty 431 body).
pub(crate) const MAX_HEADERS: usize = 100;

/// The most header fields hyper parses (its default is 100): past [`MAX_HEADERS`] and up to
/// this, the emulator answers with the envelope itself.
pub(crate) const HYPER_MAX_HEADERS: usize = 1024;

/// How long the loop pauses after an accept error such as running out of file descriptors.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Everything a connection task needs, shared.
struct Shared {
    builder: Builder<TokioExecutor>,
    router: Router,
    state: EmulatorState,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
}

/// Serves `listener` until `shutdown` is cancelled, then lets requests in progress finish
/// for up to the shutdown grace and closes what is left.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    state: EmulatorState,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().max_headers(HYPER_MAX_HEADERS);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // True while the loop waits for a connection slot or file descriptors: idle keep-alive
    // connections then close to make room.
    let (pressure, _) = watch::channel(false);
    let grace = limits.shutdown_grace;
    let shared = Arc::new(Shared {
        builder,
        router,
        state,
        limits,
        shutdown: shutdown.clone(),
    });
    let mut conns = JoinSet::new();
    loop {
        let permit = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            permit = slot(&permits, &pressure) => permit,
        };
        let stream = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    on_accept_error(&e, &pressure, &shutdown).await;
                    continue;
                }
            },
        };
        conns.spawn(connection(
            Arc::clone(&shared),
            stream,
            pressure.subscribe(),
            permit,
        ));
    }
    drop(listener);
    // Each connection saw the cancellation: idle ones close at once, busy ones after their
    // answer.
    let drained =
        tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::debug!(
            open = conns.len(),
            "closing connections still busy after the shutdown grace"
        );
        conns.shutdown().await;
    }
}

/// A connection slot; at the cap, asks idle keep-alive connections to close while it waits
/// for one (new connections wait in the listen queue meanwhile).
async fn slot(permits: &Arc<Semaphore>, pressure: &watch::Sender<bool>) -> OwnedSemaphorePermit {
    if let Ok(permit) = Arc::clone(permits).try_acquire_owned() {
        return permit;
    }
    // Cleared when the wait ends, or is dropped (the loop's `select!` may drop it).
    struct Pressure<'a>(&'a watch::Sender<bool>);
    impl Drop for Pressure<'_> {
        fn drop(&mut self) {
            self.0.send_replace(false);
        }
    }
    pressure.send_replace(true);
    let _pressure = Pressure(pressure);
    match Arc::clone(permits).acquire_owned().await {
        Ok(permit) => permit,
        // The semaphore is never closed.
        Err(_) => std::future::pending().await,
    }
}

/// After a failed accept: a connection that failed before it was accepted is nothing; for
/// anything else (out of file descriptors…) idle connections are asked to close and the loop
/// pauses, then goes on serving the connections it has.
async fn on_accept_error(
    e: &std::io::Error,
    pressure: &watch::Sender<bool>,
    stop: &CancellationToken,
) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed; pausing");
    pressure.send_replace(true);
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
    }
    pressure.send_replace(false);
}

/// Stream's error envelope for a request head the emulator will not serve (too long a URI,
/// too many header fields), where hyper would answer with an empty body or not at all.
fn head_refusal(req: &Request<Incoming>) -> Option<ApiError> {
    let uri_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return Some(ApiError::new(
            StatusCode::URI_TOO_LONG,
            codes::INPUT,
            format!("the request URI is longer than {MAX_URI_BYTES} bytes"),
        ));
    }
    if req.headers().len() > MAX_HEADERS {
        return Some(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            codes::INPUT,
            format!("the request has more than {MAX_HEADERS} header fields"),
        ));
    }
    None
}

/// Serves one connection under its watch (see `connection`) until it ends, times out, is
/// asked to make room, or the server shuts down.
async fn connection(
    shared: Arc<Shared>,
    stream: TcpStream,
    mut pressure: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    // Small answers go out at once (as `axum::serve` does).
    let _ = stream.set_nodelay(true);
    let activity = Activity::new();
    let io = TokioIo::new(Tracked::new(stream, Arc::clone(&activity)));
    let service = {
        let shared = Arc::clone(&shared);
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let guard = activity.begin();
            let refusal = head_refusal(&req);
            let shared = Arc::clone(&shared);
            async move {
                let _in_progress = guard;
                let response: Response = match refusal {
                    Some(e) => stack::with_limit_headers(&shared.state, e.into_response()),
                    None => match shared.router.clone().call(req).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    },
                };
                Ok::<_, Infallible>(response)
            }
        })
    };
    let conn = shared.builder.serve_connection(io, service);
    tokio::pin!(conn);
    let limits = &shared.limits;
    let mut shutting_down = false;
    let mut pressure_open = true;
    loop {
        if *pressure.borrow_and_update() && activity.is_idle_keep_alive() {
            tracing::debug!("closing an idle connection to make room");
            return;
        }
        let deadline = activity.deadline(limits);
        let wake_at =
            deadline.map_or_else(|| Instant::now() + Duration::from_secs(86_400), |d| d.0);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = activity.changed() => {}
            changed = pressure.changed(), if pressure_open => {
                pressure_open = changed.is_ok();
            }
            () = shared.shutdown.cancelled(), if !shutting_down => {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(wake_at), if deadline.is_some() => {
                if let Some((at, why)) = activity.deadline(limits)
                    && at <= Instant::now()
                {
                    tracing::debug!(?why, "closing a connection");
                    return;
                }
            }
        }
    }
}
