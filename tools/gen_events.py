#!/usr/bin/env python3
"""Generate the sample events in events/ (the aws-lambda-events naming style).

Every sample is one Meta webhook `entry` wrapped exactly as it reaches wapipe from
AWS End User Messaging Social (docs/PROTOCOL.md §1):

    Lambda SQS event  {"Records": [SQS record]}
      record.body     = SNS notification (JSON string)
        .Message      = EUM event (JSON string)
          .whatsAppWebhookEntry = ONE Meta entry (JSON string)

All layers are built with json.dumps, never escaped by hand. Ids are derived from
sha256 of the sample name, so the output is deterministic: running this twice writes
identical files.

    python3 tools/gen_events.py            # (re)write events/
    python3 tools/gen_events.py --check    # verify events/ on disk (fresh, decodable, counts)
    python3 tools/gen_events.py --out DIR  # write elsewhere

The expectations in events/manifest.json are stated by hand next to each sample below,
from the payload semantics (one message.received per inbound message, ...), not computed
by any implementation. --check cross-checks the simple ones against the decoded payloads.

Python 3.11 stdlib only.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import time
from pathlib import Path

# ---------------------------------------------------------------------------
# Fixed fake identities
# ---------------------------------------------------------------------------
REGION = "ap-south-1"
ACCOUNT = "123456789012"
T0 = 1758171394  # 2025-09-18T04:56:34Z, first sample's event time (epoch seconds)


def hexid(*parts: str, n: int = 32) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def digits(*parts: str, n: int = 15) -> str:
    return str(int(hexid(*parts, n=30), 16))[-n:].rjust(n, "1")


def uuid_from(*parts: str) -> str:
    h = hexid(*parts)
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


WABA_ID = "102290129340398"
WABA_ARN = f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:waba/{hexid('waba')}"
PHONES = {
    "main": {
        "id": "106540352242922",
        "display": "918041234567",
        "arn": f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:phone-number-id/{hexid('phone', 'main')}",
    },
    "support": {
        "id": "110987654321098",
        "display": "918041234568",
        "arn": f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:phone-number-id/{hexid('phone', 'support')}",
    },
}
CUSTOMERS = {
    "asha": ("919876543210", "Asha Rao"),
    "ravi": ("919812345678", "Ravi Kumar"),
    "meera": ("919900112233", "Meera Iyer"),
}
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:wapipe-eum-events"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:wapipe-ingest"
SNS_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"
SUBSCRIPTION_ID = uuid_from("subscription")
ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


def wamid(phone: str, *parts: str, inbound: bool = True) -> str:
    """A realistic wamid: base64 of the length-prefixed phone and a 32-hex message id."""
    raw = (
        b"\x1c\x18" + bytes([len(phone)]) + phone.encode()
        + b"\x15\x02\x00" + (b"\x12" if inbound else b"\x11") + b"\x18\x20"
        + hexid("wamid", *parts).upper().encode() + b"\x00"
    )
    return "wamid." + base64.b64encode(raw).decode()


def rfc3339(epoch: int, nanos: int, digits_: int = 9) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    frac = f"{nanos:09d}"[:digits_]
    return f"{base}.{frac}Z"


def compact(obj) -> str:
    """How Meta/EUM/SNS serialise: compact JSON, non-ASCII escaped."""
    return json.dumps(obj, separators=(",", ":"))


# ---------------------------------------------------------------------------
# Per-sample context: ids and times derived from the sample's name
# ---------------------------------------------------------------------------
class Ctx:
    def __init__(self, name: str, index: int, phone: str = "main"):
        self.name = name
        self.t = T0 + 300 * index
        self.phone = PHONES[phone]
        self.phone_key = phone

    def ts(self, delta: int = 0) -> str:
        return str(self.t + delta)

    def wamid(self, tag: str, who: str = "asha", inbound: bool = True) -> str:
        return wamid(CUSTOMERS[who][0], self.name, tag, inbound=inbound)

    def media_id(self, tag: str) -> str:
        return digits(self.name, "media", tag, n=16)

    def sha(self, tag: str) -> str:
        return base64.b64encode(hashlib.sha256(f"{self.name}/{tag}".encode()).digest()).decode()

    def metadata(self) -> dict:
        return {"display_phone_number": self.phone["display"], "phone_number_id": self.phone["id"]}

    def contact(self, who: str = "asha") -> dict:
        wa_id, name = CUSTOMERS[who]
        return {"profile": {"name": name}, "wa_id": wa_id}

    # -- value builders -------------------------------------------------------
    def message(self, type_: str, body: dict | None, who: str = "asha", context: dict | None = None,
                extra: dict | None = None, tag: str = "in") -> dict:
        m = {"from": CUSTOMERS[who][0], "id": self.wamid(tag, who), "timestamp": self.ts()}
        if context is not None:
            m["context"] = context
        m["type"] = type_
        if body is not None:
            m[type_] = body
        if extra:
            m.update(extra)
        return m

    def messages_change(self, messages: list, contacts: list | None = None) -> dict:
        value = {"messaging_product": "whatsapp", "metadata": self.metadata()}
        if contacts is None:
            contacts = [self.contact()]
        if contacts:
            value["contacts"] = contacts
        value["messages"] = messages
        return {"value": value, "field": "messages"}

    def reply_context(self, tag: str = "out", who: str = "asha") -> dict:
        return {"from": self.phone["display"], "id": self.wamid(tag, who, inbound=False)}

    def status(self, status: str, delta: int = 0, who: str = "asha", tag: str = "out", **extra) -> dict:
        s = {
            "id": self.wamid(tag, who, inbound=False),
            "status": status,
            "timestamp": self.ts(delta),
            "recipient_id": CUSTOMERS[who][0],
        }
        s.update(extra)
        return s

    def statuses_change(self, statuses: list) -> dict:
        return {"value": {"messaging_product": "whatsapp", "metadata": self.metadata(), "statuses": statuses},
                "field": "messages"}

    def conversation(self, origin: str = "utility", with_expiry: bool = True) -> dict:
        c = {"id": hexid(self.name, "conversation")}
        if with_expiry:
            c["expiration_timestamp"] = str(self.t + 86400)
        c["origin"] = {"type": origin}
        return c


# ---------------------------------------------------------------------------
# Sample contents (the decoded `changes[0]` of each entry)
# ---------------------------------------------------------------------------
def s_text(c: Ctx):
    return c.messages_change([c.message("text", {"body": "Hi, has my order #4521 shipped yet?"})])


def s_text_reply(c: Ctx):
    return c.messages_change([c.message("text", {"body": "Yes, please deliver after 6 pm."},
                                        context=c.reply_context())])


def s_text_forwarded(c: Ctx):
    return c.messages_change([c.message("text", {"body": "Festive sale: 20% off everything this weekend!"},
                                        context={"forwarded": True})])


def s_referral(c: Ctx):
    referral = {
        "source_url": "https://fb.me/3cr4Wqqkk",
        "source_id": "120212345678900123",
        "source_type": "ad",
        "headline": "Monsoon sale on rain jackets",
        "body": "Chat with us to get 15% off your first order.",
        "media_type": "image",
        "image_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/monsoon-jacket.jpg",
        "thumbnail_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/monsoon-jacket-thumb.jpg",
        "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv",
        "welcome_message": {"text": "Hi! Tell me more about the monsoon sale."},
    }
    return c.messages_change([c.message("text", {"body": "Hi! Tell me more about the monsoon sale."},
                                        extra={"referral": referral})])


def s_image(c: Ctx):
    return c.messages_change([c.message("image", {
        "caption": "This is the damaged box", "mime_type": "image/jpeg",
        "sha256": c.sha("image"), "id": c.media_id("image")})])


def s_video(c: Ctx):
    return c.messages_change([c.message("video", {
        "caption": "Unboxing", "mime_type": "video/mp4", "sha256": c.sha("video"), "id": c.media_id("video")})])


def s_audio(c: Ctx):
    return c.messages_change([c.message("audio", {
        "mime_type": "audio/mpeg", "sha256": c.sha("audio"), "id": c.media_id("audio"), "voice": False})])


def s_voice(c: Ctx):
    return c.messages_change([c.message("audio", {
        "mime_type": "audio/ogg; codecs=opus", "sha256": c.sha("voice"), "id": c.media_id("voice"),
        "voice": True})])


def s_document(c: Ctx):
    return c.messages_change([c.message("document", {
        "caption": "Invoice for order 4521", "filename": "invoice-4521.pdf", "mime_type": "application/pdf",
        "sha256": c.sha("document"), "id": c.media_id("document")})])


def s_sticker(c: Ctx):
    return c.messages_change([c.message("sticker", {
        "mime_type": "image/webp", "sha256": c.sha("sticker"), "id": c.media_id("sticker"), "animated": False})])


def s_sticker_animated(c: Ctx):
    return c.messages_change([c.message("sticker", {
        "mime_type": "image/webp", "sha256": c.sha("sticker"), "id": c.media_id("sticker"), "animated": True})])


def s_location(c: Ctx):
    return c.messages_change([c.message("location", {
        "latitude": 12.971599, "longitude": 77.594566, "name": "Cubbon Park",
        "address": "Kasturba Road, Bengaluru, Karnataka 560001"})])


def s_contacts(c: Ctx):
    card = {
        "addresses": [{"street": "12 MG Road", "city": "Bengaluru", "state": "KA", "zip": "560001",
                       "country": "India", "country_code": "IN", "type": "HOME"}],
        "birthday": "1990-04-12",
        "emails": [{"email": "ravi.kumar@example.com", "type": "WORK"}],
        "name": {"formatted_name": "Ravi Kumar", "first_name": "Ravi", "last_name": "Kumar"},
        "org": {"company": "Example Traders", "department": "Sales", "title": "Manager"},
        "phones": [{"phone": "+91 98123 45678", "wa_id": CUSTOMERS["ravi"][0], "type": "CELL"}],
        "urls": [{"url": "https://example.com/ravi", "type": "WORK"}],
    }
    return c.messages_change([c.message("contacts", [card])])


def s_reaction(c: Ctx):
    return c.messages_change([c.message("reaction", {
        "message_id": c.wamid("out", inbound=False), "emoji": "\U0001F44D"})])


def s_reaction_removed(c: Ctx):
    return c.messages_change([c.message("reaction", {"message_id": c.wamid("out", inbound=False), "emoji": ""})])


def s_button_reply(c: Ctx):
    return c.messages_change([c.message("interactive", {
        "type": "button_reply", "button_reply": {"id": "track-order", "title": "Track order"}},
        context=c.reply_context())])


def s_list_reply(c: Ctx):
    return c.messages_change([c.message("interactive", {
        "type": "list_reply",
        "list_reply": {"id": "slot-2", "title": "Tomorrow 10-12", "description": "Morning delivery slot"}},
        context=c.reply_context())])


def s_flow_reply(c: Ctx):
    response = {"flow_token": "wapipe-flow-" + hexid(c.name, "flow-token", n=16),
                "rating": "5", "comment": "Quick delivery, thanks!"}
    return c.messages_change([c.message("interactive", {
        "type": "nfm_reply",
        "nfm_reply": {"name": "flow", "body": "Sent", "response_json": compact(response)}},
        context=c.reply_context())])


def s_address_reply(c: Ctx):
    response = {"saved_address_id": "address-" + hexid(c.name, "addr", n=8), "values": {
        "name": "Asha Rao", "phone_number": "919876543210", "in_pin_code": "560001",
        "house_number": "12", "floor_number": "3", "tower_number": "B", "building_name": "Palm Grove",
        "address": "MG Road", "landmark_area": "Near Trinity Metro", "city": "Bengaluru",
        "state": "Karnataka"}}
    return c.messages_change([c.message("interactive", {
        "type": "nfm_reply",
        "nfm_reply": {"name": "address_message", "body": "Sent", "response_json": compact(response)}},
        context=c.reply_context())])


def s_button(c: Ctx):
    return c.messages_change([c.message("button", {"payload": "CONFIRM_ORDER_4521", "text": "Yes, confirm"},
                                        context=c.reply_context("template"))])


def s_order(c: Ctx):
    return c.messages_change([c.message("order", {
        "catalog_id": "887766554433221", "text": "Please deliver by Friday",
        "product_items": [
            {"product_retailer_id": "sku-rain-jacket-m", "quantity": 1, "item_price": 1499, "currency": "INR"},
            {"product_retailer_id": "sku-umbrella", "quantity": 2, "item_price": 349.5, "currency": "INR"},
        ]})])


def s_system(c: Ctx):
    return c.messages_change([c.message("system", {
        "body": "Asha Rao changed their phone number to a new number 919876500000.",
        "wa_id": "919876500000", "type": "user_changed_number"})], contacts=[])


def s_unsupported(c: Ctx):
    return c.messages_change([c.message("unsupported", None, extra={"errors": [{
        "code": 131051, "title": "Message type unknown", "message": "Message type unknown",
        "error_data": {"details": "Message type is currently not supported."}, "href": ERROR_HREF}]})])


def s_edit(c: Ctx):
    return c.messages_change([c.message("edit", {
        "original_message_id": c.wamid("original"),
        "message": {"type": "text", "text": {"body": "Hi, has my order #4522 shipped yet?"}}})])


def s_revoke(c: Ctx):
    return c.messages_change([c.message("revoke", {"original_message_id": c.wamid("original")})])


def s_request_welcome(c: Ctx):
    return c.messages_change([c.message("request_welcome", None)])


BSUID = "IN.13491208655302741918"


def s_bsuid_sender(c: Ctx):
    msg = {"from_user_id": BSUID, "id": c.wamid("in", "meera"), "timestamp": c.ts(), "type": "text",
           "text": {"body": "Hello from a username account"}}
    contact = {"profile": {"name": "Meera", "username": "meera.k"}, "user_id": BSUID}
    return c.messages_change([msg], contacts=[contact])


GROUP_ID = "Y2FwaV9ncm91cDoxMjAzNjMwMjUyNDYxMjU0ODY"


def s_group_message(c: Ctx):
    return c.messages_change([c.message("text", {"body": "Can someone share the delivery slot?"},
                                        who="ravi", extra={"group_id": GROUP_ID})],
                             contacts=[c.contact("ravi")])


# -- statuses ----------------------------------------------------------------
def s_status_sent(c: Ctx):
    return c.statuses_change([c.status(
        "sent", biz_opaque_callback_data="req-" + hexid(c.name, "req", n=12),
        conversation=c.conversation("utility"),
        pricing={"billable": True, "pricing_model": "CBP", "category": "utility"})])


def s_status_delivered(c: Ctx):
    return c.statuses_change([c.status(
        "delivered", 3, conversation=c.conversation("utility", with_expiry=False),
        pricing={"billable": True, "pricing_model": "CBP", "category": "utility"})])


def s_status_read(c: Ctx):
    return c.statuses_change([c.status(
        "read", 40, conversation=c.conversation("utility", with_expiry=False),
        pricing={"billable": True, "pricing_model": "CBP", "category": "utility"})])


def s_status_played(c: Ctx):
    return c.statuses_change([c.status("played", 95)])


def s_status_failed(c: Ctx):
    return c.statuses_change([c.status("failed", 1, errors=[{
        "code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
        "error_data": {"details": "Message Undeliverable."}, "href": ERROR_HREF}])])


def s_status_deleted(c: Ctx):
    return c.statuses_change([c.status("deleted", 600)])


def s_status_warning(c: Ctx):
    return c.statuses_change([c.status("warning", 2)])


def s_status_pmp(c: Ctx):
    return c.statuses_change([c.status(
        "delivered", 4, pricing={"billable": True, "pricing_model": "PMP", "category": "marketing",
                                 "type": "regular"})])


def s_status_group(c: Ctx):
    s = {"id": c.wamid("out", "ravi", inbound=False), "status": "delivered", "timestamp": c.ts(5),
         "recipient_id": GROUP_ID, "recipient_type": "group",
         "recipient_participant_id": CUSTOMERS["ravi"][0]}
    return c.statuses_change([s])


def s_status_payment(c: Ctx):
    amount = {"value": 45000, "offset": 100}
    s = {
        "id": c.wamid("order-details", inbound=False),
        "from": CUSTOMERS["asha"][0],
        "type": "payment",
        "status": "captured",
        "payment": {
            "reference_id": "order-4521",
            "amount": amount,
            "currency": "INR",
            "receipt": "",
            "transaction": {
                "id": "order_SdrcSSqobZ7voR",
                "type": "razorpay",
                "status": "success",
                "created_timestamp": c.t - 5,
                "updated_timestamp": c.t,
                "amount": amount,
                "currency": "INR",
                "method": {"type": "upi"},
            },
        },
        "timestamp": c.ts(),
    }
    return c.statuses_change([s])


def s_value_errors(c: Ctx):
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(), "errors": [{
        "code": 130429, "title": "Rate limit hit", "message": "Rate limit hit",
        "error_data": {"details": "Cloud API message throughput has been reached."}, "href": ERROR_HREF}]},
        "field": "messages"}


# -- other fields ---------------------------------------------------------------
def s_template_status(c: Ctx):
    return {"value": {"event": "APPROVED", "message_template_id": 1689556908129832,
                      "message_template_name": "order_confirmation", "message_template_language": "en_US",
                      "message_template_category": "UTILITY", "reason": "NONE"},
            "field": "message_template_status_update"}


def s_template_quality(c: Ctx):
    return {"value": {"previous_quality_score": "GREEN", "new_quality_score": "YELLOW",
                      "message_template_id": 806312974732579, "message_template_name": "welcome_template",
                      "message_template_language": "en_US"},
            "field": "message_template_quality_update"}


def s_template_category(c: Ctx):
    return {"value": {"message_template_id": 1689556908129832, "message_template_name": "order_confirmation",
                      "message_template_language": "en_US", "previous_category": "UTILITY",
                      "new_category": "MARKETING"},
            "field": "template_category_update"}


def s_template_components(c: Ctx):
    return {"value": {"message_template_id": 1689556908129832, "message_template_name": "order_confirmation",
                      "message_template_language": "en_US",
                      "message_template_element": "Hi {{1}}, your order {{2}} is confirmed."},
            "field": "message_template_components_update"}


def s_phone_quality(c: Ctx):
    return {"value": {"display_phone_number": c.phone["display"], "event": "UPGRADE",
                      "old_limit": "TIER_250", "current_limit": "TIER_2K",
                      "max_daily_conversations_per_business": "TIER_2K"},
            "field": "phone_number_quality_update"}


def s_phone_name(c: Ctx):
    return {"value": {"display_phone_number": c.phone["display"], "decision": "APPROVED",
                      "requested_verified_name": "Example Traders", "rejection_reason": "NONE"},
            "field": "phone_number_name_update"}


def s_account_update(c: Ctx):
    return {"value": {"event": "ACCOUNT_RESTRICTION", "restriction_info": [
        {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": c.t + 7 * 86400}]},
        "field": "account_update"}


def s_account_alerts(c: Ctx):
    return {"value": {"entity_type": "PHONE_NUMBER", "entity_id": c.phone["id"],
                      "alert_info": {"alert_severity": "INFORMATIONAL", "alert_status": "NONE",
                                     "alert_type": "OBA_APPROVED",
                                     "alert_description": "Your request for an Official Business Account was approved."}},
            "field": "account_alerts"}


def s_business_capability(c: Ctx):
    return {"value": {"max_daily_conversation_per_phone": 2000, "max_phone_numbers_per_business": 20,
                      "max_daily_conversations_per_business": "TIER_2K"},
            "field": "business_capability_update"}


def s_user_preferences(c: Ctx):
    prefs = [
        {"wa_id": CUSTOMERS["asha"][0], "detail": "User requested to stop marketing messages",
         "category": "marketing_messages", "value": "stop", "timestamp": c.t},
        {"wa_id": CUSTOMERS["ravi"][0], "detail": "User requested to resume marketing messages",
         "category": "marketing_messages", "value": "resume", "timestamp": c.t + 30},
    ]
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(),
                      "contacts": [c.contact("asha"), c.contact("ravi")], "user_preferences": prefs},
            "field": "user_preferences"}


def s_payment_configuration(c: Ctx):
    return {"value": {"configuration_name": "razorpay-main", "provider_name": "razorpay",
                      "provider_mid": "acc_" + hexid(c.name, "mid", n=14), "status": "Active",
                      "created_timestamp": c.t - 86400, "updated_timestamp": c.t},
            "field": "payment_configuration_update"}


def s_flows(c: Ctx):
    return {"value": {"event": "FLOW_STATUS_CHANGE",
                      "message": "Flow feedback_v2 changed status from DRAFT to PUBLISHED",
                      "flow_id": "1372735903682123", "old_status": "DRAFT", "new_status": "PUBLISHED"},
            "field": "flows"}


def s_unknown_field(c: Ctx):
    return {"value": {"event": "SOMETHING_NEW", "detail": "a field wapipe does not know yet",
                      "timestamp": c.t}, "field": "some_future_field"}


# -- the 2026 platform (docs/PROTOCOL.md §10) ----------------------------------
def wacid(c: Ctx, tag: str) -> str:
    return "wacid." + base64.b64encode(f"{c.name}/{tag}".encode()).decode().rstrip("=")


def calls_value(c: Ctx, key: str, items: list) -> dict:
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(), key: items}, "field": "calls"}


def s_call_connect(c: Ctx):
    return calls_value(c, "calls", [{"id": wacid(c, "call"), "from": CUSTOMERS["asha"][0], "to": c.phone["display"],
                                     "event": "connect", "timestamp": c.ts(), "direction": "USER_INITIATED",
                                     "session": {"sdp_type": "offer", "sdp": "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n"}}])


def s_call_status(c: Ctx):
    return calls_value(c, "statuses", [{"id": wacid(c, "call"), "type": "call", "status": "RINGING",
                                        "timestamp": c.ts(), "recipient_id": CUSTOMERS["ravi"][0],
                                        "recipient_user_id": BSUID, "biz_opaque_callback_data": "order-12853"}])


def s_call_terminate(c: Ctx):
    return calls_value(c, "calls", [{"id": wacid(c, "call"), "from": CUSTOMERS["asha"][0], "to": c.phone["display"],
                                     "event": "terminate", "direction": "USER_INITIATED", "timestamp": c.ts(60),
                                     "status": "COMPLETED", "start_time": c.ts(2), "end_time": c.ts(60),
                                     "duration": 58}])


def s_smb_echo(c: Ctx):
    echo = {"from": c.phone["display"], "to": CUSTOMERS["asha"][0], "to_user_id": BSUID,
            "id": c.wamid("echo", inbound=False), "timestamp": c.ts(), "type": "text",
            "text": {"body": "Sent from the Business app"}}
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(),
                      "contacts": [{"wa_id": CUSTOMERS["asha"][0], "user_id": BSUID}], "message_echoes": [echo]},
            "field": "smb_message_echoes"}


def s_smb_echo_edit(c: Ctx):
    original = wamid(CUSTOMERS["asha"][0], "smb-echo", "echo", inbound=False)
    echo = {"from": c.phone["display"], "to_user_id": BSUID, "id": c.wamid("edit", inbound=False),
            "timestamp": c.ts(), "type": "edit",
            "edit": {"original_message_id": original, "message": {"type": "text", "text": {"body": "Sent today"}}}}
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(), "message_echoes": [echo]},
            "field": "smb_message_echoes"}


def s_history(c: Ctx):
    msgs = [{"from": CUSTOMERS["asha"][0], "id": c.wamid(f"h{i}"), "timestamp": c.ts(-86400 + i),
             "type": "text", "text": {"body": f"history message {i}"}, "history_context": {"status": "READ"}}
            for i in range(3)]
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(),
                      "history": [{"metadata": {"phase": 0, "chunk_order": 1, "progress": 55},
                                   "threads": [{"id": CUSTOMERS["asha"][0], "messages": msgs}]}]},
            "field": "history"}


def s_state_sync(c: Ctx):
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(),
                      "state_sync": [{"type": "contact", "action": "add", "metadata": {"timestamp": c.ts()},
                                      "contact": {"full_name": "Asha Rao", "first_name": "Asha",
                                                  "phone_number": CUSTOMERS["asha"][0], "user_id": BSUID}}]},
            "field": "smb_app_state_sync"}


def s_user_id_update(c: Ctx):
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(),
                      "user_id_update": [{"wa_id": CUSTOMERS["meera"][0], "detail": "User changed their phone number",
                                          "user_id": {"previous": BSUID, "current": "IN.88412093316540021177"},
                                          "timestamp": c.ts()}]},
            "field": "user_id_update"}


def s_business_username(c: Ctx):
    return {"value": {"display_phone_number": c.phone["display"], "username": "exampletraders", "status": "approved"},
            "field": "business_username_update"}


def group_value(c: Ctx, field: str, g: dict) -> dict:
    g = {"timestamp": c.ts(), "group_id": GROUP_ID, **g}
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(), "groups": [g]}, "field": field}


def s_group_lifecycle(c: Ctx):
    return group_value(c, "group_lifecycle_update", {"type": "group_create", "request_id": hexid(c.name, "req"),
                                                     "subject": "Delivery slots", "invite_link": "https://chat.whatsapp.com/AbCdEf",
                                                     "join_approval_mode": "auto_approve"})


def s_group_participants(c: Ctx):
    return group_value(c, "group_participants_update", {"type": "group_participants_add", "reason": "invite_link",
                                                        "added_participants": [{"wa_id": CUSTOMERS["ravi"][0],
                                                                                "user_id": BSUID}]})


def s_group_settings(c: Ctx):
    return group_value(c, "group_settings_update", {"type": "group_settings_update", "request_id": hexid(c.name, "req"),
                                                    "group_subject": {"text": "Delivery slots (Mon)",
                                                                      "update_successful": True}})


def s_group_status(c: Ctx):
    return group_value(c, "group_status_update", {"type": "group_suspend"})


def s_call_permission_reply(c: Ctx):
    reply = {"response": "accept", "expiration_timestamp": c.t + 7 * 86400, "response_source": "user_action"}
    return c.messages_change([c.message("interactive", {"type": "call_permission_reply", "call_permission_reply": reply},
                                        context={"from": c.phone["display"], "id": c.wamid("cpr", inbound=False)})],
                             contacts=[c.contact()])


def s_system_user_id(c: Ctx):
    body = {"body": "User's business-scoped user id changed", "type": "user_changed_user_id",
            "user_id": "IN.88412093316540021177"}
    msg = {"from_user_id": BSUID, "id": c.wamid("in", "meera"), "timestamp": c.ts(), "type": "system", "system": body}
    return c.messages_change([msg], contacts=[{"profile": {"name": "Meera"}, "user_id": BSUID}])


def s_smb_echo_revoke(c: Ctx):
    original = wamid(CUSTOMERS["asha"][0], "smb-echo", "echo", inbound=False)
    echo = {"from": c.phone["display"], "to": CUSTOMERS["asha"][0], "id": c.wamid("revoke", inbound=False),
            "timestamp": c.ts(), "type": "revoke", "revoke": {"original_message_id": original}}
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(), "message_echoes": [echo]},
            "field": "smb_message_echoes"}


def s_history_declined(c: Ctx):
    err = {"code": 2593109, "title": "History sharing declined", "message": "The user declined to share history",
           "error_data": {"details": "History sharing was turned off in the WhatsApp Business app"}}
    return {"value": {"messaging_product": "whatsapp", "metadata": c.metadata(),
                      "history": [{"metadata": {"phase": "0", "chunk_order": "1", "progress": "100"}, "errors": [err]}]},
            "field": "history"}


def s_account_partner_removed(c: Ctx):
    return {"value": {"event": "PARTNER_REMOVED",
                      "waba_info": {"waba_id": WABA_ID, "owner_business_id": "1234567890", "partner_app_id": "987654321"},
                      "disconnection_info": {"reason": "PRIMARY_INACTIVITY", "initiated_by": "SYSTEM"}},
            "field": "account_update"}


# ---------------------------------------------------------------------------
# Registry: kind, builder, expected domain events (by hand), description, options
# ---------------------------------------------------------------------------
R = "whatsapp.message.received"
ST = "whatsapp.message.status"
WABA_LEVEL = {"time"}  # entries for WABA-level fields carry Meta's entry.time

SAMPLES = [
    # kind, builder, expect, what it shows, options
    ("text", s_text, {R: 1}, "inbound text message", {}),
    ("text-reply", s_text_reply, {R: 1}, "text replying to a business message (context.from/id)", {}),
    ("text-forwarded", s_text_forwarded, {R: 1}, "forwarded text (context.forwarded)", {}),
    ("referral", s_referral, {R: 1}, "text from a click-to-WhatsApp ad (referral, ctwa_clid)", {}),
    ("image", s_image, {R: 1}, "image with caption", {}),
    ("video", s_video, {R: 1}, "video with caption", {}),
    ("audio", s_audio, {R: 1}, "audio file (voice:false)", {}),
    ("voice", s_voice, {R: 1}, "voice note (audio, voice:true)", {}),
    ("document", s_document, {R: 1}, "PDF document with filename", {}),
    ("sticker", s_sticker, {R: 1}, "static sticker", {}),
    ("sticker-animated", s_sticker_animated, {R: 1}, "animated sticker", {}),
    ("location", s_location, {R: 1}, "shared location (numbers)", {}),
    ("contacts", s_contacts, {R: 1}, "shared contact card", {}),
    ("reaction", s_reaction, {R: 1}, "reaction to a business message (non-ASCII emoji)", {}),
    ("reaction-removed", s_reaction_removed, {R: 1}, "reaction removed (emoji \"\")", {}),
    ("interactive-button-reply", s_button_reply, {R: 1}, "reply button tapped", {}),
    ("interactive-list-reply", s_list_reply, {R: 1}, "list row chosen", {}),
    ("interactive-flow-reply", s_flow_reply, {R: 1, "whatsapp.flow.completed": 1},
     "flow completion (nfm_reply flow, response_json string with flow_token)", {}),
    ("interactive-address-reply", s_address_reply, {R: 1, "whatsapp.address.received": 1},
     "address message reply (nfm_reply address_message)", {}),
    ("button", s_button, {R: 1}, "template quick-reply button (type button)", {}),
    ("order", s_order, {R: 1}, "catalog order (product_items)", {}),
    ("system", s_system, {R: 1}, "system message user_changed_number (no contacts)", {}),
    ("unsupported", s_unsupported, {R: 1}, "unsupported message type (errors 131051)", {}),
    ("edit", s_edit, {R: 1}, "user edited a message (edit.original_message_id)", {}),
    ("revoke", s_revoke, {R: 1}, "user deleted a message (revoke)", {}),
    ("request-welcome", s_request_welcome, {R: 1}, "user opened the chat for the first time", {}),
    ("bsuid-sender", s_bsuid_sender, {R: 1},
     "username user: no from / wa_id, from_user_id and contacts[].user_id", {"phone": "support"}),
    ("group-message", s_group_message, {R: 1}, "message in a group chat (group_id)", {}),
    ("status-sent", s_status_sent, {ST: 1},
     "status sent with conversation, pricing, biz_opaque_callback_data; EUM envelope has messageId",
     {"eum_message_id": True}),
    ("status-delivered", s_status_delivered, {ST: 1}, "status delivered", {}),
    ("status-read", s_status_read, {ST: 1}, "status read", {}),
    ("status-played", s_status_played, {ST: 1}, "status played (voice message)", {}),
    ("status-failed", s_status_failed, {ST: 1}, "status failed with errors[131026]", {}),
    ("status-deleted", s_status_deleted, {ST: 1}, "status deleted", {}),
    ("status-warning", s_status_warning, {ST: 1}, "status warning", {}),
    ("status-pmp-pricing", s_status_pmp, {ST: 1},
     "per-message pricing (pricing_model PMP, type regular, no conversation)", {}),
    ("status-group", s_status_group, {ST: 1},
     "status for a group message (recipient_type group, recipient_participant_id)", {}),
    ("status-payment", s_status_payment, {"whatsapp.payment.updated": 1},
     "India payment status (type payment, status captured), docs/PROTOCOL.md §6.2", {}),
    ("value-errors", s_value_errors, {"whatsapp.webhook.errors": 1},
     "value-level errors only (field messages, code 130429)", {}),
    ("template-status-update", s_template_status, {"whatsapp.template.updated": 1},
     "message_template_status_update APPROVED", {"time": True}),
    ("template-quality-update", s_template_quality, {"whatsapp.template.updated": 1},
     "message_template_quality_update GREEN -> YELLOW", {"time": True}),
    ("template-category-update", s_template_category, {"whatsapp.template.updated": 1},
     "template_category_update UTILITY -> MARKETING", {"time": True}),
    ("template-components-update", s_template_components, {"whatsapp.template.updated": 1},
     "message_template_components_update", {"time": True}),
    ("phone-number-quality-update", s_phone_quality, {"whatsapp.phone.quality": 1},
     "phone_number_quality_update UPGRADE TIER_250 -> TIER_2K", {"time": True}),
    ("phone-number-name-update", s_phone_name, {"whatsapp.phone.name": 1},
     "phone_number_name_update APPROVED", {"time": True}),
    ("account-update", s_account_update, {"whatsapp.account.updated": 1},
     "account_update ACCOUNT_RESTRICTION", {"time": True}),
    ("business-capability-update", s_business_capability, {"whatsapp.account.updated": 1},
     "business_capability_update (limits)", {"time": True}),
    ("user-preferences", s_user_preferences, {"whatsapp.user.preferences": 2},
     "user_preferences with two entries (stop, resume)", {"time": True}),
    ("payment-configuration-update", s_payment_configuration, {"whatsapp.payment.configuration": 1},
     "payment_configuration_update (razorpay)", {"time": True}),
    ("flows", s_flows, {"whatsapp.flow.updated": 1}, "flows field: FLOW_STATUS_CHANGE DRAFT -> PUBLISHED",
     {"time": True}),
    ("unknown-field", s_unknown_field, {"whatsapp.webhook.unknown": 1},
     "a field wapipe does not know (some_future_field)", {"time": True}),
    ("account-alerts", s_account_alerts, {"whatsapp.account.alert": 1},
     "account_alerts OBA_APPROVED (an open enum, kept as sent)", {"time": True}),
    ("call-connect", s_call_connect, {"whatsapp.call.connect": 1},
     "calls connect, user-initiated, with the SDP offer", {}),
    ("call-status", s_call_status, {"whatsapp.call.status": 1},
     "calls statuses[] RINGING of a business-initiated call (BSUID recipient)", {}),
    ("call-terminate", s_call_terminate, {"whatsapp.call.terminated": 1},
     "calls terminate COMPLETED with start, end and duration", {}),
    ("smb-echo", s_smb_echo, {"whatsapp.message.echoed": 1},
     "smb_message_echoes: a text sent from the WhatsApp Business app", {}),
    ("smb-echo-edit", s_smb_echo_edit, {"whatsapp.message.echoed": 1},
     "smb_message_echoes: an edit of an app-sent message (no to: BSUID only)", {}),
    ("history", s_history, {"whatsapp.history.progress": 1},
     "coexistence history chunk, phase 0, chunk 1, 55 %", {}),
    ("smb-app-state-sync", s_state_sync, {"whatsapp.contact.synced": 1},
     "smb_app_state_sync: a contact added in the Business app", {}),
    ("user-id-update", s_user_id_update, {"whatsapp.user.id-changed": 1},
     "user_id_update: a user's BSUID changed", {}),
    ("business-username-update", s_business_username, {"whatsapp.phone.username": 1},
     "business_username_update approved", {"time": True}),
    ("group-lifecycle-update", s_group_lifecycle, {"whatsapp.group.lifecycle": 1},
     "group_lifecycle_update group_create", {}),
    ("group-participants-update", s_group_participants, {"whatsapp.group.participants": 1},
     "group_participants_update group_participants_add by invite link", {}),
    ("group-settings-update", s_group_settings, {"whatsapp.group.settings": 1},
     "group_settings_update: subject changed", {}),
    ("group-status-update", s_group_status, {"whatsapp.group.status": 1},
     "group_status_update group_suspend", {}),
    ("call-permission-reply", s_call_permission_reply, {R: 1},
     "call_permission_reply accept, linked to its request (context.id)", {}),
    ("system-user-changed-user-id", s_system_user_id, {R: 1},
     "system user_changed_user_id (BSUID only, no phone)", {"phone": "support"}),
    ("smb-echo-revoke", s_smb_echo_revoke, {"whatsapp.message.echoed": 1},
     "smb_message_echoes: a revoke of an app-sent message", {}),
    ("history-declined", s_history_declined, {"whatsapp.history.progress": 1},
     "history: the user declined sharing (errors 2593109, string phase and progress)", {}),
    ("account-update-partner-removed", s_account_partner_removed, {"whatsapp.account.updated": 1},
     "account_update PARTNER_REMOVED with its disconnection reason", {"time": True}),
]

BATCH_KINDS = ["text", "status-delivered", "interactive-button-reply", "status-failed",
               "phone-number-quality-update"]


# ---------------------------------------------------------------------------
# Envelopes
# ---------------------------------------------------------------------------
def entry_for(c: Ctx, change: dict, with_time: bool) -> dict:
    e = {"id": WABA_ID}
    if with_time:
        e["time"] = c.t
    e["changes"] = [change]
    return e


def eum_event(c: Ctx, entry_json: str, with_message_id: bool = False) -> dict:
    ev = {
        "context": {
            "MetaWabaIds": [{"wabaId": WABA_ID, "arn": WABA_ARN}],
            "MetaPhoneNumberIds": [{"metaPhoneNumberId": c.phone["id"], "arn": c.phone["arn"]}],
        },
        "whatsAppWebhookEntry": entry_json,
        "aws_account_id": ACCOUNT,
        "message_timestamp": rfc3339(c.t + 1, int(hexid(c.name, "ns", n=8), 16) % 10**9),
    }
    if with_message_id:
        ev["messageId"] = uuid_from(c.name, "eum-message-id")
    return ev


def sns_common(c: Ctx, salt: str) -> tuple[str, str, str]:
    msg_id = uuid_from(c.name, salt, "sns")
    ts = rfc3339(c.t + 1, int(hexid(c.name, salt, "ms", n=6), 16) % 10**9, digits_=3)
    sig = base64.b64encode(hashlib.sha512(f"{c.name}/{salt}/sig".encode()).digest() * 4).decode()
    return msg_id, ts, sig


CERT_URL = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-{hexid('cert')}.pem"
UNSUB_URL = (f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
             f"{TOPIC_ARN}:{SUBSCRIPTION_ID}")


def sns_notification(c: Ctx, message: str, salt: str = "") -> dict:
    """The SNS notification as SQS receives it (raw delivery off)."""
    msg_id, ts, sig = sns_common(c, salt)
    return {
        "Type": "Notification",
        "MessageId": msg_id,
        "TopicArn": TOPIC_ARN,
        "Message": message,
        "Timestamp": ts,
        "SignatureVersion": "1",
        "Signature": sig,
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": UNSUB_URL,
    }


def sqs_record(c: Ctx, body: str, salt: str = "") -> dict:
    sent_ms = (c.t + 1) * 1000 + int(hexid(c.name, salt, "sent", n=4), 16) % 1000
    rh = base64.b64encode(hashlib.sha256(f"{c.name}/{salt}/rh".encode()).digest() * 5).decode()
    return {
        "messageId": uuid_from(c.name, salt, "sqs"),
        "receiptHandle": "AQEB" + rh,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(sent_ms),
            "SenderId": SNS_SENDER_ID,
            "ApproximateFirstReceiveTimestamp": str(sent_ms + 37),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION,
    }


def sns_lambda_record(c: Ctx, message: str) -> dict:
    """A record of a Lambda SNS event (field spelling as Lambda delivers it)."""
    msg_id, ts, sig = sns_common(c, "lambda")
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{TOPIC_ARN}:{SUBSCRIPTION_ID}",
        "Sns": {
            "Type": "Notification",
            "MessageId": msg_id,
            "TopicArn": TOPIC_ARN,
            "Subject": None,
            "Message": message,
            "Timestamp": ts,
            "SignatureVersion": "1",
            "Signature": sig,
            "SigningCertUrl": CERT_URL,
            "UnsubscribeUrl": UNSUB_URL,
            "MessageAttributes": {},
        },
    }


def full_record(c: Ctx, change: dict, opts: dict) -> dict:
    entry = entry_for(c, change, opts.get("time", False))
    eum = eum_event(c, compact(entry), opts.get("eum_message_id", False))
    body = compact(sns_notification(c, compact(eum)))
    return sqs_record(c, body)


# ---------------------------------------------------------------------------
# Build everything: {relative path: (object, manifest row, description)}
# ---------------------------------------------------------------------------
def add_counts(total: dict, more: dict) -> None:
    for k, v in more.items():
        total[k] = total.get(k, 0) + v


def build() -> dict:
    out: dict[str, tuple] = {}
    by_kind = {s[0]: s for s in SAMPLES}
    index = 0

    for kind, fn, expect, desc, opts in SAMPLES:
        c = Ctx(kind, index, opts.get("phone", "main"))
        index += 1
        out[f"example-sqs-eum-{kind}.json"] = (
            {"Records": [full_record(c, fn(c), opts)]},
            {"records": 1, "expect": dict(expect), "parked": 0}, desc)

    # Raw message delivery on: SQS body = the EUM event itself (2 decodes).
    c = Ctx("raw-delivery", index); index += 1
    eum = eum_event(c, compact(entry_for(c, s_text(c), False)))
    out["example-sqs-eum-raw-delivery.json"] = (
        {"Records": [sqs_record(c, compact(eum))]},
        {"records": 1, "expect": {R: 1}, "parked": 0},
        "inbound text, SNS raw message delivery ON: SQS body is the EUM event")

    # Lambda subscribed to SNS directly.
    c = Ctx("sns-text", index); index += 1
    eum = eum_event(c, compact(entry_for(c, s_text(c), False)))
    out["example-sns-eum-text.json"] = (
        {"Records": [sns_lambda_record(c, compact(eum))]},
        {"records": 1, "expect": {R: 1}, "parked": 0},
        "inbound text as a Lambda SNS event (Sns.Message = EUM event)")

    # One SQS event, five records of different kinds (fresh ids: name "batch/<kind>").
    records, expect = [], {}
    for kind in BATCH_KINDS:
        _, fn, exp, _, opts = by_kind[kind]
        c = Ctx("batch/" + kind, index, "support"); index += 1  # the second number: distinct values
        records.append(full_record(c, fn(c), opts))
        add_counts(expect, exp)
    out["example-sqs-eum-batch.json"] = (
        {"Records": records}, {"records": len(records), "expect": expect, "parked": 0},
        "one SQS event with 5 records (support number): " + ", ".join(BATCH_KINDS))

    # A direct Meta webhook body (Function URL path): bare, not wrapped.
    c = Ctx("meta-webhook-text", index); index += 1
    out["meta-webhook-text.json"] = (
        {"object": "whatsapp_business_account", "entry": [entry_for(c, s_text(c), False)]},
        {"records": 1, "expect": {R: 1}, "parked": 0},
        "direct Meta webhook POST body {object, entry:[...]} (bare body, for the Function URL)")

    # -- malformed ones: each record must be parked ------------------------------
    rejected = {"whatsapp.ingest.rejected": 1}
    c = Ctx("bad/not-json", index); index += 1
    out["bad/example-sqs-not-json.json"] = (
        {"Records": [sqs_record(c, "this is not JSON {\"Type\": \"Notification\"")]},
        {"records": 1, "expect": dict(rejected), "parked": 1}, "SQS body is not JSON")

    c = Ctx("bad/entry-not-string", index); index += 1
    eum = eum_event(c, "")
    eum["whatsAppWebhookEntry"] = 1758171394
    out["bad/example-sqs-entry-not-string.json"] = (
        {"Records": [sqs_record(c, compact(sns_notification(c, compact(eum))))]},
        {"records": 1, "expect": dict(rejected), "parked": 1}, "whatsAppWebhookEntry is a number")

    c = Ctx("bad/missing-message-id", index); index += 1
    change = s_text(c)
    del change["value"]["messages"][0]["id"]
    out["bad/example-sqs-missing-message-id.json"] = (
        {"Records": [full_record(c, change, {})]},
        {"records": 1, "expect": dict(rejected), "parked": 1}, "a message without `id`")
    return out


def render(obj) -> str:
    return json.dumps(obj, indent=2) + "\n"


def manifest_of(built: dict) -> dict:
    return {path: {"records": row["records"], "expect": dict(sorted(row["expect"].items())),
                   "parked": row["parked"]} for path, (_, row, _) in sorted(built.items())}


README_HEAD = """# events/ — sample events

