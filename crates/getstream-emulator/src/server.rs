//! Serving the router on a socket: [`Emulator::start`] and the [`EmulatorHandle`] that stops it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::config::{AppCredentials, EmulatorConfig};
use crate::router::app;
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
    /// [`EmulatorState::open`]) and jobs that had not finished resume.
    ///
    /// # Errors
    /// [`StartError::Bind`] when the address cannot be bound; [`StartError::DataDir`] when
    /// the data dir cannot be used.
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, StartError> {
        let addr = config.bind_addr();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let state = EmulatorState::open(config)?;
        state.set_local_addr(local);
        let token = state.shutdown_token().clone();
        let router = app(state.clone());
        let server = tokio::spawn(async move {
            let result = axum::serve(listener, router)
                .with_graceful_shutdown(async move { token.cancelled().await })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "emulator server stopped with an error");
            }
        });
        tracing::info!(addr = %local, "emulator listening");
        Ok(EmulatorHandle {
            state,
            addr: local,
            server: Some(server),
        })
    }
}

/// A running emulator. Dropping it stops the server (abruptly); [`shutdown`](Self::shutdown)
/// stops it gracefully.
#[derive(Debug)]
pub struct EmulatorHandle {
    state: EmulatorState,
    addr: SocketAddr,
    server: Option<JoinHandle<()>>,
}

/// How long a graceful shutdown waits for open connections before closing them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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

    /// Stops accepting connections, ends hung requests and running jobs, waits up to
    /// [`SHUTDOWN_GRACE`] for open connections, then returns.
    pub async fn shutdown(mut self) {
        self.state.shutdown_token().cancel();
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, server).await.is_err() {
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
