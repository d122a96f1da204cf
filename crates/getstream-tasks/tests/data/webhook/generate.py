#!/usr/bin/env python3
"""Writes the webhook conformance fixtures (cases.json and the body files).

Independent of the Rust code on purpose: signatures come from Python's hmac,
gzip from Python's gzip (mtime 0, so the output is reproducible), base64 from
Python's base64. Rerun after changing a case: python3 generate.py
"""
import base64
import gzip
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "conformance-test-secret-7d1e"

# Timestamps: integer Unix nanoseconds (the spec), RFC 3339 (the docs'
# examples), float nanoseconds, and float seconds.
# Raw bodies exactly as a server might send them: odd spacing, key order,
# escapes and non-ASCII text, so that a re-serialised body would not verify.
CASES = [
    ("export_channels_success",
     '{"type":"export.channels.success","created_at":"2025-03-04T05:06:07.123456789Z",'
     '"custom":{"note":"caf\\u00e9 – ok"},"task_id":"6f3b9a2e-export-channels",'
     '"url":"https://exports.example/ch.json?sig=a%2Fb","started_at":"2025-03-04T05:06:01Z",'
     '"finished_at":"2025-03-04T05:06:07Z"}',
     {"type": "export.channels.success", "task_id": "6f3b9a2e-export-channels",
      "created_at": 1741064767123456789, "view": "export_succeeded", "kind": "channels",
      "url": "https://exports.example/ch.json?sig=a%2Fb"}),
    ("export_users_error",
     '{ "type" : "export.users.error", "task_id" : "a1-export-users",\n'
     '  "error" : "too many users: limit is 25", "created_at" : 1741064767000000000,\n'
     '  "started_at": 1741064760000000000, "finished_at": 1741064767000000000, "custom": {} }\n',
     {"type": "export.users.error", "task_id": "a1-export-users",
      "created_at": 1741064767000000000, "view": "export_failed", "kind": "users",
      "error": "too many users: limit is 25"}),
    ("channel_batch_update_completed",
     '{"type":"channel_batch_update.completed","task_id":"b7-batch","operation":"addMembers",'
     '"status":"completed","failed_channels":[{"cid":"messaging:x","reason":"not found"}],'
     '"success_channels_count":41,"batch_created_at":1.741064767e18,'
     '"finished_at":"2025-03-04T05:06:07Z","created_at":1741064767.25,"custom":{}}',
     {"type": "channel_batch_update.completed", "task_id": "b7-batch",
      "created_at": 1741064767250000000, "view": "channel_batch_update",
      "operation": "addMembers", "success_channels_count": 41, "failed_channels": 1}),
    ("channel_deleted",
     '{"type":"channel.deleted","cid":"messaging:general","channel_type":"messaging",'
     '"channel_id":"general","channel":{"cid":"messaging:general","type":"messaging","id":"general"},'
     '"created_at":"2025-03-04T05:06:07Z"}',
     {"type": "channel.deleted", "task_id": None, "created_at": 1741064767000000000,
      "view": "channel_deleted", "cid": "messaging:general"}),
    ("channel_deleted_without_cid",
     '{"type":"channel.deleted","channel_type":"livestream","channel_id":"l\\u00f6bby",'
     '"created_at":"2025-03-04T05:06:07+02:00"}',
     {"type": "channel.deleted", "task_id": None, "created_at": 1741057567000000000,
      "view": "channel_deleted", "cid": "livestream:l\u00f6bby"}),
    ("user_deleted",
     '{"type":"user.deleted","user":{"id":"user-\\u2603","name":"Snow"},"delete_user":"hard",'
     '"delete_messages":"hard","delete_conversation":"hard","hard_delete":true,'
     '"mark_messages_deleted":false,"created_at":"2025-03-04T05:06:07.5Z"}',
     {"type": "user.deleted", "task_id": None, "created_at": 1741064767500000000,
      "view": "user", "action": "deleted", "user_id": "user-\u2603"}),
    ("user_deactivated",
     '{"type":"user.deactivated","user":{"id":"u-2"},"created_at":1741064767000000000}',
     {"type": "user.deactivated", "task_id": None, "created_at": 1741064767000000000,
      "view": "user", "action": "deactivated", "user_id": "u-2"}),
    ("user_reactivated",
     '{"type":"user.reactivated","user":{"id":"u-3"},"created_at":"2025-03-04T05:06:07Z"}',
     {"type": "user.reactivated", "task_id": None, "created_at": 1741064767000000000,
      "view": "user", "action": "reactivated", "user_id": "u-3"}),
    ("export_bulk_image_moderation_success",
     '{"type":"export.bulk_image_moderation.success","task_id":"c4-bulk-images",'
     '"url":"https://exports.example/results.csv?sig=z","started_at":1741064760000000000,'
     '"finished_at":1741064767000000000,"created_at":1741064767000000000,"custom":{}}',
     {"type": "export.bulk_image_moderation.success", "task_id": "c4-bulk-images",
      "created_at": 1741064767000000000, "view": "export_succeeded",
      "kind": "bulk_image_moderation", "url": "https://exports.example/results.csv?sig=z"}),
    ("export_bulk_image_moderation_error",
     '{"type":"export.bulk_image_moderation.error","task_id":"c5-bulk-images",'
     '"error":"the CSV at http://10.0.0.1/i.csv may not be fetched","created_at":"2025-03-04T05:06:07Z"}',
     {"type": "export.bulk_image_moderation.error", "task_id": "c5-bulk-images",
      "created_at": 1741064767000000000, "view": "export_failed",
      "kind": "bulk_image_moderation",
      "error": "the CSV at http://10.0.0.1/i.csv may not be fetched"}),
    ("export_moderation_logs_success",
     '{"type":"export.moderation_logs.success","task_id":"d1-logs","url":"https://x/l.csv",'
     '"finished_at":"2025-03-04T05:06:07Z","created_at":"2025-03-04T05:06:07Z","custom":{}}',
     {"type": "export.moderation_logs.success", "task_id": "d1-logs",
      "created_at": 1741064767000000000, "view": "export_succeeded",
      "kind": "moderation_logs", "url": "https://x/l.csv"}),
    ("export_review_queue_error",
     '{"type":"export.review_queue.error","task_id":"d2-queue","error":"internal",'
     '"created_at":"2025-03-04T05:06:07Z","custom":{}}',
     {"type": "export.review_queue.error", "task_id": "d2-queue",
      "created_at": 1741064767000000000, "view": "export_failed",
      "kind": "review_queue", "error": "internal"}),
    ("call_deleted",
     '{"type":"call.deleted","call_cid":"default:standup","call":{"cid":"default:standup",'
     '"type":"default","id":"standup"},"created_at":"2025-03-04T05:06:07Z"}',
     {"type": "call.deleted", "task_id": None, "created_at": 1741064767000000000,
      "view": "call_deleted", "call_cid": "default:standup"}),
    ("feed_deleted",
     '{"type":"feeds.feed.deleted","fid":"user:alice","custom":{},"user":{"id":"alice"},'
     '"created_at":1741064767000000000}',
     {"type": "feeds.feed.deleted", "task_id": None, "created_at": 1741064767000000000,
      "view": "feed_deleted", "fid": "user:alice"}),
    ("activity_deleted",
     '{"type":"feeds.activity.deleted","fid":"user:alice","activity":{"id":"act-1",'
     '"user":{"id":"alice"}},"custom":{},"created_at":1741064767000000000}',
     {"type": "feeds.activity.deleted", "task_id": None, "created_at": 1741064767000000000,
      "view": "activity_deleted", "fid": "user:alice", "activity_id": "act-1"}),
    ("unknown_type",
     '{"type":"message.new","message":{"id":"m1","text":"hi"},"created_at":"2025-03-04T05:06:07Z"}',
     {"type": "message.new", "task_id": None, "created_at": 1741064767000000000,
      "view": "other"}),
]


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def gz(body: bytes) -> bytes:
    return gzip.compress(body, mtime=0)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def main() -> None:
    valid = []
    for name, text, expect in CASES:
        body = text.encode()
        with open(os.path.join(HERE, name + ".json"), "wb") as f:
            f.write(body)
        with open(os.path.join(HERE, name + ".json.gz"), "wb") as f:
            f.write(gz(body))
        sqs_gzip = b64(gz(body))
        valid.append({
            "name": name,
            "body_file": name + ".json",
            "gzip_file": name + ".json.gz",
            "signature": sign(body),
            "sqs_base64_gzip": sqs_gzip,
            "sqs_raw": text,
            "sns_envelope": json.dumps({
                "Type": "Notification", "MessageId": "msg-" + name,
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:stream-events",
                "Message": sqs_gzip, "Timestamp": "2025-03-04T05:06:08.000Z",
                "SignatureVersion": "1",
            }),
            "sns_envelope_raw": json.dumps({"Type": "Notification", "Message": text}),
            "expect": expect,
        })
    first = CASES[0][1].encode()
    bomb = gz(b"\0" * (17 * 1024 * 1024))
    corrupt = bytearray(gz(first))
    corrupt[len(corrupt) // 2] ^= 0xFF
    invalid = [
        {"name": "tampered_body", "via": "verify", "body": first.decode().replace("6f3b", "6f3c"),
         "signature": sign(first), "kind": "invalid_signature"},
        {"name": "wrong_secret", "via": "verify", "body": first.decode(),
         "signature": sign(first, "another-secret"), "kind": "invalid_signature"},
        {"name": "signature_of_the_compressed_body", "via": "verify_base64",
         "body_base64": b64(gz(first)), "signature": sign(gz(first)), "kind": "invalid_signature"},
        {"name": "not_hex_signature", "via": "verify", "body": first.decode(),
         "signature": "sha256=" + sign(first), "kind": "invalid_signature"},
        {"name": "empty_body", "via": "webhook", "body": "", "kind": "empty_body"},
        {"name": "empty_sqs", "via": "sqs", "body": "  ", "kind": "empty_body"},
        {"name": "malformed_json", "via": "webhook", "body": '{"type":"user.deleted",',
         "kind": "invalid_json"},
        {"name": "json_not_an_object", "via": "webhook", "body": '["type"]', "kind": "invalid_json"},
        {"name": "missing_type", "via": "webhook", "body": '{"task_id":"t1","url":"u"}',
         "kind": "missing_type"},
        {"name": "type_not_a_string", "via": "sqs", "body": '{"type":7}', "kind": "missing_type"},
        {"name": "bad_base64", "via": "sqs", "body": "H4sI*not-base64*", "kind": "invalid_base64"},
        {"name": "bad_gzip", "via": "webhook_base64", "body_base64": b64(bytes(corrupt)),
         "kind": "gzip"},
        {"name": "truncated_gzip_sqs", "via": "sqs", "body": b64(gz(first)[:20]), "kind": "gzip"},
        {"name": "sns_subscription_confirmation", "via": "sns",
         "body": json.dumps({"Type": "SubscriptionConfirmation", "Token": "t",
                             "SubscribeURL": "https://sns.example/confirm"}),
         "kind": "invalid_envelope"},
        {"name": "sns_without_message", "via": "sns", "body": '{"Type":"Notification"}',
         "kind": "invalid_envelope"},
        {"name": "sns_not_json", "via": "sns", "body": '{"Type":"Notification",',
         "kind": "invalid_envelope"},
        {"name": "gzip_bomb", "via": "webhook_base64", "body_base64": b64(bomb),
         "kind": "payload_too_large"},
        {"name": "gzip_bomb_sqs", "via": "sqs", "body": b64(bomb), "kind": "payload_too_large"},
    ]
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump({"secret": SECRET, "valid": valid, "invalid": invalid}, f, indent=1,
                  ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
