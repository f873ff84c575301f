//! Routing a step to its flow's logic: the [`Flow`] trait (for flows that need code), the
//! [`DeclarativeFlow`] that runs a [`Definition`], and the [`FlowRegistry`] by flow id or name.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{json, Map, Value};
use wapipe_core::domain::flows::token::FlowSession;
use wapipe_core::domain::keys;
use wapipe_core::ports::{PortError, Query, Store};

use crate::definition::{expression, placeholders, Condition, Definition, Outcome};

/// A boxed `Send` future: what [`Flow::respond`] returns, so `Flow` stays object safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The routed actions (ping and error notifications never reach a flow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `INIT`: the first request of a flow opened with `flow_action: data_exchange`
    /// (`screen` is empty).
    Init,
    /// `BACK`: the user went back to a screen with `refresh_on_back`.
    Back,
    /// `data_exchange`: a screen submitted its data.
    DataExchange,
    /// Sent only with an error in practice (docs/PROTOCOL.md §4.4); routed as `data_exchange`.
    Navigate,
}

impl Action {
    /// The action as Meta spells it in the request (`INIT`, `BACK`, `data_exchange`, `navigate`);
    /// recorded on the session's steps and what `$from: action` gives.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Init => "INIT",
            Action::Back => "BACK",
            Action::DataExchange => "data_exchange",
            Action::Navigate => "navigate",
        }
    }
}

/// One step as the flow sees it.
#[derive(Clone, Copy, Debug)]
pub struct StepInput<'a> {
    /// The action the request carries.
    pub action: Action,
    /// The screen the request came from (empty for INIT).
    pub screen: &'a str,
    /// The request's `data` object (the screen's form values); empty when absent.
    pub data: &'a Map<String, Value>,
    /// The flow token's session (`FLOW#{token}`), already checked open and unexpired.
    pub session: &'a FlowSession,
}

/// What the endpoint answers (before encryption).
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// Go to `screen` with `data`.
    Screen {
        /// The next screen's id, as in the Flow JSON.
        screen: String,
        /// The data that screen declares.
        data: Map<String, Value>,
    },
    /// `SUCCESS`: the params (the flow token is added) reach the chat in the `nfm_reply`.
    Complete {
        /// Values for `extension_message_response.params`.
        params: Map<String, Value>,
    },
}

impl Reply {
    /// The screen this reply leads to: its id, or `SUCCESS` for a completion (recorded as the
    /// step's `next_screen`).
    pub fn next_screen(&self) -> &str {
        match self {
            Reply::Screen { screen, .. } => screen,
            Reply::Complete { .. } => "SUCCESS",
        }
    }

    /// The plaintext response (docs/PROTOCOL.md §4.5).
    pub fn to_json(&self, flow_token: &str) -> Value {
        match self {
            Reply::Screen { screen, data } => json!({"screen": screen, "data": data}),
            Reply::Complete { params } => {
                let mut p = params.clone();
                p.insert("flow_token".into(), flow_token.into());
                json!({"screen": "SUCCESS", "data": {"extension_message_response": {"params": p}}})
            }
        }
    }
}

/// Why a flow could not answer a step.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The flow has no answer for this screen and action (a request the flow does not expect).
    #[error("no route: {0}")]
    NoRoute(String),
    /// A table lookup failed.
    #[error(transparent)]
    Store(#[from] PortError),
}

/// A flow's logic. Implement it for flows that need code; register it with
/// [`FlowRegistry::register`] under the flow ids it serves.
pub trait Flow<S>: Send + Sync {
    /// Answer one step: the next screen with its data, or completion. [`FlowError::NoRoute`]
    /// answers HTTP 400, [`FlowError::Store`] 503.
    fn respond<'a>(&'a self, step: StepInput<'a>, store: &'a S) -> BoxFuture<'a, Result<Reply, FlowError>>;
    /// The text shown with HTTP 427 for this flow's dead tokens, if it has its own.
    fn expired_message(&self) -> Option<&str> {
        None
    }
}

