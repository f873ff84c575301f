//! Every key format of the single table, in one place (docs/ARCHITECTURE.md §5).
//! Nothing else in the code builds `pk`/`sk`/`gsi1*` strings by hand.

/// The table's attribute names.
pub const PK: &str = "pk";
/// The sort key attribute.
pub const SK: &str = "sk";
/// The partition key attribute of the `GSI1` index.
pub const GSI1PK: &str = "gsi1pk";
/// The sort key attribute of the `GSI1` index.
pub const GSI1SK: &str = "gsi1sk";
/// The name of the table's one global secondary index (projection ALL).
pub const GSI1: &str = "GSI1";
/// TTL attribute: epoch seconds.
pub const EXPIRES_AT: &str = "expires_at";

/// A full primary key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The partition key (`pk`), e.g. `MSG#{wamid}`.
    pub pk: String,
    /// The sort key (`sk`), e.g. `MSG`.
    pub sk: String,
}

impl Key {
    fn new(pk: String, sk: impl Into<String>) -> Key {
        Key { pk, sk: sk.into() }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.pk, self.sk)
    }
}

/// Phone registry, learnt from EUM envelopes.
pub fn phone(meta_phone_number_id: &str) -> Key {
    Key::new(format!("PHONE#{meta_phone_number_id}"), "PHONE")
}

/// A number seen in coexistence (WhatsApp Business app and Cloud API at once): ingest writes it
/// on the first `smb_message_echoes`, `history` or `smb_app_state_sync` webhook of the number,
/// and the send worker paces the number at Meta's fixed 20 messages/s. `PHONE#{id}` / `COEXISTENCE`
/// (beside the registry item, which is replaced whole).
pub fn coexistence(meta_phone_number_id: &str) -> Key {
    Key::new(format!("PHONE#{meta_phone_number_id}"), "COEXISTENCE")
}

/// Inbound or outbound message, by Meta wamid.
pub fn message(wamid: &str) -> Key {
    Key::new(format!("MSG#{wamid}"), "MSG")
}

/// The wamid of a [`message`] partition key.
pub fn wamid_of(pk: &str) -> Option<&str> {
    pk.strip_prefix("MSG#")
}

/// The detail of an event too large for `PutEvents`, published as a reference to this item.
pub fn event_body(event_id: &str) -> Key {
    Key::new(format!("EVENTBODY#{event_id}"), "BODY")
}

/// Send request, by the caller's idempotency key.
pub fn send_request(request_id: &str) -> Key {
    Key::new(format!("SEND#{request_id}"), "SEND")
}

/// The request id of a send record's partition key (the inverse of [`send_request`]).
pub fn request_id_of(pk: &str) -> Option<&str> {
    pk.strip_prefix("SEND#").filter(|r| !r.is_empty())
}

/// GSI1 partition of a send record, set with EUM's `messageId` when EUM accepts it: finds the
/// request of an EUM message id (the feed reconciliation's check of EventBridge-only statuses).
pub fn eum_message_index(eum_message_id: &str) -> String {
    format!("EUMMSG#{eum_message_id}")
}

/// One status of one message as the two feeds saw it (docs/feeds.md):
/// `FEED#{eum_message_id}` / `STATUS#{status}`.
pub fn feed(eum_message_id: &str, status: &str) -> Key {
    Key::new(format!("FEED#{eum_message_id}"), format!("STATUS#{status}"))
}

/// GSI1 partition of the feed entries seen on one side only, one of a few shards so that no
/// index partition takes every status: `FEEDOPEN#{shard:02}`.
pub fn feed_open(shard: u32) -> String {
    format!("FEEDOPEN#{shard:02}")
}

/// GSI1 sort key of an open feed entry: when it is due (zero-padded epoch seconds), then the
/// message and the status.
pub fn feed_due(due_epoch_secs: i64, eum_message_id: &str, status: &str) -> String {
    format!("{due_epoch_secs:012}#{eum_message_id}#{status}")
}

/// Send pacing: messages started for a business number in one epoch second (conditional ADD).
pub fn pace_second(phone_number_id: &str, epoch_secs: i64) -> Key {
    Key::new(format!("PACE#{phone_number_id}"), format!("SEC#{epoch_secs}"))
}

