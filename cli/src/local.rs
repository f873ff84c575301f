//! Local mode: the functions in one process on in-memory adapters, with state that can be
//! loaded from and saved to a JSON file (`--state FILE`) so commands can be chained.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wapipe_shared::domain::events::DomainEvent;
use wapipe_shared::memory::{MemoryBus, MemoryQueue, MemoryStore};
use wapipe_shared::ports::{Item, SystemClock};
use wapipe_shared::publish::RetryPolicy;
use webhook_ingest::{Config, Ingest};

/// The queue URL local mode uses for the ingest queue.
pub const INGEST_QUEUE: &str = "local://wapipe-ingest";

pub type LocalIngest = Ingest<Arc<MemoryStore>, Arc<MemoryBus>, SystemClock>;

/// On-disk form of local state.
#[derive(Serialize, Deserialize, Default)]
struct StateFile {
    version: u32,
    items: Vec<Item>,
    events: Vec<DomainEvent>,
}

const STATE_VERSION: u32 = 1;

pub struct Local {
    pub store: Arc<MemoryStore>,
    pub bus: Arc<MemoryBus>,
    pub queue: Arc<MemoryQueue>,
    pub ingest: LocalIngest,
    /// Events published by earlier commands on the same state file.
    history: Vec<DomainEvent>,
    state_file: Option<PathBuf>,
}

impl Local {
    /// Start empty, or from `state` when the file exists.
    pub fn open(state: Option<&Path>) -> Result<Local, String> {
        let loaded = match state {
            Some(p) if p.exists() => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("cannot read state file {}: {e}", p.display()))?;
                let s: StateFile = serde_json::from_str(&text)
                    .map_err(|e| format!("state file {} is not wapipe state: {e}", p.display()))?;
                if s.version != STATE_VERSION {
                    return Err(format!(
                        "state file {} has version {}, expected {STATE_VERSION}",
                        p.display(),
                        s.version
                    ));
                }
                s
            }
            _ => StateFile::default(),
        };
        let store = Arc::new(MemoryStore::from_items(loaded.items));
        let bus = Arc::new(MemoryBus::new());
        let queue = Arc::new(MemoryQueue::new());
        let config = Config { publish: RetryPolicy::immediate(3), ..Config::default() };
        let ingest = Ingest::new(store.clone(), bus.clone(), SystemClock, config);
        Ok(Local { store, bus, queue, ingest, history: loaded.events, state_file: state.map(Path::to_path_buf) })
    }

    /// Save to the state file, if one was given (atomically: write then rename).
    pub fn save(&self) -> Result<(), String> {
        let Some(path) = &self.state_file else { return Ok(()) };
        let mut events = self.history.clone();
        events.extend(self.bus.events());
        let s = StateFile { version: STATE_VERSION, items: self.store.snapshot(), events };
        let text = serde_json::to_string(&s).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}