/// The flows the endpoint knows, by Meta flow id or flow name.
pub struct FlowRegistry<S> {
    flows: HashMap<String, Arc<dyn Flow<S>>>,
}

impl<S> Default for FlowRegistry<S> {
    fn default() -> Self {
        FlowRegistry { flows: HashMap::new() }
    }
}

impl<S: Store + 'static> FlowRegistry<S> {
    /// Serve the flows in `serves` (Meta flow ids or names) with `flow`; a later registration
    /// of the same id replaces the earlier one.
    pub fn register(&mut self, serves: &[&str], flow: Arc<dyn Flow<S>>) {
        for f in serves {
            self.flows.insert((*f).to_string(), flow.clone());
        }
    }

    /// Register a declarative definition under every flow it [serves](Definition::serves); it
    /// replaces earlier registrations of those ids.
    pub fn add_definition(&mut self, def: Definition) {
        let serves: Vec<String> = def.serves().map(str::to_string).collect();
        let refs: Vec<&str> = serves.iter().map(String::as_str).collect();
        self.register(&refs, Arc::new(DeclarativeFlow(def)));
    }

    /// The logic for a session's flow (its Meta flow id or name), if registered.
    pub fn get(&self, flow: &str) -> Option<&Arc<dyn Flow<S>>> {
        self.flows.get(flow)
    }

    /// How many flow ids and names are registered (a definition serving three counts three).
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// No flow registered.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }
}

/// A flow run from its declarative definition.
pub struct DeclarativeFlow(pub Definition);

impl<S: Store> Flow<S> for DeclarativeFlow {
    fn respond<'a>(&'a self, step: StepInput<'a>, store: &'a S) -> BoxFuture<'a, Result<Reply, FlowError>> {
        Box::pin(async move {
            let def = &self.0;
            let rules = def.screens.get(step.screen);
            let outcome = match step.action {
                Action::Init => def.init.as_ref(),
                Action::Back => rules.and_then(|r| r.back.as_ref()),
                Action::DataExchange | Action::Navigate => {
                    rules.and_then(|r| r.data_exchange.iter().find(|rule| holds(&rule.when, &step))).map(|r| &r.outcome)
                }
            };
            let default_back;
            let outcome = match (outcome, step.action) {
                (Some(o), _) => o,
                (None, Action::Back) if !step.screen.is_empty() => {
                    default_back = Outcome { screen: Some(step.screen.to_string()), ..Outcome::default() };
                    &default_back
                }
                (None, a) => {
                    return Err(FlowError::NoRoute(format!(
                        "{} has no rule for {} on screen `{}`",
                        def.name,
                        a.as_str(),
                        step.screen
                    )))
                }
            };
            let ev = Eval { step: &step, store };
            if outcome.complete {
                return Ok(Reply::Complete { params: ev.map(&outcome.params).await? });
            }
            let screen = outcome.screen.clone().unwrap_or_default();
            Ok(Reply::Screen { screen, data: ev.map(&outcome.data).await? })
        })
    }

    fn expired_message(&self) -> Option<&str> {
        self.0.expired_message.as_deref()
    }
}

fn holds(when: &[Condition], step: &StepInput<'_>) -> bool {
    when.iter().all(|c| {
        let v = resolve(&c.field, step);
        let present = !matches!(&v, Value::Null) && v != Value::String(String::new());
        c.equals.as_ref().is_none_or(|e| &v == e) && c.present.is_none_or(|p| p == present)
    })
}

