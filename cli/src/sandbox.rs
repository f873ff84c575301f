//! `wapipe sandbox`: what local mode's sandbox EUM answered in EUM's place (every call, with
//! its input and answer), and the numbers linked in it. `wapipe conversions`: the
//! click-to-WhatsApp conversions reported (or refused) through the Conversions API.

use std::path::Path;

use clap::Subcommand;
use serde_json::{json, Value};
use wapipe_core::app::conversions;
use wapipe_core::memory::EumCall;
use wapipe_core::ports::messaging::LinkedPhone;
use wapipe_core::ports::Item;

use crate::local::Local;
use crate::operator::{done, finish, on_store, print_json, print_table, Failure};

/// The subcommands of `wapipe sandbox`.
#[derive(Subcommand)]
pub enum SandboxCommand {
    /// The EUM calls local mode made (to the sandbox), oldest first: operation, input, answer.
    #[command(after_help = "Example:\n  wapipe --state s.json sandbox calls --op SendWhatsAppConversionEvent --json")]
    Calls {
        /// Only this operation (`SendWhatsAppMessage`, `CreateWhatsAppDataset`,
        /// `SendWhatsAppConversionEvent`).
        #[arg(long = "op", value_name = "NAME")]
        operation: Option<String>,
        /// Print `{"count", "calls": [{"seq", "at", "operation", "input", "output"}]}`.
        #[arg(long)]
        json: bool,
    },
    /// The numbers linked in the sandbox: list them, or link one more.
    Phones {
        /// What to do.
        #[command(subcommand)]
        command: SandboxPhones,
    },
}

