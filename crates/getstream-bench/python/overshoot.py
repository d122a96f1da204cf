"""Bench 3 (Python): Stream.wait_for_task(timeout=2) on a task whose status requests hang."""

import argparse
import logging
import warnings

from _common import emit, env_target, now

from getstream import Stream


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--task-id", required=True)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--runs", type=int, default=1)
    a = p.parse_args()
    base_url, key, secret = env_target()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    client = Stream(api_key=key, api_secret=secret, base_url=base_url)
    overshoots = []
    outcome = None
    for _ in range(a.runs):
        t0 = now()
        try:
            client.wait_for_task(a.task_id, poll_interval=1.0, timeout=a.timeout)
            outcome = "returned"
        except Exception as e:  # the outcome is what we report
            outcome = type(e).__name__ + (f" ({getattr(e, 'error_type', '')})" if getattr(e, "error_type", None) else "")
        overshoots.append((now() - t0 - a.timeout) * 1e3)
    s = sorted(overshoots)
    emit({
        "impl": "python",
        "runs": a.runs,
        "outcome": outcome,
        "overshoot_ms": overshoots,
        "median_ms": s[len(s) // 2],
        "max_ms": s[-1],
    })


if __name__ == "__main__":
    main()
