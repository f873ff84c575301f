//! `wapipe catalog`, `wapipe groups`, `wapipe calling`: local-only features (EUM has no
//! catalog or groups API) and calling (deep links, call settings — set through EUM with
//! `--apply`, recorded locally either way).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::{json, Value};
use wapipe_core::app::business::calling::{self, CallSettings};
use wapipe_core::app::business::catalog::{self, Product};
use wapipe_core::app::business::groups::{self, Group};
use wapipe_core::domain::outbound::calls::CallAction;
use wapipe_core::domain::outbound::validate::{self, FieldPath};
use wapipe_core::ports::admin::{Admin, CallUser};

use crate::operator::{done, finish, on_store, print_json, print_table, EumOpts, Failure};
use crate::profile::business;

/// `wapipe catalog` subcommands: the local mirror of Commerce Manager catalog products.
#[derive(Subcommand)]
pub enum CatalogCommand {
    /// Store products from FILE (one product or an array): retailer_id, name, currency, price_1000, …
    #[command(after_help = "Example:\n  wapipe catalog put --catalog-id 123 products.json")]
    Put {
        /// JSON FILE: one product or an array of products.
        file: PathBuf,
        /// The Commerce Manager catalog the products belong to.
        #[arg(long)]
        catalog_id: String,
        /// Use the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
        /// Print `{"catalog_id", "stored", "given"}`.
        #[arg(long)]
        json: bool,
    },
    /// The stored products of a catalog.
    #[command(after_help = "Example:\n  wapipe catalog list --catalog-id 123 --json")]
    List {
        /// The catalog whose products to list.
        #[arg(long)]
        catalog_id: String,
        /// Use the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
        /// Print `{"catalog_id", "products": […]}`.
        #[arg(long)]
        json: bool,
    },
    /// Delete a stored product.
    #[command(after_help = "Example:\n  wapipe catalog delete SKU-1 --catalog-id 123")]
    Delete {
        /// The product's retailer id (its SKU in the catalog).
        retailer_id: String,
        /// The catalog the product is stored under.
        #[arg(long)]
        catalog_id: String,
        /// Use the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
        /// Print `{"catalog_id", "deleted"}`.
        #[arg(long)]
        json: bool,
    },
    /// Check that the products a message (Cloud API JSON, FILE) refers to are in the catalog; exit 1 if not.
    #[command(after_help = "Example:\n  wapipe catalog check product_list.json")]
    Check {
        /// The message FILE: Cloud API JSON, or a send request (its `message` is checked).
        file: PathBuf,
        /// Use the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
        /// Print `{"references", "unknown": […]}` (the unknown retailer ids).
        #[arg(long)]
        json: bool,
    },
}

/// `wapipe groups` subcommands: group metadata recorded locally (EUM has no groups API).
#[derive(Subcommand)]
pub enum GroupsCommand {
    /// Record a group created in WhatsApp (metadata only; EUM has no groups API).
    #[command(
        after_help = "Example:\n  wapipe groups create --phone-number-id 1065… --group-id G1 --subject VIP --member 919876543210"
    )]
    Create {
        /// Meta phone_number_id the group belongs to.
        #[arg(long, env = "WAPIPE_PHONE_NUMBER_ID")]
        phone_number_id: String,
        /// Meta's group id (an opaque string; recorded once per number).
        #[arg(long)]
        group_id: String,
        /// The group's subject (1 to 128 characters).
        #[arg(long)]
        subject: String,
        /// The group's description.
        #[arg(long)]
        description: Option<String>,
        /// A member's wa_id (digits); repeat for each member.
        #[arg(long = "member")]
        members: Vec<String>,
        /// The group's invite link (https://chat.whatsapp.com/…).
        #[arg(long)]
        invite_link: Option<String>,
        /// Use the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
        /// Print `{"recorded": {…}}` (the group as recorded).
        #[arg(long)]
        json: bool,
    },
    /// The recorded groups of a number.
    #[command(after_help = "Example:\n  wapipe groups list --phone-number-id 106540352242922 --json")]
    List {
        /// The number whose groups to list.
        #[command(flatten)]
        number: NumberRecords,
        /// Print `{"phone_number_id", "groups": […]}`.
        #[arg(long)]
        json: bool,
    },
    /// Forget a recorded group.
    #[command(after_help = "Example:\n  wapipe groups delete G1 --phone-number-id 106540352242922")]
    Delete {
        /// The recorded group's id.
        group_id: String,
        /// The number the group belongs to.
        #[command(flatten)]
        number: NumberRecords,
        /// Print `{"deleted"}`.
        #[arg(long)]
        json: bool,
    },
}