/// Send pacing per recipient (pair rate): the next time a message to this user may start.
pub fn pace_pair(phone_number_id: &str, wa_id: &str) -> Key {
    Key::new(format!("PACE#{phone_number_id}#{wa_id}"), "PAIR")
}

/// The contact's 24-hour service window and opt-out state, per business number.
pub fn contact_window(phone_number_id: &str, wa_id: &str) -> Key {
    Key::new(format!("CONTACT#{phone_number_id}#{wa_id}"), "WINDOW")
}

/// The contact's last click-to-WhatsApp ad click (`referral.ctwa_clid`, its ad and time), kept
/// by ingest for the Conversions API: `CONTACT#{phone_number_id}#{wa_id}` / `CTWA`.
pub fn ctwa_click(phone_number_id: &str, wa_id: &str) -> Key {
    Key::new(format!("CONTACT#{phone_number_id}#{wa_id}"), "CTWA")
}

/// One conversion reported (or being reported) to Meta's Conversions API: one per click,
/// event name and source (the order's reference id, the flow reply's wamid), so a
/// redelivered event finds it. `CONVERSION#{ctwa_clid}` / `{event_name}#{source_id}`.
pub fn conversion(ctwa_clid: &str, event_name: &str, source_id: &str) -> Key {
    Key::new(conversion_partition(ctwa_clid), format!("{event_name}#{source_id}"))
}

/// Partition of one click's conversions: `CONVERSION#{ctwa_clid}`.
pub fn conversion_partition(ctwa_clid: &str) -> String {
    format!("CONVERSION#{ctwa_clid}")
}

/// GSI1 partition listing every conversion, newest last (`wapipe conversions list`).
pub const CONVERSIONS_INDEX: &str = "CONVERSIONS";

/// A WABA's Conversions API dataset id, cached after `CreateWhatsAppDataset`, with the WABA's
/// EUM ARN: `WABA#{meta_waba_id}` / `DATASET`.
pub fn dataset(meta_waba_id: &str) -> Key {
    Key::new(format!("WABA#{meta_waba_id}"), "DATASET")
}

/// GSI1 partition of a contact's timeline (messages both ways).
pub fn contact_timeline(phone_number_id: &str, wa_id: &str) -> String {
    format!("CONTACT#{phone_number_id}#{wa_id}")
}

/// GSI1 sort key of one message on a contact's timeline: zero-padded epoch seconds, then wamid.
pub fn timeline_sort(epoch_secs: i64, wamid: &str) -> String {
    format!("{epoch_secs:012}#{wamid}")
}

/// Dedupe mark for a webhook unit that has no record of its own.
pub fn seen(mark: &str) -> Key {
    Key::new(format!("SEEN#{mark}"), "SEEN")
}

/// Template status cache.
pub fn template_state(waba_id: &str, name: &str, language: &str) -> Key {
    Key::new(format!("TEMPLATE#{waba_id}#{name}#{language}"), "STATE")
}

/// Template daily counters.
pub fn template_day(waba_id: &str, name: &str, language: &str, day: &str) -> Key {
    Key::new(format!("TEMPLATE#{waba_id}#{name}#{language}"), format!("DAY#{day}"))
}

/// Conversation and pricing daily counters, per WABA and pricing category.
pub fn pricing_day(waba_id: &str, day: &str, category: &str) -> Key {
    Key::new(format!("PRICING#{waba_id}"), format!("DAY#{day}#{category}"))
}

/// GSI1 partition listing one day's analytics rows of a kind (`TEMPLATE` or `PRICING`);
/// the rows' `gsi1sk` is their WABA and subject (`{waba}#{name}#{lang}`, `{waba}#{category}`).
pub fn analytics_day(kind: &str, day: &str) -> String {
    format!("ANALYTICS#{kind}#{day}")
}

/// A number's merged quality state: `QUALITY#{phone}` / `LATEST`.
pub fn quality_latest(phone_number_id: &str) -> Key {
    Key::new(format!("QUALITY#{phone_number_id}"), "LATEST")
}

/// A quality history row of a number at a time: `QUALITY#{phone}` / `AT#{rfc3339}`.
pub fn quality_at(phone_number_id: &str, rfc3339: &str) -> Key {
    Key::new(format!("QUALITY#{phone_number_id}"), format!("AT#{rfc3339}"))
}

