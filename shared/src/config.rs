//! Settings read from the environment by the functions at init.

/// A setting from the environment that is present but unusable.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}
