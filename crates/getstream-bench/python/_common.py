"""Shared helpers of the Python bench scripts: the client, measurements, the result line."""

import json
import os
import resource
import sys
import time


def env_target():
    """(base_url, api_key, api_secret) from STREAM_BASE_URL / STREAM_API_KEY / STREAM_API_SECRET."""
    try:
        return (
            os.environ["STREAM_BASE_URL"],
            os.environ["STREAM_API_KEY"],
            os.environ["STREAM_API_SECRET"],
        )
    except KeyError as e:
        emit({"error": f"missing environment variable {e}"})
        sys.exit(2)


def cpu_time():
    """User + system CPU seconds of this process (getrusage)."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def status_kib(field):
    """A kB field of /proc/self/status (VmRSS, VmHWM), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_kib():
    return status_kib("VmRSS") or 0


def peak_kib():
    peak = status_kib("VmHWM")
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return peak


def quantile(sorted_values, q):
    if not sorted_values:
        return None
    rank = round(q * (len(sorted_values) - 1))
    return sorted_values[min(rank, len(sorted_values) - 1)]


def emit(obj):
    """The result line the Rust driver reads (the last JSON object on stdout)."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


now = time.perf_counter
