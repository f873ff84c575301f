//! Pure domain logic: no I/O.

pub mod catalogue;
pub mod envelope;
pub mod events;
pub mod keys;
pub mod meta_errors;
pub mod normalize;
pub mod send_record;
pub mod signature;
pub mod unit;
pub mod webhook;
