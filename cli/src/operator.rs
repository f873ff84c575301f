//! What the operator commands (`templates`, `media`, `flows`, `phones`, …) share: the EUM
//! clients, the WABA to act on, where local records live (local state or `--table`), output
//! helpers, and errors that say what to do next with a documented exit code.

use crate::exit;
use clap::Args;
use serde::Serialize;
use wapipe_core::app::paging::all_wabas;
use wapipe_core::aws::{sdk_config, DynamoStore, EumAccounts, EumAdmin};
use wapipe_core::capabilities::NotSupported;
use wapipe_core::ports::admin::AdminError;
use wapipe_core::ports::messaging::MessagingError;

/// Options of every command that calls EUM Social.
#[derive(Args, Clone, Debug, Default)]
pub struct EumOpts {
    /// EUM endpoint URL (a VPC endpoint, or a fake on 127.0.0.1); default: the AWS SDK
    /// environment (AWS_ENDPOINT_URL_SOCIALMESSAGING / AWS_ENDPOINT_URL, AWS_REGION, credentials).
    #[arg(long, value_name = "URL", env = "WAPIPE_EUM_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
}

impl EumOpts {
    /// An EUM Social admin client: the SDK configuration from the environment, at `endpoint_url`
    /// when given.
    pub async fn admin(&self) -> EumAdmin {
        let conf = sdk_config().await;
        let conf = match &self.endpoint_url {
            Some(url) => conf.into_builder().endpoint_url(url).build(),
            None => conf,
        };
        EumAdmin::from_conf(&conf)
    }

    /// An EUM Social client for the linked accounts (WABAs and numbers), configured as
    /// [`EumOpts::admin`].
    pub async fn accounts(&self) -> EumAccounts {
        let conf = sdk_config().await;
        let conf = match &self.endpoint_url {
            Some(url) => conf.into_builder().endpoint_url(url).build(),
            None => conf,
        };
        EumAccounts::from_conf(&conf)
    }
}

/// Options of commands that act on one WABA.
#[derive(Args, Clone, Debug, Default)]
pub struct WabaOpts {
    /// EUM WABA id (`waba-…`); default: the only linked WABA.
    #[arg(long, value_name = "ID", env = "WAPIPE_WABA_ID")]
    pub waba_id: Option<String>,
    /// How to reach EUM.
    #[command(flatten)]
    pub eum: EumOpts,
}

