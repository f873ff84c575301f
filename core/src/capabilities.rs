//! The capability registry: every feature of the source documents' coverage matrices (see
//! `docs/coverage-matrix.md`), with what wapipe can truthfully do about it today.
//!
//! The policy (source document "EUM feature gaps"): where AWS End User Messaging Social cannot
//! do a thing, wapipe says so — a capability flag, a typed [`NotSupported`] answer carrying a
//! runbook — and never fakes a success. Where the seed documents call something unsupported
//! but the EUM SDK now has an operation for it (flows, template library, call events, public
//! keys), the registry names the operation instead (docs/PROTOCOL.md §2.2).

mod table;

use serde::Serialize;

pub use table::CAPABILITIES;

/// What an operator does by hand for a feature EUM does not offer, and how wapipe learns it
/// was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Runbook {
    /// The manual steps, in order.
    pub steps: &'static [&'static str],
    /// Where in a console the change is made.
    pub console: &'static str,
    /// The `wapipe` command that records or replaces it (acknowledges the manual step, or
    /// gives the local substitute); empty when there is nothing to record.
    pub acknowledge: &'static str,
    /// A longer document in this repository, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<&'static str>,
}

/// How a feature is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Support {
    /// Through these EUM Social operations (docs/PROTOCOL.md §2.2 names).
    Eum {
        /// The EUM operation names (`SendWhatsAppMessage`, `CreateWhatsAppFlow`, …).
        operations: &'static [&'static str],
    },
    /// Done by the wapipe stack itself; no EUM call is needed (webhook ingest, the flow
    /// endpoint, retries). `component` names the function or module.
    Stack {
        /// Where it is done: a function (`functions/webhook-ingest`) or a `wapipe` command.
        component: &'static str,
    },
    /// Kept in wapipe's own table only; the real WhatsApp-side change is manual (runbook).
    LocalOnly {
        /// The manual change in WhatsApp, and how wapipe records that it was made.
        runbook: &'static Runbook,
    },
    /// Neither EUM nor wapipe can do it; the runbook says who can.
    NotSupported {
        /// What an operator does instead, and where.
        runbook: &'static Runbook,
    },
}

impl Support {
    /// `eum`, `stack`, `local_only` or `not_supported`.
    pub fn name(&self) -> &'static str {
        match self {
            Support::Eum { .. } => "eum",
            Support::Stack { .. } => "stack",
            Support::LocalOnly { .. } => "local_only",
            Support::NotSupported { .. } => "not_supported",
        }
    }

    /// The runbook of a `local_only` or `not_supported` feature; `None` for the others.
    pub fn runbook(&self) -> Option<&'static Runbook> {
        match self {
            Support::LocalOnly { runbook } | Support::NotSupported { runbook } => Some(runbook),
            Support::Eum { .. } | Support::Stack { .. } => None,
        }
    }
}

/// One row of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Capability {
    /// Stable identifier (the seed's capability-flag name where it has one).
    pub id: &'static str,
    /// The feature, exactly as the source document's matrix names it.
    pub feature: &'static str,
    /// The matrix section it comes from.
    pub area: &'static str,
    /// How it is served (serialised inline: a `state` field and that state's fields).
    #[serde(flatten)]
    pub support: Support,
    /// What wapipe does about it (command, module, caveat).
    pub note: &'static str,
}

impl Capability {
    /// True when the feature works end to end (through EUM or the stack).
    pub fn available(&self) -> bool {
        matches!(self.support, Support::Eum { .. } | Support::Stack { .. })
    }
}

/// A feature reached through code that EUM does not offer: the answer, with the runbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{feature} is not supported through AWS End User Messaging Social ({id}); {}", hint(.id, .runbook))]
pub struct NotSupported {
    /// The row's [`Capability::id`] (`unknown` for an id the registry does not have).
    pub id: &'static str,
    /// The feature as the source documents name it.
    pub feature: &'static str,
    /// What an operator does instead.
    pub runbook: &'static Runbook,
}

