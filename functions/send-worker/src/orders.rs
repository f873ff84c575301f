//! Payments: an `order_details` message creates its order (`PAYMENT#{reference_id}`) before
//! the EUM call, so a payment webhook can never find no order. The write is conditional: the
//! same order again (a retried send) is a no-op; another order under the same reference id is
//! refused. The builder is pure (`wapipe_core::domain::payments::order`).

use wapipe_core::domain::outbound::SendRequest;
use wapipe_core::domain::payments::order::{create_order, new_order, order_details_of, same_order};
use wapipe_core::ports::{PortError, Store, WriteOutcome};

/// `Ok(Ok(()))`: not an order, or the order exists as sent; `Ok(Err(reason))`: refuse the send.
pub async fn ensure_order<S: Store>(
    store: &S,
    req: &SendRequest,
    phone_number_id: &str,
    waba_id: &str,
    now_secs: i64,
) -> Result<Result<(), String>, PortError> {
    let Some(params) = order_details_of(req) else {
        return Ok(Ok(()));
    };
    let item = match new_order(req, params, phone_number_id, waba_id, now_secs) {
        Ok(i) => i,
        Err(e) => return Ok(Err(e)),
    };
    let (pk, sk) = (item.pk.clone(), item.sk.clone());
    match store.write(create_order(item.clone())).await? {
        WriteOutcome::Applied => Ok(Ok(())),
        WriteOutcome::ConditionFailed => match store.get(&pk, &sk).await? {
            Some(existing) if same_order(&existing, &item) => Ok(Ok(())),
            _ => Ok(Err(format!(
                "another order already uses reference_id {}: reference ids must be unique per order",
                params.reference_id
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use wapipe_core::domain::keys;
    use wapipe_core::domain::outbound::parse_request_value;
    use wapipe_core::memory::MemoryStore;

    fn request(total: i64) -> SendRequest {
        let mut v: Value =
            serde_json::from_str(include_str!("../../../examples/send/order-details.json")).expect("example");
        v["message"]["interactive"]["action"]["parameters"]["total_amount"]["value"] = total.into();
        parse_request_value(v).expect("request")
    }

    #[tokio::test]
    async fn creates_the_order_once_and_refuses_another_under_its_reference() {
        let store = MemoryStore::new();
        assert_eq!(ensure_order(&store, &request(1100), "p", "w", 1).await, Ok(Ok(())));
        assert_eq!(ensure_order(&store, &request(1100), "p", "w", 2).await, Ok(Ok(())), "a retry");
        let k = keys::payment("order-42");
        let item = store.get(&k.pk, &k.sk).await.expect("get").expect("order");
        assert_eq!(
            (item.get_str("state"), item.get_i64("total"), item.get_i64("created_at")),
            (Some("pending"), Some(1100), Some(1))
        );
        let other = ensure_order(&store, &request(1200), "p", "w", 3).await.expect("store");
        assert!(other.is_err_and(|e| e.contains("order-42")));
        let mut text = request(1100);
        text.message = parse_request_value(serde_json::json!({"request_id": "t", "from": "p", "to": "+1",
            "message": {"type": "text", "text": {"body": "hi"}}}))
        .expect("text")
        .message;
        assert_eq!(ensure_order(&store, &text, "p", "w", 4).await, Ok(Ok(())), "not an order");
        assert_eq!(store.len(), 1);
    }
}
