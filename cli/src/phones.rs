//! `wapipe phones`: the WABAs and numbers linked to EUM (list, show), a WABA's event
//! destinations (point it at the stack's SNS topic), a number's business public key, and the
//! runbooks of what EUM cannot do (display name change, migration, onboarding) with their
//! acknowledgement.

use std::path::Path;

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use wapipe_core::app::paging::all_wabas;
use wapipe_core::capabilities::{self, not_supported};
use wapipe_core::domain::events::rfc3339;
use wapipe_core::domain::keys;
use wapipe_core::ports::accounts::Accounts;
use wapipe_core::ports::admin::Admin;
use wapipe_core::ports::{Cond, Item, Store, Write};

use crate::operator::{done, finish, on_store, print_json, print_table, progress, EumOpts, Failure};

/// The subcommands of `wapipe phones`.
#[derive(Subcommand)]
pub enum PhonesCommand {
    /// Every linked WABA and its numbers (quality rating included).
    #[command(after_help = "Example:\n  wapipe phones list --json")]
    List {
        /// How to reach EUM.
        #[command(flatten)]
        eum: EumOpts,
        /// Print `{"count", "wabas": [{"waba_id", …, "phones": […]}]}`.
        #[arg(long)]
        json: bool,
    },
    /// One number's detail, by EUM id (`phone-number-id-…`).
    #[command(after_help = "Example:\n  wapipe phones show phone-number-id-… --json")]
    Show {
        /// The number's EUM id (`phone-number-id-…`).
        phone_number_id: String,
        /// How to reach EUM.
        #[command(flatten)]
        eum: EumOpts,
        /// Print `{"phone_number_id", "waba_id", "meta_phone_number_id", "phone_number", …}`.
        #[arg(long)]
        json: bool,
    },
    /// Point a WABA's events at the stack's SNS topic (replaces its destinations).
    #[command(
        after_help = "Example:\n  wapipe phones destinations --waba-id waba-… --topic-arn arn:aws:sns:ap-south-1:123456789012:wapipe-eum-events"
    )]
    Destinations {
        /// The EUM WABA id (`waba-…`) whose events to point.
        #[arg(long)]
        waba_id: String,
        /// SNS topic (or other destination) ARN; repeat for several.
        #[arg(long = "topic-arn", required = true)]
        topic_arns: Vec<String>,
        /// IAM role EUM assumes to publish (when the destination needs one).
        #[arg(long)]
        role_arn: Option<String>,
        /// How to reach EUM.
        #[command(flatten)]
        eum: EumOpts,
        /// Print `{"waba_id", "event_destinations": […]}`.
        #[arg(long)]
        json: bool,
    },
    /// The number's registered business public key and its signature status
    /// (register one with `wapipe flows upload-key`).
    #[command(after_help = "Example:\n  wapipe phones public-key --phone-number-id phone-number-id-…")]
    PublicKey {
        /// The number's EUM id (`phone-number-id-…`).
        #[arg(long, env = "WAPIPE_PHONE_NUMBER_ID")]
        phone_number_id: String,
        /// How to reach EUM.
        #[command(flatten)]
        eum: EumOpts,
        /// Print the key and its signature status as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Unlink a WABA and all its numbers from EUM (DisassociateWhatsAppBusinessAccount). Prints
    /// what stops working; refuses (exit 2) without --confirm.
    #[command(after_help = "Example:\n  wapipe phones disassociate --waba-id waba-… --confirm")]
    Disassociate {
        /// The EUM WABA id (`waba-…`) or its ARN.
        #[arg(long)]
        waba_id: String,
        /// Do it. Without this flag nothing is called and the consequences are printed.
        #[arg(long)]
        confirm: bool,
        /// How to reach EUM.
        #[command(flatten)]
        eum: EumOpts,
        /// Print `{"waba_id", "disassociated", "stops"}`.
        #[arg(long)]
        json: bool,
    },
    /// What EUM cannot do: print the runbook (exit 5), or with --done record that it was done.
    #[command(
        after_help = "Examples:\n  wapipe phones runbook display-name\n  wapipe phones runbook migrate --done --subject +15555550100"
    )]
    Runbook {
        /// Which runbook.
        #[arg(value_enum)]
        name: RunbookName,
        /// Record that the runbook was carried out, instead of printing it.
        #[arg(long)]
        done: bool,
        /// What it was done for (a number, a WABA).
        #[arg(long, default_value = "-")]
        subject: String,
        /// With --done: use the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
        /// With --done: print `{"capability", "subject", "done_at"}`.
        #[arg(long)]
        json: bool,
    },
}

