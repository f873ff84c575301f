#!/usr/bin/env python3
"""Load generator: Lambda SQS events carrying EUM Social events, for benchmarks.

    python3 tools/gen_load.py --count 20000 --out /tmp/load [--dup-rate 0.05] [--seed 1]

Writes DIR/batch-00000.json, DIR/batch-00001.json, ... each a Lambda SQS event of
--batch (10) records. Every record body is an SNS notification (JSON string) whose
Message is an EUM event whose whatsAppWebhookEntry is one Meta entry — the same
three layers as events/example-sqs-eum-*.json (docs/PROTOCOL.md §1).

Mix (approximate): 45% inbound messages (mostly text; media, voice, interactive
replies, reactions, ...), 50% statuses (a sent -> delivered -> read lifecycle per
outbound wamid, some failed), 5% other fields (template status/quality, account
update, user preferences). Wamids are unique; --dup-rate of the records are exact
re-deliveries of an earlier record (same body, new SQS messageId) to exercise dedupe.
Deterministic for a given --seed. Python 3.11 stdlib only.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import sys
import time
from collections import deque
from pathlib import Path

REGION = "ap-south-1"
ACCOUNT = "123456789012"
T0 = 1758171394
WABA_ID = "102290129340398"
WABA_ARN = f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:waba/fe93f4944cc9ac89b089e50a3f4054bf"
PHONES = [
    ("106540352242922", "918041234567",
     f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:phone-number-id/4db8a4cce7e7d3cbc3ec62a721b7ded3"),
    ("110987654321098", "918041234568",
     f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:phone-number-id/9c1f0d3e5b7a4c2d8e6f1a3b5c7d9e0f"),
]
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:wapipe-eum-events"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:wapipe-ingest"
CERT_URL = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-06298432e8066b29e2223bcc23aa9504.pem"
UNSUB_URL = (f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
             f"{TOPIC_ARN}:a8fa7fd6-0893-411a-a990-7b5545ccf9c4")
FIRST_NAMES = ["Asha", "Ravi", "Meera", "Arjun", "Priya", "Vikram", "Neha", "Kiran", "Anil", "Divya",
               "Rahul", "Sneha", "Farhan", "Lakshmi", "Joseph", "Zoya"]
TEXTS = ["Hi", "Is my order shipped?", "What are your store hours?", "Thanks!", "I want to return an item",
         "Can I change the delivery address?", "Price for 2 kg?", "ok", "Please call me back",
         "Do you deliver to Pune?", "Where is my refund?", "Namaste \U0001F64F", "Great service \U0001F44D"]
EMOJIS = ["\U0001F44D", "\u2764\uFE0F", "\U0001F602", "\U0001F64F", ""]

INBOUND_KINDS = [  # (kind, weight)
    ("text", 62), ("image", 7), ("video", 2), ("audio", 2), ("voice", 5), ("document", 3),
    ("sticker", 2), ("location", 2), ("reaction", 5), ("button_reply", 4), ("list_reply", 2),
    ("button", 2), ("flow", 1), ("contacts", 1),
]
OTHER_KINDS = [("template_status", 4), ("template_quality", 2), ("account_update", 1), ("user_preferences", 3)]


def compact(o) -> str:
    return json.dumps(o, separators=(",", ":"))


class Gen:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.n_wamid = 0
        self.customers = [("91" + str(self.rng.randrange(7000000000, 9999999999)),
                           self.rng.choice(FIRST_NAMES)) for _ in range(3000)]
        self.pending: deque = deque()  # outbound lifecycles: [wamid, wa_id, phone_idx, next_status]
        self.inbound_kinds, self.inbound_w = zip(*INBOUND_KINDS)
        self.other_kinds, self.other_w = zip(*OTHER_KINDS)
        self.ts_cache: dict[int, str] = {}

    # -- ids ---------------------------------------------------------------------
    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    def wamid(self, phone: str, inbound: bool) -> str:
        self.n_wamid += 1
        mid = f"{self.seed:08X}{self.n_wamid:024X}".encode()
        raw = (b"\x1c\x18" + bytes([len(phone)]) + phone.encode() + b"\x15\x02\x00"
               + (b"\x12" if inbound else b"\x11") + b"\x18\x20" + mid + b"\x00")
        return "wamid." + base64.b64encode(raw).decode()

    def media_id(self) -> str:
        return str(self.rng.randrange(10**15, 10**16))

    def iso(self, t: int, nanos: int, digits: int) -> str:
        base = self.ts_cache.get(t)
        if base is None:
            base = self.ts_cache[t] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
        return f"{base}.{nanos:09d}"[: 20 + digits] + "Z"

    # -- payloads ------------------------------------------------------------------
    def messages_value(self, phone, contacts, key, items):
        return {"messaging_product": "whatsapp",
                "metadata": {"display_phone_number": phone[1], "phone_number_id": phone[0]},
                **({"contacts": contacts} if contacts else {}), key: items}

    def inbound(self, t: int, phone) -> dict:
        rng = self.rng
        wa_id, name = rng.choice(self.customers)
        kind = rng.choices(self.inbound_kinds, self.inbound_w)[0]
        m = {"from": wa_id, "id": self.wamid(wa_id, True), "timestamp": str(t)}
        ctx = {"from": phone[1], "id": self.wamid(wa_id, False)}
        if kind == "text":
            m.update(type="text", text={"body": rng.choice(TEXTS)})
        elif kind in ("image", "video", "document"):
            mime = {"image": "image/jpeg", "video": "video/mp4", "document": "application/pdf"}[kind]
            body = {"mime_type": mime, "sha256": base64.b64encode(rng.randbytes(32)).decode(), "id": self.media_id()}
            if kind == "document":
                body["filename"] = f"invoice-{rng.randrange(1000, 9999)}.pdf"
            if rng.random() < 0.5:
                body["caption"] = rng.choice(TEXTS)
            m.update(type=kind, **{kind: body})
        elif kind in ("audio", "voice"):
            voice = kind == "voice"
            m.update(type="audio", audio={"mime_type": "audio/ogg; codecs=opus" if voice else "audio/mpeg",
                                          "sha256": base64.b64encode(rng.randbytes(32)).decode(),
                                          "id": self.media_id(), "voice": voice})
        elif kind == "sticker":
            m.update(type="sticker", sticker={"mime_type": "image/webp", "id": self.media_id(),
                                              "sha256": base64.b64encode(rng.randbytes(32)).decode(),
                                              "animated": rng.random() < 0.3})
        elif kind == "location":
            m.update(type="location", location={"latitude": round(rng.uniform(8, 30), 6),
                                                "longitude": round(rng.uniform(70, 88), 6)})
        elif kind == "reaction":
            m.update(type="reaction", reaction={"message_id": ctx["id"], "emoji": rng.choice(EMOJIS)})
        elif kind == "button_reply":
            m.update(context=ctx, type="interactive", interactive={
                "type": "button_reply", "button_reply": {"id": "track-order", "title": "Track order"}})
        elif kind == "list_reply":
            m.update(context=ctx, type="interactive", interactive={
                "type": "list_reply", "list_reply": {"id": f"slot-{rng.randrange(1, 6)}", "title": "Slot"}})
        elif kind == "button":
            m.update(context=ctx, type="button", button={"payload": "CONFIRM", "text": "Yes, confirm"})
        elif kind == "flow":
            resp = compact({"flow_token": f"tok-{self.n_wamid}", "rating": str(rng.randrange(1, 6))})
            m.update(context=ctx, type="interactive", interactive={
                "type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": resp}})
        else:  # contacts
            m.update(type="contacts", contacts=[{"name": {"formatted_name": name, "first_name": name},
                                                 "phones": [{"phone": "+" + wa_id, "wa_id": wa_id,
                                                             "type": "CELL"}]}])
        value = self.messages_value(phone, [{"profile": {"name": name}, "wa_id": wa_id}], "messages", [m])
        return {"value": value, "field": "messages"}

    def status(self, t: int) -> tuple[dict, tuple]:
        rng = self.rng
        if not self.pending or rng.random() < 0.36:
            wa_id, _ = rng.choice(self.customers)
            phone_idx = 0 if rng.random() < 0.8 else 1
            wamid = self.wamid(wa_id, False)
            if rng.random() < 0.08:
                st = "failed"
            else:
                st = "sent"
                self.pending.append([wamid, wa_id, phone_idx, "delivered"])
        else:
            # progress an older lifecycle (not always the oldest: arrival order varies)
            i = min(int(rng.expovariate(0.2)), len(self.pending) - 1)
            life = self.pending[i]
            wamid, wa_id, phone_idx, st = life
            if st == "delivered" and rng.random() < 0.65:
                life[3] = "read"
            else:
                del self.pending[i]
        s = {"id": wamid, "status": st, "timestamp": str(t), "recipient_id": wa_id}
        if st == "failed":
            s["errors"] = [{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                            "error_data": {"details": "Message Undeliverable."},
                            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]
        else:
            s["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
        phone = PHONES[phone_idx]
        return {"value": self.messages_value(phone, None, "statuses", [s]), "field": "messages"}, phone

    def other(self, t: int, i: int, phone) -> dict:
        rng = self.rng
        kind = rng.choices(self.other_kinds, self.other_w)[0]
        tid = 1689556900000000 + i
        if kind == "template_status":
            return {"value": {"event": rng.choice(["APPROVED", "APPROVED", "REJECTED", "PAUSED"]),
                              "message_template_id": tid, "message_template_name": f"tpl_{i}",
                              "message_template_language": "en_US", "reason": "NONE"},
                    "field": "message_template_status_update"}
        if kind == "template_quality":
            return {"value": {"previous_quality_score": "GREEN", "new_quality_score": rng.choice(["YELLOW", "RED"]),
                              "message_template_id": tid, "message_template_name": f"tpl_{i}",
                              "message_template_language": "en_US"},
                    "field": "message_template_quality_update"}
        if kind == "account_update":
            return {"value": {"event": "ACCOUNT_RESTRICTION", "restriction_info": [
                {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": t + 86400 + i}]},
                "field": "account_update"}
        wa_id, _ = rng.choice(self.customers)
        return {"value": {"messaging_product": "whatsapp",
                          "metadata": {"display_phone_number": phone[1], "phone_number_id": phone[0]},
                          "user_preferences": [{"wa_id": wa_id, "detail": "User preference update",
                                                "category": "marketing_messages",
                                                "value": rng.choice(["stop", "resume"]), "timestamp": t + i}]},
                "field": "user_preferences"}

    def body(self, i: int) -> tuple[str, str, str]:
        """One fresh SQS body; returns (body, kind, sent_ms)."""
        rng = self.rng
        t = T0 + i // 20
        phone = PHONES[0] if rng.random() < 0.8 else PHONES[1]
        r = rng.random()
        if r < 0.45:
            change, kind, with_time = self.inbound(t, phone), "inbound", False
        elif r < 0.95:
            (change, phone), kind, with_time = self.status(t), "status", False
        else:
            change, kind, with_time = self.other(t, i, phone), "other", True
        entry = {"id": WABA_ID, **({"time": t} if with_time else {}), "changes": [change]}
        nanos = rng.randrange(10**9)
        eum = {"context": {"MetaWabaIds": [{"wabaId": WABA_ID, "arn": WABA_ARN}],
                           "MetaPhoneNumberIds": [{"metaPhoneNumberId": phone[0], "arn": phone[2]}]},
               "whatsAppWebhookEntry": compact(entry),
               "aws_account_id": ACCOUNT,
               "message_timestamp": self.iso(t + 1, nanos, 9)}
        sns = {"Type": "Notification", "MessageId": self.uuid(), "TopicArn": TOPIC_ARN,
               "Message": compact(eum), "Timestamp": self.iso(t + 1, nanos, 3), "SignatureVersion": "1",
               "Signature": base64.b64encode(rng.randbytes(256)).decode(),
               "SigningCertURL": CERT_URL, "UnsubscribeURL": UNSUB_URL}
        return compact(sns), kind, str((t + 1) * 1000 + nanos // 10**6)

    def record(self, body: str, sent_ms: str) -> dict:
        return {"messageId": self.uuid(),
                "receiptHandle": "AQEB" + base64.b64encode(self.rng.randbytes(96)).decode(),
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": sent_ms,
                               "SenderId": "AIDAIT2UOQQY3AUEKVGXU",
                               "ApproximateFirstReceiveTimestamp": str(int(sent_ms) + 35)},
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs", "eventSourceARN": QUEUE_ARN, "awsRegion": REGION}


def main() -> int:
    ap = argparse.ArgumentParser(description="Generate Lambda SQS events of EUM Social traffic.")
    ap.add_argument("--count", type=int, required=True, help="number of SQS records (events) in total")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--dup-rate", type=float, default=0.05, help="fraction of records that are re-deliveries")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=10, help="records per file (SQS max 10)")
    args = ap.parse_args()

    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("batch-*.json"):
        old.unlink()
    g = Gen(args.seed)
    history: list[tuple[str, str, str]] = []
    kinds = {"inbound": 0, "status": 0, "other": 0}
    dups = files = 0
    records: list[dict] = []
    for i in range(args.count):
        if history and g.rng.random() < args.dup_rate:
            body, kind, sent_ms = g.rng.choice(history)
            dups += 1
        else:
            body, kind, sent_ms = g.body(i)
            history.append((body, kind, sent_ms))
            kinds[kind] += 1
        records.append(g.record(body, sent_ms))
        if len(records) == args.batch:
            (out / f"batch-{files:05d}.json").write_text(compact({"Records": records}))
            files += 1
            records = []
    if records:
        (out / f"batch-{files:05d}.json").write_text(compact({"Records": records}))
        files += 1
    took = time.perf_counter() - started
    print(f"gen_load: {args.count} records in {files} files -> {out}; duplicates {dups}; unique: "
          f"inbound {kinds['inbound']}, status {kinds['status']}, other {kinds['other']}; "
          f"seed {args.seed}; {took:.2f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
