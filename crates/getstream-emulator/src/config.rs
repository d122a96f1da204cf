//! Configuration of an emulator: apps, address, job pace, workers, limits and seed data.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// The API key of the default app (a development credential, not a secret of any real app).
pub const DEFAULT_API_KEY: &str = "emulator-key";
/// The API secret of the default app (a development credential, not a secret of any real app).
pub const DEFAULT_API_SECRET: &str = "emulator-secret-do-not-use-in-production";

/// Most tasks kept per app by default (`EmulatorConfig::max_tasks`), finished or not: past it the oldest finished one is forgotten,
/// and when none has finished a new job is refused (429, code 9).
pub const MAX_TASKS_PER_APP: usize = 100_000;

/// Default capacity of the webhook delivery queue (events waiting for a free sender;
/// `EmulatorConfig::webhook_queue`).
pub const DEFAULT_WEBHOOK_QUEUE: usize = 1024;

/// One Stream app served by the emulator: an API key and the secret that signs its tokens.
///
/// The secret never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredentials {
    key: String,
    secret: String,
}

impl AppCredentials {
    /// An app with this API key and API secret.
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
        }
    }

    /// The API key (sent by clients as the `api_key` query parameter).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The API secret (signs the HS256 server tokens).
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Default for AppCredentials {
    fn default() -> Self {
        Self::new(DEFAULT_API_KEY, DEFAULT_API_SECRET)
    }
}

/// How fast background jobs run.
///
/// A job waits `pending` in status `pending` (plus any time spent queued for a free worker), then
/// is `running` for `max(min_task_duration, items × per_item_cost)` before it completes or fails.
/// All waits use tokio's clock, so tests on a paused clock are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Time a job stays `pending` before a worker starts it.
    pub pending: Duration,
    /// Minimum time a job stays `running`.
    pub min_task_duration: Duration,
    /// Running time per item (channel, user) the job acts on.
    pub per_item_cost: Duration,
}

impl Pace {
    /// No waiting at all: jobs finish as soon as a worker runs them (for tests).
    pub const fn instant() -> Self {
        Self {
            pending: Duration::ZERO,
            min_task_duration: Duration::ZERO,
            per_item_cost: Duration::ZERO,
        }
    }

    /// A pace that makes `pending` and `running` visible to a human: 200 ms pending,
    /// at least 1 s running, 20 ms per item.
    pub const fn demo() -> Self {
        Self {
            pending: Duration::from_millis(200),
            min_task_duration: Duration::from_secs(1),
            per_item_cost: Duration::from_millis(20),
        }
    }

    /// How long a job over `items` items runs.
    pub fn running_time(&self, items: usize) -> Duration {
        let per_items = self
            .per_item_cost
            .checked_mul(u32::try_from(items).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX);
        per_items.max(self.min_task_duration)
    }
}

impl Default for Pace {
    /// Short but visible: 50 ms pending, at least 250 ms running, 5 ms per item.
    fn default() -> Self {
        Self {
            pending: Duration::from_millis(50),
            min_task_duration: Duration::from_millis(250),
            per_item_cost: Duration::from_millis(5),
        }
    }
}

/// Rate limits: requests per one-minute window, per app and per endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// When false no request is ever refused (headers are still sent).
    pub enabled: bool,
    /// Limit of endpoints with no entry in `per_endpoint`.
    pub default_per_minute: u32,
    /// Limits per endpoint, keyed by `"METHOD /path/template"`, e.g.
    /// `"POST /api/v2/chat/export_channels"` or `"GET /api/v2/tasks/{id}"`.
    pub per_endpoint: BTreeMap<String, u32>,
}

impl RateLimits {
    /// Rate limits that never refuse a request (headers still report a generous window).
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Sets the limit of one endpoint (`"METHOD /path/template"`).
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>, per_minute: u32) -> Self {
        self.per_endpoint.insert(endpoint.into(), per_minute);
        self
    }

    /// The limit that applies to `endpoint`.
    pub fn limit_for(&self, endpoint: &str) -> u32 {
        self.per_endpoint
            .get(endpoint)
            .copied()
            .unwrap_or(self.default_per_minute)
    }
}