/// A number and where its records are: local state or a DynamoDB table.
#[derive(Args, Debug)]
pub struct NumberRecords {
    /// Meta phone_number_id of the number.
    #[arg(long, env = "WAPIPE_PHONE_NUMBER_ID")]
    pub phone_number_id: String,
    /// Use the DynamoDB table TABLE instead of local state.
    #[arg(long)]
    pub table: Option<String>,
}

/// `wapipe calling` subcommands: click-to-chat links and the number's call settings.
#[derive(Subcommand)]
pub enum CallingCommand {
    /// A wa.me click-to-chat link to the number (the user can call from the chat).
    #[command(after_help = "Example:\n  wapipe calling link --phone +919876543210 --text 'Call me back'")]
    Link {
        /// The number to link to, international format, country code first (8 to 15 digits; `+` optional).
        #[arg(long)]
        phone: String,
        /// A message to prefill in the chat (percent-encoded into the link).
        #[arg(long)]
        text: Option<String>,
        /// Print `{"link"}`.
        #[arg(long)]
        json: bool,
    },
    /// The calls the `calls` webhooks recorded for a number, newest first.
    #[command(after_help = "Example:\n  wapipe calling calls --phone-number-id 1065… --json")]
    Calls {
        /// The number the calls were made to or from.
        #[command(flatten)]
        number: NumberRecords,
        /// Print `{"phone_number_id", "calls": [...]}`.
        #[arg(long)]
        json: bool,
    },
    /// One call: its state (RINGING → ACCEPTED/REJECTED → COMPLETED/FAILED), times and parties.
    #[command(after_help = "Example:\n  wapipe calling show wacid.HBgL… --phone-number-id 1065…")]
    Show {
        /// Meta's call id (`wacid…`).
        wacid: String,
        /// The number of the call.
        #[command(flatten)]
        number: NumberRecords,
        /// Print the record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Whether the number may call a user now, with the request and call limits (EUM
    /// GetWhatsAppCallPermission).
    #[command(
        after_help = "Examples:\n  wapipe calling permission --phone-number-id phone-number-id-… --to +919876543210\n  wapipe calling permission --phone-number-id phone-number-id-… --to US.13491208655302741918 --json"
    )]
    Permission {
        /// The number's EUM phone number id (`phone-number-id-…`).
        #[arg(long, env = "WAPIPE_PHONE_NUMBER_ID")]
        phone_number_id: String,
        /// The user: E.164 with `+`, or a BSUID.
        #[arg(long)]
        to: String,
        /// How to reach EUM.
        #[command(flatten)]
        eum: EumOpts,
        /// Print the permission as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a call action through EUM (SendWhatsAppCallEvent): connect a business-initiated
    /// call, or pre-accept, accept, reject or terminate one. The outcome arrives as `calls`
    /// webhooks (`wapipe calling calls`).
    #[command(
        after_help = "Examples:\n  wapipe calling action connect --phone-number-id phone-number-id-… --to +919876543210 --sdp-file offer.sdp\n  wapipe calling action terminate --phone-number-id phone-number-id-… --call-id wacid.HBgL…"
    )]
    Action {
        /// connect | pre-accept | accept | reject | terminate.
        action: String,
        /// connect: the user, E.164 with `+` or a BSUID.
        #[arg(long)]
        to: Option<String>,
        /// pre-accept, accept, reject, terminate: Meta's call id (`wacid…`).
        #[arg(long)]
        call_id: Option<String>,
        /// connect: the SDP offer; pre-accept and accept: the SDP answer (a file).
        #[arg(long)]
        sdp_file: Option<std::path::PathBuf>,
        /// connect and accept: tracking data echoed in the call's webhooks (≤ 512 bytes).
        #[arg(long)]
        callback_data: Option<String>,
        /// The number, the API version and EUM.
        #[command(flatten)]
        via: CallVia,
    },
    /// Send a call action written as Meta's `/calls` JSON (connect with an SDP offer,
    /// pre_accept, accept, reject, terminate) through EUM's SendWhatsAppCallEvent, after
    /// checking it. Put `biz_opaque_callback_data` in it to match the call's handover event.
    #[command(
        after_help = "Example:\n  wapipe calling event examples/calling/connect.json --phone-number-id phone-number-id-…"
    )]
    Event {
        /// The Meta `/calls` body (JSON).
        file: std::path::PathBuf,
        /// The number, the API version and EUM.
        #[command(flatten)]
        via: CallVia,
    },
    /// Show or set the number's call settings (on/off, call hours and holidays, icon,
    /// callback permission); --apply also sets them through EUM
    /// (UpdateLinkedWhatsAppBusinessAccountPhoneNumber, the whole object), --from-eum shows
    /// what EUM holds.
    #[command(
        after_help = "Examples:\n  wapipe calling settings --phone-number-id phone-number-id-…\n  wapipe calling settings --phone-number-id phone-number-id-… --enabled true --hours examples/calling/hours.json --apply\n  wapipe calling settings --phone-number-id phone-number-id-… --from-eum --json"
    )]
    Settings {
        /// The number's EUM phone number id (`phone-number-id-…`).
        #[arg(long, env = "WAPIPE_PHONE_NUMBER_ID")]
        phone_number_id: String,
        /// Whether the number takes WhatsApp calls (true or false).
        #[arg(long)]
        enabled: Option<bool>,
        /// DEFAULT or DISABLE_ALL.
        #[arg(long)]
        icon_visibility: Option<String>,
        /// ENABLED or DISABLED.
        #[arg(long)]
        callback_permission: Option<String>,
        /// Call hours (JSON: `{"enabled", "timezone", "weekly": [{"day", "open", "close"}],
        /// "holidays": [{"date", "start", "end"}]}`, times `HH:MM`).
        #[arg(long, value_name = "FILE")]
        hours: Option<std::path::PathBuf>,
        /// Also set the settings through EUM (without it they are only recorded locally).
        #[arg(long)]
        apply: bool,
        /// Show the settings EUM holds for the number instead of the local record.
        #[arg(long, conflicts_with_all = ["enabled", "icon_visibility", "callback_permission", "hours", "apply"])]
        from_eum: bool,
        /// How to reach EUM (used with --apply).
        #[command(flatten)]
        eum: EumOpts,
        /// Use the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
        /// Print `{"phone_number_id", "settings", "applied_to_eum"}`.
        #[arg(long)]
        json: bool,
    },
}

