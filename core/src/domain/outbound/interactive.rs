//! Interactive messages (docs/PROTOCOL.md §5.3); `order_details` and `order_status` are in `payments`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::blocks::{fixed_name, frame, message, text_header_only, Absent, Header, NameOnly, NamedAction, TextObj};
use super::catalog::{Catalog, Product, ProductList};
use super::limits::*;
use super::payments::{OrderDetails, OrderStatus};
use super::validate::{count, opt_text, required, text, unique, url, Checked, FieldPath};

/// `interactive`, by its `type`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Interactive {
    /// `button`: up to 3 reply buttons.
    Button(Button),
    /// `list`: a button that opens a list of rows in sections.
    List(List),
    /// `cta_url`: one button that opens a URL.
    CtaUrl(CtaUrl),
    /// `flow`: a button that opens a WhatsApp Flow.
    Flow(Flow),
    /// `address_message`: asks the user for a delivery address (India).
    AddressMessage(Address),
    /// `location_request_message`: asks the user to share their location (action `send_location`).
    LocationRequestMessage(Simple),
    /// `call_permission_request`: asks the user for permission to call them.
    CallPermissionRequest(Simple),
    /// `product`: one product of a catalogue.
    Product(Product),
    /// `product_list`: several catalogue products in sections.
    ProductList(ProductList),
    /// `catalog_message`: the business's catalogue.
    CatalogMessage(Catalog),
    /// `order_details`: an order to review and pay (payments).
    OrderDetails(Box<OrderDetails>),
    /// `order_status`: an update on an order after payment.
    OrderStatus(OrderStatus),
}

/// The `type` values, in the order of [`Interactive`].
pub const TYPES: &[&str] = &[
    "button",
    "list",
    "cta_url",
    "flow",
    "address_message",
    "location_request_message",
    "call_permission_request",
    "product",
    "product_list",
    "catalog_message",
    "order_details",
    "order_status",
];

impl Interactive {
    /// The `interactive.type` of this message (one of [`TYPES`]).
    pub fn type_name(&self) -> &'static str {
        match self {
            Interactive::Button(_) => "button",
            Interactive::List(_) => "list",
            Interactive::CtaUrl(_) => "cta_url",
            Interactive::Flow(_) => "flow",
            Interactive::AddressMessage(_) => "address_message",
            Interactive::LocationRequestMessage(_) => "location_request_message",
            Interactive::CallPermissionRequest(_) => "call_permission_request",
            Interactive::Product(_) => "product",
            Interactive::ProductList(_) => "product_list",
            Interactive::CatalogMessage(_) => "catalog_message",
            Interactive::OrderDetails(_) => "order_details",
            Interactive::OrderStatus(_) => "order_status",
        }
    }

    /// Check every limit of the message at `p` (the `interactive` object).
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        match self {
            Interactive::Button(m) => m.validate(p),
            Interactive::List(m) => m.validate(p),
            Interactive::CtaUrl(m) => m.validate(p),
            Interactive::Flow(m) => m.validate(p),
            Interactive::AddressMessage(m) => m.validate(p),
            Interactive::LocationRequestMessage(m) => m.validate(p, "send_location"),
            Interactive::CallPermissionRequest(m) => m.validate(p, "call_permission_request"),
            Interactive::Product(m) => m.validate(p),
            Interactive::ProductList(m) => m.validate(p),
            Interactive::CatalogMessage(m) => m.validate(p),
            Interactive::OrderDetails(m) => m.validate(p),
            Interactive::OrderStatus(m) => m.validate(p),
        }
    }
}

message!(/** Reply buttons. */ Button, body: TextObj, action: ButtonAction);
message!(/** A list of rows in sections. */ List, body: TextObj, action: ListAction);
message!(/** A call-to-action URL button. */ CtaUrl, body: TextObj, action: NamedAction<CtaUrlParams>);
message!(/** A WhatsApp Flow. */ Flow, body: TextObj, action: NamedAction<FlowParams>);
message!(/** Address request (India). */ Address, body: TextObj, action: NamedAction<AddressParams>);
message!(/** Location request or call permission request: body and a fixed action. */ Simple, body: TextObj, action: NameOnly);

/// The `action` of a reply-button message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonAction {
    /// The buttons: 1 to 3, with unique ids and unique titles.
    pub buttons: Vec<ReplyButton>,
}

/// One reply button: `{"type": "reply", "reply": {"id", "title"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyButton {
    /// Always `reply`.
    #[serde(rename = "type", default = "reply")]
    pub kind: String,
    /// The button's id and title.
    pub reply: Reply,
}

fn reply() -> String {
    "reply".into()
}