fn hint(id: &str, r: &Runbook) -> String {
    let mut s = format!("do it in {}", r.console);
    if !r.acknowledge.is_empty() {
        s.push_str(&format!(", then `{}`", r.acknowledge));
    }
    s.push_str(&format!(" (runbook: `wapipe capabilities show {id}`)"));
    s
}

impl NotSupported {
    /// The runbook as numbered lines, for people.
    pub fn steps_text(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.runbook.steps.iter().enumerate() {
            out.push_str(&format!("  {}. {s}\n", i + 1));
        }
        out
    }
}

/// The row with this id.
pub fn find(id: &str) -> Option<&'static Capability> {
    CAPABILITIES.iter().find(|c| c.id == id)
}

/// The row for a feature named as in the source documents (case-insensitive).
pub fn find_feature(feature: &str) -> Option<&'static Capability> {
    CAPABILITIES.iter().find(|c| c.feature.eq_ignore_ascii_case(feature.trim()))
}

/// Succeeds (with the EUM operations) when `id` is served through EUM; otherwise the typed
/// answer with its runbook. An unknown id is a programming error reported the same way, with
/// a runbook that says so, rather than a panic.
pub fn require_eum(id: &str) -> Result<&'static [&'static str], NotSupported> {
    match find(id) {
        Some(Capability { support: Support::Eum { operations }, .. }) => Ok(operations),
        Some(c) => Err(not_supported(c)),
        None => Err(NotSupported { id: "unknown", feature: "an unregistered feature", runbook: &UNKNOWN }),
    }
}

/// The [`NotSupported`] answer for a row that has a runbook (or the generic one).
pub fn not_supported(c: &'static Capability) -> NotSupported {
    NotSupported { id: c.id, feature: c.feature, runbook: c.support.runbook().unwrap_or(&UNKNOWN) }
}

