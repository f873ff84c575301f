//! Requests validated and serialised per second: parse (with field paths) + validate + the
//! exact Cloud API JSON, per kind, against parsing the same bytes into `serde_json::Value`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use wapipe_core::domain::outbound::parse_request;
use wapipe_core::domain::send_record::callback_data;

const KINDS: &[(&str, &str)] = &[
    ("text", include_str!("../../../examples/send/text.json")),
    ("interactive-list", include_str!("../../../examples/send/interactive-list.json")),
    ("order-details", include_str!("../../../examples/send/order-details.json")),
    ("template-carousel", include_str!("../../../examples/send/template-carousel.json")),
];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("outbound");
    g.throughput(Throughput::Elements(1));
    for (name, body) in KINDS {
        g.bench_function(format!("{name}/parse+validate+serialise"), |b| {
            b.iter(|| {
                let req = parse_request(black_box(body)).expect("valid sample");
                req.validate().expect("valid sample");
                let cb = callback_data(&req.request_id);
                black_box(req.cloud_json(Some(&cb)).expect("serialisable"))
            })
        });
        g.bench_function(format!("{name}/serde_json::Value baseline"), |b| {
            b.iter(|| black_box(serde_json::from_str::<serde_json::Value>(black_box(body)).expect("JSON")))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
