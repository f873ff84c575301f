//! The clock port: the one way code that decides on time learns the time.

/// Wall-clock time, injectable for tests.
pub trait Clock: Send + Sync {
    /// The current time (UTC for the real clock).
    fn now(&self) -> time::OffsetDateTime;
}

/// The real clock: the system time in UTC.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

/// A clock that stays where it is set: deterministic tests and replays.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub time::OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> time::OffsetDateTime {
        self.0
    }
}

impl<T: Clock + ?Sized> Clock for std::sync::Arc<T> {
    fn now(&self) -> time::OffsetDateTime {
        (**self).now()
    }
}
