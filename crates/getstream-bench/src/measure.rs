//! Process-level measurements of the current process: CPU time (getrusage) and
//! memory (`/proc/self/status`, Linux).

use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};

/// User + system CPU time this process has used so far.
pub fn cpu_time() -> Duration {
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(usage) => timeval(usage.user_time()) + timeval(usage.system_time()),
        Err(_) => Duration::ZERO,
    }
}

fn timeval(tv: nix::sys::time::TimeVal) -> Duration {
    let secs = u64::try_from(tv.tv_sec()).unwrap_or(0);
    let micros = u64::try_from(tv.tv_usec()).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(micros)
}

/// Peak resident set size in KiB (`ru_maxrss`, which Linux reports in KiB).
pub fn max_rss_kib() -> u64 {
    getrusage(UsageWho::RUSAGE_SELF)
        .ok()
        .and_then(|u| u64::try_from(u.max_rss()).ok())
        .unwrap_or(0)
}

/// A `kB` field of `/proc/self/status` (e.g. `VmRSS`, `VmHWM`), in KiB.
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Current resident set size in KiB.
pub fn rss_kib() -> u64 {
    proc_status_kib("VmRSS").unwrap_or(0)
}

/// Peak resident set size in KiB: `VmHWM`, or `ru_maxrss` where that is missing.
pub fn peak_rss_kib() -> u64 {
    proc_status_kib("VmHWM").unwrap_or_else(max_rss_kib)
}

/// How many TCP sockets this process has open (entries of `/proc/self/fd`
/// that link to `socket:[…]` and whose inode is in `/proc/self/net/tcp` or
/// `tcp6`; 0 where `/proc` is missing).
pub fn socket_count() -> usize {
    socket_count_of("self")
}

/// [`socket_count`] of the process `pid` (`"self"` for this one).
pub fn socket_count_of(pid: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    // Only TCP sockets count: the runtime's signal driver holds a Unix
    // socket pair of its own (3 descriptors), which is not a connection.
    let tcp = tcp_inodes(pid);
    entries
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse::<u64>()
                .ok()
        })
        .filter(|inode| tcp.contains(inode))
        .count()
}

/// The inodes of the TCP sockets (IPv4 and IPv6) in the network namespace
/// of the process `pid`.
fn tcp_inodes(pid: &str) -> std::collections::HashSet<u64> {
    ["tcp", "tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
                .filter_map(|line| line.split_whitespace().nth(9)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Samples [`socket_count`] every 20 ms on a thread of its own until the
/// returned guard is dropped; the guard reads the peak.
pub struct SocketPeak {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    peak: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl SocketPeak {
    /// Starts sampling.
    pub fn start() -> SocketPeak {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let peak = std::sync::Arc::new(AtomicUsize::new(socket_count()));
        let (s, p) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(socket_count(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        SocketPeak { stop, peak }
    }

    /// The most sockets seen so far.
    pub fn peak(&self) -> usize {
        self.peak
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(socket_count())
    }
}

impl Drop for SocketPeak {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The value at quantile `q` (0..=1) of sorted samples.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tcp_sockets_only() {
        let before = socket_count();
        let (unix_a, unix_b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert_eq!(
            socket_count(),
            before,
            "a Unix socket pair is no TCP socket"
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        assert_eq!(socket_count(), before + 3);
        drop((client, server, listener, unix_a, unix_b));
        assert_eq!(socket_count(), before);
    }

    #[test]
    fn reads_own_memory_and_cpu() {
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(rss_kib() > 0);
        assert!(peak_rss_kib() >= rss_kib());
        assert!(max_rss_kib() > 0);
        assert!(cpu_time() > Duration::ZERO);
    }

    #[test]
    fn quantiles_pick_ranks() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 1.0), 5.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
