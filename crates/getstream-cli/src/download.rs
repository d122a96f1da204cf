//! `--download FILE`: fetch an export file into FILE, atomically (a partial download never
//! replaces or leaves a FILE behind).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::error::{CliError, DownloadError};

/// Checks FILE before a job starts, so that a typo does not cost a whole export.
pub fn check_target(path: &Path) -> Result<(), CliError> {
    if path.is_dir() {
        return Err(CliError::Usage(format!(
            "--download {}: is a directory; give a file name",
            path.display()
        )));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(CliError::Usage(format!(
            "--download {}: directory {} does not exist",
            path.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// Downloads `url` into `path`; returns the number of bytes written.
///
/// A regular file (or a new one) is written to `FILE.partial` and renamed over FILE when
/// complete; a symlink is followed, so the file it points to is replaced, not the link. What
/// is not a regular file (`/dev/stdout`, a named pipe, a device) is written to directly:
/// renaming over it would replace the device or pipe itself.
pub async fn download(url: &str, path: &Path) -> Result<u64, DownloadError> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(600))
        .redirect(redirect_policy())
        // The link is signed: it must not travel on in a `Referer`.
        .referer(false)
        .build()
        .map_err(|e| DownloadError::Transport(e.without_url()))?;
    let mut response = http
        .get(url)
        .send()
        .await
        .map_err(|e| DownloadError::Transport(e.without_url()))?;
    if !response.status().is_success() {
        return Err(DownloadError::Status {
            status: response.status().as_u16(),
        });
    }
    let write_err = |source| DownloadError::Write {
        path: path.to_owned(),
        source,
    };
    let (mut file, partial) = match Target::of(path) {
        Target::Direct => {
            let file = tokio::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .await
                .map_err(write_err)?;
            (file, None)
        }
        Target::Replace(dest) => {
            let partial = PartialFile {
                path: partial_path(&dest),
                dest,
                keep: false,
            };
            let file = tokio::fs::File::create(&partial.path)
                .await
                .map_err(write_err)?;
            (file, Some(partial))
        }
    };
    let mut written = 0u64;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| DownloadError::Transport(e.without_url()))?
    {
        file.write_all(&chunk).await.map_err(write_err)?;
        written += chunk.len() as u64;
    }
    file.flush().await.map_err(write_err)?;
    if let Some(mut partial) = partial {
        file.sync_all().await.map_err(write_err)?;
        drop(file);
        tokio::fs::rename(&partial.path, &partial.dest)
            .await
            .map_err(write_err)?;
        partial.keep = true;
    }
    Ok(written)
}

/// The most redirects a download follows.
pub const MAX_REDIRECTS: usize = 5;

/// Export links live on object storage, which may redirect (a bucket's region, a CDN): up
/// to [`MAX_REDIRECTS`] hops, to http(s) only, and never from https down to http. The
/// download client carries no Stream credentials at all (no API key, no token), so none
/// can follow a redirect.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let hops = attempt.previous().len();
        let from = attempt.previous().last().map(|u| u.scheme().to_owned());
        let to = attempt.url().scheme().to_owned();
        if hops > MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        match (from.as_deref(), to.as_str()) {
            (_, "https") | (Some("http"), "http") => attempt.follow(),
            (Some(from), to) => attempt.error(format!(
                "refused a redirect from {from} to {to}: only http(s), never https to http"
            )),
            (None, to) => attempt.error(format!("refused a redirect to {to}")),
        }
    })
}

/// How a download reaches FILE.
enum Target {
    /// Not a regular file (a device, a pipe, `/dev/stdout`): written in place.
    Direct,
    /// A regular file, new or existing, at this path (symlinks resolved): written beside it
    /// and renamed over it.
    Replace(PathBuf),
}

impl Target {
    fn of(path: &Path) -> Target {
        match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => Target::Direct,
            Ok(_) => Target::Replace(std::fs::canonicalize(path).unwrap_or_else(|_| path.into())),
            Err(_) => Target::Replace(path.to_owned()),
        }
    }
}

/// `FILE.partial`, removed when dropped unless kept: an error, or Ctrl-C in the middle of a
/// download, never leaves a half file behind.
struct PartialFile {
    /// `FILE.partial`.
    path: PathBuf,
    /// FILE, where it goes when complete.
    dest: PathBuf,
    /// Renamed into place: nothing to remove.
    keep: bool,
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    path.with_file_name(name)
}