/// The `reply` object of a reply button.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Returned in the user's `button_reply` when tapped; at most 256 characters, no leading or
    /// trailing spaces, unique in the message.
    pub id: String,
    /// The button label, at most 20 characters, unique in the message.
    pub title: String,
}

impl Button {
    /// Check the message at `p`: header, body and footer, then 1 to 3 buttons with valid, unique
    /// ids and titles.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        frame(p, self.header.as_ref(), Some(&self.body), self.footer.as_ref())?;
        let pb = p.key("action");
        let pb = pb.key("buttons");
        let b = &self.action.buttons;
        if b.len() > REPLY_BUTTONS {
            return Err(pb.idx(REPLY_BUTTONS).err(format!("at most {REPLY_BUTTONS} reply buttons")));
        }
        count(&pb, b.len(), 1, REPLY_BUTTONS, "reply buttons")?;
        for (i, button) in b.iter().enumerate() {
            let pi = pb.idx(i);
            if button.kind != "reply" {
                return Err(pi.key("type").err("must be \"reply\""));
            }
            let pr = pi.key("reply");
            let id = &button.reply.id;
            text(&pr.key("id"), id, BUTTON_ID)?;
            if id.trim() != id {
                return Err(pr.key("id").err("no leading or trailing spaces"));
            }
            text(&pr.key("title"), &button.reply.title, BUTTON_TITLE)?;
        }
        unique(&pb, b, |x| x.reply.id.as_str(), "reply.id", "button ids")?;
        unique(&pb, b, |x| x.reply.title.as_str(), "reply.title", "button titles")
    }
}

/// The `action` of a list message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListAction {
    /// Label of the button that opens the list, at most 20 characters.
    pub button: String,
    /// The sections: 1 to 10, with at most 10 rows across all of them.
    pub sections: Vec<Section>,
}

/// A section of a list message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Section title, at most 24 characters; required when the list has more than one section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The rows of the section, at least one.
    pub rows: Vec<Row>,
}

/// One selectable row of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// Returned in the user's `list_reply`; at most 200 characters, unique across all sections.
    pub id: String,
    /// The row's label, at most 24 characters.
    pub title: String,
    /// Optional second line under the title, at most 72 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl List {
    /// Check the message at `p`: text header only, body and footer, button label, sections and rows.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        text_header_only(p, self.header.as_ref(), false)?;
        frame(p, self.header.as_ref(), Some(&self.body), self.footer.as_ref())?;
        let pa = p.key("action");
        text(&pa.key("button"), &self.action.button, LIST_BUTTON)?;
        let ps = pa.key("sections");
        let sections = &self.action.sections;
        count(&ps, sections.len(), 1, LIST_SECTIONS, "sections")?;
        let mut rows = 0;
        let mut ids: Vec<&str> = Vec::new();
        for (i, s) in sections.iter().enumerate() {
            let psi = ps.idx(i);
            match &s.title {
                None if sections.len() > 1 => {
                    return Err(psi.key("title").err("required when there are several sections"))
                }
                Some(t) => text(&psi.key("title"), t, SECTION_TITLE)?,
                None => {}
            }
            let pr = psi.key("rows");
            if s.rows.is_empty() {
                return Err(pr.err("at least 1 row"));
            }
            for (j, r) in s.rows.iter().enumerate() {
                rows += 1;
                let prj = pr.idx(j);
                if rows > LIST_ROWS {
                    return Err(prj.err(format!("at most {LIST_ROWS} rows across all sections")));
                }
                text(&prj.key("id"), &r.id, ROW_ID)?;
                if ids.contains(&r.id.as_str()) {
                    return Err(prj.key("id").err("row ids must be unique across sections"));
                }
                ids.push(&r.id);
                text(&prj.key("title"), &r.title, ROW_TITLE)?;
                opt_text(&prj.key("description"), r.description.as_deref(), ROW_DESCRIPTION)?;
            }
        }
        Ok(())
    }
}

impl Simple {
    /// Check the message at `p`: no header, body and footer lengths, and an action named `name`.
    pub fn validate(&self, p: &FieldPath<'_>, name: &str) -> Checked {
        if self.header.is_some() {
            return Err(p.key("header").err("not allowed for this message type"));
        }
        frame(p, None, Some(&self.body), self.footer.as_ref())?;
        fixed_name(&p.key("action"), &self.action.name, name)
    }
}

/// The `action.parameters` of a CTA URL message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtaUrlParams {
    /// The button label, at most 20 characters.
    pub display_text: String,
    /// The URL the button opens (`http://` or `https://`, no spaces).
    pub url: String,
}

