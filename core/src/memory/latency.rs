//! Simulated service latency for the in-memory adapters: in Lambda a batch is billed for the
//! time it waits, so handlers are measured under latency, not on adapters that answer in
//! nanoseconds.
//!
//! A [`LatencySpec`] says how long each service takes per call, fixed or as a p50/p99 pair:
//! `dynamodb=5ms,eventbridge=20ms,sqs=10ms,eum=150ms` or `dynamodb=5ms/40ms`. The in-memory
//! adapters (`set_latency`) and the sandbox sleep that long with `tokio::time::sleep` before
//! each call: real sleeps in local mode (`wapipe --latency`), virtual ones on tokio's paused
//! clock in benchmarks (deterministic and fast). [`Latency`] also counts the calls per service.
//!
//! The number of *sequential* round trips on a batch's critical path is what the benches
//! report: run the batch with every service at [`LatencySpec::unit`] (1 ms each) on the paused
//! clock, and the virtual time it took, in ms, is that number.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The services a spec names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// DynamoDB (`dynamodb` in a spec): the in-memory store.
    DynamoDb,
    /// EventBridge (`eventbridge`): the in-memory bus.
    EventBridge,
    /// SQS (`sqs`): the in-memory queues.
    Sqs,
    /// EUM Social (`eum`): the sandbox's sends and number lookups.
    Eum,
}

impl Service {
    /// Every service, in declaration order (which indexes the call counts).
    pub const ALL: [Service; 4] = [Service::DynamoDb, Service::EventBridge, Service::Sqs, Service::Eum];

    /// The name a spec uses: `dynamodb`, `eventbridge`, `sqs` or `eum`.
    pub fn name(self) -> &'static str {
        match self {
            Service::DynamoDb => "dynamodb",
            Service::EventBridge => "eventbridge",
            Service::Sqs => "sqs",
            Service::Eum => "eum",
        }
    }

    fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// How long one call takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Delay {
    /// Always this long.
    Fixed(Duration),
    /// Log-normal with this median and 99th percentile.
    Percentiles {
        /// The median.
        p50: Duration,
        /// The 99th percentile; not below `p50`.
        p99: Duration,
    },
}

/// A spec that does not parse; names the part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("latency spec `{part}`: {problem} (expected e.g. dynamodb=5ms,eventbridge=20ms,sqs=10ms,eum=150ms; a p50/p99 pair as dynamodb=5ms/40ms)")]
pub struct SpecError {
    /// The comma-separated part at fault, as written.
    pub part: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Per-service latency; services not named take no time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatencySpec {
    /// How long a call to each service takes; a service missing here takes no time.
    pub delays: BTreeMap<Service, Delay>,
}

/// The latencies the benches use unless told otherwise.
pub const TYPICAL: &str = "dynamodb=5ms,eventbridge=20ms,sqs=10ms,eum=150ms";

impl LatencySpec {
    /// Parse comma-separated `service=duration` parts (`5ms`, `1s`, `250us`; at most 60 s), or
    /// `service=p50/p99` (`5ms/40ms`). Each service at most once; an empty spec names none.
    pub fn parse(spec: &str) -> Result<LatencySpec, SpecError> {
        let mut delays = BTreeMap::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let err = |problem: &str| SpecError { part: part.to_string(), problem: problem.to_string() };
            let (name, value) = part.split_once('=').ok_or_else(|| err("expected service=duration"))?;
            let service = Service::parse(name.trim())
                .ok_or_else(|| err("unknown service (dynamodb, eventbridge, sqs or eum)"))?;
            let delay = match value.split_once('/') {
                None => Delay::Fixed(duration(value).ok_or_else(|| err("not a duration such as 5ms or 1s"))?),
                Some((a, b)) => {
                    let p50 = duration(a).ok_or_else(|| err("p50 is not a duration"))?;
                    let p99 = duration(b).ok_or_else(|| err("p99 is not a duration"))?;
                    if p99 < p50 {
                        return Err(err("p99 is below p50"));
                    }
                    Delay::Percentiles { p50, p99 }
                }
            };
            if delays.insert(service, delay).is_some() {
                return Err(err("service named twice"));
            }
        }
        Ok(LatencySpec { delays })
    }

    /// Every service at 1 ms: a batch's virtual duration in ms is its sequential round trips.
    pub fn unit() -> LatencySpec {
        LatencySpec { delays: Service::ALL.into_iter().map(|s| (s, Delay::Fixed(Duration::from_millis(1)))).collect() }
    }

    /// The [`TYPICAL`] latencies.
    pub fn typical() -> LatencySpec {
        // The constant is valid; a failure here is a programming error caught by the tests.
        LatencySpec::parse(TYPICAL).unwrap_or_default()
    }
}

fn duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit() && c != '.').map(|i| s.split_at(i))?;
    let n: f64 = num.parse().ok()?;
    let ms = match unit {
        "us" | "µs" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => return None,
    };
    (ms.is_finite() && (0.0..=60_000.0).contains(&ms)).then(|| Duration::from_micros((ms * 1000.0).round() as u64))
}

/// The shared clock-free state of one simulation: the spec, a seeded generator for the
/// percentile draws, and the call counts.
#[derive(Debug)]
pub struct Latency {
    spec: LatencySpec,
    seed: Mutex<u64>,
    calls: [AtomicU64; 4],
}