impl WabaOpts {
    /// The WABA id given, or the only linked one.
    pub async fn resolve(&self) -> Result<String, Failure> {
        if let Some(id) = self.waba_id.as_deref().filter(|s| !s.is_empty()) {
            return Ok(id.to_string());
        }
        let wabas = all_wabas(&self.eum.accounts().await).await.map_err(Failure::Eum)?;
        match wabas.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(Failure::usage("no WABA is linked to EUM in this account and region: link one (`wapipe capabilities show phone_register`)")),
            many => Err(Failure::usage(format!(
                "{} WABAs are linked: pass --waba-id (one of {})",
                many.len(),
                many.iter().map(|w| w.id.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }
}

/// Why an operator command stopped, and its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage, an unreadable input, or an error that stopped the command (exit 2).
    Usage(String),
    /// Invalid input, each problem with its path; nothing was sent (exit 1).
    Invalid(Vec<String>),
    /// EUM refused or failed; printed with what to try next (exit 3).
    Eum(MessagingError),
    /// The thing asked for does not exist (exit 4).
    NotFound(String),
    /// EUM cannot do this; printed with the runbook (exit 5).
    NotSupported(NotSupported),
}

impl Failure {
    /// A [`Failure::Usage`] with the message `m`.
    pub fn usage(m: impl Into<String>) -> Failure {
        Failure::Usage(m.into())
    }

    /// Print the error with what to do next; the exit code.
    pub fn report(&self) -> u8 {
        match self {
            Failure::Usage(m) => {
                eprintln!("wapipe: {m}");
                2
            }
            Failure::Invalid(problems) => {
                for p in problems {
                    eprintln!("invalid: {p}");
                }
                eprintln!("nothing was sent to EUM; fix the problems above and run the command again");
                exit::INVALID
            }
            Failure::Eum(e) => {
                eprintln!("wapipe: EUM refused: {e}");
                eprintln!("next: {}", next_step(e));
                exit::REFUSED
            }
            Failure::NotFound(m) => {
                eprintln!("wapipe: {m}");
                exit::NOT_FOUND
            }
            Failure::NotSupported(n) => {
                eprintln!("wapipe: {n}");
                eprint!("{}", n.steps_text());
                exit::NOT_SUPPORTED
            }
        }
    }
}

impl From<AdminError> for Failure {
    fn from(e: AdminError) -> Failure {
        match e {
            AdminError::Invalid { field, message } => Failure::Invalid(vec![format!("{field}: {message}")]),
            AdminError::Eum(m) => Failure::Eum(m),
        }
    }
}

impl From<String> for Failure {
    fn from(m: String) -> Failure {
        Failure::Usage(m)
    }
}

impl From<wapipe_core::ports::PortError> for Failure {
    fn from(e: wapipe_core::ports::PortError) -> Failure {
        Failure::Usage(format!("table: {e}"))
    }
}

/// What to try after an EUM error.
fn next_step(e: &MessagingError) -> &'static str {
    match e.exception.as_str() {
        "ResourceNotFoundException" => {
            "check the id (`wapipe phones list`, `wapipe templates list`, `wapipe flows list`)"
        }
        "AccessDeniedException" => "the AWS credentials lack this social-messaging permission (IAM)",
        "AccessDeniedByMetaException" => "Meta refused: check the WABA's status and permissions in WhatsApp Manager",
        "ThrottledRequestException" | "DependencyException" | "InternalServiceException" => {
            "a transient failure: run the command again in a minute"
        }
        "ValidationException" | "InvalidParametersException" => "fix the input EUM named in the message",
        "Timeout" | "NetworkError" => "EUM did not answer: check the network or --endpoint-url, then retry",
        _ if e.exception.starts_with("ConfigurationError") => {
            "set AWS_REGION and credentials (or --endpoint-url for a fake/VPC endpoint)"
        }
        _ => "see the message above",
    }
}

/// Turn a command's outcome into its exit code.
pub fn finish(r: Result<u8, Failure>) -> Result<u8, String> {
    Ok(r.unwrap_or_else(|f| f.report()))
}

/// Print a value as pretty JSON.
pub fn print_json<T: Serialize>(v: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(v).map_err(|e| Failure::usage(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Print rows as an aligned table (columns as wide as their widest cell, at most 60).
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if let Some(w) = width.get_mut(i) {
                *w = (*w).max(cell.chars().count()).min(60);
            }
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = width.get(i).copied().unwrap_or(0);
                let c: String = c.chars().take(60).collect();
                format!("{c:<w$}")
            })
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        line(r.clone());
    }
}

/// A progress spinner/bar on stderr; hidden for JSON output or when stderr is not a terminal.
pub fn progress(len: Option<u64>, json: bool, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = if len.is_some() { "{bar:30} {pos}/{len} {msg}" } else { "{spinner} {pos} {msg}" };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

/// The DynamoDB table `name` with the SDK configuration from the environment.
pub async fn dynamo(name: &str) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk_config().await), name.to_string())
}

/// Evaluate `$body` with `$s` bound to the DynamoDB table `$table` (when `Some`) or to local
/// state (opened from `$state` and saved afterwards). A macro because the body is generic
/// over the store type.
macro_rules! on_store {
    ($table:expr, $state:expr, |$s:ident| $body:expr) => {{
        match $table {
            Some(t) => {
                let store = crate::operator::dynamo(t).await;
                let $s = &store;
                $body
            }
            None => {
                let local = crate::local::Local::open($state)?;
                let $s = &*local.store;
                let out = $body;
                local.save()?;
                out
            }
        }
    }};
}
pub(crate) use on_store;

/// Print the outcome of an action: `value` as JSON, or `text` for people.
pub fn done(json: bool, value: serde_json::Value, text: &str) -> Result<u8, Failure> {
    if json {
        print_json(&value)?;
    } else {
        println!("{text}");
    }
    Ok(0)
}
