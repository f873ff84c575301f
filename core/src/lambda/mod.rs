//! Lambda glue shared by the functions: SQS batch responses and Function URL requests.

pub mod http;
pub mod sqs_event;
