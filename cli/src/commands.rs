//! The command line: its arguments (clap) and the dispatch of each subcommand to its module.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::{
    bench, business, capabilities, completions, dev, dlq, exit, flows, local, media, operator, payments, phones,
    profile, quality, replay, sandbox, send, status, templates,
};

/// Examples, then the exit-code table of [`crate::exit`] (a test keeps the two in step).
pub const AFTER_HELP: &str = "Examples:
  wapipe replay events/                 feed the sample events through ingest, print a summary
  wapipe replay events/ --json          the same summary as one JSON document
  wapipe --state s.json replay a.json   keep state in s.json across commands
  wapipe dev --listen 127.0.0.1:8710    serve POST /eum, GET|POST /webhook, GET /events
  wapipe sign --secret S body.json      the X-Hub-Signature-256 header Meta would send
With no command, wapipe runs `dev` on 127.0.0.1:8710 and replays ./events if it exists.
Shell completions: wapipe completions bash|zsh|fish.
Exit codes (every command): 0 done; 1 invalid input (every problem printed with its path,
nothing sent); 2 bad usage or a stopped command; 3 refused (EUM, the processor or the worker
said no); 4 not found; 5 not supported by EUM (the runbook is printed); 6 not finished
(records or commands left to retry); 7 records parked under --strict.";

