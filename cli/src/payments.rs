//! `wapipe payments`: orders and their ledgers (show, list), and the operator commands
//! (refund, refund-done, mark-paid). On local state (`--state FILE`) the command runs through
//! the payment processor in this process and its answer is printed (exit 3 when refused); with
//! `--table NAME --event-bus NAME` the command is checked against the table, then published on
//! the bus for the deployed processor.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use payment_processor::razorpay::Razorpay;
use payment_processor::{Config, Processor};
use serde_json::{json, Map, Value};
use wapipe_core::app::conversions::Conversions;
use wapipe_core::app::publish::{publish_all, RetryPolicy};
use wapipe_core::aws::{sdk_config, DynamoStore, EventBridgeBus};
use wapipe_core::domain::events::{event_id, DomainEvent, Envelope, EventType};
use wapipe_core::domain::keys;
use wapipe_core::domain::payments::order::{order_index, refund_index, OrderView, RefundView};
use wapipe_core::domain::payments::{OrderState, RefundState};
use wapipe_core::domain::routes::Consumer;
use wapipe_core::ports::{Bus, Index, Query, Store, SystemClock};

use crate::exit;
use crate::local::{Local, LocalFn};

/// The subcommands of `wapipe payments`.
#[derive(Subcommand)]
pub enum PaymentsCommand {
    /// An order with its ledger and refunds (exit 4 when not found).
    Show {
        /// The order's reference_id.
        reference_id: String,
        /// `{"reference_id", "state", "currency", "total", "captured", "reserved", "remaining",
        /// "refunded", "refunds": [{"key", "amount", "state", …}]}`, amounts in minor units.
        #[arg(long)]
        json: bool,
        /// Local state, or the table (and the bus for commands).
        #[command(flatten)]
        target: Target,
    },
    /// Orders in a state (pending, captured, failed, mismatch), or with --refunds refunds in a
    /// state (requested, submitted, completed, failed); oldest first. (The state is positional:
    /// `--state` is wapipe's global state-file option.)
    List {
        /// An order state, or with --refunds a refund state.
        #[arg(value_name = "STATE")]
        in_state: String,
        /// List refunds instead of orders.
        #[arg(long)]
        refunds: bool,
        /// Print `[{"reference_id", "key", "amount", "currency", "updated_at"}, …]`.
        #[arg(long)]
        json: bool,
        /// Local state, or the table (and the bus for commands).
        #[command(flatten)]
        target: Target,
    },
    /// Refund AMOUNT minor units under idempotency KEY (exit 3 with the reason when refused).
    Refund {
        /// The order's reference_id.
        reference_id: String,
        /// The amount to refund, in minor units (paise, cents).
        #[arg(long)]
        amount: i64,
        /// The refund's idempotency key: the same key and amount again is a no-op.
        #[arg(long)]
        key: String,
        /// Free text kept with the refund.
        #[arg(long)]
        reason: Option<String>,
        /// Local state, or the table (and the bus for commands).
        #[command(flatten)]
        target: Target,
    },
    /// An operator made (or could not make, --failed) a manual refund.
    RefundDone {
        /// The order's reference_id.
        reference_id: String,
        /// The idempotency key of the refund that was requested.
        #[arg(long)]
        key: String,
        /// The refund could not be made (default: it was completed).
        #[arg(long)]
        failed: bool,
        /// The gateway's or bank's refund reference, when known.
        #[arg(long)]
        gateway_refund_id: Option<String>,
        /// A note kept with the refund.
        #[arg(long)]
        note: Option<String>,
        /// Local state, or the table (and the bus for commands).
        #[command(flatten)]
        target: Target,
    },
    /// The PSP confirmed payment of a Pix / boleto / payment-link order.
    MarkPaid {
        /// The order's reference_id.
        reference_id: String,
        /// The payment service provider's payment id, kept as the order's transaction.
        #[arg(long)]
        psp_reference: String,
        /// The amount paid, in minor units; checked against the order when given.
        #[arg(long)]
        amount: Option<i64>,
        /// The currency paid (ISO 4217); checked against the order when given.
        #[arg(long)]
        currency: Option<String>,
        /// Local state, or the table (and the bus for commands).
        #[command(flatten)]
        target: Target,
    },
}

/// Where a payments command runs: local state (through the local processor), or the table
/// (`--table`, with `--event-bus` to publish commands for the deployed processor).
#[derive(clap::Args, Clone, Default)]
pub struct Target {
    /// Read the DynamoDB table NAME (SDK configuration from the environment), not local state.
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    /// With --table: publish commands on this EventBridge bus.
    #[arg(long, value_name = "NAME")]
    event_bus: Option<String>,
}

