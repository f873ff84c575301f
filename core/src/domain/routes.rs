//! The one routing truth: which domain events go to which wapipe consumer (docs/ARCHITECTURE.md §1).
//! The SAM template's EventBridge rules and local mode's in-memory bus both follow this table;
//! a test checks the template against it. Every event type is also public on the bus for
//! consumers outside wapipe; `PUBLIC_ONLY` says why the others have no internal consumer.

use crate::domain::events::{DomainEvent, EventType};

/// A wapipe function that consumes domain events through its own SQS queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Consumer {
    /// `status-tracker`: message statuses, and inbound replies (clicks on template sends).
    StatusTracker,
    /// `payment-processor`: payment webhooks and the refund and mark-paid commands.
    PaymentProcessor,
    /// `quality-snapshotter`: phone quality, template and account updates.
    QualitySnapshotter,
    /// `send-worker`: send requests.
    SendWorker,
    /// `flow-endpoint`: flow completions, stored beside their session.
    FlowEndpoint,
}

impl Consumer {
    /// The function's name as deployed (kebab-case), also its queue's name stem.
    pub fn function(self) -> &'static str {
        match self {
            Consumer::StatusTracker => "status-tracker",
            Consumer::PaymentProcessor => "payment-processor",
            Consumer::QualitySnapshotter => "quality-snapshotter",
            Consumer::SendWorker => "send-worker",
            Consumer::FlowEndpoint => "flow-endpoint",
        }
    }
}

/// One EventBridge rule: these detail-types, from source `wapipe`, to this consumer's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// Logical name of the rule in the stack.
    pub rule: &'static str,
    /// The function whose queue the rule targets.
    pub consumer: Consumer,
    /// The detail-types the rule matches (source `wapipe`).
    pub detail_types: &'static [EventType],
    /// A content filter: the rule matches only events whose `detail.{field}` is one of the
    /// values (EventBridge's `detail: {field: [values]}`); empty for every event of the types.
    pub detail: &'static [(&'static str, &'static [&'static str])],
}

impl Route {
    /// Whether the rule matches this event (its type, and its content filter).
    pub fn matches(&self, e: &DomainEvent) -> bool {
        self.detail_types.contains(&e.detail_type)
            && self.detail.iter().all(|(field, values)| {
                e.detail.get(*field).and_then(|v| v.as_str()).is_some_and(|v| values.contains(&v))
            })
    }
}

/// Every rule of the stack (docs/ARCHITECTURE.md §1.2); each detail-type is routed here or is in [`PUBLIC_ONLY`].
pub const ROUTES: &[Route] = &[
    Route { rule: "SendRule", consumer: Consumer::SendWorker, detail_types: &[EventType::SendRequested], detail: &[] },
    // Statuses move the machine; received replies to template sends count as template clicks.
    Route {
        rule: "StatusRule",
        consumer: Consumer::StatusTracker,
        detail_types: &[EventType::MessageStatus, EventType::MessageReceived],
        detail: &[],
    },
    // Flow completions are stored beside their session and close it (`wapipe flows responses`).
    Route {
        rule: "FlowRule",
        consumer: Consumer::FlowEndpoint,
        detail_types: &[EventType::FlowCompleted],
        detail: &[],
    },
    // Payment status webhooks move orders; refund and mark-paid commands come from other systems.
    Route {
        rule: "PaymentsRule",
        consumer: Consumer::PaymentProcessor,
        detail_types: &[
            EventType::PaymentUpdated,
            EventType::RefundRequested,
            EventType::PaymentMarkPaid,
            EventType::RefundSettled,
        ],
        detail: &[],
    },
    // Click-to-WhatsApp conversions run in the payment processor (`app::conversions`).
    Route {
        rule: "ConversionsRule",
        consumer: Consumer::PaymentProcessor,
        detail_types: &[EventType::PaymentCaptured, EventType::FlowCompleted],
        detail: &[],
    },
    // An order sent (an `order_details` message EUM accepted) is the `InitiateCheckout`
    // conversion's source; the filter keeps every other send off the payments queue.
    Route {
        rule: "CheckoutRule",
        consumer: Consumer::PaymentProcessor,
        detail_types: &[EventType::SendAccepted],
        detail: &[("message_type", &["interactive.order_details"])],
    },
    Route {
        rule: "QualityRule",
        consumer: Consumer::QualitySnapshotter,
        detail_types: &[EventType::PhoneQuality, EventType::TemplateUpdated, EventType::AccountUpdated],
        detail: &[],
    },
];

/// A rule on the account's default bus for events wapipe does not publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForeignRoute {
    /// Logical name of the rule in the stack.
    pub rule: &'static str,
    /// The events' `source`.
    pub source: &'static str,
    /// The detail-types the rule matches.
    pub detail_types: &'static [&'static str],
    /// The function that consumes them.
    pub consumer: Consumer,
    /// The logical name of the queue the rule targets (the consumer's second queue).
    pub queue: &'static str,
}

/// EUM Social's own events (docs/PROTOCOL.md §11.3), to the send worker's EUM events queue: the
/// handover events settle sends whose answer was lost; the Sent, Delivered, Read and Failed
/// statuses are compared with the SNS feed's (docs/feeds.md).
pub const EUM_EVENTS: ForeignRoute = ForeignRoute {
    rule: "EumEventsRule",
    source: "aws.social-messaging",
    detail_types: &[
        "WhatsApp Message Handover Succeeded",
        "WhatsApp Message Handover Failed",
        // The statuses both feeds report, for the feed reconciliation (docs/feeds.md).
        "WhatsApp Message Sent",
        "WhatsApp Message Delivered",
        "WhatsApp Message Read",
        "WhatsApp Message Failed",
        "WhatsApp Call Handover Succeeded",
        "WhatsApp Call Handover Failed",
    ],
    consumer: Consumer::SendWorker,
    queue: "EumEventsQueue",
};

