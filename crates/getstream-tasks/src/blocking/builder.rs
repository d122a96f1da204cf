//! The blocking [`ClientBuilder`](super::ClientBuilder).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::error::{Result, TransportError};

use super::client::{Client, Job};

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]).
    ///
    /// # Errors
    ///
    /// As [`crate::Client::new`], or [`Error::Transport`](crate::Error::Transport) if the runtime thread
    /// cannot be started.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Result<Client> {
        Client::builder(api_key, api_secret).build()
    }

    /// A builder to change the base URL and time limits.
    pub fn builder(api_key: impl Into<String>, api_secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            inner: crate::Client::builder(api_key, api_secret),
        }
    }

    /// A client configured from `STREAM_API_KEY`, `STREAM_API_SECRET` and
    /// `STREAM_BASE_URL`, as [`crate::Client::from_env`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::from_env`].
    pub fn from_env() -> Result<Client> {
        ClientBuilder {
            inner: crate::ClientBuilder::from_env()?,
        }
        .build()
    }
}

/// Builds a blocking [`Client`]; the same settings and defaults as
/// [`crate::ClientBuilder`].
#[must_use = "a builder does nothing until .build() is called"]
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    inner: crate::ClientBuilder,
}

impl ClientBuilder {
    /// See [`crate::ClientBuilder::base_url`]. Default: `https://chat.stream-io-api.com`.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        ClientBuilder {
            inner: self.inner.base_url(url),
        }
    }

    /// See [`crate::ClientBuilder::timeout`]. Default: 30 s per request.
    pub fn timeout(self, timeout: Duration) -> Self {
        ClientBuilder {
            inner: self.inner.timeout(timeout),
        }
    }

    /// See [`crate::ClientBuilder::connect_timeout`]. Default: 10 s.
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        ClientBuilder {
            inner: self.inner.connect_timeout(timeout),
        }
    }

    /// See [`crate::ClientBuilder::max_response_size`]. Default: 32 MiB.
    pub fn max_response_size(self, bytes: usize) -> Self {
        ClientBuilder {
            inner: self.inner.max_response_size(bytes),
        }
    }

    /// See [`crate::ClientBuilder::poll_policy`]. Default: a poll every second.
    pub fn poll_policy(self, policy: crate::PollPolicy) -> Self {
        ClientBuilder {
            inner: self.inner.poll_policy(policy),
        }
    }

    /// See [`crate::ClientBuilder::time_source`]. Default: the system clock.
    pub fn time_source(self, source: impl crate::TimeSource + 'static) -> Self {
        ClientBuilder {
            inner: self.inner.time_source(source),
        }
    }

    /// See [`crate::ClientBuilder::wait_timeout`]. Default: 60 s.
    pub fn wait_timeout(self, timeout: Duration) -> Self {
        ClientBuilder {
            inner: self.inner.wait_timeout(timeout),
        }
    }

    /// See [`crate::ClientBuilder::poll_attempt_header`]. Default: `false`.
    pub fn poll_attempt_header(self, send: bool) -> Self {
        ClientBuilder {
            inner: self.inner.poll_attempt_header(send),
        }
    }

    /// See [`crate::ClientBuilder::task_events`]: pushed events published to
    /// `events` (from any thread) wake this client's waits. Default: none.
    pub fn task_events(self, events: crate::TaskEvents) -> Self {
        ClientBuilder {
            inner: self.inner.task_events(events),
        }
    }

    /// The bound on requests in flight; see
    /// [`crate::ClientBuilder::max_in_flight`].
    pub fn max_in_flight(self, max: usize) -> Self {
        ClientBuilder {
            inner: self.inner.max_in_flight(max),
        }
    }

    /// See [`crate::ClientBuilder::user_agent`]. Default: `getstream-tasks/<version>`.
    pub fn user_agent(self, user_agent: impl Into<String>) -> Self {
        ClientBuilder {
            inner: self.inner.user_agent(user_agent),
        }
    }

    /// See [`crate::ClientBuilder::token_ttl`]. Default: 1 hour.
    pub fn token_ttl(self, ttl: Duration) -> Self {
        ClientBuilder {
            inner: self.inner.token_ttl(ttl),
        }
    }

    /// **Dangerous**; see [`crate::ClientBuilder::allow_insecure_http`].
    /// Default: `false` (`http://` only to this machine).
    pub fn allow_insecure_http(self, allow: bool) -> Self {
        ClientBuilder {
            inner: self.inner.allow_insecure_http(allow),
        }
    }

    /// Builds the client and starts its runtime thread.
    ///
    /// # Errors
    ///
    /// As [`crate::ClientBuilder::build`], or [`Error::Transport`](crate::Error::Transport) if the runtime
    /// thread cannot be started.
    pub fn build(self) -> Result<Client> {
        let inner = self.inner.build()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| TransportError::unknown("cannot start a runtime", Some(Box::new(e))))?;
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        std::thread::Builder::new()
            .name("getstream-blocking".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(job) = queue.recv().await {
                        tokio::spawn(job);
                    }
                });
            })
            .map_err(|e| {
                TransportError::unknown("cannot start the runtime thread", Some(Box::new(e)))
            })?;
        Ok(Client {
            inner,
            jobs: Arc::new(jobs),
        })
    }
}