impl Default for RateLimits {
    /// 60/min for the job endpoints (Stream's documented limits; v2 and v1 paths), 10 000/min
    /// for the rest.
    fn default() -> Self {
        let per_endpoint = [
            "POST /api/v2/chat/channels/delete",
            "POST /api/v2/chat/export_channels",
            "POST /api/v2/export/users",
            "POST /api/v2/users/delete",
            "POST /api/v2/users/deactivate",
            "POST /api/v2/users/reactivate",
            "POST /api/v2/blocklists/{name}/import",
            "PUT /api/v2/chat/channels/batch",
            "POST /channels/delete",
            "POST /export_channels",
            "POST /users/delete",
            "POST /users/deactivate",
            "POST /users/reactivate",
            "POST /export/users",
            "DELETE /users/{id}",
        ]
        .into_iter()
        .map(|e| (e.to_owned(), 60))
        .collect();
        Self {
            enabled: true,
            default_per_minute: 10_000,
            per_endpoint,
        }
    }
}

/// Bulk seed data: how many users, channels and messages per channel to create.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedSpec {
    /// Number of users (`user-1` …). At least 2 are created when channels are requested.
    pub users: usize,
    /// Number of `messaging` channels (`messaging:seed-1` …), each with two members.
    pub channels: usize,
    /// Messages per channel.
    pub messages: usize,
}

/// The error of a [`SeedSpec`] that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid seed spec {spec:?}: {reason} (expected e.g. channels=10,messages=50,users=20)")]
pub struct SeedSpecError {
    spec: String,
    reason: String,
}

/// Upper bound on each number of a [`SeedSpec`] parsed from text, and on channels × messages.
pub const MAX_SEED_ITEMS: usize = 1_000_000;

impl FromStr for SeedSpec {
    type Err = SeedSpecError;

    /// Parses `channels=N,messages=M,users=U` (any order, any subset).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| SeedSpecError {
            spec: s.to_owned(),
            reason,
        };
        let mut spec = SeedSpec::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| err(format!("{part:?} is not name=value")))?;
            let n: usize = value
                .trim()
                .parse()
                .map_err(|_| err(format!("{value:?} is not a non-negative integer")))?;
            if n > MAX_SEED_ITEMS {
                return Err(err(format!("{n} is more than {MAX_SEED_ITEMS}")));
            }
            match name.trim() {
                "channels" => spec.channels = n,
                "messages" => spec.messages = n,
                "users" => spec.users = n,
                other => return Err(err(format!("unknown name {other:?}"))),
            }
        }
        if spec.channels.saturating_mul(spec.messages) > MAX_SEED_ITEMS {
            return Err(err(format!(
                "channels × messages is more than {MAX_SEED_ITEMS}"
            )));
        }
        spec.fits_in(available_memory()).map_err(err)?;
        Ok(spec)
    }
}

/// Estimated memory one seeded message takes (its record, strings and map slots, with
/// allocation slack), used to refuse a seed the machine cannot hold.
pub const SEED_BYTES_PER_MESSAGE: u64 = 512;
/// Estimated memory of one seeded user.
pub const SEED_BYTES_PER_USER: u64 = 512;
/// Estimated memory of one seeded channel (with its two members).
pub const SEED_BYTES_PER_CHANNEL: u64 = 1024;

/// The memory the system says is available (`MemAvailable` of `/proc/meminfo`), when it says.
pub(crate) fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

impl SeedSpec {
    /// Estimated memory this seed takes, in bytes (see [`SEED_BYTES_PER_MESSAGE`]).
    pub fn estimated_bytes(&self) -> u64 {
        let n = |x: usize| u64::try_from(x).unwrap_or(u64::MAX);
        n(self.channels)
            .saturating_mul(n(self.messages))
            .saturating_mul(SEED_BYTES_PER_MESSAGE)
            .saturating_add(n(self.users).saturating_mul(SEED_BYTES_PER_USER))
            .saturating_add(n(self.channels).saturating_mul(SEED_BYTES_PER_CHANNEL))
    }

    /// Checks that the seed's estimated memory is at most half of `available` bytes (the rest
    /// stays for serving, exports and the system); `None` (unknown) passes.
    ///
    /// # Errors
    /// A message naming the estimate, the memory available and the most messages that fit.
    pub fn fits_in(&self, available: Option<u64>) -> Result<(), String> {
        let Some(available) = available else {
            return Ok(());
        };
        let budget = available / 2;
        let need = self.estimated_bytes();
        if need <= budget {
            return Ok(());
        }
        const MIB: u64 = 1024 * 1024;
        Err(format!(
            "this seed needs about {} MiB (about {SEED_BYTES_PER_MESSAGE} bytes per message), more than half of the {} MiB this machine has available: at most about {} messages fit",
            need.div_ceil(MIB),
            available / MIB,
            budget / SEED_BYTES_PER_MESSAGE
        ))
    }
}