impl Latency {
    /// A simulation of `spec` with every call count at zero; share the `Arc` between adapters.
    pub fn new(spec: LatencySpec) -> Arc<Latency> {
        Arc::new(Latency { spec, seed: Mutex::new(0x9E37_79B9_7F4A_7C15), calls: Default::default() })
    }

    /// Calls made to a service so far.
    pub fn calls(&self, service: Service) -> u64 {
        self.calls.get(service as usize).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Calls per service, by name.
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        Service::ALL.into_iter().map(|s| (s.name(), self.calls(s))).collect()
    }

    /// Set every call count back to zero.
    pub fn reset(&self) {
        for c in &self.calls {
            c.store(0, Ordering::Relaxed);
        }
    }

    fn next_unit(&self) -> f64 {
        // splitmix64: deterministic per run, no dependency.
        let mut s = self.seed.lock().unwrap_or_else(|p| p.into_inner());
        *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn delay(&self, service: Service) -> Duration {
        match self.spec.delays.get(&service) {
            None => Duration::ZERO,
            Some(Delay::Fixed(d)) => *d,
            Some(Delay::Percentiles { p50, p99 }) => {
                // Log-normal: median p50, and p99 = p50·e^(2.326σ).
                let (m, q) = (p50.as_secs_f64(), p99.as_secs_f64());
                if m <= 0.0 {
                    return Duration::ZERO;
                }
                let sigma = (q / m).ln() / 2.326_347_9;
                let (u1, u2) = (self.next_unit(), self.next_unit());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                Duration::from_secs_f64((m * (sigma * z).exp()).min(60.0))
            }
        }
    }

    /// Count a call and wait as long as the service takes.
    pub async fn call(&self, service: Service) {
        if let Some(c) = self.calls.get(service as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let d = self.delay(service);
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }
}

/// Where an in-memory adapter keeps its simulated latency (none until set): each of its
/// operations waits [`Latency::call`] for its service first.
#[derive(Debug, Default)]
pub struct LatencySlot(Mutex<Option<Arc<Latency>>>);

impl LatencySlot {
    /// Simulate `latency` on every call from now on.
    pub fn set(&self, latency: Arc<Latency>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(latency);
    }

    /// Stop simulating; the latency that was set.
    pub fn take(&self) -> Option<Arc<Latency>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Count a call to `service` and wait as long as it takes; at once when no latency is set.
    pub async fn wait(&self, service: Service) {
        let latency = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(l) = latency {
            l.call(service).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
    use crate::ports::{Item, Store, Write};

    #[test]
    fn specs_parse_and_errors_name_the_part() {
        let s = LatencySpec::parse(TYPICAL).unwrap();
        assert_eq!(s.delays[&Service::Eum], Delay::Fixed(Duration::from_millis(150)));
        let s = LatencySpec::parse("dynamodb=5ms/40ms, sqs=1s").unwrap();
        let p = Delay::Percentiles { p50: Duration::from_millis(5), p99: Duration::from_millis(40) };
        assert_eq!(s.delays[&Service::DynamoDb], p);
        assert_eq!(s.delays[&Service::Sqs], Delay::Fixed(Duration::from_secs(1)));
        for (bad, part) in [("redis=5ms", "redis=5ms"), ("dynamodb", "dynamodb"), ("sqs=5 parsecs", "sqs=5 parsecs")] {
            let e = LatencySpec::parse(bad).unwrap_err();
            assert_eq!(e.part, part);
        }
        assert!(LatencySpec::parse("eum=10ms/5ms").unwrap_err().problem.contains("below p50"));
        assert!(LatencySpec::parse("eum=1ms,eum=2ms").unwrap_err().problem.contains("twice"));
    }

    #[tokio::test(start_paused = true)]
    async fn calls_wait_their_latency_and_are_counted() {
        let latency = Latency::new(LatencySpec::parse("dynamodb=5ms").unwrap());
        let store = MemoryStore::new();
        store.set_latency(latency.clone());
        let t = tokio::time::Instant::now();
        store.write(Write::put(Item::new("p", "s"))).await.unwrap();
        let (a, b) = tokio::join!(store.get("p", "s"), store.get("p", "x"));
        assert!(a.unwrap().is_some() && b.unwrap().is_none());
        assert_eq!(t.elapsed(), Duration::from_millis(10), "a write, then two reads at once");
        assert_eq!(latency.calls(Service::DynamoDb), 3);
    }

    #[test]
    fn percentile_draws_have_their_median_and_tail() {
        let p = Delay::Percentiles { p50: Duration::from_millis(10), p99: Duration::from_millis(100) };
        let latency = Latency::new(LatencySpec { delays: [(Service::Eum, p)].into_iter().collect() });
        let mut draws: Vec<f64> = (0..20_000).map(|_| latency.delay(Service::Eum).as_secs_f64() * 1000.0).collect();
        draws.sort_by(f64::total_cmp);
        let (p50, p99) = (draws[10_000], draws[19_800]);
        assert!((9.0..11.0).contains(&p50), "p50 {p50}");
        assert!((85.0..115.0).contains(&p99), "p99 {p99}");
    }
}
