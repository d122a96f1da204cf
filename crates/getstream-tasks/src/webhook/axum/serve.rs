//! [`serve`]: an accept loop for a webhook receiver facing the internet — a
//! connection cap that keeps room for new connections, header and idle
//! timeouts (see `conn`), pauses and one summarised log line on accept
//! errors such as running out of file descriptors.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower_service::Service;

use super::conn::{Activity, Tracked};
use super::limits::ReceiverLimits;
use super::refusals::Refusals;

/// How long the loop pauses after an accept error such as running out of file descriptors.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// How long requests in progress may finish once `shutdown` resolves.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` (HTTP/1.1) until `shutdown` resolves, within the
/// connection bounds of `limits`: [`header_timeout`], [`idle_timeout`] and
/// [`max_connections`] (at the cap, connections that have waited a second
/// without a request close, while new ones wait in the listen queue). Accept errors (out of file
/// descriptors…) pause the loop briefly and are logged in one line per
/// [`log_interval`]. Requests in progress get a second to finish after
/// `shutdown`.
///
/// The body bounds are the router's: [`Receiver::router`](super::Receiver::router)
/// has them ([`BodyLimitLayer`](super::BodyLimitLayer)). This is what
/// `axum::serve` lacks for a public endpoint; on a server of your own, add a
/// header timeout, an idle timeout and a connection cap there.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use getstream_tasks::webhook::axum::{Receiver, ReceiverLimits, serve};
/// let limits = ReceiverLimits::default();
/// let app = Receiver::new("api-secret").limits(limits.clone()).router("/webhooks/stream");
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// serve(listener, app, &limits, async { let _ = tokio::signal::ctrl_c().await; }).await;
/// # Ok(()) }
/// ```
///
/// [`header_timeout`]: ReceiverLimits::header_timeout
/// [`idle_timeout`]: ReceiverLimits::idle_timeout
/// [`max_connections`]: ReceiverLimits::max_connections
/// [`log_interval`]: ReceiverLimits::log_interval
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &ReceiverLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // True while the loop waits for a connection slot or file descriptors:
    // connections that can be spared then close to make room.
    let (pressure, _) = watch::channel(false);
    let (stop, _) = watch::channel(false);
    let accept_errors = Refusals::new(limits.log_interval);
    let limits = Arc::new(limits.clone());
    let mut conns = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            permit = slot(&permits, &pressure) => permit,
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    on_accept_error(&e, &pressure, &accept_errors).await;
                    continue;
                }
            },
        };
        conns.spawn(connection(
            app.clone(),
            Arc::clone(&limits),
            stream,
            pressure.subscribe(),
            stop.subscribe(),
            permit,
        ));
    }
    drop(listener);
    stop.send_replace(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        conns.shutdown().await;
    }
}

/// A connection slot; at the cap, asks connections to make room while it waits for one.
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
/// anything else (out of file descriptors…) connections are asked to make room and the loop
/// pauses, then goes on serving the connections it has.
async fn on_accept_error(e: &std::io::Error, pressure: &watch::Sender<bool>, log: &Refusals) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    log.note(if e.raw_os_error() == Some(24) {
        "accept failed: too many open files"
    } else {
        "accept failed"
    });
    pressure.send_replace(true);
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
    pressure.send_replace(false);
}

/// Serves one connection under its watch until it ends, times out, is asked to make room,
/// or the server shuts down.
async fn connection(
    app: Router,
    limits: Arc<ReceiverLimits>,
    stream: TcpStream,
    mut pressure: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let activity = Activity::new();
    let io = TokioIo::new(Tracked::new(stream, Arc::clone(&activity)));
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let guard = activity.begin();
            let mut app = app.clone();
            async move {
                let _in_progress = guard;
                match app.call(request.map(Body::new)).await {
                    Ok(response) => Ok::<_, Infallible>(response),
                    Err(never) => match never {},
                }
            }
        })
    };
    let conn = http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    let mut shutting_down = false;
    let mut pressure_open = true;
    let mut stop_open = true;
    loop {
        let under_pressure = *pressure.borrow_and_update();
        let reclaim_at = under_pressure.then(|| activity.reclaimable_at()).flatten();
        if reclaim_at.is_some_and(|at| at <= Instant::now()) {
            tracing::debug!("closing a connection to make room");
            return;
        }
        let deadline = activity.deadline(&limits).map(|d| d.0);
        let wake_at = match (deadline, reclaim_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
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
            changed = stop.changed(), if stop_open && !shutting_down => {
                stop_open = changed.is_ok();
                if *stop.borrow() {
                    shutting_down = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            () = sleep_until(wake_at) => {
                if let Some((at, why)) = activity.deadline(&limits)
                    && at <= Instant::now()
                {
                    tracing::debug!(?why, "closing a connection");
                    return;
                }
            }
        }
    }
}

/// Sleeps until `at`, or forever.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
