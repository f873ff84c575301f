use serde_json::json;
use time::OffsetDateTime;

use super::catalog::{self, Product};
use super::groups::{self, Group};
use super::profile::{self, Profile};
use super::BusinessError;
use crate::memory::MemoryStore;

fn at(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_750_000_000 + s).unwrap()
}

fn p(about: &str) -> Profile {
    Profile {
        about: Some(about.into()),
        websites: vec!["https://x.example".into()],
        vertical: Some("RETAIL".into()),
        ..Profile::default()
    }
}

#[tokio::test]
async fn profile_versions_history_and_manual_apply() {
    let store = MemoryStore::new();
    assert_eq!(profile::update(&store, "P1", &p("Open 9-5"), at(0)).await.unwrap(), 1);
    assert_eq!(profile::update(&store, "P1", &p("Open 9-6"), at(1)).await.unwrap(), 2);
    let history = profile::history(&store, "P1").await.unwrap();
    assert_eq!(
        history.iter().map(|s| (s.version, s.profile.about.clone().unwrap())).collect::<Vec<_>>(),
        vec![(1, "Open 9-5".to_string()), (2, "Open 9-6".to_string())]
    );
    // Marking an old version leaves the current one pending; the current one makes it applied.
    profile::mark_applied(&store, "P1", 1, at(2)).await.unwrap();
    let cur = profile::current(&store, "P1").await.unwrap().unwrap();
    assert_eq!((cur.applied_state.as_str(), cur.applied_version), ("pending", Some(1)));
    profile::mark_applied(&store, "P1", 2, at(3)).await.unwrap();
    let cur = profile::current(&store, "P1").await.unwrap().unwrap();
    assert_eq!((cur.applied_state.as_str(), cur.applied_version), ("applied", Some(2)));
    // Never back to an older one; idempotent for the same one; unknown versions refused.
    assert!(matches!(profile::mark_applied(&store, "P1", 1, at(4)).await, Err(BusinessError::Conflict(_))));
    profile::mark_applied(&store, "P1", 2, at(5)).await.unwrap();
    assert!(matches!(profile::mark_applied(&store, "P1", 9, at(6)).await, Err(BusinessError::NotFound(_))));
    // A new version keeps what was applied and waits again.
    profile::update(&store, "P1", &p("Open 24/7"), at(7)).await.unwrap();
    let cur = profile::current(&store, "P1").await.unwrap().unwrap();
    assert_eq!((cur.version, cur.applied_state.as_str(), cur.applied_version), (3, "pending", Some(2)));
    let steps = profile::apply_instructions(&cur, history.last().map(|s| &s.profile));
    assert!(steps.iter().any(|l| l == "about (CHANGED): Open 24/7"), "{steps:?}");
    assert!(steps.iter().any(|l| l.starts_with("websites (unchanged)")), "{steps:?}");
}

