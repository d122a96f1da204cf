//! Serving the router on a socket: [`Emulator::start`] and the [`EmulatorHandle`] that stops it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::config::{AppCredentials, EmulatorConfig};
use crate::http::router::app;
use crate::state::EmulatorState;

/// The error of [`Emulator::start`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound.
    #[error("could not bind {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The admin API (no authentication) was asked for on an address other machines can
    /// reach, without `allow_remote_admin` / `--allow-remote-admin`.
    #[error(
        "refusing to serve the admin API on the non-loopback address {addr}: it has no authentication (bind 127.0.0.1, or pass --allow-remote-admin)"
    )]
    RemoteAdmin {
        /// The address.
        addr: SocketAddr,
    },
    /// The data dir cannot be used.
    #[error(transparent)]
    DataDir(#[from] crate::persist::DataDirError),
}

/// Starts emulators. See [`Emulator::start`].
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Binds the config's address (default `127.0.0.1:0`) and serves on the current tokio
    /// runtime until [`EmulatorHandle::shutdown`] or the handle is dropped.
    ///
    /// With a [data dir](EmulatorConfig::data_dir), the state is loaded from it (see
    /// [`EmulatorState::open`]) and jobs that had not finished resume. A non-loopback address
    /// is logged as a warning (the emulator is a dev tool with development credentials); with
    /// the admin API on it is refused unless [`EmulatorConfig::allow_remote_admin`] allows it.
    ///
    /// # Errors
    /// [`StartError::Bind`] when the address cannot be bound; [`StartError::DataDir`] when
    /// the data dir cannot be used; [`StartError::RemoteAdmin`] for the admin API on a
    /// non-loopback address that was not allowed.
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, StartError> {
        let addr = config.bind_addr();
        if !addr.ip().is_loopback() {
            if config.admin_enabled() && !config.remote_admin_allowed() {
                return Err(StartError::RemoteAdmin { addr });
            }
            tracing::warn!(%addr, admin = config.admin_enabled(), "listening on a non-loopback address: other machines can reach this emulator and its development credentials");
        }
        let listener = bind(addr).map_err(|source| StartError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let limits = config.connection_limits().clone();
        let state = EmulatorState::open(config)?;
        state.set_local_addr(local);
        let token = state.shutdown_token().clone();
        let router = app(state.clone());
        let server = tokio::spawn(crate::http::accept::serve(
            listener,
            router,
            state.clone(),
            limits.clone(),
            token,
        ));
        tracing::info!(addr = %local, "emulator listening");
        Ok(EmulatorHandle {
            state,
            addr: local,
            grace: limits.shutdown_grace,
            server: Some(server),
        })
    }
}

/// Connections the kernel queues for the accept loop: many clients connecting at once (a
/// load test) are queued, not dropped (the usual 128 drops the rest for a second).
const LISTEN_BACKLOG: u32 = 1024;

fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As `TcpListener::bind`: a restarted emulator can take its port back at once.
    #[cfg(not(windows))]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// A running emulator. Dropping it stops the server (abruptly); [`shutdown`](Self::shutdown)
/// stops it gracefully.
#[derive(Debug)]
pub struct EmulatorHandle {
    state: EmulatorState,
    addr: SocketAddr,
    grace: Duration,
    server: Option<JoinHandle<()>>,
}

/// How long a graceful shutdown waits, by default, for requests in progress before it closes
/// their connections ([`ConnectionLimits::shutdown_grace`](crate::ConnectionLimits)).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

impl EmulatorHandle {
    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key of the default (first) app.
    pub fn api_key(&self) -> &str {
        self.state.default_api_key()
    }

    /// The API secret of the default (first) app (a development credential).
    pub fn api_secret(&self) -> &str {
        self.state
            .app(self.state.default_api_key())
            .map(|a| a.creds.secret())
            .unwrap_or_default()
    }

    /// All configured apps.
    pub fn apps(&self) -> Vec<AppCredentials> {
        self.state.config().apps()
    }

    /// The state, for library calls (seed, faults, scripted tasks, reset, snapshot, webhooks).
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// Stops accepting connections, ends hung requests and running jobs, lets requests in
    /// progress finish for up to the shutdown grace ([`SHUTDOWN_GRACE`] by default) and
    /// closes every connection; returns at once when none is busy.
    pub async fn shutdown(mut self) {
        self.state.shutdown_token().cancel();
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            // The server closes what is left at the grace itself; this is a backstop.
            let backstop = self.grace + Duration::from_millis(500);
            if tokio::time::timeout(backstop, server).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.state.shutdown_token().cancel();
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
