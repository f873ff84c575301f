//! The application layer: what coordinates the ports. The domain decides (pure functions over
//! plain data); this layer reads, writes, publishes and retries on its behalf.
//!
//! - [`consumer`]: the one runtime every SQS consumer runs on (ordering keys, concurrency,
//!   retry and parking);
//! - [`publish`]: domain events onto the bus in size-bounded `PutEvents` batches, with retries;
//! - [`paging`]: reading every page of a store query, bounded;
//! - [`conversions`]: click-to-WhatsApp ad clicks reported to Meta's Conversions API, once each;
//! - [`business`]: business settings (profile, catalog, calling, groups) kept in the table;
//! - [`quality`]: applying quality and template observations to the table.

pub mod business;
pub mod consumer;
pub mod conversions;
pub mod feed;
pub mod paging;
pub mod publish;
pub mod quality;
