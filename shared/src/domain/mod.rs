//! Pure domain logic: no I/O.

pub mod catalogue;
pub mod envelope;
pub mod events;
pub mod flows;
pub mod keys;
pub mod meta_errors;
pub mod normalize;
pub mod outbound;
pub mod parking;
pub mod send_record;
pub mod signature;
pub mod status;
pub mod unit;
pub mod webhook;