/// Where a call action goes: the number, the Cloud API version and EUM (`calling action|event`).
#[derive(Args)]
pub struct CallVia {
    /// The number's EUM phone number id (`phone-number-id-…`).
    #[arg(long, env = "WAPIPE_PHONE_NUMBER_ID")]
    pub phone_number_id: String,
    /// The Cloud API version EUM passes the action to.
    #[arg(long, env = "WAPIPE_META_API_VERSION", default_value = "v20.0")]
    pub meta_api_version: String,
    /// How to reach EUM.
    #[command(flatten)]
    pub eum: EumOpts,
    /// Print `{"call_id", "action"}`.
    #[arg(long)]
    pub json: bool,
}

impl CallVia {
    /// Check `call`, send it through SendWhatsAppCallEvent and print the call id. `what` names
    /// the input in an error (a file).
    async fn send(self, call: &CallAction, what: &str) -> Result<u8, Failure> {
        let body = call.body().map_err(|e| Failure::Invalid(vec![format!("{what}{e}")]))?;
        let id = self.eum.admin().await.send_call_event(&self.phone_number_id, &self.meta_api_version, &body).await?;
        done(self.json, json!({"call_id": id, "action": call.name()}), &format!("{} sent: call {id}", call.name()))
    }
}

/// One line of call settings: on/off, hours, icon and callback permission.
fn settings_line(phone: &str, s: &CallSettings) -> String {
    let hours = match &s.call_hours {
        Some(h) if h.enabled => {
            format!("{} ranges a week, {} holidays, {}", h.weekly.len(), h.holidays.len(), h.timezone)
        }
        Some(_) => "call hours off".to_string(),
        None => "no call hours".to_string(),
    };
    format!(
        "{phone}: calling {}, {hours}, icon {}, callback permission {}",
        if s.call_enabled { "enabled" } else { "disabled" },
        s.call_icon_visibility.as_deref().unwrap_or("-"),
        s.callback_permission_status.as_deref().unwrap_or("-")
    )
}

