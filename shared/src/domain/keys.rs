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

pub fn quality_latest(phone_number_id: &str) -> Key {
    Key::new(format!("QUALITY#{phone_number_id}"), "LATEST")
}

pub fn quality_at(phone_number_id: &str, rfc3339: &str) -> Key {
    Key::new(format!("QUALITY#{phone_number_id}"), format!("AT#{rfc3339}"))
}

pub fn flow_session(flow_token: &str) -> Key {
    Key::new(format!("FLOW#{flow_token}"), "SESSION")
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
