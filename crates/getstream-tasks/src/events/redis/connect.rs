//! The subscriber's connection, made here rather than by the redis crate so
//! that its read side goes through [`Guarded`] (inside TLS, for `rediss://`);
//! the crate then speaks Redis over it as it would over its own.
//!
//! It connects as the crate does for a URL: every address the host resolves
//! to is tried at once and the first to connect wins; `rediss://` checks the
//! server's certificate against the system's roots; `#insecure` is refused,
//! as the crate refuses it without its `tls-rustls-insecure` feature.

use std::io;
use std::sync::Arc;

use futures_util::future::select_ok;
use redis::{ConnectionAddr, RedisResult};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::resp_guard::Guarded;

/// A pub/sub connection to what `client`'s URL names, each reply bounded.
pub(super) async fn pubsub(client: &redis::Client) -> RedisResult<redis::aio::PubSub> {
    let info = client.get_connection_info();
    let settings = info.redis_settings();
    match info.addr() {
        ConnectionAddr::Tcp(host, port) => {
            let stream = tcp(host, *port).await?;
            redis::aio::PubSub::new(settings, Guarded::new(stream)).await
        }
        ConnectionAddr::TcpTls {
            host,
            port,
            insecure,
            ..
        } => {
            if *insecure {
                return Err(other("an insecure TLS connection to Redis is not supported").into());
            }
            let stream = tls(host, tcp(host, *port).await?).await?;
            redis::aio::PubSub::new(settings, Guarded::new(stream)).await
        }
        #[cfg(unix)]
        ConnectionAddr::Unix(path) => {
            let stream = tokio::net::UnixStream::connect(path).await?;
            redis::aio::PubSub::new(settings, Guarded::new(stream)).await
        }
        _ => Err(other("this kind of Redis address is not supported here").into()),
    }
}

/// The first of the host's addresses to accept a connection.
async fn tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port)).await?.collect();
    if addrs.is_empty() {
        return Err(other("the Redis host resolved to no address"));
    }
    let attempts = addrs.into_iter().map(|a| Box::pin(TcpStream::connect(a)));
    Ok(select_ok(attempts).await?.0)
}

/// TLS over `stream`, checked against the system's root certificates.
async fn tls(
    host: &str,
    stream: TcpStream,
) -> io::Result<impl AsyncRead + AsyncWrite + Unpin + Send + 'static> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    if let Some(error) = native.errors.into_iter().next() {
        return Err(other(&format!(
            "reading the system's root certificates: {error}"
        )));
    }
    for cert in native.certs {
        roots.add(cert).map_err(io::Error::other)?;
    }
    // `builder` panics when no crypto provider is installed and rustls's
    // features name none (or two): an error here, not a dead subscriber.
    let config = std::panic::catch_unwind(rustls::ClientConfig::builder)
        .map_err(|_| {
            other(
                "TLS to Redis needs a rustls crypto provider: install one with \
                 rustls::crypto::CryptoProvider::install_default",
            )
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
}

fn other(what: &str) -> io::Error {
    io::Error::other(what.to_owned())
}