fn read_json(file: &Path) -> Result<Value, Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    serde_json::from_str(&text).map_err(|e| Failure::Invalid(vec![format!("{}: not JSON: {e}", file.display())]))
}

/// Run a `wapipe catalog` subcommand on local state (or `--table`); the exit code: 0 done, 1
/// invalid products or unknown products in the message (`check`), 4 not stored (`delete`).
pub async fn run_catalog(command: CatalogCommand, state: Option<&Path>) -> Result<u8, String> {
    finish(catalog_inner(command, state).await)
}

async fn catalog_inner(command: CatalogCommand, state: Option<&Path>) -> Result<u8, Failure> {
    let now = crate::clock::now()?;
    match command {
        CatalogCommand::Put { file, catalog_id, table, json } => {
            let v = read_json(&file)?;
            let list = if v.is_array() { v } else { Value::Array(vec![v]) };
            let products: Vec<Product> =
                serde_json::from_value(list).map_err(|e| Failure::Invalid(vec![format!("{}: {e}", file.display())]))?;
            for (i, p) in products.iter().enumerate() {
                p.validate().map_err(|e| Failure::Invalid(vec![format!("[{i}].{e}")]))?;
            }
            let n = on_store!(table.as_deref(), state, |s| async {
                let mut n = 0;
                for p in &products {
                    n += usize::from(catalog::put(s, &catalog_id, p, now).await?);
                }
                Ok::<_, wapipe_core::app::business::BusinessError>(n)
            }
            .await)
            .map_err(business)?;
            let text = format!("{n} product(s) stored in catalog {catalog_id}");
            done(json, json!({"catalog_id": catalog_id, "stored": n, "given": products.len()}), &text)
        }
        CatalogCommand::List { catalog_id, table, json } => {
            let products =
                on_store!(table.as_deref(), state, |s| catalog::list(s, &catalog_id).await).map_err(business)?;
            if json {
                print_json(&json!({"catalog_id": catalog_id, "products": products}))?;
            } else {
                let rows: Vec<Vec<String>> = products
                    .iter()
                    .map(|p| {
                        let price = match (p.price_1000, &p.currency) {
                            (Some(a), Some(c)) => format!("{}.{:03} {c}", a / 1000, a % 1000),
                            _ => String::new(),
                        };
                        vec![p.retailer_id.clone(), p.name.clone(), price, p.availability.clone().unwrap_or_default()]
                    })
                    .collect();
                print_table(&["RETAILER ID", "NAME", "PRICE", "AVAILABILITY"], &rows);
            }
            Ok(0)
        }
        CatalogCommand::Delete { retailer_id, catalog_id, table, json } => {
            let gone = on_store!(table.as_deref(), state, |s| catalog::delete(s, &catalog_id, &retailer_id).await)
                .map_err(business)?;
            if !gone {
                return Err(Failure::NotFound(format!("{catalog_id}/{retailer_id} is not stored")));
            }
            let text = format!("deleted {catalog_id}/{retailer_id}");
            done(json, json!({"catalog_id": catalog_id, "deleted": retailer_id}), &text)
        }
        CatalogCommand::Check { file, table, json } => {
            let v = read_json(&file)?;
            let msg = v.get("message").cloned().unwrap_or(v);
            let refs = catalog::referenced_products(&msg);
            let missing =
                on_store!(table.as_deref(), state, |s| catalog::unknown_products(s, &msg).await).map_err(business)?;
            if json {
                print_json(&json!({"references": refs.len(), "unknown": missing}))?;
            } else {
                for m in &missing {
                    println!("unknown product: {m} (`wapipe catalog put` it, or fix the message)");
                }
                println!("{} product reference(s), {} unknown", refs.len(), missing.len());
            }
            Ok(u8::from(!missing.is_empty()))
        }
    }
}

/// Run a `wapipe groups` subcommand on local state (or `--table`); the exit code: 0 done, 1
/// invalid group, 4 not recorded (`delete`).
pub async fn run_groups(command: GroupsCommand, state: Option<&Path>) -> Result<u8, String> {
    finish(groups_inner(command, state).await)
}