/// The value at a path (`Null` when absent).
fn resolve(path: &str, step: &StepInput<'_>) -> Value {
    let mut parts = path.split('.');
    match parts.next() {
        Some("data") => {
            let mut v: Option<&Value> = None;
            for (i, p) in parts.enumerate() {
                v = if i == 0 { step.data.get(p) } else { v.and_then(|v| v.get(p)) };
            }
            v.cloned().unwrap_or(Value::Null)
        }
        Some("session") => {
            let s = step.session;
            match parts.next() {
                Some("flow") => s.flow.as_str().into(),
                Some("recipient") => s.recipient.as_str().into(),
                Some("phone_number_id") => s.phone_number_id.as_str().into(),
                Some("wamid") => s.wamid.clone().map_or(Value::Null, Value::from),
                Some("request_id") => s.request_id.clone().map_or(Value::Null, Value::from),
                _ => Value::Null,
            }
        }
        Some("flow_token") => s_val(&step.session.token),
        Some("screen") => s_val(step.screen),
        Some("action") => s_val(step.action.as_str()),
        _ => Value::Null,
    }
}

fn s_val(s: &str) -> Value {
    Value::String(s.to_string())
}

fn render(template: &str, step: &StepInput<'_>) -> String {
    let mut out = template.to_string();
    for p in placeholders(template) {
        let v = match resolve(p, step) {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        out = out.replace(&format!("{{{p}}}"), &v);
    }
    out
}

/// Most items a `$lookup` returns (a dropdown shows far fewer).
const MAX_LOOKUP_ITEMS: usize = 200;

struct Eval<'a, S> {
    step: &'a StepInput<'a>,
    store: &'a S,
}

impl<S: Store> Eval<'_, S> {
    async fn map(&self, m: &Map<String, Value>) -> Result<Map<String, Value>, FlowError> {
        let mut out = Map::with_capacity(m.len());
        for (k, v) in m {
            out.insert(k.clone(), self.value(v).await?);
        }
        Ok(out)
    }

    fn value<'v>(&'v self, v: &'v Value) -> BoxFuture<'v, Result<Value, FlowError>> {
        Box::pin(async move {
            let Value::Object(o) = v else {
                return match v {
                    Value::Array(a) => {
                        let mut out = Vec::with_capacity(a.len());
                        for x in a {
                            out.push(self.value(x).await?);
                        }
                        Ok(Value::Array(out))
                    }
                    other => Ok(other.clone()),
                };
            };
            let found = match expression(o) {
                None => return Ok(Value::Object(self.map(o).await?)),
                Some(("$from", Value::String(p))) => resolve(p, self.step),
                Some(("$template", Value::String(t))) => Value::String(render(t, self.step)),
                Some(("$lookup", Value::String(table))) => self.lookup(table).await?,
                Some(("$get", Value::Object(g))) => self.get(g).await?,
                Some(_) => Value::Null,
            };
            let empty = found.is_null() || found.as_array().is_some_and(Vec::is_empty);
            match o.get("default") {
                Some(d) if empty => self.value(d).await,
                _ => Ok(found),
            }
        })
    }

    async fn lookup(&self, table: &str) -> Result<Value, FlowError> {
        let mut q = Query::table(keys::flow_data_partition(table), "");
        q.limit = Some(MAX_LOOKUP_ITEMS);
        let page = self.store.query(q).await?;
        let items = page.items.into_iter().map(|item| {
            let mut attrs = item.attrs;
            attrs.remove(keys::GSI1PK);
            attrs.remove(keys::GSI1SK);
            attrs.entry("id").or_insert(Value::String(item.sk));
            Value::Object(attrs)
        });
        Ok(Value::Array(items.collect()))
    }

    async fn get(&self, g: &Map<String, Value>) -> Result<Value, FlowError> {
        let (Some(table), Some(key)) = (g.get("table").and_then(Value::as_str), g.get("key").and_then(Value::as_str))
        else {
            return Ok(Value::Null);
        };
        let key = render(key, self.step);
        if key.is_empty() {
            return Ok(Value::Null);
        }
        let k = keys::flow_data(table, &key);
        let Some(item) = self.store.get(&k.pk, &k.sk).await? else { return Ok(Value::Null) };
        Ok(match g.get("attr").and_then(Value::as_str) {
            Some(a) => item.attrs.get(a).cloned().unwrap_or(Value::Null),
            None => Value::Object(item.attrs),
        })
    }
}