Sample events for wapipe, named the aws-lambda-events way. Each `example-sqs-eum-*.json` is
a Lambda **SQS event** exactly as the ingest queue delivers it when the EUM Social event
destination (an SNS topic) is subscribed to SQS with raw delivery off:

```
{"Records":[{ ..., "body": SNS notification (JSON string)
                        .Message: EUM event (JSON string)
                                  .whatsAppWebhookEntry: ONE Meta entry (JSON string) }]}
```

(docs/PROTOCOL.md §1.2–§1.3.) Ids are fake but consistent: one WABA (`{waba}`), two
phone numbers (`{main}` main, `{support}` support), account `{account}`, region
`{region}`; wamids look like Meta's (`wamid.HBgM…`), timestamps are epoch-second strings.
Non-ASCII (the reaction emoji) is `\\u`-escaped inside the strings, as Meta sends it.

**Do not edit these files by hand.** They are written by `tools/gen_events.py`:

```
python3 tools/gen_events.py           # regenerate events/ (deterministic)
python3 tools/gen_events.py --check   # files fresh, every layer decodes, counts match the manifest
```

## Using them

```
wapipe replay events/                                   # local mode: feed every file to ingest
cargo lambda invoke webhook-ingest --data-file events/example-sqs-eum-text.json
```

