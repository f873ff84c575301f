//! Settings read from the environment by the functions at init.

/// A setting from the environment that is present but unusable.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault (`WAPIPE_TABLE`, …).
    pub name: &'static str,
    /// What is wrong with it (`required`, or why its value is refused).
    pub problem: String,
}

/// A variable that must be set and not blank.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    optional(name).ok_or(ConfigError { name, problem: "required".into() })
}

/// A variable, `None` when unset or blank.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// What every function that keeps state and publishes reads from its environment.
#[derive(Clone, Debug)]
pub struct TableAndBus {
    /// `WAPIPE_TABLE`.
    pub table: String,
    /// `WAPIPE_EVENT_BUS`.
    pub event_bus: String,
}

impl TableAndBus {
    /// `WAPIPE_TABLE` and `WAPIPE_EVENT_BUS`, both required.
    pub fn from_env() -> Result<TableAndBus, ConfigError> {
        Ok(TableAndBus { table: required("WAPIPE_TABLE")?, event_bus: required("WAPIPE_EVENT_BUS")? })
    }
}
