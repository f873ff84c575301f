//! `wapipe profile`: the business profile, local only (EUM has no profile API) — stored with
//! its version history, applied by hand in WhatsApp Manager (`apply-instructions`), then
//! acknowledged (`mark-applied`). `push` is the upgrade hook: it answers "not supported" with
//! the runbook until EUM offers the operation.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;
use wapipe_core::app::business::profile::{self, Profile};
use wapipe_core::app::business::BusinessError;
use wapipe_core::capabilities::require_eum;

use crate::operator::{done, finish, on_store, print_json, print_table, Failure};

/// The number a profile command acts on, where its profile is stored, and the output format.
#[derive(Args, Clone, Debug)]
pub struct Target {
    /// Meta phone_number_id (or EUM id) the profile belongs to.
    #[arg(long, value_name = "ID", env = "WAPIPE_PHONE_NUMBER_ID")]
    pub phone_number_id: String,
    /// The DynamoDB table NAME instead of local state.
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The subcommands of `wapipe profile`.
#[derive(Subcommand)]
pub enum ProfileCommand {
    /// The stored profile (current version) and whether it was applied.
    #[command(after_help = "Example:\n  wapipe profile show --phone-number-id 106540352242922 --json")]
    Show {
        /// The number, where the profile is stored, and the output format.
        #[command(flatten)]
        target: Target,
    },
    /// Store a new version from FILE (JSON: about, address, description, email, websites, vertical, profile_picture_s3_key).
    #[command(after_help = "Example:\n  wapipe profile update --phone-number-id 1065… profile.json")]
    Update {
        /// The profile, as a JSON object of the fields above.
        file: PathBuf,
        /// The number, where the profile is stored, and the output format.
        #[command(flatten)]
        target: Target,
    },
    /// Every stored version, oldest first.
    #[command(after_help = "Example:\n  wapipe profile history --phone-number-id 106540352242922")]
    History {
        /// The number, where the profile is stored, and the output format.
        #[command(flatten)]
        target: Target,
    },
    /// The manual steps to apply the current version in WhatsApp Manager (changed fields marked).
    #[command(after_help = "Example:\n  wapipe profile apply-instructions --phone-number-id 106540352242922")]
    ApplyInstructions {
        /// The number, where the profile is stored, and the output format.
        #[command(flatten)]
        target: Target,
    },
    /// Record that VERSION was applied in WhatsApp Manager.
    #[command(after_help = "Example:\n  wapipe profile mark-applied --phone-number-id 106540352242922 --version 3")]
    MarkApplied {
        /// The stored version that was applied (`profile history` lists them).
        #[arg(long)]
        version: u64,
        /// The number, where the profile is stored, and the output format.
        #[command(flatten)]
        target: Target,
    },
    /// Push the profile to WhatsApp through EUM: not supported today (exit 5, runbook printed).
    #[command(
        after_help = "Example:\n  wapipe profile push --phone-number-id 106540352242922   (exit 5: prints the runbook)"
    )]
    Push {
        /// The number, where the profile is stored, and the output format.
        #[command(flatten)]
        target: Target,
    },
}

/// Run a `wapipe profile` subcommand on local state (or `--table`); the exit code: 0 done, 1 an
/// invalid profile, 4 no profile stored, 5 `push` (not supported by EUM; the runbook printed).
pub async fn run(command: ProfileCommand, state: Option<&Path>) -> Result<u8, String> {
    finish(run_inner(command, state).await)
}

/// A local-only error as a CLI failure.
pub fn business(e: BusinessError) -> Failure {
    match e {
        BusinessError::Invalid { field, message } => Failure::Invalid(vec![format!("{field}: {message}")]),
        BusinessError::NotFound(m) => Failure::NotFound(m),
        BusinessError::Conflict(m) => Failure::usage(format!("{m} (run the command again)")),
        BusinessError::Store(e) => Failure::from(e),
    }
}

async fn run_inner(command: ProfileCommand, state: Option<&Path>) -> Result<u8, Failure> {
    let now = crate::clock::now()?;
    match command {
        ProfileCommand::Show { target } => {
            let json = target.json;
            let phone = target.phone_number_id.clone();
            let cur =
                on_store!(target.table.as_deref(), state, |s| profile::current(s, &phone).await).map_err(business)?;
            let Some(cur) = cur else {
                return Err(Failure::NotFound(format!(
                    "no profile stored for {phone}: `wapipe profile update` stores one"
                )));
            };
            if json {
                print_json(&cur)?;
            } else {
                println!("{phone}: version {} ({}), updated {}", cur.version, cur.applied_state, cur.updated_at);
                println!("{}", serde_json::to_string_pretty(&cur.profile).unwrap_or_default());
            }
            Ok(0)
        }
        ProfileCommand::Update { file, target } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
            let p: Profile =
                serde_json::from_str(&text).map_err(|e| Failure::Invalid(vec![format!("{}: {e}", file.display())]))?;
            let phone = target.phone_number_id.clone();
            let v = on_store!(target.table.as_deref(), state, |s| profile::update(s, &phone, &p, now).await)
                .map_err(business)?;
            eprintln!("next: `wapipe profile apply-instructions --phone-number-id {phone}`");
            let text = format!("stored version {v} for {phone} (pending)");
            done(target.json, json!({"phone_number_id": phone, "version": v, "applied_state": "pending"}), &text)
        }
        ProfileCommand::History { target } => {
            let json = target.json;
            let phone = target.phone_number_id.clone();
            let h =
                on_store!(target.table.as_deref(), state, |s| profile::history(s, &phone).await).map_err(business)?;
            if json {
                print_json(&json!({"phone_number_id": phone, "versions": h}))?;
            } else {
                let rows: Vec<Vec<String>> = h
                    .iter()
                    .map(|s| {
                        vec![
                            s.version.to_string(),
                            s.updated_at.clone(),
                            s.applied_state.clone(),
                            s.profile.about.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print_table(&["VERSION", "UPDATED", "STATE", "ABOUT"], &rows);
            }
            Ok(0)
        }
        ProfileCommand::ApplyInstructions { target } => {
            let phone = target.phone_number_id.clone();
            let (cur, hist) = on_store!(target.table.as_deref(), state, |s| async {
                Ok::<_, BusinessError>((profile::current(s, &phone).await?, profile::history(s, &phone).await?))
            }
            .await)
            .map_err(business)?;
            let Some(cur) = cur else {
                return Err(Failure::NotFound(format!("no profile stored for {phone}")));
            };
            let applied = cur.applied_version.and_then(|v| hist.iter().find(|s| s.version == v)).map(|s| &s.profile);
            let steps = profile::apply_instructions(&cur, applied);
            if target.json {
                return done(true, json!({"phone_number_id": phone, "version": cur.version, "steps": steps}), "");
            }
            for (i, line) in steps.iter().enumerate() {
                println!("{}. {line}", i + 1);
            }
            Ok(0)
        }
        ProfileCommand::MarkApplied { version, target } => {
            let phone = target.phone_number_id.clone();
            on_store!(target.table.as_deref(), state, |s| profile::mark_applied(s, &phone, version, now).await)
                .map_err(business)?;
            let text = format!("{phone}: version {version} marked applied");
            done(target.json, json!({"phone_number_id": phone, "applied_version": version}), &text)
        }
        ProfileCommand::Push { .. } => {
            require_eum("business_profile_update").map_err(Failure::NotSupported)?;
            Err(Failure::usage("EUM now offers a profile operation: update wapipe to use it"))
        }
    }
}
