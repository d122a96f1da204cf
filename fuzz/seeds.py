#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the tests' own inputs:
the bodies and header values of the SDK's property tests
(crates/getstream-tasks/src/decoder_props.rs), the CLI's (crates/getstream-cli/src/
parse_props.rs) and the webhook conformance fixtures
(crates/getstream-tasks/tests/data/webhook/). Framed as each target reads its input
(see fuzz_targets/*.rs: a length byte before each field).

Run from anywhere: python3 fuzz/seeds.py. Deterministic; files are named by
content, so rerunning adds nothing new. Inputs the fuzzer found (crashes kept
as regression seeds) are added by hand with a descriptive name.
"""

import base64
import gzip
import hashlib
import hmac
import json
import pathlib
import re
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
WEBHOOK = ROOT / "crates" / "getstream" / "tests" / "data" / "webhook"


def rust_consts(path, name):
    """The string literals of `const NAME: &[&str] = &[...]` in a Rust file."""
    text = path.read_text()
    block = re.search(r"const %s: &\[&str\] = &\[(.*?)\n\];" % name, text, re.S).group(1)
    out = []
    for raw, plain in re.findall(r'r#"(.*?)"#|"((?:[^"\\]|\\.)*)"', block, re.S):
        out.append(raw if raw else json.loads('"%s"' % plain))
    return out


def field(b):
    b = b[:255]
    return bytes([len(b)]) + b


def now(secs=1_700_000_000):
    return struct.pack("<Q", secs)[:5]


def write(target, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def main():
    props = ROOT / "crates" / "getstream" / "src" / "decoder_props.rs"
    bodies = [s.encode() for s in rust_consts(props, "SEEDS")]
    header_values = [s.encode() for s in rust_consts(props, "HEADER_SEEDS")]
    timestamps = [s.encode() for s in rust_consts(props, "TIMESTAMP_SEEDS")]
    cli = rust_consts(ROOT / "crates" / "getstream-cli" / "src" / "parse_props.rs", "SEEDS")

    for body in bodies:
        write("task_body", body)
    for status, body, retry in zip([200, 404, 429, 500, 503, 400, 401, 502, 403, 418],
                                   bodies, header_values):
        write("error_envelope", struct.pack("<H", status) + field(retry) + now() + body)
    for i, value in enumerate(header_values):
        others = header_values[(i + 1) % len(header_values)], header_values[(i + 2) % len(header_values)]
        write("rate_limit", now() + field(value) + field(others[0]) + field(others[1]))
        write("retry_after", now() + field(value))
        write("retry_after", now() + field(value) + field(others[0]))
    for t in timestamps:
        write("timestamp", t)
    for s in cli:
        write("cli_duration", s.encode())
        write("cli_time", s.encode())

    cases = json.loads((WEBHOOK / "cases.json").read_text())
    secret = cases["secret"].encode()
    for case in cases["valid"]:
        raw = (WEBHOOK / case["body_file"]).read_bytes()
        gz = (WEBHOOK / case["gzip_file"]).read_bytes()
        write("webhook_parse", raw)
        write("webhook_parse", gz)
        sig = case["signature"].encode()
        write("webhook_verify", b"\x00" + field(secret) + field(sig) + raw)
        write("webhook_verify", b"\x00" + field(secret) + field(sig) + gz)
        write("webhook_verify", b"\x01" + field(secret) + field(b"") + gz)
        write("webhook_sqs", case["sqs_base64_gzip"].encode())
        write("webhook_sqs", case["sqs_raw"].encode())
        write("webhook_sns", case["sns_envelope"].encode())
        write("webhook_sns", case["sns_envelope_raw"].encode())
    for case in cases["invalid"]:
        body = (base64.b64decode(case["body_base64"]) if "body_base64" in case
                else case["body"].encode())
        via = case["via"]
        if via.startswith("verify"):
            write("webhook_verify", b"\x00" + field(secret) + field(case["signature"].encode()) + body)
        elif via.startswith("webhook"):
            write("webhook_parse", body)
        elif via == "sqs":
            write("webhook_sqs", body)
        elif via == "sns":
            write("webhook_sns", body)

    # Bombs: far more inflated than the targets' 16 KiB cap, as a body, base64
    # (SQS) and in an SNS envelope.
    bomb = gzip.compress(b"{\"type\":\"x\",\"pad\":\"" + b"a" * (1 << 20) + b"\"}", 9, mtime=0)
    write("webhook_parse", bomb)
    mac = hmac.new(secret, bomb, hashlib.sha256).hexdigest().encode()
    write("webhook_verify", b"\x00" + field(secret) + field(mac) + bomb)
    b64 = base64.b64encode(bomb)
    write("webhook_sqs", b64)
    write("webhook_sns", json.dumps({"Type": "Notification", "Message": b64.decode()}).encode())


if __name__ == "__main__":
    main()