static UNKNOWN: Runbook = Runbook {
    steps: &["This feature is not in the capability registry; check `wapipe capabilities` for the supported ones."],
    console: "-",
    acknowledge: "wapipe capabilities",
    doc: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_and_every_runbook_is_complete() {
        let mut seen = BTreeSet::new();
        for c in CAPABILITIES {
            assert!(seen.insert(c.id), "duplicate id {}", c.id);
            assert!(!c.feature.is_empty() && !c.area.is_empty() && !c.note.is_empty(), "{}", c.id);
            if let Some(r) = c.support.runbook() {
                assert!(!r.steps.is_empty() && !r.console.is_empty(), "{} needs steps and a console", c.id);
            }
            if let Support::Eum { operations } = c.support {
                assert!(!operations.is_empty(), "{}", c.id);
            }
        }
    }

    #[test]
    fn every_eum_operation_named_is_a_real_sdk_operation() {
        // docs/PROTOCOL.md §2.2's operation table.
        const OPS: &[&str] = &[
            "SendWhatsAppMessage",
            "PostWhatsAppMessageMedia",
            "GetWhatsAppMessageMedia",
            "DeleteWhatsAppMessageMedia",
            "CreateWhatsAppMessageTemplate",
            "CreateWhatsAppMessageTemplateFromLibrary",
            "CreateWhatsAppMessageTemplateMedia",
            "ListWhatsAppMessageTemplates",
            "GetWhatsAppMessageTemplate",
            "UpdateWhatsAppMessageTemplate",
            "DeleteWhatsAppMessageTemplate",
            "ListWhatsAppTemplateLibrary",
            "GetLinkedWhatsAppBusinessAccount",
            "GetLinkedWhatsAppBusinessAccountPhoneNumber",
            "UpdateLinkedWhatsAppBusinessAccountPhoneNumber",
            "ListLinkedWhatsAppBusinessAccounts",
            "PutWhatsAppBusinessAccountEventDestinations",
            "GetWhatsAppBusinessPublicKey",
            "PutWhatsAppBusinessPublicKey",
            "CreateWhatsAppFlow",
            "GetWhatsAppFlow",
            "ListWhatsAppFlows",
            "UpdateWhatsAppFlow",
            "UpdateWhatsAppFlowAssets",
            "ListWhatsAppFlowAssets",
            "PublishWhatsAppFlow",
            "DeprecateWhatsAppFlow",
            "DeleteWhatsAppFlow",
            "GetWhatsAppFlowPreview",
            "SendWhatsAppCallEvent",
            "GetWhatsAppCallPermission",
            "TagResource",
            "UntagResource",
            "ListTagsForResource",
            "DisassociateWhatsAppBusinessAccount",
            "CreateWhatsAppDataset",
            "SendWhatsAppConversionEvent",
        ];
        for c in CAPABILITIES {
            if let Support::Eum { operations } = c.support {
                for op in operations {
                    assert!(OPS.contains(op), "{}: {op} is not an EUM operation", c.id);
                }
            }
        }
    }

    /// `SendWhatsAppMessage` → `send_whats_app_message`: the SDK client's method name.
    fn snake(op: &str) -> String {
        let mut out = String::new();
        for (i, c) in op.replace("WhatsApp", "Whatsapp").chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out.replace("whatsapp", "whats_app")
    }

    #[test]
    fn every_eum_operation_claimed_is_called_by_the_adapters() {
        // The registry claims nothing no code does: each operation an `eum` row names is a
        // call on the SDK client somewhere in `core/src/aws/`.
        fn read_all(dir: &std::path::Path, out: &mut String) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    read_all(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push_str(&std::fs::read_to_string(p).unwrap());
                }
            }
        }
        let mut source = String::new();
        read_all(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws"), &mut source);
        assert_eq!(snake("GetWhatsAppCallPermission"), "get_whats_app_call_permission");
        let mut checked = 0;
        for c in CAPABILITIES {
            for op in ops(c) {
                assert!(source.contains(&format!(".{}()", snake(op))), "{}: no adapter calls {op}", c.id);
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked}");
    }

    #[test]
    fn unsupported_features_answer_with_their_runbook() {
        let mut checked = 0;
        for c in CAPABILITIES.iter().filter(|c| !matches!(c.support, Support::Eum { .. })) {
            let err = require_eum(c.id).expect_err(c.id);
            assert_eq!((err.id, err.feature), (c.id, c.feature));
            if let Some(r) = c.support.runbook() {
                assert_eq!(err.runbook, r);
                assert!(err.to_string().contains(r.console), "{err}");
                assert_eq!(err.steps_text().lines().count(), r.steps.len());
            }
            checked += 1;
        }
        assert!(checked > 20, "the matrices have many gaps: {checked}");
        assert_eq!(require_eum("templates_crud").unwrap(), find("templates_crud").map(ops).unwrap());
        assert_eq!(require_eum("no-such-feature").unwrap_err().id, "unknown");
    }

    fn ops(c: &Capability) -> &'static [&'static str] {
        match c.support {
            Support::Eum { operations } => operations,
            _ => &[],
        }
    }

    #[test]
    fn the_seed_capability_flags_are_all_rows_and_supported_flags_match() {
        // The flags of the gaps document; `true` ones must be served, `false` ones are gaps
        // unless EUM has since added the operation (flows, calling).
        for id in ["templates_crud", "media_upload_download", "send_messages", "webhooks_events", "event_destinations"]
        {
            assert!(find(id).is_some_and(Capability::available), "{id}");
        }
        for id in [
            "business_profile_get",
            "business_profile_update",
            "template_analytics_detailed",
            "conversation_analytics",
            "catalog_crud",
            "group_management",
        ] {
            assert!(find(id).is_some_and(|c| !matches!(c.support, Support::Eum { .. })), "{id}");
        }
        assert!(matches!(find("flow_builder").map(|c| c.support), Some(Support::Eum { .. })));
        assert!(matches!(find("calling").map(|c| c.support), Some(Support::Eum { .. })));
    }
}