/// The subcommands of `wapipe tags`: the tags of a WABA or phone number ARN in EUM.
#[derive(Subcommand)]
pub enum TagsCommand {
    /// The resource's tags (ListTagsForResource).
    #[command(after_help = "Example:\n  wapipe tags list arn:aws:social-messaging:ap-south-1:123456789012:waba/…")]
    List {
        /// The ARN of a WABA (`…:waba/ID`) or a phone number (`…:phone-number-id/ID`).
        arn: String,
        /// How to reach EUM.
        #[command(flatten)]
        eum: EumOpts,
        /// Print `{"arn", "tags": {KEY: VALUE}}`.
        #[arg(long)]
        json: bool,
    },
    /// Add or overwrite tags (TagResource).
    #[command(
        after_help = "Example:\n  wapipe tags add arn:aws:social-messaging:…:phone-number-id/… team=support cost-centre=42"
    )]
    Add {
        /// The ARN of a WABA or a phone number.
        arn: String,
        /// KEY=VALUE pairs (keys 1 to 128 characters, values at most 256).
        #[arg(required = true, value_name = "KEY=VALUE")]
        tags: Vec<String>,
        /// How to reach EUM.
        #[command(flatten)]
        eum: EumOpts,
        /// Print `{"arn", "tags"}` (the tags after the change).
        #[arg(long)]
        json: bool,
    },
    /// Remove tags by key (UntagResource).
    #[command(after_help = "Example:\n  wapipe tags remove arn:aws:social-messaging:…:waba/… team")]
    Remove {
        /// The ARN of a WABA or a phone number.
        arn: String,
        /// The keys to remove.
        #[arg(required = true, value_name = "KEY")]
        keys: Vec<String>,
        /// How to reach EUM.
        #[command(flatten)]
        eum: EumOpts,
        /// Print `{"arn", "tags"}` (the tags after the change).
        #[arg(long)]
        json: bool,
    },
}

/// What stops when a WABA is disassociated (printed before and after).
pub const DISASSOCIATE_STOPS: &[&str] = &[
    "sending from every number of the WABA (SendWhatsAppMessage answers ResourceNotFound)",
    "event publishing: no more inbound messages or statuses reach the stack's SNS topic",
    "templates, flows, media and call settings through EUM for these numbers",
    "the WABA's tags and event destinations in EUM (link it again in the console to restore)",
];

/// Run a `wapipe tags` subcommand; the exit code: 0 done, 1 a bad ARN or tag, 3 EUM refused.
pub async fn run_tags(command: TagsCommand) -> Result<u8, String> {
    finish(tags_inner(command).await)
}

fn tags_text(arn: &str, tags: &std::collections::BTreeMap<String, String>) -> String {
    let mut out = format!("{arn}: {} tag(s)", tags.len());
    for (k, v) in tags {
        out.push_str(&format!("\n  {k}={v}"));
    }
    out
}

async fn tags_inner(command: TagsCommand) -> Result<u8, Failure> {
    let (arn, eum, json) = match command {
        TagsCommand::List { arn, eum, json } => (arn, eum, json),
        TagsCommand::Add { arn, tags, eum, json } => {
            let mut pairs = std::collections::BTreeMap::new();
            for t in &tags {
                let Some((k, v)) = t.split_once('=') else {
                    return Err(Failure::Invalid(vec![format!("tags: `{t}` is not KEY=VALUE")]));
                };
                pairs.insert(k.to_string(), v.to_string());
            }
            eum.admin().await.tag(&arn, &pairs).await?;
            (arn, eum, json)
        }
        TagsCommand::Remove { arn, keys, eum, json } => {
            eum.admin().await.untag(&arn, &keys).await?;
            (arn, eum, json)
        }
    };
    let tags = eum.admin().await.list_tags(&arn).await?;
    done(json, json!({"arn": arn, "tags": tags}), &tags_text(&arn, &tags))
}

/// The runbooks `wapipe phones runbook` prints, each a capability EUM does not offer.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RunbookName {
    /// Request a display name change (`phone_display_name`).
    DisplayName,
    /// Migrate a phone number (`phone_migrate`).
    Migrate,
    /// Register a phone number (`phone_register`): done in the console signup.
    Register,
}

impl RunbookName {
    fn capability(self) -> &'static str {
        match self {
            RunbookName::DisplayName => "phone_display_name",
            RunbookName::Migrate => "phone_migrate",
            RunbookName::Register => "phone_register",
        }
    }
}

/// Run a `wapipe phones` subcommand; the exit code: 0 done, 1 a destination that is not an ARN,
/// 3 EUM refused, 4 no public key, 5 a runbook printed (what EUM cannot do).
pub async fn run(command: PhonesCommand, state: Option<&Path>) -> Result<u8, String> {
    finish(run_inner(command, state).await)
}

