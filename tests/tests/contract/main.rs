//! The adapter contract suite: each case is written once, generic over the port, and run
//! against the in-memory adapters and (with `WAPIPE_EMULATOR_ENDPOINT`) the AWS adapters on
//! the emulator, so both behave alike. Without the emulator the `emulator::` cases print a
//! note and pass, except in CI (env `CI`), where they fail.
//!
//! Cases live in `store.rs`, `bus.rs` and `queue.rs`; this file holds the backends and runs
//! every case on each.

mod bus;
mod queue;
mod store;

use wapipe_core::aws::{DynamoStore, EventBridgeBus, SqsQueue};
use wapipe_core::memory::{MemoryBus, MemoryQueue, MemoryStore};
use wapipe_tests::{create_bus_to_queue, create_queue, create_table, emulator_config, require_emulator};

use bus::EmulatorBus;

async fn memory_store() -> Option<MemoryStore> {
    Some(MemoryStore::new())
}

async fn memory_bus() -> Option<MemoryBus> {
    Some(MemoryBus::new())
}

async fn memory_queue() -> Option<(MemoryQueue, String)> {
    Some((MemoryQueue::new(), "memory://contract".to_string()))
}

async fn emulator_store() -> Option<DynamoStore> {
    let conf = emulator_config(&require_emulator()?).await;
    let client = aws_sdk_dynamodb::Client::new(&conf);
    let table = create_table(&client).await;
    Some(DynamoStore::new(client, table))
}

async fn emulator_bus() -> Option<EmulatorBus> {
    let conf = emulator_config(&require_emulator()?).await;
    let eb = aws_sdk_eventbridge::Client::new(&conf);
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let route = create_bus_to_queue(&eb, &sqs).await;
    Some(EmulatorBus { bus: EventBridgeBus::new(eb, route.bus_name), sqs, queue_url: route.queue_url })
}

async fn emulator_queue() -> Option<(SqsQueue, String)> {
    let conf = emulator_config(&require_emulator()?).await;
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let url = create_queue(&sqs, 30).await;
    Some((SqsQueue::new(sqs), url))
}

macro_rules! suite {
    ($backend:ident { $($make:ident => $module:ident::[$($case:ident),* $(,)?]),* $(,)? }) => {
        mod $backend {
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    if let Some(fixture) = super::$make().await {
                        super::$module::$case(fixture).await
                    }
                }
            )*)*
        }
    };
}

suite!(memory {
    memory_store => store::[
        put_get, conditional_put_on_missing_item, monotonic_update_under_reordering, add_counters, set_if_missing,
        remove_attribute, delete_with_condition, transact_all_or_nothing, transact_rejects_invalid_requests, query_table, query_gsi1,
        nested_values_round_trip, concurrent_conditional_puts, get_many_missing_and_duplicate_keys,
        get_many_more_than_one_batch, update_returns_the_new_item, update_condition_failed_writes_nothing,
        update_condition_failed_returns_old_item,
    ],
    memory_bus => bus::[bus_publishes_ten, bus_rejects_eleven],
    memory_queue => queue::[queue_visibility_cycle, queue_depth_counts],
});

suite!(emulator {
    emulator_store => store::[
        put_get, conditional_put_on_missing_item, monotonic_update_under_reordering, add_counters, set_if_missing,
        remove_attribute, delete_with_condition, transact_all_or_nothing, transact_rejects_invalid_requests, query_table, query_gsi1,
        nested_values_round_trip, concurrent_conditional_puts, get_many_missing_and_duplicate_keys,
        get_many_more_than_one_batch, update_returns_the_new_item, update_condition_failed_writes_nothing,
    ],
    emulator_bus => bus::[bus_publishes_ten, bus_rejects_eleven],
    emulator_queue => queue::[queue_visibility_cycle, queue_depth_counts],
});
