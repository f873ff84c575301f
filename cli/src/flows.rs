//! `wapipe flows`: Flow JSON checks, the endpoint's key pair (generate, register with EUM),
//! flow tokens and stored responses, the flows registry through EUM (`flows_registry`); and the flow endpoint in local mode (`wapipe dev`'s
//! `POST /flow`, and the consumer that stores flow responses on replay).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Subcommand;
use flow_endpoint::{Completions, FlowEndpoint};
use serde_json::{json, Value};
use wapipe_core::app::publish::RetryPolicy;
use wapipe_core::domain::flows::crypto::{generate_key_pair, key_bits, parse_public_key};
use wapipe_core::domain::flows::responses::response_json;
use wapipe_core::domain::flows::token::{issue_flow_token, FlowTokenSpec};
use wapipe_core::domain::flows::validate::{has_errors, validate_text, Options};
use wapipe_core::domain::keys;
use wapipe_core::domain::routes::Consumer;
use wapipe_core::memory::MemoryStore;
use wapipe_core::ports::{Index, Item, Query, Store, SystemClock, WriteOutcome};

use crate::exit;
use crate::local::{Local, LocalFn};

/// The file name `flows keygen` writes the private key to (PEM, mode 0600).
pub const PRIVATE_KEY_FILE: &str = "flow-private-key.pem";
/// The file name `flows keygen` writes the public key to (PEM), for `flows upload-key`.
pub const PUBLIC_KEY_FILE: &str = "flow-public-key.pem";

/// The subcommands of `wapipe flows`.
#[derive(Subcommand)]
pub enum FlowsCommand {
    /// Check a Flow JSON document: every problem with its JSON path; exit 1 on errors.
    Validate {
        /// The Flow JSON document to check.
        file: PathBuf,
        /// The flow's endpoint URI (must be https), when it exchanges data.
        #[arg(long)]
        endpoint_uri: Option<String>,
        /// Print the problems as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write an RSA-2048 key pair: DIR/flow-private-key.pem (mode 0600) and DIR/flow-public-key.pem.
    Keygen {
        /// The folder to write the two key files into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Encrypt the private key (PKCS#8) with this passphrase.
        #[arg(long, env = "WAPIPE_FLOW_KEY_PASSPHRASE", hide_env_values = true)]
        passphrase: Option<String>,
        /// Replace existing key files.
        #[arg(long)]
        force: bool,
    },
    /// Register the public key with EUM (PutWhatsAppBusinessPublicKey) and print its signature
    /// status (GetWhatsAppBusinessPublicKey). AWS credentials and region from the environment.
    UploadKey {
        /// EUM phone number id (`phone-number-id-…`) or its ARN.
        #[arg(long)]
        phone_number_id: String,
        /// The public key to register (PEM, e.g. DIR/flow-public-key.pem from `flows keygen`).
        #[arg(long, value_name = "FILE")]
        public_key: PathBuf,
        /// Another EUM endpoint (a fake or a VPC endpoint).
        #[arg(long)]
        endpoint_url: Option<String>,
    },
    /// Issue a flow token and record its session (local state, or the table with --table).
    Token {
        /// Meta flow id or flow name.
        #[arg(long)]
        flow: String,
        /// The business number (Meta phone_number_id).
        #[arg(long)]
        phone_number_id: String,
        /// Recipient wa_id (digits) or BSUID.
        #[arg(long)]
        to: String,
        /// How long the token's session lasts, in hours.
        #[arg(long, default_value_t = 168)]
        ttl_hours: i64,
        /// Record the session in the DynamoDB table TABLE instead of local state.
        #[arg(long)]
        table: Option<String>,
    },
    /// The flows registry through EUM (create … assets).
    #[command(flatten)]
    Registry(crate::flows_registry::RegistryCommand),
    /// List the stored responses of a flow (Meta flow id or name) or of one flow token.
    Responses {
        /// A Meta flow id or flow name, or one flow token.
        target: String,
        /// Print `{"target", "count", "responses": […]}`.
        #[arg(long)]
        json: bool,
        /// Read the DynamoDB table NAME instead of local state.
        #[arg(long)]
        table: Option<String>,
    },
}

/// Run a `wapipe flows` subcommand; the exit code: 0 done, 1 the Flow JSON has errors
/// (`validate`) or the uploaded key's signature status is not VALID (`upload-key`); registry
/// commands as [`crate::flows_registry::run`].
pub async fn run(command: FlowsCommand, state: Option<&Path>) -> Result<u8, String> {
    match command {
        FlowsCommand::Registry(command) => crate::flows_registry::run(command, state).await,
        FlowsCommand::Validate { file, endpoint_uri, json } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let problems = validate_text(&text, &Options { endpoint_uri });
            if json {
                let list: Vec<Value> = problems
                    .iter()
                    .map(|p| json!({"severity": format!("{:?}", p.severity).to_lowercase(), "path": p.path, "message": p.message}))
                    .collect();
                println!("{}", json!({"file": file.display().to_string(), "problems": list}));
            } else if problems.is_empty() {
                println!("{}: ok", file.display());
            } else {
                for p in &problems {
                    println!("{}: {p}", file.display());
                }
            }
            Ok(u8::from(has_errors(&problems)))
        }
        FlowsCommand::Keygen { out, passphrase, force } => {
            let (private, public) = keygen(&out, passphrase.as_deref(), force)?;
            println!("private key: {} (mode 0600; keep it secret)", private.display());
            println!("public key:  {}", public.display());
            println!("next: wapipe flows upload-key --phone-number-id <id> --public-key {}", public.display());
            Ok(0)
        }
        FlowsCommand::UploadKey { phone_number_id, public_key, endpoint_url } => {
            let pem = std::fs::read_to_string(&public_key).map_err(|e| format!("{}: {e}", public_key.display()))?;
            let admin = crate::operator::EumOpts { endpoint_url }.admin().await;
            let status = upload_key(&admin, &phone_number_id, &pem).await?;
            println!("public key registered for {phone_number_id}; signature status: {status}");
            Ok(if status == "VALID" { exit::DONE } else { exit::INVALID })
        }
        FlowsCommand::Token { flow, phone_number_id, to, ttl_hours, table } => {
            let spec = FlowTokenSpec {
                flow: &flow,
                phone_number_id: &phone_number_id,
                recipient: to.trim_start_matches('+'),
                request_id: None,
                wamid: None,
                token: None,
                ttl: Some(time::Duration::hours(ttl_hours)),
            };
            let issued = issue_flow_token(&spec, crate::clock::now()?).map_err(|e| e.to_string())?;
            let outcome = match table {
                Some(t) => dynamo(&t).await.write(issued.write.clone()).await,
                None => {
                    let local = Local::open(state)?;
                    let out = local.store.write(issued.write.clone()).await;
                    local.save()?;
                    out
                }
            };
            match outcome.map_err(|e| e.to_string())? {
                WriteOutcome::Applied => println!("{}", issued.token),
                WriteOutcome::ConditionFailed => return Err("the token already has a session".into()),
            }
            Ok(0)
        }
        FlowsCommand::Responses { target, json, table } => {
            let items = match table {
                Some(t) => responses(&dynamo(&t).await, &target).await,
                None => responses(&Local::open(state)?.store, &target).await,
            }
            .map_err(|e| e.to_string())?;
            print_responses(&target, &items, json);
            Ok(0)
        }
    }
}