`meta-webhook-text.json` is a bare Meta POST body (for the Function URL, sign it with
`X-Hub-Signature-256`), not a Lambda event. `bad/` holds malformed events, kept apart so a
plain replay of `events/*.json` stays clean; every record in them must be parked.

## manifest.json

For every file (path relative to `events/`):

```json
"example-sqs-eum-interactive-flow-reply.json": {
  "records": 1,
  "expect": {"whatsapp.flow.completed": 1, "whatsapp.message.received": 1},
  "parked": 0
}
```

- `records` — number of SQS/SNS records in the file (1 for the bare Meta body);
- `expect` — domain events (detail-type → count) that ingesting the file once must publish;
- `parked` — records that must be parked (each also publishes one `whatsapp.ingest.rejected`).

The expectations are stated by hand in the generator from the payload semantics (one
`message.received` per inbound message, one `message.status` per non-payment status,
`payment.updated` for a `type: payment` status, `flow.completed` / `address.received` in
addition to `message.received` for `nfm_reply`, one `user.preferences` per preference entry,
`account.updated` for both `account_update` and `business_capability_update`, …), not
computed by any implementation: the Rust tests check the implementation against them.
Every sample has its own ids, so replaying the whole folder produces no duplicates.

Notes: the EUM envelope's optional `messageId` appears only in `status-sent` (docs/PROTOCOL.md §8.1).
For WABA-level fields (templates, account, flows, …) the envelope's `context` names the main
phone number; what EUM really puts there is unverified. The unknown field is
`some_future_field`.