/// Sort-key prefix of history rows (phone quality, template, account): `AT#{rfc3339}#{id}`.
pub const HISTORY_PREFIX: &str = "AT#";

/// One row of a phone's quality history; `id` tells apart rows of the same second.
pub fn quality_entry(phone_number_id: &str, rfc3339: &str, id: &str) -> Key {
    Key::new(format!("QUALITY#{phone_number_id}"), format!("{HISTORY_PREFIX}{rfc3339}#{id}"))
}

/// One row of a template's state history, beside its `STATE` and `DAY#` items.
pub fn template_entry(waba_id: &str, name: &str, language: &str, rfc3339: &str, id: &str) -> Key {
    Key::new(format!("TEMPLATE#{waba_id}#{name}#{language}"), format!("{HISTORY_PREFIX}{rfc3339}#{id}"))
}

/// A WABA's restrictions and ban state (`account_update`), merged like `QUALITY#…/LATEST`.
pub fn account_latest(waba_id: &str) -> Key {
    Key::new(format!("ACCOUNT#{waba_id}"), "LATEST")
}

/// One row of a WABA's account history (restrictions, violations, bans).
pub fn account_entry(waba_id: &str, rfc3339: &str, id: &str) -> Key {
    Key::new(format!("ACCOUNT#{waba_id}"), format!("{HISTORY_PREFIX}{rfc3339}#{id}"))
}

/// Marketing pacing of a degraded number (RED or FLAGGED): its own per-second counter.
pub fn pace_marketing_second(phone_number_id: &str, epoch_secs: i64) -> Key {
    Key::new(format!("PACE#{phone_number_id}#MARKETING"), format!("SEC#{epoch_secs}"))
}

/// A flow token's session: `FLOW#{token}` / `SESSION`.
pub fn flow_session(flow_token: &str) -> Key {
    Key::new(format!("FLOW#{flow_token}"), "SESSION")
}

/// Partition of one flow token: its session and its responses.
pub fn flow_partition(flow_token: &str) -> String {
    format!("FLOW#{flow_token}")
}

/// The flow token of a [`flow_partition`] key.
pub fn flow_token_of(pk: &str) -> Option<&str> {
    pk.strip_prefix("FLOW#")
}

/// Sort-key prefix of the responses in a flow token's partition.
pub const FLOW_RESPONSE_PREFIX: &str = "RESPONSE#";

/// One flow response (the `nfm_reply` of a completed flow), beside its session:
/// `RESPONSE#{rfc3339}#{wamid}` sorts by time.
pub fn flow_response(flow_token: &str, rfc3339: &str, wamid: &str) -> Key {
    Key::new(flow_partition(flow_token), format!("{FLOW_RESPONSE_PREFIX}{rfc3339}#{wamid}"))
}

/// GSI1 partition listing the responses of one flow (Meta flow id, or name), by time.
pub fn flow_responses_of(flow: &str) -> String {
    format!("FLOWRESP#{flow}")
}

/// Business data that declarative flow definitions look up: `FLOWDATA#{table}` / `{key}`.
pub fn flow_data(table: &str, key: &str) -> Key {
    Key::new(flow_data_partition(table), key)
}

/// Partition of one declarative-flow data table: `FLOWDATA#{table}`.
pub fn flow_data_partition(table: &str) -> String {
    format!("FLOWDATA#{table}")
}

/// The local record of a flow managed through EUM (`wapipe flows create`), listed per WABA:
/// `FLOWREG#{waba}` / `FLOW#{flow_id}`.
pub fn flow_registry(waba_id: &str, flow_id: &str) -> Key {
    Key::new(flow_registry_partition(waba_id), format!("{FLOW_REGISTRY_PREFIX}{flow_id}"))
}

/// Sort-key prefix of the flows recorded in a [`flow_registry_partition`].
pub const FLOW_REGISTRY_PREFIX: &str = "FLOW#";

/// Partition of the flows recorded for one WABA: `FLOWREG#{waba}`.
pub fn flow_registry_partition(waba_id: &str) -> String {
    format!("FLOWREG#{waba_id}")
}

/// A number's business profile (local only: EUM has no profile API): the current version at
/// `BIZPROFILE#{phone}` / `CURRENT`, every version at `V#{n:06}` beside it.
pub fn business_profile(phone_number_id: &str) -> Key {
    Key::new(business_profile_partition(phone_number_id), "CURRENT")
}

