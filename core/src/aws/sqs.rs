//! [`Queue`] on SQS.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{Message, MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName};
use aws_sdk_sqs::Client;

use super::classify_sdk;
use crate::ports::{OutgoingMessage, PortError, PortResult, Queue, QueueDepth, QueueMessage};

const SERVICE: &str = "sqs";

/// [`Queue`] on SQS: queues are named by URL in each call.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
}

impl SqsQueue {
    /// Use this client as is.
    pub fn new(client: Client) -> SqsQueue {
        SqsQueue { client }
    }

    /// A client from the shared configuration.
    pub fn from_conf(conf: &aws_config::SdkConfig) -> SqsQueue {
        SqsQueue::new(Client::new(conf))
    }

    /// The underlying SDK client, for calls this adapter does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// SQS's error classification (on top of the shared one).
fn classify<E>(op: &'static str, err: &SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    classify_sdk(
        SERVICE,
        op,
        err,
        &["RequestThrottled", "KmsThrottled", "AWS.SimpleQueueService.Throttled", "OverLimit"],
    )
}

fn permanent(op: &'static str, message: impl Into<String>) -> PortError {
    PortError::Permanent { service: SERVICE, op, message: message.into() }
}

fn secs(op: &'static str, d: Duration) -> PortResult<i32> {
    i32::try_from(d.as_secs()).map_err(|_| permanent(op, "duration out of range"))
}

fn to_message(m: &Message) -> PortResult<QueueMessage> {
    let (Some(id), Some(receipt)) = (m.message_id(), m.receipt_handle()) else {
        return Err(permanent("receive", "message without id or receipt handle"));
    };
    let attributes: BTreeMap<String, String> = m
        .message_attributes()
        .map(|a| a.iter().filter_map(|(k, v)| v.string_value().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default();
    let receive_count = m
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    Ok(QueueMessage {
        message_id: id.to_string(),
        receipt_handle: receipt.to_string(),
        body: m.body().unwrap_or_default().to_string(),
        attributes,
        receive_count,
    })
}

impl Queue for SqsQueue {
    async fn depth(&self, queue_url: &str) -> PortResult<QueueDepth> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| classify("depth", &e))?;
        // An attribute the service left out counts 0; one that is not a count is an error.
        let count = |name: QueueAttributeName| match out.attributes().and_then(|a| a.get(&name)) {
            None => Ok(0),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map_err(|_| permanent("depth", format!("attribute {} is not a count: {v:?}", name.as_str()))),
        };
        Ok(QueueDepth {
            visible: count(QueueAttributeName::ApproximateNumberOfMessages)?,
            in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
            delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed)?,
        })
    }

    async fn send(&self, queue_url: &str, message: OutgoingMessage) -> PortResult<String> {
        let mut attrs = std::collections::HashMap::new();
        for (k, v) in message.attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map_err(|e| permanent("send", e.to_string()))?;
            attrs.insert(k, value);
        }
        let delay = message.delay.map(|d| secs("send", d)).transpose()?;
        let out = self
            .client
            .send_message()
            .queue_url(queue_url)
            .message_body(message.body)
            .set_delay_seconds(delay)
            .set_message_attributes((!attrs.is_empty()).then_some(attrs))
            .send()
            .await
            .map_err(|e| classify("send", &e))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }

    async fn receive(&self, queue_url: &str, max: usize, wait: Duration) -> PortResult<Vec<QueueMessage>> {
        let max = i32::try_from(max).map_err(|_| permanent("receive", "max out of range"))?;
        let out = self
            .client
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(max)
            .wait_time_seconds(secs("receive", wait)?)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| classify("receive", &e))?;
        out.messages().iter().map(to_message).collect()
    }

    async fn delete(&self, queue_url: &str, receipt_handle: &str) -> PortResult<()> {
        self.client
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| classify("delete", &e))?;
        Ok(())
    }

    async fn change_visibility(&self, queue_url: &str, receipt_handle: &str, timeout: Duration) -> PortResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(secs("change_visibility", timeout)?)
            .send()
            .await
            .map_err(|e| classify("change_visibility", &e))?;
        Ok(())
    }
}
