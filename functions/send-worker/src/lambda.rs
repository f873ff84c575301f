//! Lambda wiring: an SQS event in, `batchItemFailures` out.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use wapipe_shared::messaging::Messaging;
use wapipe_shared::ports::{Bus, Clock, Queue, Store};
use wapipe_shared::sqs_event::{batch_response, SqsRecord};

use crate::{RecordIn, SendWorker};

/// The queue URL of an SQS ARN (`arn:aws:sqs:{region}:{account}:{name}`).
pub fn queue_url_from_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "sqs", region, account, name] if !name.is_empty() => {
            let domain = if partition.starts_with("aws-cn") { "amazonaws.com.cn" } else { "amazonaws.com" };
            Some(format!("https://sqs.{region}.{domain}/{account}/{name}"))
        }
        _ => None,
    }
}

pub fn record_in(index: usize, m: &SqsMessage, queue_url: Option<&str>) -> RecordIn {
    let r = SqsRecord::from_message(index, m);
    let queue_url =
        queue_url.map(str::to_string).or_else(|| r.event_source_arn.as_deref().and_then(queue_url_from_arn));
    RecordIn { id: r.id, body: r.body, receipt_handle: r.receipt_handle, queue_url }
}

pub async fn handle_sqs<S: Store, B: Bus, M: Messaging, Q: Queue, C: Clock>(
    worker: &SendWorker<S, B, M, Q, C>,
    event: SqsEvent,
) -> SqsBatchResponse {
    let url = worker.config.queue_url.clone();
    let records: Vec<RecordIn> =
        event.records.iter().enumerate().map(|(i, m)| record_in(i, m, url.as_deref())).collect();
    batch_response(worker.handle_batch(&records).await.failures())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_urls_from_arns() {
        assert_eq!(
            queue_url_from_arn("arn:aws:sqs:ap-south-1:123456789012:wapipe-send").as_deref(),
            Some("https://sqs.ap-south-1.amazonaws.com/123456789012/wapipe-send")
        );
        assert_eq!(queue_url_from_arn("arn:aws:sns:ap-south-1:1:x"), None);
        assert_eq!(queue_url_from_arn("garbage"), None);
    }
}