/// One version of a number's business profile: `BIZPROFILE#{phone}` / `V#{version:06}`.
pub fn business_profile_version(phone_number_id: &str, version: u64) -> Key {
    Key::new(business_profile_partition(phone_number_id), format!("{PROFILE_VERSION_PREFIX}{version:06}"))
}

/// Partition of a number's business profile and its versions: `BIZPROFILE#{phone}`.
pub fn business_profile_partition(phone_number_id: &str) -> String {
    format!("BIZPROFILE#{phone_number_id}")
}

/// Sort-key prefix of the business profile versions (`V#{n:06}`).
pub const PROFILE_VERSION_PREFIX: &str = "V#";

/// A catalog product mirrored locally (EUM has no catalog API): `CATALOG#{catalog}` / `PRODUCT#{retailer_id}`.
pub fn catalog_product(catalog_id: &str, retailer_id: &str) -> Key {
    Key::new(catalog_partition(catalog_id), format!("{CATALOG_PRODUCT_PREFIX}{retailer_id}"))
}

/// Partition of a locally mirrored catalog: `CATALOG#{catalog}`.
pub fn catalog_partition(catalog_id: &str) -> String {
    format!("CATALOG#{catalog_id}")
}

/// Sort-key prefix of the products in a [`catalog_partition`].
pub const CATALOG_PRODUCT_PREFIX: &str = "PRODUCT#";

/// Group metadata (local only): `GROUPS#{phone}` / `GROUP#{group_id}`.
pub fn group(phone_number_id: &str, group_id: &str) -> Key {
    Key::new(group_partition(phone_number_id), format!("{GROUP_PREFIX}{group_id}"))
}

/// Sort-key prefix of the groups in a [`group_partition`].
pub const GROUP_PREFIX: &str = "GROUP#";

/// Partition of a number's group metadata: `GROUPS#{phone}`.
pub fn group_partition(phone_number_id: &str) -> String {
    format!("GROUPS#{phone_number_id}")
}

/// A number's call settings as the operator recorded them: `CALLING#{phone}` / `SETTINGS`.
pub fn call_settings(phone_number_id: &str) -> Key {
    Key::new(format!("CALLING#{phone_number_id}"), "SETTINGS")
}

/// An operator's acknowledgement of a runbook done by hand: `RUNBOOK#{capability}` / `{rfc3339}#{subject}`.
pub fn runbook_ack(capability_id: &str, rfc3339: &str, subject: &str) -> Key {
    Key::new(runbook_partition(capability_id), format!("{rfc3339}#{subject}"))
}

/// Partition of the runbook acknowledgements of one capability: `RUNBOOK#{capability}`.
pub fn runbook_partition(capability_id: &str) -> String {
    format!("RUNBOOK#{capability_id}")
}

/// An order, by its `reference_id`: `PAYMENT#{reference_id}` / `PAYMENT`.
pub fn payment(reference_id: &str) -> Key {
    Key::new(format!("PAYMENT#{reference_id}"), "PAYMENT")
}

/// Partition of one order: the order, its refunds and the gateway refunds its webhooks named.
pub fn payment_partition(reference_id: &str) -> String {
    format!("PAYMENT#{reference_id}")
}

/// Sort-key prefix of the refunds in an order's partition.
pub const REFUND_PREFIX: &str = "REFUND#";

/// The GSI1 partition listing orders in one state (`PAYSTATE#{state}`).
pub fn order_state_index(state: &str) -> String {
    format!("PAYSTATE#{state}")
}

/// The GSI1 partition listing refunds in one state (`REFUNDSTATE#{state}`).
pub fn refund_state_index(state: &str) -> String {
    format!("REFUNDSTATE#{state}")
}

/// One refund of an order, by the requester's idempotency key.
pub fn refund(reference_id: &str, key: &str) -> Key {
    Key::new(payment_partition(reference_id), format!("{REFUND_PREFIX}{key}"))
}

/// A gateway refund (`rfnd_…`) a payment webhook reported for the order.
pub fn gateway_refund(reference_id: &str, gateway_refund_id: &str) -> Key {
    Key::new(payment_partition(reference_id), format!("GWREFUND#{gateway_refund_id}"))
}