async fn dynamo(table: &str) -> wapipe_core::aws::DynamoStore {
    let sdk = wapipe_core::aws::sdk_config().await;
    wapipe_core::aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table.to_string())
}

/// Write a fresh key pair into `dir`; the private key file is created with mode 0600.
pub fn keygen(dir: &Path, passphrase: Option<&str>, force: bool) -> Result<(PathBuf, PathBuf), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let private = dir.join(PRIVATE_KEY_FILE);
    let public = dir.join(PUBLIC_KEY_FILE);
    for p in [&private, &public] {
        if p.exists() && !force {
            return Err(format!("{} exists (use --force to replace it)", p.display()));
        }
    }
    let (private_pem, public_pem) = generate_key_pair(passphrase).map_err(|e| e.to_string())?;
    write_private(&private, private_pem.as_bytes())?;
    std::fs::write(&public, public_pem).map_err(|e| format!("{}: {e}", public.display()))?;
    Ok((private, public))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        // An existing file keeps its mode on open: set it before writing the key.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let mut f = opts.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Register `pem` for the phone number through the admin port (PutWhatsAppBusinessPublicKey),
/// then read back its signature status (GetWhatsAppBusinessPublicKey). A private key or a
/// non-RSA key is refused before any call.
pub async fn upload_key<A: wapipe_core::ports::admin::Admin>(
    admin: &A,
    phone_number_id: &str,
    pem: &str,
) -> Result<String, String> {
    let key = parse_public_key(pem).map_err(|e| e.to_string())?;
    eprintln!("uploading an RSA-{} public key", key_bits(&key));
    admin.put_public_key(phone_number_id, pem).await.map_err(|e| format!("PutWhatsAppBusinessPublicKey: {e}"))?;
    let got = admin.get_public_key(phone_number_id).await.map_err(|e| format!("GetWhatsAppBusinessPublicKey: {e}"))?;
    if got.pem.trim() != pem.trim() {
        eprintln!("warning: EUM returns a different public key than the one uploaded");
    }
    Ok(if got.signature_status.is_empty() { "UNKNOWN".into() } else { got.signature_status })
}

