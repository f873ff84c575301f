//! `wapipe capabilities`: the capability registry — every feature of the coverage matrices,
//! what serves it (EUM operations, the stack, local records) and, for the gaps, the runbook.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use wapipe_core::capabilities::{self, Capability, Support, CAPABILITIES};

use crate::exit;
use crate::operator::{print_json, print_table, Failure};

/// `wapipe capabilities`: list the registry (filtered with --only), or `show` one feature.
#[derive(Args)]
#[command(after_help = "Examples:
  wapipe capabilities                       every feature and how it is served
  wapipe capabilities --only not-supported  the gaps only
  wapipe capabilities --json                the registry as JSON
  wapipe capabilities show phone_display_name   one feature with its runbook")]
pub struct CapabilitiesArgs {
    /// The `show ID` subcommand; without it, every feature is listed (or those in the --only state).
    #[command(subcommand)]
    pub command: Option<CapabilitiesCommand>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Only the features in this state.
    #[arg(long, value_enum)]
    pub only: Option<StateFilter>,
}

/// The subcommands of `wapipe capabilities`.
#[derive(Subcommand)]
pub enum CapabilitiesCommand {
    /// One feature (by id, or by its name in the matrices) with its operations or runbook.
    Show {
        /// The feature's id (e.g. `phone_display_name`) or its name in the matrices.
        id: String,
    },
}

/// How a feature is served, for `--only` (the `state` of a capability).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StateFilter {
    /// Served through EUM Social operations.
    Eum,
    /// Done by the wapipe stack itself, with no EUM call.
    Stack,
    /// Kept in wapipe's own records; the WhatsApp-side change is manual (runbook).
    LocalOnly,
    /// Neither EUM nor wapipe can do it (runbook).
    NotSupported,
}

impl StateFilter {
    fn name(self) -> &'static str {
        match self {
            StateFilter::Eum => "eum",
            StateFilter::Stack => "stack",
            StateFilter::LocalOnly => "local_only",
            StateFilter::NotSupported => "not_supported",
        }
    }
}

/// How a row is served, in a few words for the table.
fn served_by(c: &Capability) -> String {
    match c.support {
        Support::Eum { operations } => operations.join(", "),
        Support::Stack { component } => component.to_string(),
        Support::LocalOnly { runbook } | Support::NotSupported { runbook } => {
            if runbook.acknowledge.is_empty() {
                format!("runbook: {}", runbook.console)
            } else {
                format!("runbook; `{}`", runbook.acknowledge)
            }
        }
    }
}

/// Run `wapipe capabilities`; the exit code: 0 done, 4 no such feature (`show`) or none in the
/// --only state.
pub fn run(args: CapabilitiesArgs) -> Result<u8, String> {
    crate::operator::finish(run_inner(args))
}

fn run_inner(args: CapabilitiesArgs) -> Result<u8, Failure> {
    if let Some(CapabilitiesCommand::Show { id }) = args.command {
        let Some(c) = capabilities::find(&id).or_else(|| capabilities::find_feature(&id)) else {
            return Err(Failure::NotFound(format!("no feature `{id}`: `wapipe capabilities` lists them")));
        };
        if args.json {
            print_json(c)?;
        } else {
            show(c);
        }
        return Ok(0);
    }
    let rows: Vec<&Capability> =
        CAPABILITIES.iter().filter(|c| args.only.is_none_or(|s| s.name() == c.support.name())).collect();
    if args.json {
        let counts = |s: &str| CAPABILITIES.iter().filter(|c| c.support.name() == s).count();
        print_json(&json!({
            "count": rows.len(),
            "totals": {"eum": counts("eum"), "stack": counts("stack"), "local_only": counts("local_only"),
                       "not_supported": counts("not_supported")},
            "capabilities": rows,
        }))?;
        return Ok(0);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                c.area.to_string(),
                c.feature.to_string(),
                c.support.name().to_string(),
                served_by(c),
            ]
        })
        .collect();
    print_table(&["ID", "AREA", "FEATURE", "STATE", "SERVED BY"], &table);
    println!("{} feature(s); `wapipe capabilities show ID` prints one with its runbook", rows.len());
    Ok(if rows.is_empty() { exit::NOT_FOUND } else { exit::DONE })
}

fn show(c: &Capability) {
    println!("{} — {} ({})", c.id, c.feature, c.area);
    println!("state: {}", c.support.name());
    match c.support {
        Support::Eum { operations } => println!("EUM operations: {}", operations.join(", ")),
        Support::Stack { component } => println!("served by: {component}"),
        Support::LocalOnly { .. } | Support::NotSupported { .. } => {}
    }
    println!("note: {}", c.note);
    if let Some(r) = c.support.runbook() {
        println!("runbook ({}):", r.console);
        for (i, s) in r.steps.iter().enumerate() {
            println!("  {}. {s}", i + 1);
        }
        if !r.acknowledge.is_empty() {
            println!("acknowledge with: {}", r.acknowledge);
        }
        if let Some(d) = r.doc {
            println!("see: {d}");
        }
    }
}