/// Partition of parked records of one source (a function or a queue).
pub fn parked_partition(source: &str) -> String {
    format!("PARKED#{source}")
}

/// A parked (poison) record: `{rfc3339}#{id}` sorts by time.
pub fn parked(source: &str, rfc3339: &str, id: &str) -> Key {
    Key::new(parked_partition(source), format!("{rfc3339}#{id}"))
}

/// A call, by Meta's call id (`wacid`): `CALLS#{phone}` / `CALL#{wacid}`. Written by ingest from
/// the `calls` field; its state only moves forward (RINGING → ACCEPTED/REJECTED → COMPLETED/FAILED).
pub fn call(phone_number_id: &str, wacid: &str) -> Key {
    Key::new(call_partition(phone_number_id), format!("{CALL_PREFIX}{wacid}"))
}

/// Partition of a number's calls: `CALLS#{phone}`.
pub fn call_partition(phone_number_id: &str) -> String {
    format!("CALLS#{phone_number_id}")
}

/// A user's latest answer to a call permission request, beside the number's calls:
/// `CALLS#{phone}` / `PERMISSION#{user}` (user: `wa_id`, else BSUID).
pub fn call_permission(phone_number_id: &str, user: &str) -> Key {
    Key::new(call_partition(phone_number_id), format!("PERMISSION#{user}"))
}

/// Sort-key prefix of the calls in a [`call_partition`].
pub const CALL_PREFIX: &str = "CALL#";

/// One part of a coexistence `history` chunk as received: `HISTORY#{phone}` /
/// `{phase}#{chunk_order:010}#{content}#{part:03}`. A chunk can hold thousands of messages,
/// so it is kept here in parts below DynamoDB's item limit, never in an event.
pub fn history_part(phone_number_id: &str, phase: &str, chunk_order: i64, content: &str, part: usize) -> Key {
    Key::new(history_partition(phone_number_id), format!("{phase}#{chunk_order:010}#{content}#{part:03}"))
}

/// Partition of a number's coexistence history chunks: `HISTORY#{phone}`.
pub fn history_partition(phone_number_id: &str) -> String {
    format!("HISTORY#{phone_number_id}")
}

/// What wapipe knows of one WhatsApp user, by business-scoped user id (BSUID):
/// `IDENTITY#{user_id}` / `CURRENT` (phone `wa_id`, parent BSUID, username, the BSUID that replaced it).
pub fn identity(user_id: &str) -> Key {
    Key::new(identity_partition(user_id), "CURRENT")
}

/// One combination of ids an identity was seen with, kept as history (with the first time it
/// was seen): `IDENTITY#{user_id}` / `OBS#{id}`, `id` a hash of the combination.
pub fn identity_observation(user_id: &str, id: &str) -> Key {
    Key::new(identity_partition(user_id), format!("OBS#{id}"))
}

/// Partition of one BSUID's identity and its history: `IDENTITY#{user_id}`.
pub fn identity_partition(user_id: &str) -> String {
    format!("IDENTITY#{user_id}")
}

/// The BSUID a phone `wa_id` was last seen with: `IDENTITY#WA#{wa_id}` / `CURRENT`.
pub fn identity_of_phone(wa_id: &str) -> Key {
    Key::new(format!("IDENTITY#WA#{wa_id}"), "CURRENT")
}

/// One member of a group as the `group_participants_update` webhooks left it:
/// `GROUPS#{phone}` / `MEMBER#{group_id}#{member}` (member: BSUID, else wa_id, else input).
pub fn group_member(phone_number_id: &str, group_id: &str, member: &str) -> Key {
    Key::new(group_partition(phone_number_id), format!("{GROUP_MEMBER_PREFIX}{group_id}#{member}"))
}

/// Sort-key prefix of group members in a [`group_partition`].
pub const GROUP_MEMBER_PREFIX: &str = "MEMBER#";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_architecture() {
        assert_eq!(message("wamid.X").to_string(), "MSG#wamid.X/MSG");
        assert_eq!(contact_window("1", "2").pk, "CONTACT#1#2");
        assert_eq!(parked("webhook-ingest", "2025-01-01T00:00:00Z", "m1").sk, "2025-01-01T00:00:00Z#m1");
        // Timeline sort keys order numerically.
        assert!(timeline_sort(99, "a") < timeline_sort(100, "a"));
    }
}
