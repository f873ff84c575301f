//! EUM Social error responses (docs/PROTOCOL.md §2.1): an HTTP status, the `x-amzn-errortype` header and a
//! `{"message": …}` body.

use serde::{Deserialize, Serialize};

/// One error as EUM Social returns it. Used both by the routes (real validation failures) and by
/// fault injection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EumError {
    /// HTTP status. When omitted in JSON it is derived from `error_type` (see [`status_for`]).
    #[serde(default)]
    pub status: u16,
    /// Modeled error name, sent in `x-amzn-errortype` (e.g. `ThrottledRequestException`).
    pub error_type: String,
    /// Human readable text, sent as the body's `message`.
    #[serde(default)]
    pub message: String,
}

/// HTTP status EUM uses for a modeled error type (docs/PROTOCOL.md §2.1). Unknown types map to 400.
pub fn status_for(error_type: &str) -> u16 {
    match error_type {
        "AccessDeniedException" | "AccessDeniedByMetaException" => 403,
        "ConflictException" => 409,
        "DependencyException" => 502,
        "InternalServiceException" => 500,
        "ResourceNotFoundException" => 404,
        "ThrottledRequestException" => 429,
        _ => 400,
    }
}

impl EumError {
    /// An error with an explicit status.
    pub fn new(status: u16, error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self { status, error_type: error_type.into(), message: message.into() }
    }

    /// An error whose status is the usual one for `error_type`.
    pub fn of_type(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        let error_type = error_type.into();
        Self { status: status_for(&error_type), error_type, message: message.into() }
    }

    /// 429 `ThrottledRequestException` "Rate exceeded" (EUM API TPS).
    pub fn throttled() -> Self {
        Self::new(429, "ThrottledRequestException", "Rate exceeded")
    }

    /// 500 `InternalServiceException`.
    pub fn internal() -> Self {
        Self::new(500, "InternalServiceException", "Internal service error")
    }

    /// 502 `DependencyException` (Meta unreachable or failing).
    pub fn dependency() -> Self {
        Self::new(502, "DependencyException", "Dependency failure: Meta Graph API returned an error")
    }

    /// 400 `ValidationException` with the given text.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }

    /// 400 `InvalidParametersException` with the given text.
    pub fn invalid_parameters(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidParametersException", message)
    }

    /// 400 `ValidationException` carrying Meta's `(#131026) Message undeliverable` text.
    pub fn undeliverable() -> Self {
        Self::validation("(#131026) Message undeliverable")
    }

    /// 400 `ValidationException` carrying a Meta error code and title, e.g. `(#131047) Re-engagement message`.
    pub fn meta(code: u32, title: &str) -> Self {
        Self::validation(format!("(#{code}) {title}"))
    }

    /// 404 `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "ResourceNotFoundException", message)
    }

    /// 403 `AccessDeniedException`.
    pub fn access_denied() -> Self {
        Self::new(403, "AccessDeniedException", "User is not authorized to perform this action")
    }

    /// 409 `ConflictException`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "ConflictException", message)
    }

    /// Fills a missing (0 or out of range) status from the error type.
    pub fn normalized(mut self) -> Self {
        if !(100..=599).contains(&self.status) {
            self.status = status_for(&self.error_type);
        }
        if self.error_type.is_empty() {
            self.error_type = "InternalServiceException".to_string();
        }
        self
    }

    /// The JSON body EUM sends: `{"message": …}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "message": self.message })
    }
}

impl std::fmt::Display for EumError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.error_type, self.message)
    }
}

impl std::error::Error for EumError {}
