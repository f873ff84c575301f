//! The flow endpoint's budget (docs/ARCHITECTURE.md §9: p99 < 50 ms in-process, network excluded):
//! one request = signature check → RSA-OAEP unwrap → AES-GCM decrypt → session read → route
//! (with a table lookup) → conditional step write → AES-GCM encrypt, on in-memory adapters.
//!
//! Criterion reports the mean and median; the loop at the end prints p50/p90/p99/max over
//! `WAPIPE_FLOW_BENCH_N` (default 2000) requests of each kind, measured in the same run.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use flow_endpoint::{registry, FlowEndpoint, HttpRequest};
use rsa::rand_core::OsRng;
use rsa::RsaPrivateKey;
use serde_json::json;
use time::OffsetDateTime;
use wapipe_core::domain::flows::crypto::{encrypt_request_as_meta, KeyRing};
use wapipe_core::domain::flows::token::{issue_flow_token, FlowTokenSpec};
use wapipe_core::domain::keys;
use wapipe_core::domain::signature::sign;
use wapipe_core::memory::MemoryStore;
use wapipe_core::ports::{FixedClock, Item, Store, Write};

const SECRET: &[u8] = b"bench_app_secret";
const POOL: usize = 32;

struct Setup {
    rt: tokio::runtime::Runtime,
    ep: FlowEndpoint<Arc<MemoryStore>, FixedClock>,
    ping: Vec<HttpRequest>,
    step: Vec<HttpRequest>,
}

fn request(public: &rsa::RsaPublicKey, plain: &serde_json::Value) -> HttpRequest {
    let (req, _) = encrypt_request_as_meta(public, plain.to_string().as_bytes(), &mut OsRng).expect("encrypt");
    let body = json!({"encrypted_flow_data": req.encrypted_flow_data, "encrypted_aes_key": req.encrypted_aes_key,
                      "initial_vector": req.initial_vector})
    .to_string()
    .into_bytes();
    let mut headers = BTreeMap::new();
    headers.insert("x-hub-signature-256".to_string(), sign(SECRET, &body));
    HttpRequest { method: "POST".into(), path: "/".into(), query: String::new(), headers, body }
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let key = RsaPrivateKey::new(&mut OsRng, 2048).expect("key");
    let public = key.to_public_key();
    let now = OffsetDateTime::now_utc();
    let store = Arc::new(MemoryStore::new());
    let spec = FlowTokenSpec {
        flow: "appointment",
        phone_number_id: "106540352242922",
        recipient: "919876543210",
        request_id: None,
        wamid: None,
        token: None,
        ttl: Some(time::Duration::days(1)),
    };
    let issued = issue_flow_token(&spec, now).expect("token");
    let title = keys::flow_data("departments", "eye");
    rt.block_on(async {
        store.write(issued.write).await.expect("session");
        store.write(Write::put(Item::new(title.pk, title.sk).with("title", "Eye care"))).await.expect("lookup");
    });
    let ep = FlowEndpoint {
        flows: registry(None).expect("definitions"),
        store,
        clock: FixedClock(now),
        keys: KeyRing::new(key, None),
        app_secret: Some(SECRET.to_vec()),
    };
    let ping = (0..POOL).map(|_| request(&public, &json!({"version": "3.0", "action": "ping"}))).collect();
    let step_plain = json!({"version": "3.0", "action": "data_exchange", "screen": "DETAILS", "flow_token": issued.token,
        "data": {"department": "eye", "date": "2025-10-01", "name": "Ada", "email": "ada@example.com"}});
    let step = (0..POOL).map(|_| request(&public, &step_plain)).collect();
    Setup { rt, ep, ping, step }
}

fn answer(s: &Setup, req: &HttpRequest) {
    let res = s.rt.block_on(s.ep.handle(req));
    assert_eq!(res.status, 200, "{}", res.body);
}

fn percentiles(name: &str, s: &Setup, reqs: &[HttpRequest], n: usize) {
    let mut times: Vec<Duration> = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        answer(s, &reqs[i % reqs.len()]);
        times.push(started.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    println!(
        "flow-endpoint {name}: n={n} p50={:.3} ms p90={:.3} ms p99={:.3} ms max={:.3} ms (budget p99 < 50 ms)",
        at(0.50).as_secs_f64() * 1e3,
        at(0.90).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
}

fn bench(c: &mut Criterion) {
    let s = setup();
    let mut g = c.benchmark_group("flow_endpoint");
    g.sample_size(50);
    let mut i = 0;
    g.bench_function("ping", |b| {
        b.iter(|| {
            i += 1;
            answer(&s, &s.ping[i % POOL]);
        })
    });
    g.bench_function("data_exchange_with_lookup", |b| {
        b.iter(|| {
            i += 1;
            answer(&s, &s.step[i % POOL]);
        })
    });
    g.finish();
    let n = std::env::var("WAPIPE_FLOW_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    percentiles("ping", &s, &s.ping, n);
    percentiles("data_exchange_with_lookup", &s, &s.step, n);
}

criterion_group!(benches, bench);
criterion_main!(benches);