/// Responses of a token (its partition) and of a flow (GSI1), oldest first.
pub async fn responses<S: Store>(store: &S, target: &str) -> Result<Vec<Item>, wapipe_core::ports::PortError> {
    let mut by_token = Query::table(keys::flow_partition(target), keys::FLOW_RESPONSE_PREFIX);
    by_token.limit = Some(100);
    let mut by_flow = Query::table(keys::flow_responses_of(target), "");
    by_flow.index = Index::Gsi1;
    by_flow.limit = Some(100);
    let mut items: Vec<Item> = Vec::new();
    for q in [by_token, by_flow] {
        items.extend(wapipe_core::app::paging::all_items(store, q, wapipe_core::app::paging::MAX_PAGES).await?);
    }
    items.sort_by(|a, b| (a.get_str("occurred_at"), &a.pk, &a.sk).cmp(&(b.get_str("occurred_at"), &b.pk, &b.sk)));
    items.dedup_by(|a, b| a.pk == b.pk && a.sk == b.sk);
    Ok(items)
}

fn print_responses(target: &str, items: &[Item], json: bool) {
    if json {
        let list: Vec<Value> = items.iter().map(response_json).collect();
        println!("{}", json!({"target": target, "count": list.len(), "responses": list}));
        return;
    }
    if items.is_empty() {
        println!("no responses for {target}");
        return;
    }
    for i in items {
        let response = i.attrs.get("response").map(Value::to_string).unwrap_or_default();
        println!(
            "{}  token {}  from {}  {response}",
            i.get_str("occurred_at").unwrap_or("?"),
            i.get_str("flow_token").unwrap_or("?"),
            i.get_str("from").unwrap_or("-"),
        );
    }
    println!("{} response(s)", items.len());
}

/// The flow endpoint as `wapipe dev` runs it: on local state's store, with the system clock.
pub type DevFlowEndpoint = FlowEndpoint<Arc<MemoryStore>, SystemClock>;

/// The flow endpoint of `wapipe dev`: local state, the key in `key_file`, the built-in flow
/// definitions plus those of `flows_dir`.
pub fn dev_endpoint(
    local: &Local,
    key_file: &Path,
    passphrase: Option<&str>,
    app_secret: Option<&str>,
    flows_dir: Option<&Path>,
) -> Result<DevFlowEndpoint, String> {
    let pem = std::fs::read_to_string(key_file).map_err(|e| format!("{}: {e}", key_file.display()))?;
    let keys = flow_endpoint::lambda::key_ring(&pem, None, passphrase).map_err(|e| e.to_string())?;
    Ok(FlowEndpoint {
        flows: flow_endpoint::registry(flows_dir)?,
        store: local.store.clone(),
        clock: SystemClock,
        keys,
        app_secret: app_secret.filter(|s| !s.is_empty()).map(|s| s.as_bytes().to_vec()),
    })
}

/// `wapipe dev`'s flow endpoint when a key file is given (passphrase from
/// `WAPIPE_FLOW_KEY_PASSPHRASE`, extra definitions from `WAPIPE_FLOWS_DIR`).
pub fn dev_flow(
    local: &Local,
    key_file: Option<&Path>,
    app_secret: Option<&str>,
) -> Result<Option<DevFlowEndpoint>, String> {
    let Some(key_file) = key_file else { return Ok(None) };
    let passphrase = std::env::var("WAPIPE_FLOW_KEY_PASSPHRASE").ok();
    let dir = std::env::var_os("WAPIPE_FLOWS_DIR").map(PathBuf::from);
    dev_endpoint(local, key_file, passphrase.as_deref(), app_secret, dir.as_deref()).map(Some)
}

/// Run the flow-endpoint consumer in local mode.
pub fn register(local: &mut Local) {
    let mut c = Completions::new(local.store.clone(), local.bus.clone(), SystemClock);
    c.publish = RetryPolicy::immediate(3);
    local.register(Arc::new(LocalFn::new(Consumer::FlowEndpoint, c)));
}

#[cfg(test)]
#[path = "flows_tests.rs"]
mod tests;