/// Events with no wapipe consumer, and why: they are for systems outside wapipe (CRM,
/// analytics, bots), which subscribe with their own rules on the `wapipe` bus.
pub const PUBLIC_ONLY: &[(EventType, &str)] = &[
    (EventType::MessageFailed, "failed outbound messages are for the sending systems, CRM and alarms"),
    (EventType::FlowUpdated, "flow status and health alerts are for operators"),
    (EventType::AddressReceived, "shipping addresses are for the business's order systems"),
    (EventType::PaymentConfiguration, "payment configuration changes are for operators"),
    (EventType::PhoneName, "display-name decisions are for operators"),
    (EventType::AccountAlert, "account alerts (capability reviews, OBA, profile pictures) are for operators"),
    (EventType::UserPreferences, "marketing opt-outs are for the business's CRM"),
    (
        EventType::CallConnect,
        "calls are answered by the business's calling app (the SDP is in the event); ingest keeps the call record",
    ),
    (EventType::CallStatus, "call progress is for the business's calling app; ingest keeps the call record"),
    (EventType::CallTerminated, "ended calls are for the calling app and reporting; ingest keeps the call record"),
    (
        EventType::MessageEchoed,
        "messages sent from the Business app are for the CRM's timeline; ingest records them as outbound",
    ),
    (EventType::HistoryProgress, "history import progress is for the CRM that reads the stored chunks"),
    (EventType::ContactSynced, "Business app contacts are for the CRM; ingest links the identity"),
    (EventType::UserIdChanged, "BSUID changes are for the CRM; ingest links the identity"),
    (EventType::PhoneUsername, "business username decisions are for operators"),
    (EventType::GroupLifecycle, "group lifecycle is for the systems that manage groups; ingest keeps the group record"),
    (EventType::GroupParticipants, "group membership is for the systems that manage groups; ingest keeps the members"),
    (EventType::GroupSettings, "group settings outcomes are for the systems that changed them"),
    (EventType::GroupStatus, "group suspensions are for operators; ingest keeps the group record"),
    (EventType::FeedGap, "a status one of EUM's feeds lost is for operators (docs/runbooks/feeds.md)"),
    (EventType::WebhookErrors, "platform errors are for operators and alarms"),
    (EventType::WebhookUnknown, "unknown webhook kinds are kept raw for whoever adopts them"),
    (EventType::IngestRejected, "parked records are for operators (`wapipe` and the DLQ runbook)"),
    (EventType::SendRejected, "send outcomes are for the systems that asked; guard rejections for operators"),
    (EventType::SendFailed, "send outcomes are for the systems that asked; alert: true ones for operators"),
    (EventType::PaymentFailed, "failed payments are for the business's order systems"),
    (EventType::PaymentRejected, "rejected payment webhooks and refund commands are for operators and the requester"),
    (EventType::PaymentStale, "stuck orders and refunds are for operators (reconciliation)"),
    (EventType::RefundUpdated, "refund progress is for the systems that asked (correlate by key)"),
    (EventType::MessageParked, "parked messages are for operators (`wapipe dlq parked`)"),
    (EventType::QualityChanged, "quality and tier changes are for operators and campaign systems"),
];

/// The consumers of an event type, in table order.
pub fn consumers_of(t: EventType) -> Vec<Consumer> {
    ROUTES.iter().filter(|r| r.detail_types.contains(&t)).map(|r| r.consumer).collect()
}

/// The consumers whose rules match this event (types and content filters): what EventBridge
/// delivers it to, and what local mode routes it to.
pub fn consumers_of_event(e: &DomainEvent) -> Vec<Consumer> {
    ROUTES.iter().filter(|r| r.matches(e)).map(|r| r.consumer).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_filter_routes_only_the_events_it_names() {
        use crate::domain::events::Envelope;
        let accepted = |message_type: &str| {
            let mut f = serde_json::Map::new();
            f.insert("message_type".into(), message_type.into());
            let at = time::OffsetDateTime::UNIX_EPOCH;
            let common = Envelope { event_id: "e".into(), occurred_at: at, waba_id: "", phone_number_id: "" };
            DomainEvent::new(EventType::SendAccepted, common, f)
        };
        assert_eq!(consumers_of_event(&accepted("interactive.order_details")), vec![Consumer::PaymentProcessor]);
        assert!(consumers_of_event(&accepted("text")).is_empty(), "other sends stay off the payments queue");
        assert_eq!(consumers_of(EventType::SendAccepted), vec![Consumer::PaymentProcessor]);
    }

    #[test]
    fn every_event_type_has_a_consumer_or_a_reason_and_not_both() {
        for t in EventType::ALL {
            let routed = !consumers_of(*t).is_empty();
            let public = PUBLIC_ONLY.iter().any(|(p, _)| p == t);
            assert!(routed ^ public, "{t}: routed={routed} public-only={public}");
        }
    }

    #[test]
    fn rule_names_are_unique() {
        let mut names: Vec<_> = ROUTES.iter().map(|r| r.rule).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ROUTES.len());
    }
}