## Files

| file | records | shows |
|---|---|---|
"""


def readme(built: dict) -> str:
    head = README_HEAD
    for k, v in {"{waba}": WABA_ID, "{main}": PHONES["main"]["id"], "{support}": PHONES["support"]["id"],
                 "{account}": ACCOUNT, "{region}": REGION}.items():
        head = head.replace(k, v)
    rows = []
    for path, (_, row, desc) in sorted(built.items(), key=lambda kv: (kv[0].startswith("bad/"), kv[0])):
        rows.append(f"| `{path}` | {row['records']} | {desc} |")
    return head + "\n".join(rows) + "\n"


def outputs() -> dict[str, str]:
    built = build()
    files = {path: render(obj) for path, (obj, _, _) in built.items()}
    files["manifest.json"] = render(manifest_of(built))
    files["README.md"] = readme(built)
    return files


# ---------------------------------------------------------------------------
# --check: freshness, decoding of every layer, counts
# ---------------------------------------------------------------------------
class Malformed(Exception):
    pass


def decode_entry_from_eum(eum) -> dict:
    if not isinstance(eum, dict) or "context" not in eum:
        raise Malformed("not an EUM event")
    raw = eum.get("whatsAppWebhookEntry")
    if not isinstance(raw, str):
        raise Malformed("whatsAppWebhookEntry is not a string")
    entry = json.loads(raw)
    if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
        raise Malformed("entry without changes")
    return entry


def decode_sqs_body(body: str) -> dict:
    try:
        outer = json.loads(body)
    except json.JSONDecodeError as e:
        raise Malformed(f"body not JSON: {e}") from None
    if isinstance(outer, dict) and outer.get("Type") == "Notification":
        try:
            eum = json.loads(outer["Message"])
        except (KeyError, TypeError, json.JSONDecodeError) as e:
            raise Malformed(f"bad SNS Message: {e}") from None
    else:
        eum = outer  # raw delivery
    return decode_entry_from_eum(eum)


def entries_of(doc) -> list:
    """[(entry or Malformed)] per record."""
    out = []
    if "Records" in doc:
        for rec in doc["Records"]:
            try:
                if "body" in rec:
                    assert rec["md5OfBody"] == hashlib.md5(rec["body"].encode()).hexdigest(), "md5OfBody"
                    out.append(decode_sqs_body(rec["body"]))
                else:
                    out.append(decode_entry_from_eum(json.loads(rec["Sns"]["Message"])))
            except Malformed as e:
                out.append(e)
    else:
        assert doc.get("object") == "whatsapp_business_account", "unknown top-level shape"
        out.extend(doc["entry"])
    return out


def simple_counts(entry: dict, seen: set) -> tuple[dict, bool]:
    """Independent cross-check of the obvious counts; returns (counts, malformed).
    `seen` collects message / status keys across files: samples must not repeat them."""
    counts: dict[str, int] = {}
    bad = False
    for ch in entry["changes"]:
        v = ch.get("value", {})
        if ch.get("field") != "messages":
            key = compact(ch)
            assert key not in seen, f"repeated {ch.get('field')} value"
            seen.add(key)
            continue
        for m in v.get("messages", []):
            if "id" not in m:
                bad = True
            else:
                assert m["id"] not in seen, f"repeated wamid {m['id']}"
                seen.add(m["id"])
            counts[R] = counts.get(R, 0) + 1
            nfm = m.get("interactive", {}).get("nfm_reply")
            if nfm:
                resp = json.loads(nfm["response_json"])  # must be a JSON string
                assert isinstance(resp, dict)
                if nfm["name"] == "flow":
                    assert "flow_token" in resp
        for s in v.get("statuses", []):
            skey = (s["id"], s["status"], s["timestamp"])
            assert skey not in seen, f"repeated status {skey}"
            seen.add(skey)
            k = "whatsapp.payment.updated" if s.get("type") == "payment" else ST
            counts[k] = counts.get(k, 0) + 1
    return counts, bad


def check(root: Path) -> int:
    problems = []
    expected = outputs()
    on_disk = {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}
    for rel, text in expected.items():
        if rel not in on_disk:
            problems.append(f"missing: {rel}")
        elif on_disk[rel].read_text() != text:
            problems.append(f"stale (regenerate): {rel}")
    for rel in sorted(set(on_disk) - set(expected)):
        problems.append(f"not produced by the generator: {rel}")

    manifest = json.loads((root / "manifest.json").read_text())
    n_layers = 0
    seen: set = set()
    for rel, row in manifest.items():
        doc = json.loads((root / rel).read_text())
        entries = entries_of(doc)
        if len(entries) != row["records"]:
            problems.append(f"{rel}: {len(entries)} records, manifest says {row['records']}")
        parked, counts = 0, {}
        for e in entries:
            if isinstance(e, Malformed):
                parked += 1
                continue
            if e.get("id") != WABA_ID:
                problems.append(f"{rel}: entry id {e.get('id')}")
            try:
                c, bad = simple_counts(e, seen)
            except AssertionError as err:
                problems.append(f"{rel}: {err}")
                continue
            if bad:
                parked += 1
            else:
                add_counts(counts, c)
            n_layers += 1
        if parked != row["parked"]:
            problems.append(f"{rel}: {parked} malformed records, manifest says parked={row['parked']}")
        if row["parked"] and row["expect"].get("whatsapp.ingest.rejected") != row["parked"]:
            problems.append(f"{rel}: parked records must each expect whatsapp.ingest.rejected")
        for k in (R, ST, "whatsapp.payment.updated"):
            if counts.get(k, 0) != row["expect"].get(k, 0):
                problems.append(f"{rel}: {k} counted {counts.get(k, 0)}, manifest {row['expect'].get(k, 0)}")
    for p in problems:
        print("CHECK:", p, file=sys.stderr)
    print(f"checked {len(manifest)} files, {n_layers} entries decoded, "
          f"{len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "events"))
    ap.add_argument("--check", action="store_true", help="verify events/ instead of writing it")
    args = ap.parse_args()
    root = Path(args.out)
    if args.check:
        return check(root)
    files = outputs()
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists() or p.read_text() != text:
            p.write_text(text)
    print(f"wrote {len(files)} files to {root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
