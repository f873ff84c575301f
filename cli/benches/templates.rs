//! Template definitions checked per second (`wapipe templates validate|create` run this before
//! any EUM call), per example kind, against parsing the same bytes into `serde_json::Value`;
//! and a capability registry lookup (every NotSupported answer does one).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use wapipe_core::capabilities::require_eum;
use wapipe_core::domain::templates::validate_text;

const KINDS: &[(&str, &str)] = &[
    ("utility", include_str!("../../examples/templates/order-update-utility.json")),
    ("named", include_str!("../../examples/templates/welcome-named.json")),
    ("auth-one-tap", include_str!("../../examples/templates/auth-one-tap.json")),
    ("carousel", include_str!("../../examples/templates/summer-carousel.json")),
    ("lto", include_str!("../../examples/templates/flash-sale-lto.json")),
];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("templates");
    g.throughput(Throughput::Elements(1));
    for (name, body) in KINDS {
        g.bench_function(format!("{name}/validate"), |b| {
            b.iter(|| black_box(validate_text(black_box(body)).expect("valid example")))
        });
        g.bench_function(format!("{name}/serde_json::Value baseline"), |b| {
            b.iter(|| black_box(serde_json::from_str::<serde_json::Value>(black_box(body)).expect("JSON")))
        });
    }
    g.finish();
    c.bench_function("capabilities/require_eum(not supported)", |b| {
        b.iter(|| black_box(require_eum(black_box("phone_display_name")).is_err()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