async fn run_inner(command: PhonesCommand, state: Option<&Path>) -> Result<u8, Failure> {
    match command {
        PhonesCommand::List { eum, json } => {
            let accounts = eum.accounts().await;
            let wabas = all_wabas(&accounts).await.map_err(Failure::Eum)?;
            let bar = progress(Some(wabas.len() as u64), json, "WABAs");
            let mut details = Vec::new();
            for w in &wabas {
                details.push(accounts.get_waba(&w.id).await.map_err(Failure::Eum)?);
                bar.inc(1);
            }
            bar.finish_and_clear();
            if json {
                let list: Vec<_> = details
                    .iter()
                    .map(|d| {
                        json!({"waba_id": d.summary.id, "meta_waba_id": d.summary.meta_waba_id, "name": d.summary.name,
                               "registration_status": d.summary.registration_status,
                               "phones": d.phones.iter().map(|p| json!({"phone_number_id": p.eum_phone_number_id,
                                   "meta_phone_number_id": p.meta_phone_number_id, "phone_number": p.phone_number,
                                   "display_name": p.display_name, "quality_rating": p.quality_rating})).collect::<Vec<_>>()})
                    })
                    .collect();
                print_json(&json!({"count": list.len(), "wabas": list}))?;
            } else {
                let rows: Vec<Vec<String>> = details
                    .iter()
                    .flat_map(|d| {
                        d.phones.iter().map(move |p| {
                            vec![
                                d.summary.id.clone(),
                                p.eum_phone_number_id.clone(),
                                p.phone_number.clone(),
                                p.display_name.clone(),
                                p.quality_rating.clone(),
                                p.meta_phone_number_id.clone(),
                            ]
                        })
                    })
                    .collect();
                print_table(&["WABA", "PHONE NUMBER ID", "NUMBER", "NAME", "QUALITY", "META ID"], &rows);
                println!("{} WABA(s), {} number(s)", details.len(), rows.len());
            }
            Ok(0)
        }
        PhonesCommand::Show { phone_number_id, eum, json } => {
            let d = eum.accounts().await.get_phone(&phone_number_id).await.map_err(Failure::Eum)?;
            let p = &d.phone;
            if json {
                print_json(&json!({"phone_number_id": p.eum_phone_number_id, "waba_id": d.linked_waba_id,
                    "meta_phone_number_id": p.meta_phone_number_id, "phone_number": p.phone_number,
                    "display_phone_number": p.display_phone_number, "display_name": p.display_name,
                    "quality_rating": p.quality_rating, "data_localization_region": p.data_localization_region}))?;
            } else {
                println!("{} ({}) {} in {}", p.phone_number, p.display_name, p.eum_phone_number_id, d.linked_waba_id);
                println!("quality rating: {}", if p.quality_rating.is_empty() { "-" } else { &p.quality_rating });
                println!("(EUM exposes no tier or name status: `wapipe capabilities show phone_name_status`)");
            }
            Ok(0)
        }
        PhonesCommand::Disassociate { waba_id, confirm, eum, json } => {
            let stops: Vec<String> = DISASSOCIATE_STOPS.iter().map(|s| format!("- {s}")).collect();
            if !confirm {
                eprintln!("disassociating {waba_id} from EUM stops:\n{}", stops.join("\n"));
                return Err(Failure::usage("nothing done: add --confirm to disassociate"));
            }
            eum.admin().await.disassociate_waba(&waba_id).await?;
            let text = format!("{waba_id} disassociated; stopped:\n{}", stops.join("\n"));
            done(json, json!({"waba_id": waba_id, "disassociated": true, "stops": DISASSOCIATE_STOPS}), &text)
        }
        PhonesCommand::Destinations { waba_id, topic_arns, role_arn, eum, json } => {
            for a in &topic_arns {
                if !a.starts_with("arn:") {
                    return Err(Failure::Invalid(vec![format!("topic_arn: `{a}` is not an ARN")]));
                }
            }
            let list: Vec<(String, Option<String>)> =
                topic_arns.iter().map(|a| (a.clone(), role_arn.clone())).collect();
            eum.admin().await.put_event_destinations(&waba_id, &list).await?;
            let text = format!("{waba_id}: events now go to {}", topic_arns.join(", "));
            done(json, json!({"waba_id": waba_id, "event_destinations": topic_arns}), &text)
        }
        PhonesCommand::PublicKey { phone_number_id, eum, json } => {
            let key = eum.admin().await.get_public_key(&phone_number_id).await?;
            if key.pem.is_empty() {
                return Err(Failure::NotFound(format!(
                    "no public key for {phone_number_id}: `wapipe flows upload-key` registers one"
                )));
            }
            if json {
                print_json(&key)?;
            } else {
                println!("{}", key.pem);
                eprintln!("signature status: {}", key.signature_status);
            }
            Ok(0)
        }
        PhonesCommand::Runbook { name, done: acknowledged, subject, table, json } => {
            let id = name.capability();
            let Some(cap) = capabilities::find(id) else {
                return Err(Failure::NotFound(format!("no capability {id}")));
            };
            if !acknowledged {
                return Err(Failure::NotSupported(not_supported(cap)));
            }
            let at = rfc3339(crate::clock::now()?);
            let k = keys::runbook_ack(id, &at, &subject);
            let item = Item::new(k.pk, k.sk)
                .with("capability", id)
                .with("subject", subject.clone())
                .with("done_at", at.clone());
            on_store!(table.as_deref(), state, |s| s.write(Write::put_if(item, Cond::ItemMissing)).await)?;
            let text = format!("recorded: {} done for {subject} at {at}", cap.feature);
            done(json, json!({"capability": id, "subject": subject, "done_at": at}), &text)
        }
    }
}
