//! Every key format of the single table, in one place (ARCHITECTURE §5).
//! Nothing else in the code builds `pk`/`sk`/`gsi1*` strings by hand.

/// The table's attribute names.
pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";
pub const GSI1: &str = "GSI1";
/// TTL attribute: epoch seconds.
pub const EXPIRES_AT: &str = "expires_at";

/// A full primary key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
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

/// Inbound or outbound message, by Meta wamid.
pub fn message(wamid: &str) -> Key {
    Key::new(format!("MSG#{wamid}"), "MSG")
}

/// Send request, by the caller's idempotency key.
pub fn send_request(request_id: &str) -> Key {
    Key::new(format!("SEND#{request_id}"), "SEND")
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

pub fn quality_latest(phone_number_id: &str) -> Key {
    Key::new(format!("QUALITY#{phone_number_id}"), "LATEST")
}

pub fn quality_at(phone_number_id: &str, rfc3339: &str) -> Key {
    Key::new(format!("QUALITY#{phone_number_id}"), format!("AT#{rfc3339}"))
}

pub fn flow_session(flow_token: &str) -> Key {
    Key::new(format!("FLOW#{flow_token}"), "SESSION")
}

/// Partition of one flow token: its session and its responses.
pub fn flow_partition(flow_token: &str) -> String {
    format!("FLOW#{flow_token}")
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

pub fn flow_data_partition(table: &str) -> String {
    format!("FLOWDATA#{table}")
}

pub fn payment(reference_id: &str) -> Key {
    Key::new(format!("PAYMENT#{reference_id}"), "PAYMENT")
}

/// Partition of parked records of one source (a function or a queue).
pub fn parked_partition(source: &str) -> String {
    format!("PARKED#{source}")
}

/// A parked (poison) record: `{rfc3339}#{id}` sorts by time.
pub fn parked(source: &str, rfc3339: &str, id: &str) -> Key {
    Key::new(parked_partition(source), format!("{rfc3339}#{id}"))
}

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
