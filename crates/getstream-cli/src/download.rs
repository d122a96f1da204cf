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
pub async fn download(url: &str, path: &Path) -> Result<u64, DownloadError> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(600))
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
    let partial = partial_path(path);
    let write_err = |source| DownloadError::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = tokio::fs::File::create(&partial).await.map_err(write_err)?;
    let mut written = 0u64;
    let outcome = async {
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| DownloadError::Transport(e.without_url()))?
        {
            file.write_all(&chunk).await.map_err(write_err)?;
            written += chunk.len() as u64;
        }
        file.flush().await.map_err(write_err)?;
        file.sync_all().await.map_err(write_err)?;
        tokio::fs::rename(&partial, path).await.map_err(write_err)
    }
    .await;
    if outcome.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    outcome.map(|()| written)
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
}