/// `wapipe sandbox phones`.
#[derive(Subcommand)]
pub enum SandboxPhones {
    /// Every linked number: the built-in sample, those learnt from replayed EUM events, and
    /// those added.
    List {
        /// Print `{"phones": [{"meta_phone_number_id", "phone_number_id", "arn", "waba_id"}]}`.
        #[arg(long)]
        json: bool,
    },
    /// Link a number, so local sends from it are accepted.
    #[command(
        after_help = "Example:\n  wapipe --state s.json sandbox phones add 729155140271006 --waba-id 1393727385109399"
    )]
    Add {
        /// Meta's phone number id.
        meta_phone_number_id: String,
        /// Meta's WABA id of the number.
        #[arg(long)]
        waba_id: String,
        /// The EUM id (`phone-number-id-…`); made up from the Meta id when absent.
        #[arg(long)]
        phone_number_id: Option<String>,
        /// Print the number as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The subcommands of `wapipe conversions`.
#[derive(Subcommand)]
pub enum ConversionsCommand {
    /// Every conversion recorded, oldest first: click, Meta event, source, state.
    #[command(after_help = "Example:\n  wapipe --state s.json conversions list --json")]
    List {
        /// Use the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
        /// Print `{"count", "conversions": [...]}`.
        #[arg(long)]
        json: bool,
    },
    /// The conversions of one ad click (`ctwa_clid`), with the payload sent.
    Show {
        /// The click id (`referral.ctwa_clid`).
        ctwa_clid: String,
        /// Use the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
        /// Print `{"ctwa_clid", "conversions": [...]}`.
        #[arg(long)]
        json: bool,
    },
}

/// The calls of `op` (all when `None`), as `wapipe sandbox calls` and `GET /sandbox/calls` show them.
pub fn calls_json(calls: &[EumCall], op: Option<&str>) -> Value {
    let list: Vec<&EumCall> = calls.iter().filter(|c| op.is_none_or(|o| c.operation == o)).collect();
    json!({"count": list.len(), "calls": list})
}

fn phone_json(p: &LinkedPhone) -> Value {
    json!({"meta_phone_number_id": p.meta_phone_number_id, "phone_number_id": p.eum_phone_number_id,
           "arn": p.arn, "waba_id": p.waba_id})
}

/// Run a `wapipe sandbox` subcommand on local state; 0 done, 1 a bad number, 4 no call matched.
pub async fn run(command: SandboxCommand, state: Option<&Path>) -> Result<u8, String> {
    finish(sandbox_inner(command, state))
}

fn sandbox_inner(command: SandboxCommand, state: Option<&Path>) -> Result<u8, Failure> {
    let local = Local::open(state)?;
    match command {
        SandboxCommand::Calls { operation, json } => {
            let calls = local.sandbox.calls();
            let out = calls_json(&calls, operation.as_deref());
            if json {
                print_json(&out)?;
            } else {
                let rows: Vec<Vec<String>> = calls
                    .iter()
                    .filter(|c| operation.as_deref().is_none_or(|o| c.operation == o))
                    .map(|c| {
                        let answer = match c.output.get("error") {
                            Some(e) => format!("error {}", e["exception"].as_str().unwrap_or_default()),
                            None => c.output.to_string(),
                        };
                        vec![c.seq.to_string(), c.at.clone(), c.operation.clone(), answer]
                    })
                    .collect();
                print_table(&["SEQ", "AT", "OPERATION", "ANSWER"], &rows);
                println!("{} call(s)", rows.len());
            }
            let none = out.get("count").and_then(Value::as_u64) == Some(0);
            Ok(if none && operation.is_some() { crate::exit::NOT_FOUND } else { crate::exit::DONE })
        }
        SandboxCommand::Phones { command: SandboxPhones::List { json } } => {
            let phones = local.sandbox.phones();
            if json {
                print_json(&json!({"phones": phones.iter().map(phone_json).collect::<Vec<_>>()}))?;
            } else {
                let rows: Vec<Vec<String>> = phones
                    .iter()
                    .map(|p| vec![p.meta_phone_number_id.clone(), p.eum_phone_number_id.clone(), p.waba_id.clone()])
                    .collect();
                print_table(&["META ID", "PHONE NUMBER ID", "WABA"], &rows);
            }
            Ok(0)
        }
        SandboxCommand::Phones {
            command: SandboxPhones::Add { meta_phone_number_id, waba_id, phone_number_id, json },
        } => {
            let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
            if !digits(&meta_phone_number_id) {
                return Err(Failure::Invalid(vec!["meta_phone_number_id: Meta's numeric phone number id".into()]));
            }
            if !digits(&waba_id) {
                return Err(Failure::Invalid(vec!["waba_id: Meta's numeric WABA id".into()]));
            }
            let eum = phone_number_id.unwrap_or_else(|| format!("phone-number-id-sandbox{meta_phone_number_id}"));
            let suffix = eum.trim_start_matches("phone-number-id-");
            let arn = format!(
                "arn:aws:social-messaging:{}:{}:phone-number-id/{suffix}",
                wapipe_core::memory::SANDBOX_REGION,
                wapipe_core::memory::SANDBOX_ACCOUNT
            );
            let phone = LinkedPhone { eum_phone_number_id: eum, arn, meta_phone_number_id, waba_id };
            let added = local.sandbox.link_phone(phone.clone());
            local.save()?;
            let text = if added {
                format!("linked {} in the sandbox", phone.meta_phone_number_id)
            } else {
                format!("{} was already linked", phone.meta_phone_number_id)
            };
            done(json, phone_json(&phone), &text)
        }
    }
}

fn conversion_json(i: &Item) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in &i.attrs {
        if !k.starts_with("gsi1") {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m)
}

/// Run a `wapipe conversions` subcommand; 0 done, 4 no conversion for that click.
pub async fn run_conversions(command: ConversionsCommand, state: Option<&Path>) -> Result<u8, String> {
    finish(conversions_inner(command, state).await)
}

async fn conversions_inner(command: ConversionsCommand, state: Option<&Path>) -> Result<u8, Failure> {
    let (items, clid, json) = match command {
        ConversionsCommand::List { table, json } => {
            let items = on_store!(table.as_deref(), state, |s| conversions::list(s).await)?;
            (items, None, json)
        }
        ConversionsCommand::Show { ctwa_clid, table, json } => {
            let items = on_store!(table.as_deref(), state, |s| conversions::of_click(s, &ctwa_clid).await)?;
            (items, Some(ctwa_clid), json)
        }
    };
    let list: Vec<Value> = items.iter().map(conversion_json).collect();
    if let Some(clid) = &clid {
        if list.is_empty() {
            return Err(Failure::NotFound(format!("no conversion recorded for click {clid}")));
        }
    }
    if json {
        let out = match &clid {
            Some(c) => json!({"ctwa_clid": c, "conversions": list}),
            None => json!({"count": list.len(), "conversions": list}),
        };
        print_json(&out)?;
    } else {
        let s = |i: &Item, k: &str| i.get_str(k).unwrap_or("-").to_string();
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|i| {
                vec![
                    s(i, "ctwa_clid"),
                    s(i, "event_name"),
                    s(i, "source_event"),
                    s(i, "source_id"),
                    s(i, "state"),
                    i.get_str("error").unwrap_or_default().to_string(),
                ]
            })
            .collect();
        print_table(&["CTWA_CLID", "EVENT", "FROM", "SOURCE", "STATE", "ERROR"], &rows);
        println!("{} conversion(s)", rows.len());
    }
    Ok(0)
}