impl CtaUrl {
    /// Check the message at `p`: header, body and footer, action name `cta_url`, label and URL.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        frame(p, self.header.as_ref(), Some(&self.body), self.footer.as_ref())?;
        let pa = p.key("action");
        fixed_name(&pa, &self.action.name, "cta_url")?;
        let pp = pa.key("parameters");
        text(&pp.key("display_text"), &self.action.parameters.display_text, CTA_DISPLAY_TEXT)?;
        url(&pp.key("url"), &self.action.parameters.url)
    }
}

/// The `action.parameters` of a flow message (docs/PROTOCOL.md §4.8).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowParams {
    /// Must be `"3"` ([`FLOW_MESSAGE_VERSION`]).
    pub flow_message_version: String,
    /// Token that identifies this flow session in the data-exchange requests and the completion
    /// reply; when absent the send worker issues one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_token: Option<String>,
    /// Meta id of the flow; exactly one of `flow_id` and `flow_name` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    /// Name of the flow; exactly one of `flow_id` and `flow_name` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_name: Option<String>,
    /// Label of the button that opens the flow, at most 20 characters.
    pub flow_cta: String,
    /// `navigate` (Meta's default) or `data_exchange` (the first screen then comes from the flow endpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_action: Option<String>,
    /// First screen and its data; the screen is required with `navigate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_action_payload: Option<FlowPayload>,
    /// `draft` or `published` (Meta's default): which version of the flow is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// The `flow_action_payload` of a flow message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowPayload {
    /// Id of the screen to open first; required when `flow_action` is `navigate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<String>,
    /// Initial data for that screen (Meta: a non-empty object when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
}

impl Flow {
    /// Check the message at `p`: header, body and footer, action name `flow`, version, exactly one
    /// of `flow_id` and `flow_name`, CTA, `mode`, and `flow_action` with its screen.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        frame(p, self.header.as_ref(), Some(&self.body), self.footer.as_ref())?;
        let pa = p.key("action");
        fixed_name(&pa, &self.action.name, "flow")?;
        let pp = pa.key("parameters");
        let f = &self.action.parameters;
        if f.flow_message_version != FLOW_MESSAGE_VERSION {
            return Err(pp.key("flow_message_version").err(format!("must be \"{FLOW_MESSAGE_VERSION}\"")));
        }
        match (&f.flow_id, &f.flow_name) {
            (Some(id), None) => required(&pp.key("flow_id"), id)?,
            (None, Some(name)) => required(&pp.key("flow_name"), name)?,
            _ => return Err(pp.err("exactly one of `flow_id` and `flow_name` is required")),
        }
        if let Some(t) = &f.flow_token {
            required(&pp.key("flow_token"), t)?;
        }
        text(&pp.key("flow_cta"), &f.flow_cta, FLOW_CTA)?;
        if let Some(m) = &f.mode {
            if m != "draft" && m != "published" {
                return Err(pp.key("mode").err("\"draft\" or \"published\""));
            }
        }
        match f.flow_action.as_deref() {
            None | Some("data_exchange") => Ok(()),
            Some("navigate") => match f.flow_action_payload.as_ref().and_then(|x| x.screen.as_deref()) {
                Some(s) if !s.trim().is_empty() => Ok(()),
                _ => Err(pp.key("flow_action_payload").key("screen").err("required when flow_action is \"navigate\"")),
            },
            Some(_) => Err(pp.key("flow_action").err("\"navigate\" or \"data_exchange\"")),
        }
    }
}

/// The `action.parameters` of an address message (India).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressParams {
    /// ISO 3166 alpha-2 country code; `IN` for address messages.
    pub country: String,
    /// Prefilled address fields (`name`, `phone_number`, `in_pin_code`, `city`, …), kept as given;
    /// only `in_pin_code` is checked (at most 6 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Map<String, Value>>,
    /// Saved addresses the user can pick from instead of typing one; kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_addresses: Option<Vec<Value>>,
    /// Errors to show against the prefilled fields (field name → message), kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Map<String, Value>>,
}

impl Address {
    /// Check the message at `p`: header, body and footer, action name `address_message`, country
    /// code and `in_pin_code`.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        frame(p, self.header.as_ref(), Some(&self.body), self.footer.as_ref())?;
        let pa = p.key("action");
        fixed_name(&pa, &self.action.name, "address_message")?;
        let pp = pa.key("parameters");
        let a = &self.action.parameters;
        if a.country.len() != 2 || !a.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(pp.key("country").err("required: an ISO 3166 alpha-2 code (address messages: \"IN\")"));
        }
        if let Some(pin) = a.values.as_ref().and_then(|v| v.get("in_pin_code")) {
            let pin = pin.as_str().unwrap_or_default();
            if pin.is_empty() || pin.len() > IN_PIN_CODE || !pin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(pp.key("values").key("in_pin_code").err(format!("at most {IN_PIN_CODE} digits")));
            }
        }
        Ok(())
    }
}