/// Run the payment processor in local mode.
pub fn register(local: &mut Local) -> Result<(), String> {
    let env = Config::from_env().map_err(|e| e.to_string())?;
    // Operators' commands answer at once: a refund for an order not captured is refused, not
    // kept waiting for a capture (local queues do not redeliver while the command waits).
    let config = Config { publish: RetryPolicy::immediate(3), capture_wait_receives: 1, ..env };
    let secret = std::env::var("WAPIPE_RAZORPAY_KEY").ok().filter(|v| !v.is_empty());
    let key = secret.as_deref().map(payment_processor::lambda::razorpay_key).transpose().map_err(|e| e.to_string())?;
    let gateway = match key.flatten() {
        Some((id, key)) => {
            let base = std::env::var("WAPIPE_RAZORPAY_BASE").unwrap_or_else(|_| "https://api.razorpay.com".into());
            Some(Razorpay::new(&base, &id, &key, Duration::from_secs(10)).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    // Conversions go to the sandbox EUM, which records them (`wapipe sandbox calls`).
    let conversions = Conversions::new(local.sandbox.clone(), config.conversions.clone());
    let p = Processor::new(local.store.clone(), local.bus.clone(), SystemClock, gateway, config)
        .with_conversions(conversions);
    local.register(Arc::new(LocalFn::new(Consumer::PaymentProcessor, p)));
    Ok(())
}

/// Run a `wapipe payments` subcommand; the exit code: 0 done (or, with --table, the command
/// published), 3 refused by the processor, 4 no such order (`show`), 6 no answer yet (the
/// processor will retry).
pub async fn run(command: PaymentsCommand, state: Option<&Path>) -> Result<u8, String> {
    match command {
        PaymentsCommand::Show { reference_id, json, target } => match target.table {
            Some(t) => show(&DynamoStore::from_conf(&sdk_config().await, t), &reference_id, json).await,
            None => show(&Local::open(state)?.store, &reference_id, json).await,
        },
        PaymentsCommand::List { in_state: s, refunds, json, target } => match target.table {
            Some(t) => list(&DynamoStore::from_conf(&sdk_config().await, t), &s, refunds, json).await,
            None => list(&Local::open(state)?.store, &s, refunds, json).await,
        },
        PaymentsCommand::Refund { reference_id, amount, key, reason, target } => {
            let f = json!({"reference_id": reference_id, "key": key, "amount": amount, "reason": reason});
            command_run(EventType::RefundRequested, f, &reference_id, Some(&key), target, state).await
        }
        PaymentsCommand::RefundDone { reference_id, key, failed, gateway_refund_id, note, target } => {
            let outcome = if failed { "failed" } else { "completed" };
            let f = json!({"reference_id": reference_id, "key": key, "outcome": outcome,
                "gateway_refund_id": gateway_refund_id, "note": note});
            command_run(EventType::RefundSettled, f, &reference_id, Some(&key), target, state).await
        }
        PaymentsCommand::MarkPaid { reference_id, psp_reference, amount, currency, target } => {
            let f = json!({"reference_id": reference_id, "psp_reference": psp_reference, "amount": amount,
                "currency": currency});
            command_run(EventType::PaymentMarkPaid, f, &reference_id, None, target, state).await
        }
    }
}

async fn read_order<S: Store>(s: &S, reference_id: &str) -> Result<Option<(OrderView, Vec<RefundView>)>, String> {
    let k = keys::payment(reference_id);
    let Some(item) = s.get(&k.pk, &k.sk).await.map_err(|e| e.to_string())? else { return Ok(None) };
    let order = OrderView::from_item(&item)?;
    let mut refunds = Vec::new();
    let q = Query::table(keys::payment_partition(reference_id), keys::REFUND_PREFIX);
    let items = wapipe_core::app::paging::all_items(s, q, wapipe_core::app::paging::MAX_PAGES)
        .await
        .map_err(|e| e.to_string())?;
    refunds.extend(items.iter().filter_map(|i| RefundView::from_item(i).ok()));
    Ok(Some((order, refunds)))
}

fn order_json(o: &OrderView, refunds: &[RefundView]) -> Value {
    let refunds: Vec<Value> = refunds
        .iter()
        .map(|r| {
            json!({"key": r.key, "amount": r.amount, "state": r.state.as_str(), "gateway": r.gateway,
            "gateway_refund_id": r.gateway_refund_id, "reason": r.reason})
        })
        .collect();
    json!({"reference_id": o.reference_id, "state": o.state.as_str(), "currency": o.currency, "total": o.total,
        "captured": o.captured, "reserved": o.reserved, "remaining": o.remaining, "refunded": o.refunded,
        "kind": o.kind.as_str(), "configuration": o.configuration, "refunds": refunds})
}

async fn show<S: Store>(s: &S, reference_id: &str, json: bool) -> Result<u8, String> {
    let Some((o, refunds)) = read_order(s, reference_id).await? else {
        eprintln!("wapipe: no order {reference_id}");
        return Ok(exit::NOT_FOUND);
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&order_json(&o, &refunds)).map_err(|e| e.to_string())?);
        return Ok(0);
    }
    println!("{}  {}  {} {} ({})", o.reference_id, o.state.as_str(), o.total, o.currency, o.kind.as_str());
    println!("  captured {}  reserved {}  remaining {}  refunded {}", o.captured, o.reserved, o.remaining, o.refunded);
    for r in &refunds {
        let id = r.gateway_refund_id.as_deref().unwrap_or("-");
        println!("  refund {}  {}  {}  via {} ({id})", r.key, r.amount, r.state.as_str(), r.gateway);
    }
    Ok(0)
}

async fn list<S: Store>(s: &S, state: &str, refunds: bool, json: bool) -> Result<u8, String> {
    let partition = if refunds {
        refund_index(RefundState::parse(state).ok_or(format!("STATE: a refund state, got {state:?}"))?)
    } else {
        order_index(OrderState::parse(state).ok_or(format!("STATE: an order state, got {state:?}"))?)
    };
    let q = Query { index: Index::Gsi1, ..Query::table(partition, "") };
    let items = wapipe_core::app::paging::all_items(s, q, wapipe_core::app::paging::MAX_PAGES)
        .await
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for i in &items {
        rows.push(json!({"reference_id": i.get_str("reference_id"), "key": i.get_str("key"),
            "amount": i.get_i64("amount").or(i.get_i64("total")), "currency": i.get_str("currency"),
            "updated_at": i.get_i64("updated_at")}));
    }
    if json {
        println!("{}", Value::Array(rows));
    } else {
        for r in &rows {
            let key = r["key"].as_str().map(|k| format!(" {k}")).unwrap_or_default();
            println!(
                "{}{key}  {}  updated {}",
                r["reference_id"].as_str().unwrap_or("?"),
                r["amount"],
                r["updated_at"]
            );
        }
    }
    Ok(0)
}

fn command_event(t: EventType, fields: Value, waba: &str, phone: &str, now: time::OffsetDateTime) -> DomainEvent {
    let fields: Map<String, Value> = match fields {
        Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    };
    let id = event_id(t, &[&Value::Object(fields.clone()).to_string()]);
    DomainEvent::new(t, Envelope { event_id: id, occurred_at: now, waba_id: waba, phone_number_id: phone }, fields)
}

/// Run a command: locally through the processor, or published for the deployed one.
async fn command_run(
    t: EventType,
    fields: Value,
    reference_id: &str,
    key: Option<&str>,
    target: Target,
    state: Option<&Path>,
) -> Result<u8, String> {
    if let Some(table) = target.table {
        let bus_name = target.event_bus.ok_or("--table needs --event-bus to publish the command")?;
        let sdk = sdk_config().await;
        let store = DynamoStore::from_conf(&sdk, table);
        let Some((o, _)) = read_order(&store, reference_id).await? else {
            eprintln!("wapipe: refused: unknown_reference: no order {reference_id}");
            return Ok(exit::REFUSED);
        };
        let event = command_event(t, fields, &o.waba_id, &o.phone_number_id, crate::clock::now()?);
        let bus = EventBridgeBus::from_conf(&sdk, bus_name);
        for r in publish_all(&bus, &store, &[event], &RetryPolicy::default()).await {
            r.map_err(|e| e.to_string())?;
        }
        println!("published {t} for {reference_id}: follow it with `wapipe payments show {reference_id} --table …`");
        return Ok(0);
    }
    let mut local = Local::open(state)?;
    register(&mut local)?;
    let before = local.bus.events().len();
    let (waba, phone) = match read_order(&local.store, reference_id).await? {
        Some((o, _)) => (o.waba_id, o.phone_number_id),
        None => (String::new(), String::new()),
    };
    let event = command_event(t, fields, &waba, &phone, wapipe_core::ports::Clock::now(&local.clock));
    local.bus.put_events(&[event]).await.map_err(|e| e.to_string())?;
    local.drain().await;
    local.save()?;
    let events = local.bus.events();
    let ours = |e: &&DomainEvent| {
        e.detail.get("reference_id").and_then(Value::as_str) == Some(reference_id)
            && key.is_none_or(|k| e.detail.get("key") == Some(&json!(k)))
    };
    let new: Vec<&DomainEvent> = events.iter().skip(before).filter(ours).collect();
    if let Some(r) = new.iter().find(|e| e.detail_type == EventType::PaymentRejected) {
        let text = |field: &str| r.detail.get(field).and_then(Value::as_str);
        eprintln!("wapipe: refused: {}: {}", text("reason").unwrap_or("?"), text("message").unwrap_or_default());
        return Ok(exit::REFUSED);
    }
    let answers: Vec<&&DomainEvent> = new.iter().filter(|e| e.detail_type != t).collect();
    if answers.is_empty() {
        eprintln!("wapipe: no answer yet: the processor will retry the command (see `wapipe payments show`)");
        return Ok(exit::UNFINISHED);
    }
    for e in answers {
        let what = e.detail.get("state").and_then(Value::as_str).unwrap_or_default();
        println!("{} {what}", e.detail_type);
    }
    Ok(0)
}
