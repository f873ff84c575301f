#!/usr/bin/env python3
"""Python baseline of wapipe's webhook-ingest, for a whole-process comparison.

    python3 tools/baseline_ingest.py DIR_OR_FILE...

For every file (a Lambda SQS event; also a Lambda SNS event or a bare Meta webhook body),
for every record: decode the SNS notification, the EUM event and the whatsAppWebhookEntry,
walk the changes, derive a dedupe key per item (message: wamid; status: wamid+status+
timestamp; anything else: a hash of the value), skip items already seen (a dict stands in
for the DynamoDB table), build a normalised domain event and count events by detail-type.
A record that cannot be decoded or validated is parked (and emits whatsapp.ingest.rejected).

Prints {"records": N, "events": {...}, "parked": [...], "duplicates": N} to stdout.
Python 3.11 stdlib only (json, hashlib).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

FIELD_EVENTS = {
    "message_template_status_update": "whatsapp.template.updated",
    "message_template_quality_update": "whatsapp.template.updated",
    "message_template_components_update": "whatsapp.template.updated",
    "template_category_update": "whatsapp.template.updated",
    "phone_number_quality_update": "whatsapp.phone.quality",
    "phone_number_name_update": "whatsapp.phone.name",
    "account_update": "whatsapp.account.updated",
    "business_capability_update": "whatsapp.account.updated",
    "payment_configuration_update": "whatsapp.payment.configuration",
    "flows": "whatsapp.flow.updated",
}


class Malformed(Exception):
    pass


def value_hash(field: str, value) -> str:
    return field + ":" + hashlib.sha256(
        json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class Ingest:
    def __init__(self):
        self.table: dict[str, dict] = {}  # dedupe key -> stored event (the "table")
        self.events: dict[str, int] = {}
        self.parked: list[dict] = []
        self.records = 0
        self.duplicates = 0

    # -- decoding --------------------------------------------------------------------
    @staticmethod
    def entry_from_eum(eum) -> tuple[dict, str | None, str | None]:
        if not isinstance(eum, dict):
            raise Malformed("EUM event is not an object")
        raw = eum.get("whatsAppWebhookEntry")
        if not isinstance(raw, str):
            raise Malformed("whatsAppWebhookEntry is not a string")
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError as e:
            raise Malformed(f"whatsAppWebhookEntry is not JSON: {e}") from None
        ctx = eum.get("context") or {}
        wabas = ctx.get("MetaWabaIds") or [{}]
        phones = ctx.get("MetaPhoneNumberIds") or [{}]
        return entry, wabas[0].get("wabaId"), phones[0].get("metaPhoneNumberId")

    def decode_sqs(self, body: str):
        try:
            outer = json.loads(body)
        except json.JSONDecodeError as e:
            raise Malformed(f"body is not JSON: {e}") from None
        if isinstance(outer, dict) and outer.get("Type") == "Notification":
            message = outer.get("Message")
            if not isinstance(message, str):
                raise Malformed("SNS Message is not a string")
            try:
                outer = json.loads(message)
            except json.JSONDecodeError as e:
                raise Malformed(f"SNS Message is not JSON: {e}") from None
        return self.entry_from_eum(outer)  # raw delivery: the body is the EUM event

    # -- normalising -------------------------------------------------------------------
    def items(self, entry, waba_id, phone_id) -> list[tuple[str, list[dict]]]:
        """[(dedupe key, [events])] for one entry; raises Malformed before anything is stored."""
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            raise Malformed("entry has no changes")
        waba_id = waba_id or entry.get("id")
        out = []
        for change in entry["changes"]:
            field = change.get("field")
            value = change.get("value")
            if not isinstance(field, str) or not isinstance(value, dict):
                raise Malformed("change without field/value")
            pid = (value.get("metadata") or {}).get("phone_number_id") or phone_id
            base = {"waba_id": waba_id, "phone_number_id": pid}
            if field == "messages":
                for m in value.get("messages", ()):
                    wamid, mtype = m.get("id"), m.get("type")
                    if not isinstance(wamid, str) or not wamid or not isinstance(mtype, str):
                        raise Malformed("message without id/type")
                    key = "msg:" + wamid
                    ev = [self.event("whatsapp.message.received", key, base, wamid=wamid, message_type=mtype,
                                     wa_id=m.get("from") or m.get("from_user_id"), occurred_at=m.get("timestamp"))]
                    nfm = (m.get("interactive") or {}).get("nfm_reply") if mtype == "interactive" else None
                    if nfm:
                        try:
                            resp = json.loads(nfm.get("response_json") or "{}")
                        except json.JSONDecodeError:
                            raise Malformed("nfm_reply.response_json is not JSON") from None
                        if nfm.get("name") == "flow":
                            ev.append(self.event("whatsapp.flow.completed", "flow:" + wamid, base, wamid=wamid,
                                                 flow_token=resp.get("flow_token"), response=resp))
                        elif nfm.get("name") == "address_message":
                            ev.append(self.event("whatsapp.address.received", "addr:" + wamid, base, wamid=wamid,
                                                 address=resp.get("values")))
                    out.append((key, ev))
                for s in value.get("statuses", ()):
                    wamid, status, ts = s.get("id"), s.get("status"), s.get("timestamp")
                    if not isinstance(wamid, str) or not isinstance(status, str):
                        raise Malformed("status without id/status")
                    key = f"st:{wamid}:{status}:{ts}"
                    if s.get("type") == "payment":
                        pay = s.get("payment") or {}
                        ev = self.event("whatsapp.payment.updated", key, base, wamid=wamid, status=status,
                                        reference_id=pay.get("reference_id"), amount=pay.get("amount"))
                    else:
                        ev = self.event("whatsapp.message.status", key, base, wamid=wamid, status=status,
                                        recipient_id=s.get("recipient_id"), occurred_at=ts,
                                        errors=[e.get("code") for e in s.get("errors", ())])
                    out.append((key, [ev]))
                if value.get("errors"):
                    key = value_hash("errors", value)
                    out.append((key, [self.event("whatsapp.webhook.errors", key, base,
                                                 codes=[e.get("code") for e in value["errors"]])]))
            elif field == "user_preferences":
                for pref in value.get("user_preferences", ()):
                    key = value_hash(field, pref)
                    out.append((key, [self.event("whatsapp.user.preferences", key, base, wa_id=pref.get("wa_id"),
                                                 category=pref.get("category"), value=pref.get("value"))]))
            else:
                key = value_hash(field, value)
                detail_type = FIELD_EVENTS.get(field, "whatsapp.webhook.unknown")
                out.append((key, [self.event(detail_type, key, base, field=field, event=value.get("event"))]))
        return out

    @staticmethod
    def event(detail_type: str, key: str, base: dict, **fields) -> dict:
        return {"detail-type": detail_type,
                "detail": {"schema": 1, "event_id": hashlib.sha256(key.encode()).hexdigest(), **base, **fields}}

    # -- driving -------------------------------------------------------------------------
    def commit(self, items) -> None:
        for key, evs in items:
            if key in self.table:
                self.duplicates += 1
                continue
            self.table[key] = evs[0]
            for ev in evs:
                self.events[ev["detail-type"]] = self.events.get(ev["detail-type"], 0) + 1

    def park(self, where: str, reason: str) -> None:
        self.parked.append({"record": where, "reason": reason})
        self.events["whatsapp.ingest.rejected"] = self.events.get("whatsapp.ingest.rejected", 0) + 1

    def file(self, path: Path) -> None:
        doc = json.loads(path.read_bytes())
        if "Records" in doc:
            for i, rec in enumerate(doc["Records"]):
                self.records += 1
                where = f"{path}#{i}"
                try:
                    if "body" in rec:
                        entry, waba, phone = self.decode_sqs(rec["body"])
                    else:
                        try:
                            eum = json.loads(rec["Sns"]["Message"])
                        except (KeyError, TypeError, json.JSONDecodeError) as e:
                            raise Malformed(f"bad SNS record: {e}") from None
                        entry, waba, phone = self.entry_from_eum(eum)
                    self.commit(self.items(entry, waba, phone))
                except Malformed as e:
                    self.park(where, str(e))
        elif doc.get("object") == "whatsapp_business_account":  # direct Meta webhook body
            self.records += 1
            try:
                for entry in doc.get("entry", ()):
                    self.commit(self.items(entry, None, None))
            except Malformed as e:
                self.park(str(path), str(e))
        else:
            self.records += 1
            self.park(str(path), "unknown document")


def files_of(args: list[str]) -> list[Path]:
    out = []
    for a in args:
        p = Path(a)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*.json") if f.name != "manifest.json"))
        else:
            out.append(p)
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    ing = Ingest()
    for f in files_of(argv):
        ing.file(f)
    print(json.dumps({"records": ing.records, "events": dict(sorted(ing.events.items())),
                      "parked": ing.parked, "duplicates": ing.duplicates}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
