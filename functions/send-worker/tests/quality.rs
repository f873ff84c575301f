//! The quality guards, fed by what the quality snapshotter writes: marketing from a RED or
//! FLAGGED number is slowed to its own lower pace (other categories keep the full pace), and a
//! template the cache says is paused is refused.

mod support;

use std::time::Duration;

use send_worker::{Config, Outcome};
use serde_json::json;
use support::*;
use time::OffsetDateTime;
use wapipe_core::app::quality::apply_template_observation;
use wapipe_core::domain::keys;
use wapipe_core::domain::quality::template::TemplateObservation;
use wapipe_core::domain::quality::Source;
use wapipe_core::memory::Sandbox;

fn slow_config() -> Config {
    Config { degraded_marketing_mps: 2, max_inline_wait: Duration::ZERO, ..config() }
}

async fn run_marketing(e: &Env<std::sync::Arc<Sandbox>>, prefix: &str, n: usize) -> (usize, usize) {
    let mut sent = 0;
    let mut paced = 0;
    for i in 0..n {
        match e.run(&template(&format!("{prefix}{i}"), "promo", Some("marketing"))).await {
            Outcome::Accepted { .. } => sent += 1,
            Outcome::Retry { error, delay, .. } if error == "paced" => {
                assert!(delay > Duration::ZERO && delay <= Duration::from_secs(7), "{delay:?}");
                paced += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    (sent, paced)
}

#[tokio::test]
async fn red_or_flagged_numbers_send_marketing_at_the_degraded_pace() {
    let e = env_with(std::sync::Arc::new(Sandbox::new()), slow_config());
    // Healthy (no state, then GREEN): all five go in the same instant.
    assert_eq!(run_marketing(&e, "a", 5).await, (5, 0));
    e.set(keys::quality_latest(PHONE), json!({"rating": "GREEN", "flagged": false})).await;
    assert_eq!(run_marketing(&e, "b", 5).await, (5, 0));
    // RED: two per second; the others come back later (paced, not refused).
    e.set(keys::quality_latest(PHONE), json!({"rating": "RED"})).await;
    e.clock.advance(Duration::from_secs(10));
    let (sent, paced) = run_marketing(&e, "c", 5).await;
    assert_eq!(sent, 2, "the degraded budget of this second");
    assert_eq!(paced, 3);
    // Utility templates from the same number keep the full pace.
    for i in 0..4 {
        let out = e.run(&template(&format!("u{i}"), "order_update", Some("utility"))).await;
        assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");
    }
    // FLAGGED with a GREEN rating is degraded too.
    e.set(keys::quality_latest(PHONE), json!({"rating": "GREEN", "flagged": true})).await;
    e.clock.advance(Duration::from_secs(10));
    assert_eq!(run_marketing(&e, "d", 4).await.0, 2);
    assert!(e.events_of(wapipe_core::domain::events::EventType::SendRejected).is_empty());
}

#[tokio::test]
async fn a_template_paused_by_the_snapshotter_is_refused() {
    let e = env();
    let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap();
    let obs = |s: i64, status: &str| TemplateObservation {
        waba_id: WABA.into(),
        name: "promo".into(),
        language: "en_US".into(),
        template_id: None,
        source: Source::Webhook,
        observed_at: at(s),
        status: Some(status.into()),
        quality: None,
        category: Some("MARKETING".into()),
    };
    apply_template_observation(&*e.store, &obs(T0 - 100, "PAUSED"), at(T0)).await.unwrap();
    // A late APPROVED from before the pause does not lift it.
    apply_template_observation(&*e.store, &obs(T0 - 200, "APPROVED"), at(T0)).await.unwrap();
    let out = e.run(&template("p1", "promo", None)).await;
    assert!(matches!(&out, Outcome::Rejected { rule, .. } if rule == "template_paused"), "{out:?}");
    // Reinstated later: sends go again.
    apply_template_observation(&*e.store, &obs(T0 - 50, "APPROVED"), at(T0)).await.unwrap();
    let out = e.run(&template("p2", "promo", None)).await;
    assert!(matches!(&out, Outcome::Accepted { .. }), "{out:?}");
}
