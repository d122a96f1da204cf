//! The [`ClientBuilder`], and the constructors of [`Client`] that use it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Client, ClientInner, WaitDefaults};
use crate::auth::tokens::ServerTokens;
use crate::auth::{Secret, plain_http};
use crate::error::{Error, InvalidArgumentError, Result, TransportError};
use crate::events::TaskEvents;
use crate::sched::DEFAULT_MAX_IN_FLIGHT;
use crate::tasks::policy::PollPolicy;
use crate::tasks::shared::SharedPolls;
use crate::time::{Clock, TimeSource};
use crate::transport::Transport;
use crate::transport::connect_gate::{CONNECT_GRACE, ConnectGate};

/// Stream's production API host.
pub const DEFAULT_BASE_URL: &str = "https://chat.stream-io-api.com";
/// Default time limit for one HTTP request (connect, send and read the body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time limit for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default lifetime of the server tokens the client signs (1 hour); see
/// [`ClientBuilder::token_ttl`].
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Default limit on the size of a successful response body: 32 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 32 * 1024 * 1024;

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the key or the secret is empty.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Result<Client> {
        Client::builder(api_key, api_secret).build()
    }

    /// A builder to change the base URL and time limits.
    pub fn builder(api_key: impl Into<String>, api_secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(api_key.into(), Secret::new(api_secret))
    }

    /// A client configured from the environment: `STREAM_API_KEY` and
    /// `STREAM_API_SECRET` (required), `STREAM_BASE_URL` (optional).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when a required variable is missing, empty or
    /// not Unicode, or when `STREAM_BASE_URL` is not an http(s) URL.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env()?.build()
    }
}

/// Builds a [`Client`]. Setters never fail; [`build`](ClientBuilder::build)
/// reports the first problem.
#[must_use = "a builder does nothing until .build() is called"]
#[derive(Clone)]
pub struct ClientBuilder {
    api_key: String,
    api_secret: Secret,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: Option<String>,
    wait_defaults: WaitDefaults,
    token_ttl: Duration,
    allow_insecure_http: bool,
    task_events: Option<TaskEvents>,
    clock: Clock,
    max_response_size: usize,
    max_in_flight: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("api_secret", &self.api_secret)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("wait_defaults", &self.wait_defaults)
            .field("token_ttl", &self.token_ttl)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("task_events", &self.task_events)
            .field("clock", &self.clock)
            .field("max_response_size", &self.max_response_size)
            .field("max_in_flight", &self.max_in_flight)
            .finish()
    }
}

