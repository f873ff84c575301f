//! Queue cases: SQS's delay, visibility and receive-count semantics.

use std::collections::BTreeMap;
use std::time::Duration;

use wapipe_core::ports::{OutgoingMessage, Queue, QueueMessage};

pub async fn receive_within<Q: Queue>(q: &Q, url: &str, within: Duration) -> Vec<QueueMessage> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = q.receive(url, 10, Duration::from_secs(1)).await.expect("receive");
        if !got.is_empty() || tokio::time::Instant::now() >= deadline {
            return got;
        }
    }
}

pub async fn queue_visibility_cycle<Q: Queue>((q, url): (Q, String)) {
    let attributes = BTreeMap::from([("kind".to_string(), "send".to_string()), ("tenant".into(), "t1".into())]);
    let msg = OutgoingMessage {
        body: r#"{"hello":"world"}"#.into(),
        delay: Some(Duration::from_secs(1)),
        attributes: attributes.clone(),
    };
    let id = q.send(&url, msg).await.expect("send");
    assert!(!id.is_empty());
    assert!(q.receive(&url, 10, Duration::ZERO).await.unwrap().is_empty(), "delayed");
    let got = receive_within(&q, &url, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].message_id.as_str(), got[0].body.as_str()), (id.as_str(), r#"{"hello":"world"}"#));
    assert_eq!(got[0].attributes, attributes);
    assert_eq!(got[0].receive_count, 1);
    assert!(q.receive(&url, 10, Duration::ZERO).await.unwrap().is_empty(), "in flight");
    // Visible again at once, received a second time.
    q.change_visibility(&url, &got[0].receipt_handle, Duration::ZERO).await.expect("change_visibility");
    let again = receive_within(&q, &url, Duration::from_secs(5)).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].receive_count, 2);
    // A short timeout: invisible now, received again after it elapses.
    q.change_visibility(&url, &again[0].receipt_handle, Duration::from_secs(1)).await.expect("change_visibility");
    assert!(q.receive(&url, 10, Duration::ZERO).await.unwrap().is_empty());
    let third = receive_within(&q, &url, Duration::from_secs(6)).await;
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].receive_count, 3);
    q.delete(&url, &third[0].receipt_handle).await.expect("delete");
    assert!(q.receive(&url, 10, Duration::from_secs(2)).await.unwrap().is_empty(), "deleted");
}

/// `depth`: visible, in flight and delayed messages are counted apart (the DLQ view of
/// `wapipe dlq list`). SQS's counts are approximate, so they are polled until they settle.
pub async fn queue_depth_counts<Q: Queue>((q, url): (Q, String)) {
    use wapipe_core::ports::QueueDepth;
    let send = |delay: Option<Duration>| OutgoingMessage { body: "d".into(), delay, attributes: BTreeMap::new() };
    assert_eq!(q.depth(&url).await.expect("depth"), QueueDepth::default(), "empty");
    q.send(&url, send(None)).await.expect("send");
    q.send(&url, send(None)).await.expect("send");
    q.send(&url, send(Some(Duration::from_secs(60)))).await.expect("send");
    let got = q.receive(&url, 1, Duration::from_secs(1)).await.expect("receive");
    assert_eq!(got.len(), 1);
    let want = QueueDepth { visible: 1, in_flight: 1, delayed: 1 };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut last = QueueDepth::default();
    while tokio::time::Instant::now() < deadline {
        last = q.depth(&url).await.expect("depth");
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(last, want);
    assert_eq!(last.total(), 3);
}
