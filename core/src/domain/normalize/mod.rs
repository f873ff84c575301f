//! `normalize`: one webhook entry → units of ingest work (see [`super::ingest_plan`]) → domain events.
//!
//! The entry is read once into the typed model of [`super::webhook`]; each change's `value`
//! and each inbound message stay borrowed raw JSON until their type is known.
//!
//! | change | unit | mark | events |
//! |---|---|---|---|
//! | `messages` / `messages[i]` | one per message | the message record `MSG#{wamid}` | message.received (+ flow.completed / address.received) |
//! | `messages` / `statuses[i]` | one per status | `SEEN#status:{wamid}:{status}:{ts}[:{participant}]` | message.status |
//! | `messages` / `statuses[i]`, `type: payment` | one per status | `SEEN#payment:{event_id}` | payment.updated |
//! | `messages` / `errors` | one | `SEEN#errors:{event_id}` | webhook.errors |
//! | `calls` / `calls[i]`, `statuses[i]` | one per call event | `SEEN#calls:{event_id}` | call.connect / call.status / call.terminated (see [`calls`]) |
//! | `smb_message_echoes`, `history`, `smb_app_state_sync` | one per element | `SEEN#{field}:{event_id}` | message.echoed / history.progress / contact.synced (see `coexistence`) |
//! | `group_*` / `groups[i]` | one per element | `SEEN#{field}:{event_id}` | group.* (see `groups`) |
//! | `user_id_update`, `business_username_update` | one per element | `SEEN#{field}:{event_id}` | user.id-changed / phone.username (see [`identity`]) |
//! | any other known field | one per change | `SEEN#{field}:{event_id}` | see [`fields`] |
//! | unknown field | one per change | `SEEN#{field}:{event_id}` | webhook.unknown |
//!
//! Errors: a malformed entry is a [`DecodeError`] at [`Layer::WebhookEntry`] whose `field` is
//! the path of the offending value (`changes[0].value.messages[1].id`). Unknown fields,
//! message types and status strings are not errors.

pub mod calls;
mod coexistence;
mod common;
mod fields;
mod groups;
pub mod identity;
mod message;
mod messages;

#[cfg(test)]
mod fields_tests;
#[cfg(test)]
mod messages_tests;
#[cfg(test)]
mod platform_tests;
#[cfg(test)]
mod statuses_tests;
#[cfg(test)]
mod tests;

use serde_json::Value;

use self::common::{entry_error, err, Scope};
use super::envelope::{DecodeError, Layer};
use super::ingest_plan::{IngestPlan, NormalizeContext};
use super::webhook::{epoch_secs, Entry};

/// Read one webhook entry (the JSON text of one `entry` element) into units of work.
pub fn normalize(entry_json: &str, ctx: &NormalizeContext<'_>) -> Result<Vec<IngestPlan>, DecodeError> {
    if !entry_json.trim_start().starts_with('{') {
        return Err(DecodeError::new(Layer::WebhookEntry, None, "expected a JSON object"));
    }
    let entry: Entry<'_> = serde_json::from_str(entry_json).map_err(|e| entry_error(entry_json, e))?;
    let changes = entry.changes.ok_or_else(|| err("changes", "missing"))?;
    let waba_id = match entry.id.as_deref() {
        Some(id) if !id.is_empty() => id,
        _ => ctx.context.wabas.first().map(|w| w.waba_id.as_str()).unwrap_or_default(),
    };
    let entry_time = entry.time.as_deref().and_then(epoch_secs);
    let mut units = Vec::with_capacity(changes.len());
    for (i, change) in changes.iter().enumerate() {
        let path = format!("changes[{i}]");
        let field = change.field.as_deref().ok_or_else(|| err(&format!("{path}.field"), "missing"))?;
        let scope = Scope { ctx, waba_id, entry_time, path, field };
        match change.value {
            Some(value) if field == "messages" => messages::messages(&scope, value.get(), &mut units)?,
            Some(value) => fields::change(&scope, value.get(), &mut units)?,
            None if fields::is_known(field) => return Err(scope.err(".value", "missing")),
            None => units.push(fields::unknown(&scope, "null", &Value::Null)),
        }
    }
    Ok(units)
}