impl ClientBuilder {
    fn new(api_key: String, api_secret: Secret) -> Self {
        ClientBuilder {
            api_key,
            api_secret,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: None,
            wait_defaults: WaitDefaults::default(),
            token_ttl: DEFAULT_TOKEN_TTL,
            allow_insecure_http: false,
            task_events: None,
            clock: Clock::default(),
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }

    /// A builder from `STREAM_API_KEY`, `STREAM_API_SECRET` and (optionally)
    /// `STREAM_BASE_URL`, to adjust further before building.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when a required variable is missing, empty or
    /// not Unicode.
    pub fn from_env() -> Result<ClientBuilder> {
        fn var(name: &str) -> Result<Option<String>> {
            match std::env::var(name) {
                Ok(v) if v.trim().is_empty() => Ok(None),
                Ok(v) => Ok(Some(v)),
                Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(InvalidArgumentError::new(name, "is not valid Unicode").into())
                }
            }
        }
        let required = |name: &str| {
            var(name)?.ok_or_else(|| Error::from(InvalidArgumentError::new(name, "is not set")))
        };
        let mut builder = ClientBuilder::new(
            required("STREAM_API_KEY")?,
            Secret::new(required("STREAM_API_SECRET")?),
        );
        if let Some(url) = var("STREAM_BASE_URL")? {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// Where to send requests: scheme, host, port and an optional path prefix.
    /// Default: [`DEFAULT_BASE_URL`] (`https://chat.stream-io-api.com`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Time limit for one HTTP request, from connecting to reading the whole
    /// body. Default: [`DEFAULT_TIMEOUT`] (30 s). A wait additionally caps each
    /// request by the time it has left.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time limit for establishing a connection. Default:
    /// [`DEFAULT_CONNECT_TIMEOUT`] (10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header. Default: `getstream-tasks/<version>`.
    /// (`X-Stream-Client: getstream-tasks-<version>` is always sent as well.)
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The largest successful response body the client reads, in bytes.
    /// A larger one is not read past the limit: the request fails with an
    /// [`Error::Transport`] naming the limit (an error response is only read
    /// up to its first 64 KiB). Default: [`DEFAULT_MAX_RESPONSE_SIZE`]
    /// (32 MiB). Zero is an [`Error::InvalidArgument`] from
    /// [`build`](Self::build).
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// The poll policy of every wait of this client (a wait's own
    /// [`policy`](crate::WaitForTask::policy) or
    /// [`interval`](crate::WaitForTask::interval) overrides it). Default:
    /// [`PollPolicy::fixed`] 1 s. An invalid policy is an
    /// [`Error::InvalidArgument`] from [`build`](Self::build).
    pub fn poll_policy(mut self, policy: PollPolicy) -> Self {
        self.wait_defaults.policy = policy;
        self
    }

    /// The timeout of every wait of this client that sets neither a timeout
    /// nor a deadline. Default:
    /// [`DEFAULT_WAIT_TIMEOUT`](crate::DEFAULT_WAIT_TIMEOUT) (60 s). Zero is
    /// an [`Error::InvalidArgument`] from [`build`](Self::build).
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_defaults.timeout = timeout;
        self
    }

    /// `true` sends the poll number (from 1) of every status request a wait
    /// makes in the [`POLL_ATTEMPT_HEADER`](crate::POLL_ATTEMPT_HEADER)
    /// header (`x-stream-poll-attempt`), so a server or proxy can tell polling
    /// traffic apart. Default: `false` (not sent).
    pub fn poll_attempt_header(mut self, send: bool) -> Self {
        self.wait_defaults.poll_attempt_header = send;
        self
    }

    /// How long each server token is valid (its `exp` claim). Default:
    /// [`DEFAULT_TOKEN_TTL`] (1 hour). The client signs a new token before
    /// the current one expires (5 minutes before, or half the lifetime for
    /// shorter ones), so no request leaves with an expired token; a token that
    /// leaks stops working soon after. Less than 1 minute is an
    /// [`Error::InvalidArgument`] from [`build`](Self::build).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// **Dangerous.** `true` accepts an `http://` base URL to any host.
    ///
    /// Every request carries the API key and a server token, which plain
    /// HTTP sends unencrypted: anyone on the network path can read them and
    /// call the API as your server until the token expires. Without this,
    /// `http://` is accepted only for this machine (`localhost`, 127.0.0.0/8,
    /// `[::1]`, e.g. the local emulator; not `localhost.`, which DNS
    /// resolves), and any other host is an
    /// [`Error::InvalidArgument`] from [`build`](Self::build), before anything
    /// is sent. Only set it for a network you trust end to end (e.g. a
    /// TLS-terminating sidecar on another host of a private network).
    /// Default: `false`.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// A hub of pushed events ([`TaskEvents`]): every wait of this client
    /// polls at once when an event published there names its task (or, for
    /// typed waits, one of its channels or users). Default: none (waits poll
    /// on their interval only).
    pub fn task_events(mut self, events: TaskEvents) -> Self {
        self.task_events = Some(events);
        self
    }

    /// Where the client reads the wall-clock time (for `X-RateLimit-Reset`,
    /// `Retry-After` dates and its tokens' `iat` and `exp`). Default:
    /// [`SystemTimeSource`](crate::SystemTimeSource). Tests set a clock they
    /// control; see [`TimeSource`].
    pub fn time_source(mut self, source: impl TimeSource + 'static) -> Self {
        self.clock = Clock::new(Arc::new(source));
        self
    }

    /// The most requests the client (with all its clones, and the blocking
    /// client around it) has in flight at once; more wait in a queue. The
    /// client also holds at most this many connections, however many waits
    /// run: the pool keeps at most this many idle, and once the client has
    /// opened this many, a new connection asked for within 50 ms of a request
    /// ending waits out those 50 ms for the finished request's connection to
    /// come back to the pool, and is not opened if it does. (The bound holds
    /// as long as a connection is back in the pool within 50 ms of its
    /// request's end, a matter of microseconds on a live process.) Default:
    /// [`DEFAULT_MAX_IN_FLIGHT`] (32). Zero is an [`Error::InvalidArgument`]
    /// from [`build`](Self::build).
    ///
    /// The bound is a ceiling, not a target. A wait's poll (not its final
    /// one) that finds no idle connection waits up to 50 ms for a busy one
    /// instead of opening one, when the connections in use can serve it
    /// (and the polls already waiting) within that time at the pace the
    /// client's requests have been taking. A burst of polls (timers firing
    /// together) then goes out on the connections the client has, and the
    /// pool grows only when polls queue. The application's own calls connect
    /// at once.
    ///
    /// Every request passes the client's scheduler: waits, watches,
    /// many-task waits and operations alike. A request queued for a slot
    /// waits at most until its deadline (a wait's deadline, else the request
    /// [`timeout`](Self::timeout)), then fails with a timeout error instead
    /// of going late; dropping it leaves the queue. While requests are
    /// scarce (this bound reached, or the server's rate-limit headers asking
    /// the client to slow down), the queue goes in this order: a wait's final
    /// poll first, then the waits that polled least (every waiting task gets
    /// a poll before any gets another), then the nearest deadline.
    ///
    /// The same scheduler keeps one request budget for the client: from the
    /// `X-RateLimit-Limit`/`-Remaining`/`-Reset` headers of each answer it
    /// spreads what is left of the window over the time to its reset (with
    /// a burst of a few requests), and a 429 pauses every request until its
    /// `Retry-After` (else the reset, else 1 s). The budget follows the most
    /// recent headers, whatever the endpoint.
    ///
    /// ```
    /// let client = getstream_tasks::Client::builder("api-key", "api-secret")
    ///     .max_in_flight(8)
    ///     .build()?;
    /// # drop(client);
    /// # Ok::<(), getstream_tasks::Error>(())
    /// ```
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty API key or secret, a base URL that
    /// is not an absolute `http`/`https` URL without query or fragment, an
    /// `http://` base URL to a host other than this machine (see
    /// [`allow_insecure_http`](Self::allow_insecure_http)), an `https://` one
    /// when no TLS feature is enabled, a zero timeout, a token lifetime under
    /// a minute, or a user agent that is not a valid header value;
    /// [`Error::Transport`] if the HTTP stack cannot be initialised (e.g. TLS).
    pub fn build(self) -> Result<Client> {
        if self.api_key.trim().is_empty() {
            return Err(InvalidArgumentError::new("api_key", "must not be empty").into());
        }
        let base_url = parse_base_url(&self.base_url)?;
        plain_http::check(&base_url, self.allow_insecure_http)?;
        crate::tls::check(&base_url)?;
        self.wait_defaults.validate()?;
        for (name, value) in [
            ("timeout", self.timeout),
            ("connect_timeout", self.connect_timeout),
        ] {
            if value.is_zero() {
                return Err(InvalidArgumentError::new(name, "must be greater than zero").into());
            }
        }
        if self.max_response_size == 0 {
            return Err(InvalidArgumentError::new(
                "max_response_size",
                "must be greater than zero",
            )
            .into());
        }
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| concat!("getstream-tasks/", env!("CARGO_PKG_VERSION")).to_owned());
        if http::HeaderValue::from_str(&user_agent).is_err() {
            return Err(
                InvalidArgumentError::new("user_agent", "is not a valid header value").into(),
            );
        }
        if self.max_in_flight == 0 {
            return Err(
                InvalidArgumentError::new("max_in_flight", "must be greater than zero").into(),
            );
        }
        let webhook_secret = self.api_secret.clone();
        let tokens = ServerTokens::new(self.api_secret, self.token_ttl, self.clock.clone())?;
        let connect_gate = ConnectGate::new(self.max_in_flight, CONNECT_GRACE);
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            // Clamped so that "practically forever" cannot overflow a timer.
            .connect_timeout(self.connect_timeout.min(Duration::from_secs(86_400 * 365)))
            .pool_idle_timeout(Duration::from_secs(90))
            // Stream's API does not redirect; a 3xx is reported, not followed
            // (see the transport), and no request carries a `Referer`.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            // No more idle connections than requests that can be in flight.
            .pool_max_idle_per_host(self.max_in_flight)
            // And no more connections (see `transport/connect_gate.rs`).
            .connector_layer(connect_gate.layer())
            .build()
            .map_err(|e| {
                TransportError::unknown(
                    "cannot initialise the HTTP client",
                    Some(Box::new(e.without_url())),
                )
            })?;
        let transport = Transport::new(
            http,
            base_url,
            self.api_key,
            tokens,
            self.timeout,
            self.clock,
            self.max_response_size,
            self.max_in_flight,
        )
        .with_connect_gate(connect_gate);
        Ok(Client {
            inner: Arc::new(ClientInner {
                transport: Arc::new(transport),
                shared_polls: SharedPolls::default(),
                wait_defaults: self.wait_defaults,
                events: self.task_events,
                webhook_secret,
            }),
        })
    }
}