async fn groups_inner(command: GroupsCommand, state: Option<&Path>) -> Result<u8, Failure> {
    let now = crate::clock::now()?;
    match command {
        GroupsCommand::Create {
            phone_number_id,
            group_id,
            subject,
            description,
            members,
            invite_link,
            table,
            json,
        } => {
            let g = Group { group_id, subject, description, members, invite_link, ..Group::default() };
            on_store!(table.as_deref(), state, |s| groups::create(s, &phone_number_id, &g, now).await)
                .map_err(business)?;
            let text = format!("recorded group {} ({} member(s))", g.group_id, g.members.len());
            done(json, json!({"recorded": g}), &text)
        }
        GroupsCommand::List { number: NumberRecords { phone_number_id, table }, json } => {
            let list =
                on_store!(table.as_deref(), state, |s| groups::list(s, &phone_number_id).await).map_err(business)?;
            if json {
                print_json(&json!({"phone_number_id": phone_number_id, "groups": list}))?;
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|g| {
                        vec![
                            g.group_id.clone(),
                            g.subject.clone(),
                            g.members.len().to_string(),
                            g.invite_link.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print_table(&["GROUP ID", "SUBJECT", "MEMBERS", "INVITE LINK"], &rows);
            }
            Ok(0)
        }
        GroupsCommand::Delete { group_id, number: NumberRecords { phone_number_id, table }, json } => {
            let gone = on_store!(table.as_deref(), state, |s| groups::delete(s, &phone_number_id, &group_id).await)
                .map_err(business)?;
            if !gone {
                return Err(Failure::NotFound(format!("group {group_id} is not recorded")));
            }
            done(json, json!({"deleted": group_id}), &format!("deleted group {group_id}"))
        }
    }
}

/// Run a `wapipe calling` subcommand; the exit code: 0 done, 1 invalid number or settings, 3 EUM
/// refused (`--apply`), 4 no settings recorded (showing them).
pub async fn run_calling(command: CallingCommand, state: Option<&Path>) -> Result<u8, String> {
    finish(calling_inner(command, state).await)
}

async fn calling_inner(command: CallingCommand, state: Option<&Path>) -> Result<u8, Failure> {
    match command {
        CallingCommand::Link { phone, text, json } => {
            let link = calling::deep_link(&phone, text.as_deref()).map_err(business)?;
            done(json, json!({"link": link}), &link)
        }
        CallingCommand::Calls { number: NumberRecords { phone_number_id, table }, json } => {
            let list =
                on_store!(table.as_deref(), state, |s| calling::calls(s, &phone_number_id).await).map_err(business)?;
            if json {
                print_json(&json!({"phone_number_id": phone_number_id, "calls": list}))?;
            } else {
                let text = |c: &calling::CallRecord, k: &str| match c.get(k) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(v) if !v.is_null() => v.to_string(),
                    _ => "-".into(),
                };
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|c| ["call_id", "state", "direction", "from", "to", "duration"].map(|k| text(c, k)).to_vec())
                    .collect();
                print_table(&["CALL ID", "STATE", "DIRECTION", "FROM", "TO", "SECONDS"], &rows);
            }
            Ok(0)
        }
        CallingCommand::Show { wacid, number: NumberRecords { phone_number_id, table }, json } => {
            let call = on_store!(table.as_deref(), state, |s| calling::call(s, &phone_number_id, &wacid).await)
                .map_err(business)?
                .ok_or_else(|| Failure::NotFound(format!("no call {wacid} recorded for {phone_number_id}")))?;
            if json {
                print_json(&serde_json::Value::Object(call))?;
            } else {
                for (k, v) in &call {
                    println!("{k:<26} {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
                }
            }
            Ok(0)
        }
        CallingCommand::Permission { phone_number_id, to, eum, json } => {
            validate::recipient(&FieldPath::root("to"), &to).map_err(|e| Failure::Invalid(vec![e.to_string()]))?;
            let user = if validate::is_bsuid(&to) { CallUser::Bsuid(to.clone()) } else { CallUser::Phone(to.clone()) };
            let p = eum.admin().await.call_permission(&phone_number_id, &user).await?;
            if json {
                print_json(&json!({"to": to, "permission": p}))?;
            } else {
                let until = p.expiration_time.map(|t| format!(" until {t}")).unwrap_or_default();
                println!("{to}: {}{until}", p.status);
                for a in &p.actions {
                    let limits: Vec<String> = a
                        .limits
                        .iter()
                        .map(|l| format!("{}/{} per {}", l.current_usage, l.max_allowed, l.time_period))
                        .collect();
                    println!("  {:<30} {:<5} {}", a.action_name, a.can_perform_action, limits.join(", "));
                }
            }
            Ok(0)
        }
        CallingCommand::Action { action, to, call_id, sdp_file, callback_data, via } => {
            let sdp = match &sdp_file {
                Some(f) => std::fs::read_to_string(f).map_err(|e| Failure::usage(format!("{}: {e}", f.display())))?,
                None => String::new(),
            };
            let need =
                |v: Option<String>, flag: &str| v.ok_or_else(|| Failure::usage(format!("{action} needs {flag}")));
            let call = match action.as_str() {
                "connect" => {
                    CallAction::Connect { to: need(to, "--to")?, sdp, biz_opaque_callback_data: callback_data }
                }
                "pre-accept" | "pre_accept" => CallAction::PreAccept { call_id: need(call_id, "--call-id")?, sdp },
                "accept" => CallAction::Accept {
                    call_id: need(call_id, "--call-id")?,
                    sdp,
                    biz_opaque_callback_data: callback_data,
                },
                "reject" => CallAction::Reject { call_id: need(call_id, "--call-id")? },
                "terminate" => CallAction::Terminate { call_id: need(call_id, "--call-id")? },
                other => {
                    return Err(Failure::usage(format!(
                        "action {other:?}: connect, pre-accept, accept, reject or terminate"
                    )))
                }
            };
            via.send(&call, "").await
        }
        CallingCommand::Event { file, via } => {
            let what = format!("{}: ", file.display());
            let call = CallAction::from_meta_json(&read_json(&file)?)
                .map_err(|e| Failure::Invalid(vec![format!("{what}{e}")]))?;
            via.send(&call, &what).await
        }
        CallingCommand::Settings { from_eum: true, phone_number_id, eum, json, .. } => {
            let held = eum.admin().await.call_settings(&phone_number_id).await?;
            let Some(s) = held else {
                return Err(Failure::NotFound(format!("EUM holds no call settings for {phone_number_id}")));
            };
            done(json, json!({"phone_number_id": phone_number_id, "settings": s}), &settings_line(&phone_number_id, &s))
        }
        CallingCommand::Settings {
            phone_number_id,
            enabled,
            icon_visibility,
            callback_permission,
            hours,
            apply,
            from_eum: false,
            eum,
            table,
            json,
        } => {
            let phone = phone_number_id;
            let current =
                on_store!(table.as_deref(), state, |s| calling::settings(s, &phone).await).map_err(business)?;
            let hours = match &hours {
                Some(f) => Some(
                    serde_json::from_value(read_json(f)?)
                        .map_err(|e| Failure::Invalid(vec![format!("{}: {e}", f.display())]))?,
                ),
                None => None,
            };
            let changing = enabled.is_some()
                || icon_visibility.is_some()
                || callback_permission.is_some()
                || hours.is_some()
                || apply;
            if !changing {
                let Some((s, applied)) = current else {
                    return Err(Failure::NotFound(format!("no call settings recorded for {phone}")));
                };
                let text = format!("{} (applied through EUM: {applied})", settings_line(&phone, &s));
                return done(json, json!({"phone_number_id": phone, "settings": s, "applied_to_eum": applied}), &text);
            }
            let base = current.map(|(s, _)| s).unwrap_or_default();
            let settings = CallSettings {
                call_enabled: enabled.unwrap_or(base.call_enabled),
                call_icon_visibility: icon_visibility.or(base.call_icon_visibility),
                callback_permission_status: callback_permission.or(base.callback_permission_status),
                call_hours: hours.or(base.call_hours),
            };
            calling::validate_settings(&settings).map_err(business)?;
            if apply {
                eum.admin().await.put_call_settings(&phone, &settings).await?;
            }
            let now = crate::clock::now()?;
            on_store!(table.as_deref(), state, |s| calling::record_settings(s, &phone, &settings, apply, now).await)
                .map_err(business)?;
            let how = if apply { " and set through EUM" } else { " (local only; --apply sets them through EUM)" };
            let text = format!("call settings recorded for {phone}{how}");
            done(json, json!({"phone_number_id": phone, "settings": settings, "applied_to_eum": apply}), &text)
        }
    }
}
