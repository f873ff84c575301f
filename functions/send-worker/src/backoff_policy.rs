//! Retry delays for transient send failures: exponential with jitter (the `backoff` crate),
//! capped, and floored by what the error asks for (pair rate ≥ the pair interval, "later"
//! codes ≥ 5 minutes).

use std::time::Duration;

use backoff::backoff::Backoff;
use backoff::ExponentialBackoffBuilder;
use wapipe_core::domain::meta_errors::Retry;

use crate::Config;

/// Floor for codes Meta says to retry "later" (80007, 4, 131016, …).
pub const LATER_FLOOR: Duration = Duration::from_secs(300);

/// The delay before attempt `attempt + 1`, after `attempt` failed calls (1-based).
pub fn delay(config: &Config, retry: Retry, attempt: u32) -> Duration {
    let mut b = ExponentialBackoffBuilder::new()
        .with_initial_interval(config.backoff_initial)
        .with_multiplier(2.0)
        .with_randomization_factor(config.jitter.clamp(0.0, 1.0))
        .with_max_interval(config.backoff_max)
        .with_max_elapsed_time(None)
        .build();
    let mut d = config.backoff_initial;
    for _ in 0..attempt.clamp(1, 32) {
        d = b.next_backoff().unwrap_or(config.backoff_max);
    }
    let floor = match retry {
        Retry::PairRate => config.pair_interval,
        Retry::Later => LATER_FLOOR,
        Retry::Backoff | Retry::Never => Duration::ZERO,
    };
    d.max(floor).min(config.backoff_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_floored() {
        let c = Config { jitter: 0.0, ..Config::default() };
        let ds: Vec<u64> = (1..=12).map(|a| delay(&c, Retry::Backoff, a).as_secs()).collect();
        assert_eq!(&ds[..5], &[2, 4, 8, 16, 32]);
        assert!(ds.iter().all(|d| *d <= 900));
        assert_eq!(ds[11], 900);
        assert_eq!(delay(&c, Retry::PairRate, 1), Duration::from_secs(6));
        assert_eq!(delay(&c, Retry::Later, 1), LATER_FLOOR);
        let j = Config::default();
        for a in 1..6 {
            let d = delay(&j, Retry::Backoff, a).as_secs_f64();
            let mid = 2f64 * 2f64.powi(a as i32 - 1);
            assert!(d >= mid * 0.5 - 0.01 && d <= mid * 1.5 + 0.01, "attempt {a}: {d}");
        }
    }
}
