//! `wapipe flows create|update|update-assets|publish|deprecate|delete|list|show|preview|assets`:
//! the WhatsApp Flows registry through EUM Social, with a local record of each flow
//! (`FLOWREG#{waba}` / `FLOW#{id}`, in local state or the table with --table) so the stack
//! knows its flows without asking Meta. Flow JSON is checked by the Flow JSON validator first:
//! with errors nothing is sent.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::{json, Value};
use wapipe_core::domain::flows::validate::{has_errors, validate_text, Options, Severity};
use wapipe_core::domain::keys;
use wapipe_core::ports::admin::{Admin, FlowInfo, FlowUpdate, NewFlow};
use wapipe_core::ports::{Cond, Query, Store, Update, Write};

use crate::operator::{done, finish, on_store, print_json, print_table, Failure, WabaOpts};

/// The flows registry subcommands of `wapipe flows` (through EUM, recorded locally).
#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Create a flow (Flow JSON validated first), optionally publishing it; records it locally.
    #[command(
        after_help = "Example:\n  wapipe flows create --name signup --category SIGN_UP --flow-json signup.json --endpoint-uri https://x/flow"
    )]
    Create {
        /// The flow's name: 1 to 200 characters, unique in the WABA.
        #[arg(long)]
        name: String,
        /// SIGN_UP, SIGN_IN, APPOINTMENT_BOOKING, LEAD_GENERATION, CONTACT_US, CUSTOMER_SUPPORT, SURVEY, SHOPPING, OTHER.
        #[arg(long = "category", required = true)]
        categories: Vec<String>,
        /// The Flow JSON (checked first); without it, add it later with `flows update-assets`.
        #[arg(long, value_name = "FILE")]
        flow_json: Option<PathBuf>,
        /// The data-exchange endpoint (https) of an endpoint-powered flow.
        #[arg(long)]
        endpoint_uri: Option<String>,
        /// Publish at once instead of leaving a draft (cannot be undone; needs --flow-json or --clone-flow-id).
        #[arg(long)]
        publish: bool,
        /// Start from a copy of this existing flow.
        #[arg(long, value_name = "FLOW_ID")]
        clone_flow_id: Option<String>,
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
    /// Change a flow's name, categories, endpoint or Meta app.
    #[command(
        after_help = "Example:\n  wapipe flows update 1234567890 --name signup_v2 --endpoint-uri https://x/flow"
    )]
    Update {
        /// Meta's flow id.
        flow_id: String,
        /// A new name for the flow.
        #[arg(long)]
        name: Option<String>,
        /// New categories, replacing the old ones (repeat for each; see `flows create`).
        #[arg(long = "category")]
        categories: Vec<String>,
        /// A new data-exchange endpoint (https).
        #[arg(long)]
        endpoint_uri: Option<String>,
        /// Attach this Meta app, whose secret lets the endpoint check X-Hub-Signature-256 (one-way).
        #[arg(long)]
        meta_app_id: Option<String>,
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
    /// Replace a draft flow's Flow JSON (validated first).
    #[command(after_help = "Example:\n  wapipe flows update-assets 1234567890 signup.json")]
    UpdateAssets {
        /// Meta's flow id.
        flow_id: String,
        /// The new Flow JSON (checked first).
        file: PathBuf,
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
    /// Publish a draft flow (it becomes read-only).
    #[command(after_help = "Example:\n  wapipe flows publish 1234567890")]
    Publish {
        /// Meta's flow id.
        flow_id: String,
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
    /// Deprecate a published flow.
    #[command(after_help = "Example:\n  wapipe flows deprecate 1234567890")]
    Deprecate {
        /// Meta's flow id.
        flow_id: String,
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
    /// Delete a draft flow (Meta keeps published ones: deprecate those).
    #[command(after_help = "Example:\n  wapipe flows delete 1234567890")]
    Delete {
        /// Meta's flow id.
        flow_id: String,
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
    /// The WABA's flows (every page), marking those recorded locally.
    #[command(after_help = "Example:\n  wapipe flows list --waba-id waba-… --json")]
    List {
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
    /// One flow: status, categories, validation errors, health, endpoint; refreshes the local record.
    #[command(after_help = "Example:\n  wapipe flows show 1234567890")]
    Show {
        /// Meta's flow id.
        flow_id: String,
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
    /// A preview URL of the flow (--invalidate for a fresh one).
    #[command(after_help = "Example:\n  wapipe flows preview 1234567890 --invalidate")]
    Preview {
        /// Meta's flow id.
        flow_id: String,
        /// Invalidate the current preview URL and get a fresh one.
        #[arg(long)]
        invalidate: bool,
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
    /// The flow's assets (its Flow JSON) with download URLs.
    #[command(after_help = "Example:\n  wapipe flows assets 1234567890 --json")]
    Assets {
        /// Meta's flow id.
        flow_id: String,
        /// The WABA, where the local record lives, and the output format.
        #[command(flatten)]
        reg: Reg,
    },
}

/// The WABA and where the local record lives.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Reg {
    /// The WABA to act on and how to reach EUM.
    #[command(flatten)]
    pub waba: WabaOpts,
    /// Keep the flow records in the DynamoDB table NAME instead of local state.
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run a flows registry subcommand through EUM, recording the flow locally (or in `--table`);
/// the exit code: 0 done, 1 the Flow JSON has errors or Meta reported validation errors, 2 bad
/// usage (e.g. no single WABA to pick), 3 EUM refused.
pub async fn run(command: RegistryCommand, state: Option<&Path>) -> Result<u8, String> {
    finish(run_inner(command, state).await)
}

/// Read and check Flow JSON; its bytes, or every error with its JSON path.
fn checked_flow_json(file: &Path, endpoint_uri: Option<&str>) -> Result<Vec<u8>, Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let problems = validate_text(&text, &Options { endpoint_uri: endpoint_uri.map(str::to_string) });
    if has_errors(&problems) {
        return Err(Failure::Invalid(
            problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| format!("{}: {p}", file.display()))
                .collect(),
        ));
    }
    for p in problems {
        eprintln!("{}: {p}", file.display());
    }
    Ok(text.into_bytes())
}

/// Upsert the local record; an older observation never overwrites a newer one.
async fn record<S: Store>(store: &S, waba: &str, flow_id: &str, fields: Value) -> Result<(), Failure> {
    let now = crate::clock::now()?;
    let ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let key = keys::flow_registry(waba, flow_id);
    let mut updates = vec![
        Update::Set("waba_id".into(), waba.into()),
        Update::Set("flow_id".into(), flow_id.into()),
        Update::Set("updated_at_ms".into(), ms.into()),
        Update::SetIfMissing("created_at_ms".into(), ms.into()),
    ];
    if let Value::Object(map) = fields {
        updates.extend(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| Update::Set(k, v)));
    }
    let cond = Some(Cond::missing_or_lt("updated_at_ms", ms));
    store.write(Write::Update { pk: key.pk, sk: key.sk, updates, cond }).await?;
    Ok(())
}

fn info_fields(f: &FlowInfo) -> Value {
    json!({"name": f.name, "status": f.status, "categories": f.categories, "validation_errors": f.validation_errors,
           "endpoint_uri": f.endpoint_uri, "json_version": f.json_version, "can_send_message": f.can_send_message})
}

async fn run_inner(command: RegistryCommand, state: Option<&Path>) -> Result<u8, Failure> {
    match command {
        RegistryCommand::Create { name, categories, flow_json, endpoint_uri, publish, clone_flow_id, reg } => {
            let bytes = flow_json.as_deref().map(|f| checked_flow_json(f, endpoint_uri.as_deref())).transpose()?;
            if publish && bytes.is_none() && clone_flow_id.is_none() {
                return Err(Failure::usage("--publish needs --flow-json (a flow without JSON cannot be published)"));
            }
            let waba = reg.waba.resolve().await?;
            let flow = NewFlow {
                name: name.clone(),
                categories: categories.clone(),
                flow_json: bytes,
                publish,
                clone_flow_id,
                endpoint_uri: endpoint_uri.clone(),
            };
            let (flow_id, errors) = reg.waba.eum.admin().await.create_flow(&waba, &flow).await?;
            let status = if publish { "PUBLISHED" } else { "DRAFT" };
            let fields = json!({"name": name, "categories": categories, "status": status, "endpoint_uri": endpoint_uri, "validation_errors": errors});
            on_store!(reg.table.as_deref(), state, |s| record(s, &waba, &flow_id, fields).await)?;
            for e in &errors {
                eprintln!("Meta validation: {e}");
            }
            eprintln!("created flow {name} ({status}); next: `wapipe flows preview {flow_id}`");
            done(reg.json, json!({"flow_id": flow_id, "status": status, "validation_errors": errors}), &flow_id)?;
            Ok(u8::from(!errors.is_empty()))
        }
        RegistryCommand::Update { flow_id, name, categories, endpoint_uri, meta_app_id, reg } => {
            let waba = reg.waba.resolve().await?;
            let cats = Some(categories).filter(|c| !c.is_empty());
            let update = FlowUpdate {
                name: name.clone(),
                categories: cats.clone(),
                endpoint_uri: endpoint_uri.clone(),
                meta_app_id,
            };
            reg.waba.eum.admin().await.update_flow(&waba, &flow_id, &update).await?;
            let fields = json!({"name": name, "categories": cats, "endpoint_uri": endpoint_uri});
            on_store!(reg.table.as_deref(), state, |s| record(s, &waba, &flow_id, fields).await)?;
            done(reg.json, json!({"flow_id": flow_id, "updated": true}), &format!("updated flow {flow_id}"))
        }
        RegistryCommand::UpdateAssets { flow_id, file, reg } => {
            let bytes = checked_flow_json(&file, None)?;
            let waba = reg.waba.resolve().await?;
            let errors = reg.waba.eum.admin().await.update_flow_assets(&waba, &flow_id, &bytes).await?;
            on_store!(reg.table.as_deref(), state, |s| record(
                s,
                &waba,
                &flow_id,
                json!({"validation_errors": errors})
            )
            .await)?;
            for e in &errors {
                eprintln!("Meta validation: {e}");
            }
            let text = format!("flow {flow_id}: Flow JSON updated ({} validation error(s))", errors.len());
            done(reg.json, json!({"flow_id": flow_id, "validation_errors": errors}), &text)?;
            Ok(u8::from(!errors.is_empty()))
        }
        RegistryCommand::Publish { flow_id, reg } => lifecycle(&flow_id, &reg, state, "PUBLISHED").await,
        RegistryCommand::Deprecate { flow_id, reg } => lifecycle(&flow_id, &reg, state, "DEPRECATED").await,
        RegistryCommand::Delete { flow_id, reg } => lifecycle(&flow_id, &reg, state, "DELETED").await,
        RegistryCommand::List { reg } => {
            let json = reg.json;
            let waba = reg.waba.resolve().await?;
            let admin = reg.waba.eum.admin().await;
            let mut flows = Vec::new();
            let mut next: Option<String> = None;
            // Bounded: 50 pages of 100.
            for _ in 0..50 {
                let page = admin.list_flows(&waba, next.as_deref(), Some(100)).await?;
                flows.extend(page.flows);
                match page.next_token {
                    Some(t) => next = Some(t),
                    None => break,
                }
            }
            let recorded = on_store!(reg.table.as_deref(), state, |s| recorded_ids(s, &waba).await)?;
            if json {
                let rows: Vec<Value> = flows
                    .iter()
                    .map(|f| {
                        let mut v = serde_json::to_value(f).unwrap_or_default();
                        if let Some(o) = v.as_object_mut() {
                            o.insert("recorded".into(), json!(recorded.contains(&f.flow_id)));
                        }
                        v
                    })
                    .collect();
                print_json(&json!({"waba_id": waba, "count": rows.len(), "flows": rows}))?;
            } else {
                let rows: Vec<Vec<String>> = flows
                    .iter()
                    .map(|f| {
                        let rec = if recorded.contains(&f.flow_id) { "yes" } else { "no" };
                        vec![f.flow_id.clone(), f.name.clone(), f.status.clone(), f.categories.join(","), rec.into()]
                    })
                    .collect();
                print_table(&["FLOW ID", "NAME", "STATUS", "CATEGORIES", "RECORDED"], &rows);
                println!("{} flow(s)", flows.len());
            }
            Ok(0)
        }
        RegistryCommand::Show { flow_id, reg } => {
            let json = reg.json;
            let waba = reg.waba.resolve().await?;
            let info = reg.waba.eum.admin().await.get_flow(&waba, &flow_id).await?;
            let fields = info_fields(&info);
            on_store!(reg.table.as_deref(), state, |s| record(s, &waba, &flow_id, fields).await)?;
            if json {
                print_json(&info)?;
            } else {
                println!("{} {} ({})", info.flow_id, info.name, info.status);
                println!("categories: {}", info.categories.join(", "));
                if let Some(e) = &info.endpoint_uri {
                    println!("endpoint: {e}");
                }
                if let Some(h) = &info.can_send_message {
                    println!("health: can_send_message {h}");
                }
                for e in &info.validation_errors {
                    println!("validation error: {e}");
                }
            }
            Ok(0)
        }
        RegistryCommand::Preview { flow_id, invalidate, reg } => {
            let waba = reg.waba.resolve().await?;
            let p = reg.waba.eum.admin().await.preview_flow(&waba, &flow_id, invalidate).await?;
            eprintln!("expires at {}", p.expires_at);
            done(reg.json, serde_json::to_value(&p).unwrap_or_default(), &p.url)
        }
        RegistryCommand::Assets { flow_id, reg } => {
            let json = reg.json;
            let waba = reg.waba.resolve().await?;
            let assets = reg.waba.eum.admin().await.list_flow_assets(&waba, &flow_id).await?;
            if json {
                print_json(&json!({"flow_id": flow_id, "assets": assets}))?;
            } else {
                let rows: Vec<Vec<String>> =
                    assets.iter().map(|a| vec![a.name.clone(), a.asset_type.clone(), a.download_url.clone()]).collect();
                print_table(&["NAME", "TYPE", "DOWNLOAD URL"], &rows);
            }
            Ok(0)
        }
    }
}

/// Publish, deprecate or delete, then record the new status (a deleted flow's record goes).
async fn lifecycle(flow_id: &str, reg: &Reg, state: Option<&Path>, to: &str) -> Result<u8, Failure> {
    let waba = reg.waba.resolve().await?;
    let admin = reg.waba.eum.admin().await;
    match to {
        "PUBLISHED" => admin.publish_flow(&waba, flow_id).await?,
        "DEPRECATED" => admin.deprecate_flow(&waba, flow_id).await?,
        _ => admin.delete_flow(&waba, flow_id).await?,
    }
    if to == "DELETED" {
        let key = keys::flow_registry(&waba, flow_id);
        on_store!(reg.table.as_deref(), state, |s| s
            .write(Write::Delete { pk: key.pk.clone(), sk: key.sk.clone(), cond: None })
            .await)?;
    } else {
        on_store!(reg.table.as_deref(), state, |s| record(s, &waba, flow_id, json!({"status": to})).await)?;
    }
    done(reg.json, json!({"flow_id": flow_id, "status": to}), &format!("flow {flow_id}: {}", to.to_ascii_lowercase()))
}

/// Flow ids recorded locally for a WABA.
async fn recorded_ids<S: Store>(store: &S, waba: &str) -> Result<Vec<String>, Failure> {
    let q = Query::table(keys::flow_registry_partition(waba), keys::FLOW_REGISTRY_PREFIX);
    let items = wapipe_core::app::paging::all_items(store, q, wapipe_core::app::paging::MAX_PAGES).await?;
    Ok(items.iter().filter_map(|i| i.get_str("flow_id").map(str::to_string)).collect())
}
