//! flow-endpoint: the WhatsApp Flows data-exchange endpoint behind a Lambda Function URL
//! (decrypt → route → encrypt, docs/PROTOCOL.md §4) and the store of flow responses (the
//! `whatsapp.flow.completed` events, from its SQS queue). Plain async handlers over ports;
//! `main` only wires.

// No panics in shipped code (tests may): see `[workspace.lints]` in Cargo.toml.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod completions;
pub mod definition;
pub mod endpoint;
pub mod lambda;
pub mod router;

use std::path::Path;

pub use completions::{Completions, QueueRecord};
pub use definition::{Definition, DefinitionError};
pub use endpoint::FlowEndpoint;
pub use router::{Action, BoxFuture, DeclarativeFlow, Flow, FlowError, FlowRegistry, Reply, StepInput};
pub use wapipe_core::lambda::http::{HttpRequest, HttpResponse};

use wapipe_core::ports::Store;

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// The flow definitions built into the binary (from the repo's `flows/`).
pub fn bundled_definitions() -> Result<Vec<Definition>, DefinitionError> {
    bundled::BUNDLED.iter().map(|(_, text)| Definition::parse(text)).collect()
}

/// The definitions in `dir` (`*.json`, not `*.flow.json`), sorted by file name.
pub fn definitions_in(dir: &Path) -> Result<Vec<Definition>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    files.retain(|p| {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        n.ends_with(".json") && !n.ends_with(".flow.json")
    });
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Definition::parse(&text).map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect()
}

/// A registry of the built-in definitions plus those of `dir` (which win on the same flow).
pub fn registry<S: Store + 'static>(dir: Option<&Path>) -> Result<FlowRegistry<S>, String> {
    let mut reg = FlowRegistry::default();
    for d in bundled_definitions().map_err(|e| e.to_string())? {
        reg.add_definition(d);
    }
    if let Some(dir) = dir {
        for d in definitions_in(dir)? {
            reg.add_definition(d);
        }
    }
    Ok(reg)
}
