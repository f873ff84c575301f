//! Pure domain logic: no I/O.

pub mod envelope;
pub mod event_catalogue;
pub mod events;
pub mod feed;
pub mod flows;
pub mod ingest_plan;
pub mod keys;
pub mod media_rules;
pub mod meta_errors;
pub mod normalize;
pub mod outbound;
pub mod parking;
pub mod payments;
pub mod quality;
pub mod routes;
pub mod send_record;
pub mod signature;
pub mod status;
pub mod table;
pub mod templates;
pub mod webhook;
