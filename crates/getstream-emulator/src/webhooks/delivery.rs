//! The sender: a bounded queue drained by one background worker that keeps at most
//! [`MAX_IN_FLIGHT`] deliveries going, each following the [`policy`](super::policy).
//!
//! Nothing here runs on the API's or the jobs' path: they only `try_send` into the queue, so a
//! slow or dead receiver never slows them; a full queue drops the event (logged and counted).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Shared;
use super::policy::{self, Next, Outcome};
use super::record::DeliveryState;
use super::signer;
use crate::state::sync::lock;

/// Most deliveries in flight at once (each may wait up to the delivery deadline).
pub const MAX_IN_FLIGHT: usize = 16;

/// One event on its way: everything the worker needs, nothing borrowed.
pub(crate) struct Outgoing {
    pub webhook_id: String,
    pub api_key: String,
    /// The app's API secret: signs the body; never logged or shown.
    pub secret: String,
    pub url: String,
    /// The uncompressed JSON body.
    pub body: Bytes,
    pub compress: bool,
    /// The hook's own per-attempt timeout (`timeout_ms`), under the policy's.
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("webhook_id", &self.webhook_id)
            .field("api_key", &self.api_key)
            .field("url", &self.url)
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// The HTTP client of deliveries: no redirects (a 3xx is an answer, as Stream treats it), no
/// proxy (receivers are usually on this machine), no connection reuse across a hung request.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("getstream-emulator/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "webhook client with defaults");
            reqwest::Client::new()
        })
}

/// Drains the queue until it closes (the hub is gone) or the emulator shuts down.
pub(crate) async fn run(
    mut queue: mpsc::Receiver<Outgoing>,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let client = client();
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        // Take a slot before taking an event, so events wait in the bounded queue (not in
        // this task) while every slot is busy.
        let slot = tokio::select! {
            () = shutdown.cancelled() => return,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
        };
        let job = tokio::select! {
            () = shutdown.cancelled() => return,
            job = queue.recv() => match job {
                Some(job) => job,
                None => return,
            },
        };
        let client = client.clone();
        let shared = Arc::clone(&shared);
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = deliver(&client, &shared, &job) => {}
            }
            drop(slot);
            shared.finished();
        });
    }
}

/// Sends one event until it is delivered or the policy gives up; records every attempt.
async fn deliver(client: &reqwest::Client, shared: &Shared, job: &Outgoing) {
    let signature = signer::sign(&job.body, &job.secret);
    let body = if job.compress {
        Bytes::from(signer::gzip(&job.body))
    } else {
        job.body.clone()
    };
    let started = Instant::now();
    let mut attempt: u32 = 1;
    loop {
        lock(&shared.log).update(&job.webhook_id, |r| {
            r.attempts = attempt;
            r.state = DeliveryState::Sending;
        });
        let request = client
            .post(&job.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("X-Signature", &signature)
            .header("X-Webhook-Id", &job.webhook_id)
            .header("X-Webhook-Attempt", attempt.to_string())
            .header("X-Api-Key", &job.api_key)
            .body(body.clone());
        let mut timeout = policy::request_timeout(started.elapsed());
        if let Some(own) = job.timeout {
            timeout = timeout.min(own);
        }
        let (outcome, error) = match tokio::time::timeout(timeout, request.send()).await {
            Err(_) => (Outcome::Timeout, Some("timeout".to_owned())),
            Ok(Ok(response)) => (Outcome::Status(response.status().as_u16()), None),
            Ok(Err(e)) if e.is_timeout() => (Outcome::Timeout, Some("timeout".to_owned())),
            Ok(Err(e)) => (Outcome::Network, Some(error_chain(&e))),
        };
        let next = policy::decide(attempt, outcome, started.elapsed());
        lock(&shared.log).update(&job.webhook_id, |r| {
            r.last_status = match outcome {
                Outcome::Status(s) => Some(s),
                Outcome::Timeout | Outcome::Network => None,
            };
            r.last_error.clone_from(&error);
            r.state = match next {
                Next::Delivered => DeliveryState::Delivered,
                Next::GiveUp => DeliveryState::Failed,
                Next::Retry(_) => DeliveryState::Sending,
            };
        });
        match next {
            Next::Delivered => {
                tracing::debug!(webhook_id = %job.webhook_id, attempt, "webhook delivered");
                return;
            }
            Next::GiveUp => {
                tracing::warn!(
                    webhook_id = %job.webhook_id,
                    url = %job.url,
                    attempt,
                    outcome = ?outcome,
                    error = error.as_deref().unwrap_or(""),
                    "webhook delivery failed"
                );
                return;
            }
            Next::Retry(pause) => {
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
        }
    }
}

/// An error and its causes on one line (reqwest's own message names only the outer layer).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
