"""Bench 2 (Python): many concurrent AsyncStream.wait_for_task calls on one event loop.

Reports at the end, or at --cap-s: a watchdog thread then prints the figures so far
(a saturated event loop cannot be relied on to notice its own deadline) and exits.
"""

import argparse
import asyncio
import logging
import os
import threading
import warnings

from _common import cpu_time, emit, env_target, now, peak_kib, rss_kib

from getstream import AsyncStream

state = {"started": 0, "completed": 0, "failed": 0, "first_error": None}
lock = threading.Lock()
measure = {}


def on_done(task):
    with lock:
        if task.cancelled():
            return
        if task.exception() is None:
            state["completed"] += 1
        else:
            state["failed"] += 1
            if state["first_error"] is None:
                state["first_error"] = repr(task.exception())[:300]


def report(n, capped):
    with lock:
        snapshot = dict(state)
    peak = peak_kib()
    baseline = measure["baseline"]
    emit({
        "impl": "python",
        "n": n,
        "started": snapshot["started"],
        "completed": snapshot["completed"],
        "failed": snapshot["failed"],
        "unfinished_at_cap": n - snapshot["completed"] - snapshot["failed"] if capped else 0,
        "capped": capped,
        "first_error": snapshot["first_error"],
        "baseline_kib": baseline,
        "peak_kib": peak,
        "per_wait_bytes": max(0, peak - baseline) * 1024.0 / n,
        "cpu_s": cpu_time() - measure["cpu0"],
        "wall_s": now() - measure["t0"],
    })


def watchdog(n, cap_s):
    deadline = measure["t0"] + cap_s
    while now() < deadline:
        threading.Event().wait(min(1.0, max(0.0, deadline - now())))
    report(n, capped=True)
    os._exit(0)


async def run(a):
    base_url, key, secret = env_target()
    client = AsyncStream(api_key=key, api_secret=secret, base_url=base_url)
    # Warm up: one request, so the baseline includes a connection and the imported SDK.
    await client.get_task(id=f"{a.prefix}0")
    measure["baseline"] = rss_kib()
    measure["cpu0"] = cpu_time()
    measure["t0"] = t0 = now()
    threading.Thread(target=watchdog, args=(a.n, a.cap_s), daemon=True).start()
    batch = max(1, -(-a.n // 1000))
    batches = max(1, -(-a.n // batch))
    tasks = []
    for b in range(batches):
        delay = t0 + a.stagger_ms / 1000.0 * b / batches - now()
        if delay > 0:
            await asyncio.sleep(delay)
        for _ in range(min(batch, a.n - len(tasks))):
            coro = client.wait_for_task(f"{a.prefix}{len(tasks)}", poll_interval=1.0, timeout=60.0)
            task = asyncio.ensure_future(coro)
            task.add_done_callback(on_done)
            tasks.append(task)
            with lock:
                state["started"] += 1
    await asyncio.wait(tasks)
    report(a.n, capped=False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--prefix", required=True)
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--stagger-ms", type=float, default=1000)
    p.add_argument("--cap-s", type=float, default=140)
    a = p.parse_args()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    asyncio.run(run(a))
    os._exit(0)


if __name__ == "__main__":
    main()