fn parse_base_url(raw: &str) -> Result<reqwest::Url> {
    let invalid = |why: &str| {
        Error::from(InvalidArgumentError::new(
            "base_url",
            format!("{raw:?} {why}"),
        ))
    };
    let url =
        reqwest::Url::parse(raw.trim()).map_err(|e| invalid(&format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("must use http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain credentials"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_reports_bad_settings() {
        let bad = [
            Client::builder("", "s").build(),
            Client::builder("k", "").build(),
            Client::builder("k", "s").base_url("ftp://x").build(),
            Client::builder("k", "s").base_url("not a url").build(),
            Client::builder("k", "s").base_url("http://h/?q=1").build(),
            Client::builder("k", "s").timeout(Duration::ZERO).build(),
            Client::builder("k", "s")
                .connect_timeout(Duration::ZERO)
                .build(),
            Client::builder("k", "s").user_agent("bad\nagent").build(),
            Client::builder("k", "s")
                .token_ttl(Duration::from_secs(59))
                .build(),
            Client::builder("k", "s").max_in_flight(0).build(),
        ];
        for (i, result) in bad.into_iter().enumerate() {
            let e = result.unwrap_err();
            assert!(e.is_invalid_argument(), "case {i}: {e}");
        }
        let client = Client::builder("k", "s")
            .base_url("http://127.0.0.1:9/prefix/")
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:9/prefix/");
    }

    #[test]
    fn plain_http_is_for_this_machine_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
            "http://[::1]:8080",
        ] {
            Client::builder("k", "s").base_url(url).build().unwrap();
        }
        for url in [
            "http://chat.stream-io-api.com",
            "http://10.0.0.5:8080/",
            // A trailing dot sends the name to DNS, not /etc/hosts.
            "http://localhost.:1/",
        ] {
            let e = Client::builder("k", "s").base_url(url).build().unwrap_err();
            let Error::InvalidArgument(e) = e else {
                panic!("{url}: {e:?}")
            };
            assert_eq!(e.argument(), "base_url");
            assert!(e.reason().contains("allow_insecure_http(true)"), "{e}");
            let client = Client::builder("k", "s")
                .base_url(url)
                .allow_insecure_http(true)
                .build()
                .unwrap();
            assert_eq!(
                client.base_url().trim_end_matches('/'),
                url.trim_end_matches('/')
            );
        }
    }
}