/// Everything an emulator needs to start. Built with chained setters from [`EmulatorConfig::new`].
///
/// ```
/// use getstream_emulator::{EmulatorConfig, Pace};
/// let config = EmulatorConfig::new()
///     .app("key-a", "secret-a")
///     .app("key-b", "secret-b")
///     .pace(Pace::instant())
///     .workers(2)
///     .admin(true);
/// assert_eq!(config.apps().len(), 2);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct EmulatorConfig {
    apps: Vec<AppCredentials>,
    addr: SocketAddr,
    pace: Pace,
    workers: usize,
    rate_limits: RateLimits,
    body_limit: usize,
    admin: bool,
    seed: SeedSpec,
    public_url: Option<String>,
    webhook_url: Option<String>,
    webhook_queue: usize,
    data_dir: Option<std::path::PathBuf>,
    reset_data: bool,
    exports_dir: Option<PathBuf>,
    export_link_ttl: Duration,
    max_tasks: usize,
    allow_remote_admin: bool,
    connections: crate::http::connection::ConnectionLimits,
    pub(crate) fetch: crate::moderation::FetchPolicy,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl EmulatorConfig {
    /// The defaults: one app ([`DEFAULT_API_KEY`], [`DEFAULT_API_SECRET`]) unless apps are added,
    /// address `127.0.0.1:0`, [`Pace::default`], 4 workers, [`RateLimits::default`],
    /// 1 MiB body limit, admin API off, no seed data.
    pub fn new() -> Self {
        Self {
            apps: Vec::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            pace: Pace::default(),
            workers: 4,
            rate_limits: RateLimits::default(),
            body_limit: 1024 * 1024,
            admin: false,
            seed: SeedSpec::default(),
            public_url: None,
            webhook_url: None,
            webhook_queue: DEFAULT_WEBHOOK_QUEUE,
            data_dir: None,
            reset_data: false,
            exports_dir: None,
            export_link_ttl: crate::exports::DEFAULT_EXPORT_LINK_TTL,
            max_tasks: MAX_TASKS_PER_APP,
            allow_remote_admin: false,
            connections: crate::http::connection::ConnectionLimits::default(),
            fetch: crate::moderation::FetchPolicy::default(),
        }
    }

    /// Adds an app. The first app added is the default one (see `EmulatorHandle::api_key`).
    /// Adding a key twice replaces its secret. Default: one app with the dev credentials.
    pub fn app(mut self, key: impl Into<String>, secret: impl Into<String>) -> Self {
        let creds = AppCredentials::new(key, secret);
        if let Some(existing) = self.apps.iter_mut().find(|a| a.key == creds.key) {
            *existing = creds;
        } else {
            self.apps.push(creds);
        }
        self
    }

    /// The address to bind. Default `127.0.0.1:0` (an ephemeral port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The job pace. Default [`Pace::default`]; use [`Pace::instant`] in tests.
    pub fn pace(mut self, pace: Pace) -> Self {
        self.pace = pace;
        self
    }

    /// The number of jobs that run at once (at least 1). Default 4.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Rate limits. Default [`RateLimits::default`].
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// The largest request body accepted, in bytes; larger bodies get 413. Default 1 MiB.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Enables the admin API under `/_emulator/` (faults, scripted tasks, reset, seed). Default off.
    pub fn admin(mut self, enabled: bool) -> Self {
        self.admin = enabled;
        self
    }

    /// Data created in the default app at start. Default none.
    pub fn seed(mut self, seed: SeedSpec) -> Self {
        self.seed = seed;
        self
    }

    /// The base URL written into export links (e.g. behind a proxy). Default: taken from the
    /// `Host` header of the request that reads the task.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// The default app's webhook URL: its events are `POST`ed there (all types, uncompressed;
    /// change that with `PATCH /api/v2/app` or `EmulatorState::set_webhook`). A URL that does
    /// not parse makes each delivery fail, listed with its error (the CLI checks it first).
    /// Default none.
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.webhook_url = (!url.is_empty()).then_some(url);
        self
    }

    /// Capacity of the webhook delivery queue (at least 1): an event that finds it full is
    /// dropped, logged and counted. Default
    /// [`DEFAULT_WEBHOOK_QUEUE`](crate::DEFAULT_WEBHOOK_QUEUE).
    pub fn webhook_queue(mut self, capacity: usize) -> Self {
        self.webhook_queue = capacity.max(1);
        self
    }

    /// Keeps the apps' users, channels, messages, tasks, webhook settings and export files in
    /// this directory (created if needed; an SQLite database and an `exports` directory), so
    /// a restart on it finds them again and resumes the jobs that had not finished. Default
    /// none: memory only. See [`EmulatorState::open`](crate::EmulatorState::open).
    pub fn data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The data dir, if set.
    pub fn data_directory(&self) -> Option<&std::path::Path> {
        self.data_dir.as_deref()
    }

    /// Starts the [data dir](Self::data_dir) afresh: its database and the files of its
    /// `exports` directory are moved into a new `discarded-<UTC time>` directory inside it
    /// (delete that when it is no longer needed) instead of being loaded. Without it, an
    /// emptied database, or export files without a database, stop the start. Files in a
    /// separate [`exports_dir`](Self::exports_dir) stay where they are. Default off.
    pub fn reset_data(mut self, reset: bool) -> Self {
        self.reset_data = reset;
        self
    }

    /// Whether the data dir is started afresh ([`reset_data`](Self::reset_data)).
    pub fn resets_data(&self) -> bool {
        self.reset_data
    }

    /// The directory export files are written to (created when needed; files are kept there
    /// after the emulator stops). Default: `exports` in the [data dir](Self::data_dir) when
    /// there is one, else a fresh directory under the system temp dir, removed when the
    /// emulator's state is dropped.
    pub fn exports_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.exports_dir = Some(dir.into());
        self
    }

    /// How long an export download link is valid after the task read (or the webhook event)
    /// that handed it out; every read signs a fresh link. Whole seconds. Default
    /// [`DEFAULT_EXPORT_LINK_TTL`](crate::DEFAULT_EXPORT_LINK_TTL) (24 h).
    pub fn export_link_ttl(mut self, ttl: Duration) -> Self {
        self.export_link_ttl = ttl;
        self
    }

    /// Most tasks kept per app, finished or not (at least 1): past it the oldest finished task
    /// is forgotten, and when every task is unfinished a new job is refused with 429 (code 9,
    /// `Retry-After: 1`). Default [`MAX_TASKS_PER_APP`](crate::MAX_TASKS_PER_APP).
    pub fn max_tasks(mut self, n: usize) -> Self {
        self.max_tasks = n.max(1);
        self
    }

    /// The task cap per app.
    pub fn task_cap(&self) -> usize {
        self.max_tasks
    }

    /// The configured exports directory, if any.
    pub fn exports_root(&self) -> Option<&Path> {
        self.exports_dir.as_deref()
    }

    /// How long export links are valid.
    pub fn export_link_lifetime(&self) -> Duration {
        self.export_link_ttl
    }

    /// The configured apps; the default app when none was added.
    pub fn apps(&self) -> Vec<AppCredentials> {
        if self.apps.is_empty() {
            vec![AppCredentials::default()]
        } else {
            self.apps.clone()
        }
    }

    /// The address to bind.
    pub fn bind_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The job pace.
    pub fn job_pace(&self) -> Pace {
        self.pace
    }

    /// The number of workers.
    pub fn worker_count(&self) -> usize {
        self.workers
    }

    /// The rate limits.
    pub fn rate_limit_rules(&self) -> &RateLimits {
        &self.rate_limits
    }

    /// The body size limit in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.body_limit
    }

    /// Whether the admin API is enabled.
    pub fn admin_enabled(&self) -> bool {
        self.admin
    }

    /// The seed spec.
    pub fn seed_spec(&self) -> SeedSpec {
        self.seed
    }

    /// The default app's webhook URL, if set.
    pub fn default_webhook_url(&self) -> Option<&str> {
        self.webhook_url.as_deref()
    }

    /// The capacity of the webhook delivery queue.
    pub fn webhook_queue_capacity(&self) -> usize {
        self.webhook_queue
    }

    /// The public base URL, if set.
    pub fn public_base_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// Allows the admin API on an address other than loopback (`--allow-remote-admin`):
    /// without it [`Emulator::start`](crate::Emulator::start) refuses `admin(true)` with a
    /// non-loopback address, since the admin API has no authentication. Default off.
    pub fn allow_remote_admin(mut self, allowed: bool) -> Self {
        self.allow_remote_admin = allowed;
        self
    }

    /// Whether the admin API may be served on a non-loopback address.
    pub fn remote_admin_allowed(&self) -> bool {
        self.allow_remote_admin
    }

    /// Connection timeouts, the connection cap and the shutdown grace. Default
    /// [`ConnectionLimits::default`](crate::ConnectionLimits::default).
    pub fn connections(mut self, limits: crate::http::connection::ConnectionLimits) -> Self {
        self.connections = limits;
        self
    }

    /// The connection limits.
    pub fn connection_limits(&self) -> &crate::http::connection::ConnectionLimits {
        &self.connections
    }
}