/// The `wapipe` command line: WhatsApp through AWS End User Messaging Social, local mode and tools.
#[derive(Parser)]
#[command(name = "wapipe", version, about = "WhatsApp through AWS End User Messaging Social: local mode and tools")]
#[command(after_help = AFTER_HELP)]
pub struct Cli {
    /// Load local state from FILE (if it exists) and save it there on exit.
    #[arg(long, global = true, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Log progress to stderr (RUST_LOG / WAPIPE_LOG override).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Local mode: simulate each service's latency with real sleeps, e.g.
    /// `dynamodb=5ms,eventbridge=20ms,sqs=10ms,eum=150ms` (a p50/p99 pair: `dynamodb=5ms/40ms`).
    #[arg(long, global = true, value_name = "SPEC")]
    pub latency: Option<String>,
    /// The subcommand; none runs `dev` on 127.0.0.1:8710 and replays ./events if it exists.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands of `wapipe message`.
#[derive(Subcommand)]
pub enum MessageCommand {
    /// Validate FILE (a send request) and print the Cloud API JSON it would send.
    Check {
        /// The send request (JSON) to check.
        file: PathBuf,
    },
}

/// The subcommands of `wapipe`.
#[derive(Subcommand)]
pub enum Command {
    /// Send a request (docs/ARCHITECTURE.md §4): locally through the send worker on the sandbox,
    /// printing the message's life; with --queue-url to a real SQS send queue. Exit: 0
    /// accepted, 6 still waiting, 3 rejected or failed.
    #[command(display_order = 3)]
    Send {
        /// The send request (JSON, docs/ARCHITECTURE.md §4).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Put the request on this SQS queue instead of running locally.
        #[arg(long, value_name = "URL")]
        queue_url: Option<String>,
        /// Local: as if the recipient had just written (opens the 24-hour window).
        #[arg(long)]
        open_window: bool,
        /// Local: what Meta does next: read, delivered or failed:CODE.
        #[arg(long, default_value = "read")]
        playback: String,
        /// Local: print the events as JSON.
        #[arg(long)]
        json: bool,
        /// Local: seconds to wait for a paced or retried request.
        #[arg(long, default_value_t = 15)]
        wait: u64,
    },
    /// Outbound messages: `check FILE` validates a send request and prints the exact Cloud
    /// API JSON, or the field error (exit 1).
    #[command(display_order = 4)]
    Message {
        /// What to do with a message (`check FILE`).
        #[command(subcommand)]
        command: MessageCommand,
    },
    /// What a batch costs in I/O: round trips and simulated batch time per function, and a
    /// send campaign at the 80/s and 1,000/s tiers, on tokio's paused clock (virtual time).
    #[command(display_order = 21)]
    Bench {
        /// Print the report as one JSON document.
        #[arg(long)]
        json: bool,
        /// Latencies to simulate.
        #[arg(long = "at", value_name = "SPEC", default_value = wapipe_core::memory::TYPICAL)]
        at: String,
        /// Send requests in each campaign.
        #[arg(long, default_value_t = 100_000)]
        campaign: usize,
        /// Tiers (messages per second) to run the campaign at.
        #[arg(long, value_delimiter = ',', default_values_t = [80u32, 1000])]
        tiers: Vec<u32>,
    },
    /// Feed files or folders through ingest: Lambda SQS/SNS events, SNS notifications, EUM
    /// events or Meta webhook bodies (`*.json`, folders recursively; `manifest.json` skipped).
    #[command(display_order = 1)]
    Replay {
        /// Files or folders to feed (`*.json`; folders recursively).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Print the summary as one JSON document on stdout.
        #[arg(long)]
        json: bool,
        /// Exit 7 when any record was parked.
        #[arg(long)]
        strict: bool,
        /// Run ingest only: the events are published but no local consumer (status tracker,
        /// flow responses) processes them.
        #[arg(long)]
        ingest_only: bool,
    },
    /// Serve the entry points over HTTP on a loopback address, on local mode.
    #[command(display_order = 2)]
    Dev {
        /// The loopback address to serve on (other addresses are refused: local mode has no auth).
        #[arg(long, default_value = "127.0.0.1:8710")]
        listen: SocketAddr,
        /// Replay this folder at start.
        #[arg(long, value_name = "DIR")]
        replay: Option<PathBuf>,
        /// Meta app secret: POST /webhook then requires a valid X-Hub-Signature-256.
        #[arg(long, env = "WAPIPE_APP_SECRET", hide_env_values = true)]
        app_secret: Option<String>,
        /// Token for GET /webhook verification.
        #[arg(long, env = "WAPIPE_VERIFY_TOKEN", hide_env_values = true)]
        verify_token: Option<String>,
        /// WhatsApp Flows private key (PEM; passphrase in WAPIPE_FLOW_KEY_PASSPHRASE): serves
        /// POST /flow, the flow data-exchange endpoint, on local state.
        #[arg(long, value_name = "FILE", env = "WAPIPE_FLOW_PRIVATE_KEY_FILE")]
        flow_private_key: Option<PathBuf>,
    },
    /// WhatsApp Flows: the registry through EUM (create, update, publish, deprecate, delete, list,
    /// show, preview, assets), Flow JSON checks, the endpoint's key pair, flow tokens, responses.
    #[command(display_order = 12)]
    Flows {
        /// What to do with flows (`wapipe flows --help` lists them).
        #[command(subcommand)]
        command: flows::FlowsCommand,
    },
    /// A message's status timeline, by wamid or send request id (exit 4 when not found).
    #[command(display_order = 5)]
    Status {
        /// The wamid, or the request_id it was sent with.
        id: String,
        /// Print `{"wamid", "status", "timestamps": {…}, "errors": […], …}`.
        #[arg(long)]
        json: bool,
        /// Read the DynamoDB table NAME (SDK configuration from the environment), not local state.
        #[arg(long, value_name = "NAME")]
        table: Option<String>,
    },
    /// Daily template counters or conversation/pricing estimates from the status tracker.
    #[command(display_order = 6)]
    Analytics {
        /// Which daily table to print.
        #[arg(value_enum)]
        kind: status::AnalyticsKind,
        /// Only this UTC day (YYYY-MM-DD); default: every day in local state, the last 7 with --table.
        #[arg(long)]
        day: Option<String>,
        /// Print the rows as a JSON array.
        #[arg(long)]
        json: bool,
        /// Read the DynamoDB table NAME (SDK configuration from the environment), not local state.
        #[arg(long, value_name = "NAME")]
        table: Option<String>,
    },
    /// Every feature of the coverage matrices: served through EUM, by the stack, kept locally
    /// with a runbook, or not supported (with its runbook).
    #[command(display_order = 14)]
    Capabilities(capabilities::CapabilitiesArgs),
    /// Linked WABAs and numbers, event destinations, public keys, and the runbooks of what
    /// EUM cannot do (display name, migration, registration).
    #[command(display_order = 13)]
    Phones {
        /// What to do with the linked numbers.
        #[command(subcommand)]
        command: phones::PhonesCommand,
    },
    /// The business profile (local only, EUM has none): show, update, history,
    /// apply-instructions, mark-applied; push answers "not supported" with the runbook.
    #[command(display_order = 15)]
    Profile {
        /// What to do with the business profile.
        #[command(subcommand)]
        command: profile::ProfileCommand,
    },
    /// Catalog products mirrored locally (EUM has no catalog API); `check` tests a product
    /// message against them before it is sent.
    #[command(display_order = 16)]
    Catalog {
        /// What to do with the mirrored catalog.
        #[command(subcommand)]
        command: business::CatalogCommand,
    },
    /// Group metadata (local only; EUM has no groups API).
    #[command(display_order = 17)]
    Groups {
        /// What to do with the recorded groups.
        #[command(subcommand)]
        command: business::GroupsCommand,
    },
    /// Local mode's sandbox EUM: the calls it answered (`calls --op NAME`), its linked numbers.
    #[command(display_order = 30)]
    Sandbox {
        /// What to show or change.
        #[command(subcommand)]
        command: sandbox::SandboxCommand,
    },
    /// Click-to-WhatsApp conversions reported through the Conversions API: list, show.
    #[command(display_order = 19)]
    Conversions {
        /// What to show.
        #[command(subcommand)]
        command: sandbox::ConversionsCommand,
    },
    /// Tags of a WABA or phone number in EUM: list, add, remove.
    #[command(display_order = 18)]
    Tags {
        /// What to do with the tags.
        #[command(subcommand)]
        command: phones::TagsCommand,
    },
    /// Calling: wa.me deep links and call settings (set through EUM with --apply).
    #[command(display_order = 18)]
    Calling {
        /// What to do: a deep link, or the call settings.
        #[command(subcommand)]
        command: business::CallingCommand,
    },
    /// WhatsApp media through EUM: upload (S3 or presigned URL), get, delete, formats.
    #[command(display_order = 11)]
    Media {
        /// What to do with media.
        #[command(subcommand)]
        command: media::MediaCommand,
    },
    /// Dead-letter queues: list, replay (with backoff; --dry-run), parked, unpark.
    #[command(display_order = 8)]
    Dlq {
        /// What to do with the dead-letter queues.
        #[command(subcommand)]
        command: dlq::DlqCommand,
        /// Where the queues, the table and the bus are (without them: local state).
        #[command(flatten)]
        target: dlq::Target,
    },
    /// A number's quality history (show [--since] [--json] [--plot FILE.svg]) and a local
    /// snapshot against the sandbox (snapshot).
    #[command(display_order = 9)]
    Quality {
        /// What to do: show the history, or take a local snapshot.
        #[command(subcommand)]
        command: quality::QualityCommand,
    },
    /// Message templates through EUM: list [--sync], show, validate, create, update, delete,
    /// library, from-library, media.
    #[command(display_order = 10)]
    Templates {
        /// What to do with templates.
        #[command(subcommand)]
        command: templates::TemplatesCommand,
    },
    /// Payments: orders and ledgers (show, list), refunds (refund, refund-done), mark-paid.
    #[command(display_order = 7)]
    Payments {
        /// What to do with orders and refunds.
        #[command(subcommand)]
        command: payments::PaymentsCommand,
    },
    /// Print a shell completion script, e.g. `wapipe completions bash > /etc/bash_completion.d/wapipe`.
    #[command(display_order = 20)]
    Completions {
        /// The shell to print the script for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the X-Hub-Signature-256 header value for a body (FILE, or stdin with `-`).
    #[command(display_order = 19)]
    Sign {
        /// The Meta app secret the signature is keyed with.
        #[arg(long, env = "WAPIPE_APP_SECRET", hide_env_values = true)]
        secret: String,
        /// The body to sign: FILE, or `-` for stdin.
        #[arg(default_value = "-")]
        file: PathBuf,
    },
}

impl Cli {
    /// Whether the command is `bench` (whose report is its output: no progress logs).
    pub fn is_bench(&self) -> bool {
        matches!(self.command, Some(Command::Bench { .. }))
    }
}

/// Run one parsed command line; the exit code ([`crate::exit`]) or the error that stopped it
/// (exit 2).
pub async fn run(cli: Cli) -> Result<u8, String> {
    let command = cli.command.unwrap_or_else(|| Command::Dev {
        listen: SocketAddr::from(([127, 0, 0, 1], 8710)),
        replay: Some(PathBuf::from("events")).filter(|p| p.is_dir()),
        app_secret: std::env::var("WAPIPE_APP_SECRET").ok(),
        verify_token: std::env::var("WAPIPE_VERIFY_TOKEN").ok(),
        flow_private_key: std::env::var_os("WAPIPE_FLOW_PRIVATE_KEY_FILE").map(PathBuf::from),
    });
    let latency = match &cli.latency {
        Some(spec) => Some(wapipe_core::memory::LatencySpec::parse(spec).map_err(|e| e.to_string())?),
        None => None,
    };
    let open = |state: Option<&std::path::Path>| -> Result<local::Local, String> {
        let mut local = local::Local::open(state)?;
        if let Some(spec) = &latency {
            local.set_latency(spec.clone());
        }
        Ok(local)
    };
    match command {
        Command::Bench { json, at, campaign, tiers } => bench::run(json, &at, campaign, &tiers),
        Command::Message { command: MessageCommand::Check { file } } => send::check(&file),
        Command::Send { file, queue_url: Some(url), .. } => send::send_to_queue(&file, &url).await,
        Command::Send { file, queue_url: None, open_window, playback, json, wait } => {
            let mut local = open(cli.state.as_deref())?;
            // A send's events reach the payment processor as on the stack (an accepted order is
            // an InitiateCheckout conversion when a rule asks for it).
            payments::register(&mut local)?;
            let opts = send::LocalSend {
                playback: send::parse_playback(&playback)?,
                open_window,
                json,
                wait: std::time::Duration::from_secs(wait),
            };
            let code = send::send_local(&mut local, &file, opts).await?;
            local.save()?;
            Ok(code)
        }
        Command::Flows { command } => flows::run(command, cli.state.as_deref()).await,
        Command::Status { id, json, table } => status::run_status(&id, json, table, cli.state.as_deref()).await,
        Command::Analytics { kind, day, json, table } => {
            status::run_analytics(kind, day, json, table, cli.state.as_deref()).await
        }
        Command::Capabilities(args) => capabilities::run(args),
        Command::Completions { shell } => completions::print(shell, &mut <Cli as clap::CommandFactory>::command()),
        Command::Phones { command } => phones::run(command, cli.state.as_deref()).await,
        Command::Profile { command } => profile::run(command, cli.state.as_deref()).await,
        Command::Catalog { command } => business::run_catalog(command, cli.state.as_deref()).await,
        Command::Groups { command } => business::run_groups(command, cli.state.as_deref()).await,
        Command::Tags { command } => phones::run_tags(command).await,
        Command::Sandbox { command } => sandbox::run(command, cli.state.as_deref()).await,
        Command::Conversions { command } => sandbox::run_conversions(command, cli.state.as_deref()).await,
        Command::Calling { command } => business::run_calling(command, cli.state.as_deref()).await,
        Command::Media { command } => media::run(command).await,
        Command::Payments { command } => payments::run(command, cli.state.as_deref()).await,
        Command::Templates { command } => templates::run(command, cli.state.as_deref()).await,
        Command::Dlq { command, target } => dlq::run(command, target, cli.state.as_deref()).await,
        Command::Quality { command } => quality::run(command, cli.state.as_deref()).await,
        Command::Sign { secret, file } => {
            let body = if file.as_os_str() == "-" {
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).map_err(|e| e.to_string())?;
                b
            } else {
                std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?
            };
            println!("{}", wapipe_core::domain::signature::sign(secret.as_bytes(), &body));
            Ok(0)
        }
        Command::Replay { paths, json, strict, ingest_only } => {
            let mut local = open(cli.state.as_deref())?;
            if ingest_only {
                local.ingest_only();
            } else {
                flows::register(&mut local);
                quality::register(&mut local);
                payments::register(&mut local)?;
            }
            let files = replay::collect_files(&paths)?;
            let bar = operator::progress(Some(files.len() as u64), json, "files");
            let summary = replay::replay(&local, &files, &bar).await?;
            local.save()?;
            // The process ends next: freeing the table and the events item by item would only
            // cost time (a twentieth of a large replay); the state is saved above.
            std::mem::forget(local);
            if json {
                println!("{}", serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?);
            } else {
                replay::print_human(&summary);
            }
            Ok(if !summary.retry.is_empty() {
                exit::UNFINISHED
            } else if strict && !summary.parked.is_empty() {
                exit::PARKED
            } else {
                exit::DONE
            })
        }
        Command::Dev { listen, replay: replay_dir, app_secret, verify_token, flow_private_key } => {
            dev::check_listen(&listen)?;
            let mut local = open(cli.state.as_deref())?;
            flows::register(&mut local);
            payments::register(&mut local)?;
            quality::register(&mut local);
            let local = Arc::new(local);
            if let Some(dir) = replay_dir {
                let files = replay::collect_files(&[dir])?;
                let summary = replay::replay(&local, &files, &indicatif::ProgressBar::hidden()).await?;
                eprintln!("replayed {} records from {} files at start", summary.records, summary.files);
            }
            let opts = dev::DevOptions { listen, app_secret, verify_token, flow_private_key };
            let shutdown = async {
                // Ctrl-C ends the server; if the signal cannot be installed, run until killed.
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            dev::serve(local.clone(), opts, shutdown).await?;
            local.save()?;
            Ok(0)
        }
    }
}
