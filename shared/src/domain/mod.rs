//! Pure domain logic: no I/O.

pub mod business;
pub mod envelope;
pub mod event_catalogue;
pub mod events;
pub mod flows;
pub mod keys;
pub mod meta_errors;
pub mod normalize;
pub mod outbound;
pub mod parking;
pub mod payments;
pub mod quality;
pub mod send_record;
pub mod signature;
pub mod status;
pub mod templates;
pub mod unit;
pub mod webhook;
