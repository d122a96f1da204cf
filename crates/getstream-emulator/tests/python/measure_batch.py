#!/usr/bin/env python3
"""Times a channel batch update over 10,000 seeded channels on a local emulator binary:
time to completed, task-poll latency while it runs (p50/p99/max) and the peak RSS.

Usage: python3 measure_batch.py target/debug/getstream-emulator   (loopback only;
standard library only). Until getstream-bench has its row for it."""
import json, os, subprocess, sys, time, urllib.request, hmac, hashlib, base64, re
key, secret = "bench-key", "bench-secret-of-at-least-32-bytes!!"
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
hdr = b64(json.dumps({"alg":"HS256","typ":"JWT"}).encode()); pl = b64(b"{}")
sig = b64(hmac.new(secret.encode(), f"{hdr}.{pl}".encode(), hashlib.sha256).digest())
tok = f"{hdr}.{pl}.{sig}"
emu = subprocess.Popen([sys.argv[1], "--addr", "127.0.0.1:0", "--api-key", key, "--api-secret", secret,
    "--seed", "channels=10000,messages=0,users=10", "--min-task-duration", "0ms"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
line = emu.stdout.readline()
m = re.search(r"http://127\.0\.0\.1:\d+", line)
while not m:
    line = emu.stdout.readline(); m = re.search(r"http://127\.0\.0\.1:\d+", line)
base = m.group(0)
def call(method, path, body=None):
    req = urllib.request.Request(f"{base}{path}?api_key={key}", data=json.dumps(body).encode() if body is not None else None, method=method,
        headers={"authorization": tok, "stream-auth-type": "jwt", "content-type": "application/json"})
    with urllib.request.urlopen(req) as r: return json.loads(r.read())
def rss(): 
    for l in open(f"/proc/{emu.pid}/status"):
        if l.startswith("VmHWM"): return l.split()[1]
for op, body in [("updateData", {"data": {"frozen": True}}), ("addMembers", {"members": [{"user_id": "user-10"}]})]:
    t0 = time.monotonic()
    tid = call("PUT", "/api/v2/chat/channels/batch", {"operation": op, "filter": {"types": "messaging"}, **body})["task_id"]
    lat = []
    while True:
        p0 = time.monotonic(); t = call("GET", f"/api/v2/tasks/{tid}"); lat.append((time.monotonic()-p0)*1000)
        if t["status"] in ("completed", "failed"): break
        time.sleep(0.005)
    took = time.monotonic() - t0
    lat.sort()
    print(f"{op} over 10,000 channels: {took*1000:.0f} ms to completed ({t['result']['success_channels_count']} ok); {len(lat)} polls, p50 {lat[len(lat)//2]:.1f} ms, p99 {lat[int(len(lat)*0.99)]:.1f} ms, max {lat[-1]:.1f} ms; peak RSS {rss()} kB")
emu.terminate(); emu.wait()
