//! WhatsApp Flows (docs/PROTOCOL.md §4): the data-exchange encryption, flow tokens and their
//! sessions, stored flow responses, and Flow JSON checks. Pure apart from randomness
//! (RSA blinding, keys and tokens).

pub mod crypto;
pub mod responses;
pub mod token;
pub mod token_signature;
pub mod validate;

pub use token::{issue_flow_token, FlowTokenSpec, IssuedFlowToken};