// Bulk image moderation's fetch policy (`moderation/`).
impl EmulatorConfig {
    /// Lets bulk image moderation fetch URLs off loopback (`--allow-remote-fetch`). Default
    /// off: only `localhost`, `127.0.0.0/8` and `::1` are fetched, and any other host is
    /// refused before a name is resolved or a connection is made.
    pub fn allow_remote_fetch(mut self, allow: bool) -> Self {
        self.fetch.allow_remote = allow;
        self
    }

    /// Whether bulk image moderation may fetch URLs off loopback.
    pub fn allows_remote_fetch(&self) -> bool {
        self.fetch.allow_remote
    }

    /// The bounds of bulk image moderation's fetches (default [`FetchLimits::default`](crate::FetchLimits)). A
    /// concurrency of 0 counts as 1.
    pub fn fetch_limits(mut self, limits: crate::moderation::FetchLimits) -> Self {
        self.fetch.limits = crate::moderation::FetchLimits {
            concurrency: limits.concurrency.max(1),
            ..limits
        };
        self
    }

    /// The bounds of bulk image moderation's fetches.
    pub fn current_fetch_limits(&self) -> crate::moderation::FetchLimits {
        self.fetch.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_spec_parses_and_rejects() {
        let s: SeedSpec = "channels=3, messages=5,users=7".parse().unwrap();
        assert_eq!(
            s,
            SeedSpec {
                users: 7,
                channels: 3,
                messages: 5
            }
        );
        assert!("channels=x".parse::<SeedSpec>().is_err());
        assert!("bogus=1".parse::<SeedSpec>().is_err());
        assert!("channels".parse::<SeedSpec>().is_err());
        assert!("channels=-1".parse::<SeedSpec>().is_err());
        assert!("channels=99999999999".parse::<SeedSpec>().is_err());
        assert!("channels=10000,messages=10000".parse::<SeedSpec>().is_err());
    }

    #[test]
    fn a_seed_past_half_the_available_memory_is_refused_naming_the_limit() {
        let spec = SeedSpec {
            users: 2,
            channels: 10,
            messages: 1_000,
        };
        let need = spec.estimated_bytes();
        assert!(need >= 10_000 * SEED_BYTES_PER_MESSAGE);
        assert_eq!(spec.fits_in(Some(need * 2)), Ok(()));
        assert_eq!(spec.fits_in(None), Ok(()));
        let err = spec.fits_in(Some(need)).unwrap_err();
        assert!(err.contains("bytes per message"), "{err}");
        assert!(
            err.contains(&format!(
                "at most about {} messages",
                need / 2 / SEED_BYTES_PER_MESSAGE
            )),
            "{err}"
        );
        // The largest seed the flags allow fits in 24 GiB with room to spare.
        let largest = SeedSpec {
            users: MAX_SEED_ITEMS,
            channels: 1_000,
            messages: 1_000,
        };
        assert_eq!(largest.fits_in(Some(24 << 30)), Ok(()));
    }

    #[test]
    fn debug_redacts_secret() {
        let c = EmulatorConfig::new().app("k", "very-secret");
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn running_time_is_max_of_min_and_items() {
        let p = Pace {
            pending: Duration::ZERO,
            min_task_duration: Duration::from_millis(100),
            per_item_cost: Duration::from_millis(30),
        };
        assert_eq!(p.running_time(1), Duration::from_millis(100));
        assert_eq!(p.running_time(10), Duration::from_millis(300));
        assert!(p.running_time(usize::MAX) > Duration::from_secs(1_000_000));
    }
}