/// A size for humans: `1.2 KiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {} ({bytes} bytes)", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(10), "10 bytes");
        assert_eq!(human_size(2048), "2.0 KiB (2048 bytes)");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MiB (3145728 bytes)");
    }

    #[test]
    fn a_missing_directory_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_target(&dir.path().join("file.json")).is_ok());
        assert!(check_target(dir.path()).is_err());
        assert!(check_target(&dir.path().join("nope/file.json")).is_err());
        assert!(check_target(Path::new("relative.json")).is_ok());
    }

    /// Serves one HTTP response on loopback: the headers announce `len` bytes, `body` is sent,
    /// then the connection stays open (so a short `body` stalls the download).
    async fn serve(len: usize, body: &'static [u8]) -> String {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/export.json", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "the client hung up before its request ended");
                request.extend_from_slice(&buf[..n]);
            }
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {len}\r\n\r\n");
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.write_all(body).await.unwrap();
            socket.flush().await.unwrap();
            std::future::pending::<()>().await;
        });
        url
    }

    type Heads = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

    /// Answers every connection with `respond(its own url)`, then closes it; records each
    /// request's head (lowercased).
    async fn serve_raw(respond: impl Fn(&str) -> String + Send + 'static) -> (String, Heads) {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/export.json", listener.local_addr().unwrap());
        let heads = Heads::default();
        let (seen, me) = (heads.clone(), url.clone());
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8_lossy(&request).to_lowercase();
                seen.lock().unwrap().push(head);
                socket.write_all(respond(&me).as_bytes()).await.unwrap();
                let _ = socket.shutdown().await;
            }
        });
        (url, heads)
    }

    fn redirect_to(location: &str) -> String {
        format!(
            "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\
             connection: close\r\n\r\n"
        )
    }

    #[tokio::test]
    async fn redirects_are_followed_over_http_without_referer_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("export.json");
        let (target, target_heads) = serve_raw(|_| {
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]".to_owned()
        })
        .await;
        let (first, first_heads) = serve_raw(move |_| redirect_to(&target)).await;
        let signed = format!("{first}?signature=secret-signature");
        assert_eq!(download(&signed, &file).await.unwrap(), 2);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "[]");
        let heads = [
            first_heads.lock().unwrap().clone(),
            target_heads.lock().unwrap().clone(),
        ];
        assert_eq!((heads[0].len(), heads[1].len()), (1, 1));
        for head in heads.iter().flatten() {
            assert!(!head.contains("referer"), "{head}");
            assert!(
                !head.contains("authorization") && !head.contains("api_key"),
                "{head}"
            );
        }

        // Another scheme is refused, and nothing is written.
        let other = dir.path().join("other.json");
        let (ftp, _) = serve_raw(|_| redirect_to("ftp://127.0.0.1/export.json")).await;
        let e = download(&ftp, &other).await.unwrap_err();
        let text = crate::error::one_line_chain(&e);
        assert!(
            text.contains("refused a redirect from http to ftp"),
            "{text}"
        );
        assert!(!other.exists() && !dir.path().join("other.json.partial").exists());

        // A loop ends after MAX_REDIRECTS hops.
        let (looping, looping_heads) = serve_raw(redirect_to).await;
        let e = download(&looping, &other).await.unwrap_err();
        let text = crate::error::one_line_chain(&e);
        assert!(text.contains("more than 5 redirects"), "{text}");
        assert_eq!(looping_heads.lock().unwrap().len(), MAX_REDIRECTS + 1);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_symlink_is_followed_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let url = serve(12, b"{\"new\":true}").await;
        assert_eq!(download(&url, &link).await.unwrap(), 12);
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link was replaced by a file"
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "{\"new\":true}");
        assert!(!dir.path().join("real.json.partial").exists());
        assert!(!dir.path().join("link.json.partial").exists());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_named_pipe_is_written_into_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        let url = serve(5, b"hello").await;
        assert_eq!(download(&url, &fifo).await.unwrap(), 5);
        // (Checked before joining the reader, which a replaced pipe would leave blocked.)
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the pipe was replaced: {kind:?}");
        assert_eq!(reader.join().unwrap(), "hello");
        assert!(!dir.path().join("pipe.partial").exists());
    }

    #[tokio::test]
    async fn an_interrupted_download_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("export.json");
        let partial = dir.path().join("export.json.partial");
        let url = serve(1000, b"{\"channels\": [").await;
        let fetch = tokio::spawn({
            let file = file.clone();
            async move { download(&url, &file).await }
        });
        // The download is under way once its partial file exists (it then stalls).
        let mut started = false;
        for _ in 0..500 {
            if partial.exists() {
                started = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(started, "the download never started");
        fetch.abort(); // what Ctrl-C does: the future is dropped
        assert!(fetch.await.unwrap_err().is_cancelled());
        assert!(!partial.exists(), "a half file was left behind");
        assert!(!file.exists());
    }
}
