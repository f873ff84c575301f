//! [`Bus`] on EventBridge `PutEvents`.

use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, PutEventsResultEntry};
use aws_sdk_eventbridge::Client;

use super::classify_sdk;
use crate::domain::events::{DomainEvent, SOURCE};
use crate::ports::{Bus, EntryResult, PortError, PortResult};

const SERVICE: &str = "eventbridge";
pub const MAX_ENTRIES: usize = 10;

/// Entry error codes worth retrying (the others are bad entries).
const RETRYABLE_ENTRY_CODES: &[&str] = &["ThrottlingException", "InternalFailure", "InternalException"];

/// [`Bus`] on EventBridge: every event goes to one bus with `Source` `wapipe`.
#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    /// Publish to the bus named `bus_name` through this client as configured.
    pub fn new(client: Client, bus_name: impl Into<String>) -> EventBridgeBus {
        EventBridgeBus { client, bus_name: bus_name.into() }
    }

    /// Publish to the bus named `bus_name`, with a client from the shared configuration.
    pub fn from_conf(conf: &aws_config::SdkConfig, bus_name: impl Into<String>) -> EventBridgeBus {
        EventBridgeBus::new(Client::new(conf), bus_name)
    }

    /// The name of the bus it publishes to.
    pub fn bus_name(&self) -> &str {
        &self.bus_name
    }
}

/// EventBridge's error classification (on top of the shared one).
fn classify<E>(op: &'static str, err: &SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    classify_sdk(SERVICE, op, err, &["LimitExceededException"])
}

fn entry_result(entry: Option<&PutEventsResultEntry>) -> EntryResult {
    match entry.and_then(|e| e.error_code().map(|c| (c, e.error_message().unwrap_or_default()))) {
        None if entry.is_some() => EntryResult::Ok,
        None => EntryResult::Failed {
            code: "MissingResult".into(),
            message: "no result entry for this event".into(),
            retryable: true,
        },
        Some((code, message)) => EntryResult::Failed {
            code: code.to_string(),
            message: message.to_string(),
            retryable: RETRYABLE_ENTRY_CODES.contains(&code),
        },
    }
}

impl Bus for EventBridgeBus {
    async fn put_events(&self, events: &[DomainEvent]) -> PortResult<Vec<EntryResult>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        if events.len() > MAX_ENTRIES {
            return Err(PortError::Permanent {
                service: SERVICE,
                op: "put_events",
                message: format!("ValidationException: {} entries, at most {MAX_ENTRIES}", events.len()),
            });
        }
        let entries = events
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .source(SOURCE)
                    .detail_type(e.detail_type.as_str())
                    .detail(e.detail_json())
                    .event_bus_name(&self.bus_name)
                    .build()
            })
            .collect();
        let out =
            self.client.put_events().set_entries(Some(entries)).send().await.map_err(|e| classify("put_events", &e))?;
        let results = out.entries();
        Ok((0..events.len()).map(|i| entry_result(results.get(i))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_results() {
        let ok = PutEventsResultEntry::builder().event_id("e1").build();
        assert_eq!(entry_result(Some(&ok)), EntryResult::Ok);
        let throttled = PutEventsResultEntry::builder().error_code("ThrottlingException").error_message("slow").build();
        assert!(matches!(entry_result(Some(&throttled)), EntryResult::Failed { retryable: true, .. }));
        let bad = PutEventsResultEntry::builder().error_code("MalformedDetail").build();
        assert!(matches!(entry_result(Some(&bad)), EntryResult::Failed { retryable: false, .. }));
        assert!(matches!(entry_result(None), EntryResult::Failed { retryable: true, .. }));
    }
}