#[tokio::test]
async fn profile_limits_name_the_field() {
    let store = MemoryStore::new();
    for (bad, field) in [
        (Profile { about: Some("x".repeat(140)), ..Profile::default() }, "about"),
        (Profile { email: Some("nope".into()), ..Profile::default() }, "email"),
        (Profile { websites: vec!["ftp://x".into()], ..Profile::default() }, "websites[0]"),
        (Profile { vertical: Some("SPACE".into()), ..Profile::default() }, "vertical"),
    ] {
        match profile::update(&store, "P1", &bad, at(0)).await {
            Err(BusinessError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(store.is_empty(), "nothing stored for invalid input");
}

#[tokio::test]
async fn catalog_products_are_mirrored_and_checked_for_sends() {
    let store = MemoryStore::new();
    let shoe = Product {
        retailer_id: "SKU-1".into(),
        name: "Shoe".into(),
        currency: Some("INR".into()),
        price_1000: Some(99_000),
        ..Product::default()
    };
    assert!(catalog::put(&store, "C1", &shoe, at(10)).await.unwrap());
    let old = Product { name: "Old shoe".into(), ..shoe.clone() };
    assert!(!catalog::put(&store, "C1", &old, at(5)).await.unwrap(), "an older write never wins");
    assert_eq!(catalog::get(&store, "C1", "SKU-1").await.unwrap().unwrap().name, "Shoe");
    let bad = Product { currency: Some("rupees".into()), ..shoe.clone() };
    assert!(
        matches!(catalog::put(&store, "C1", &bad, at(11)).await, Err(BusinessError::Invalid { field, .. }) if field == "currency")
    );
    let msg = json!({"type": "interactive", "interactive": {"type": "product_list", "action": {"catalog_id": "C1",
        "sections": [{"title": "A", "product_items": [{"product_retailer_id": "SKU-1"}, {"product_retailer_id": "SKU-9"}]}]}}});
    assert_eq!(catalog::unknown_products(&store, &msg).await.unwrap(), vec!["C1/SKU-9".to_string()]);
    assert!(catalog::delete(&store, "C1", "SKU-1").await.unwrap());
    assert!(!catalog::delete(&store, "C1", "SKU-1").await.unwrap());
    assert!(catalog::list(&store, "C1").await.unwrap().is_empty());
}

/// A store with group G1 "VIP" of number P1 recorded by hand, one member.
async fn vip_group() -> (MemoryStore, Group) {
    let store = MemoryStore::new();
    let g = Group {
        group_id: "G1".into(),
        subject: "VIP".into(),
        members: vec!["919876543210".into()],
        ..Group::default()
    };
    groups::create(&store, "P1", &g, at(0)).await.unwrap();
    (store, g)
}

#[tokio::test]
async fn groups_are_recorded_once() {
    let (store, g) = vip_group().await;
    assert!(matches!(groups::create(&store, "P1", &g, at(1)).await, Err(BusinessError::Conflict(_))));
    assert_eq!(groups::list(&store, "P1").await.unwrap(), vec![g.clone()]);
    let bad = Group { members: vec!["abc".into()], group_id: "G2".into(), ..g.clone() };
    assert!(
        matches!(groups::create(&store, "P1", &bad, at(2)).await, Err(BusinessError::Invalid { field, .. }) if field == "members[0]")
    );
    assert!(groups::delete(&store, "P1", "G1").await.unwrap());
}

/// Ingest one webhook change into `store` as webhook-ingest would (its writes, in order).
async fn ingest(store: &MemoryStore, field: &str, value: serde_json::Value) {
    use crate::ports::Store;
    let ctx_env = crate::domain::envelope::EumContext::default();
    let ctx = crate::domain::ingest_plan::NormalizeContext::new(&ctx_env, at(0));
    let entry = json!({"id": "W1", "changes": [{"field": field, "value": value}]});
    for u in crate::domain::normalize::normalize(&entry.to_string(), &ctx).unwrap() {
        for w in u.before.into_iter().chain(u.after) {
            store.write(w).await.unwrap();
        }
    }
}

#[tokio::test]
async fn groups_list_what_the_webhooks_said_last() {
    let (store, _) = vip_group().await;
    let meta = json!({"phone_number_id": "P1"});
    let group = |v: serde_json::Value| json!({"metadata": meta, "groups": [v]});
    ingest(
        &store,
        "group_participants_update",
        group(json!({"group_id": "G1", "type": "group_participants_add", "timestamp": 10,
        "added_participants": [{"wa_id": "919812345678", "user_id": "IN.1"}]})),
    )
    .await;
    ingest(
        &store,
        "group_participants_update",
        group(json!({"group_id": "G1", "type": "group_participants_remove", "timestamp": 11,
        "removed_participants": [{"wa_id": "919876543210"}]})),
    )
    .await;
    ingest(
        &store,
        "group_settings_update",
        group(json!({"group_id": "G1", "type": "group_settings_update", "timestamp": 12,
        "group_subject": {"text": "VIP (new)", "update_successful": true}})),
    )
    .await;
    // A group only the webhooks know of is listed too.
    ingest(
        &store,
        "group_lifecycle_update",
        group(json!({"group_id": "G2", "type": "group_create", "timestamp": 13, "subject": "Slots"})),
    )
    .await;
    ingest(&store, "group_status_update", group(json!({"group_id": "G2", "type": "group_suspend", "timestamp": 14})))
        .await;
    let list = groups::list(&store, "P1").await.unwrap();
    assert_eq!(list.len(), 2, "{list:#?}");
    assert_eq!((list[0].subject.as_str(), list[0].members.clone()), ("VIP (new)", vec!["919812345678".to_string()]));
    assert_eq!(
        (list[1].subject.as_str(), list[1].lifecycle.as_deref(), list[1].suspended),
        ("Slots", Some("created"), Some(true))
    );
}
