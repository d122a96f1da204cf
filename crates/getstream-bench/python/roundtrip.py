"""Bench 1 (Python): sequential Stream.get_task round trips against the emulator."""

import argparse
import logging
import warnings

from _common import cpu_time, emit, env_target, now, quantile

from getstream import Stream


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--task-id", required=True)
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--warmup", type=int, default=500)
    a = p.parse_args()
    base_url, key, secret = env_target()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    client = Stream(api_key=key, api_secret=secret, base_url=base_url)
    errors = 0
    for _ in range(a.warmup):
        client.get_task(id=a.task_id)
    samples = []
    cpu0 = cpu_time()
    t0 = now()
    for _ in range(a.n):
        t = now()
        try:
            r = client.get_task(id=a.task_id)
            if r.data.task_id != a.task_id:
                errors += 1
        except Exception:  # counted, not fatal: the figure says how many failed
            errors += 1
        samples.append((now() - t) * 1e6)
    wall = now() - t0
    cpu = cpu_time() - cpu0
    samples.sort()
    emit({
        "impl": "python",
        "n": a.n,
        "errors": errors,
        "wall_us_per_call": wall * 1e6 / a.n,
        "cpu_us_per_call": cpu * 1e6 / a.n,
        "p50_us": quantile(samples, 0.5),
        "p99_us": quantile(samples, 0.99),
    })


if __name__ == "__main__":
    main()
