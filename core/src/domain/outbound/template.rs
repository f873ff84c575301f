//! Template messages (docs/PROTOCOL.md §5.4): every component kind — header (text, media, location,
//! product), body (text, currency, date_time; named or positional), buttons (quick_reply, url,
//! copy_code, flow, catalog, mpm; OTP copy-code and one-tap as url buttons), limited-time
//! offer, carousel.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::catalog::{validate_product_sections, ProductSection};
use super::limits::*;
use super::text_media::{Location, Media, MediaKind};
use super::validate::{count, required, text, Checked, FieldPath};

/// The `template` object of a template message (docs/PROTOCOL.md §5.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The approved template's name: lowercase letters, digits and underscores, at most 512 characters.
    pub name: String,
    /// The language version of the template to send.
    pub language: Language,
    /// Parameters for the template's variables, buttons, offer and carousel; left out when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

/// The `language` of a template message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Language {
    /// Language (and locale) code of the approved translation, e.g. `en_US` or `he`.
    pub code: String,
    /// Language policy: only `deterministic` is accepted, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// One entry of `components`: the parameters for one part of the template, by `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Component {
    /// `header`: the one parameter of the header (text, media, location or product).
    Header {
        /// Exactly one parameter.
        parameters: Vec<Parameter>,
    },
    /// `body`: values for the body's variables.
    Body {
        /// Text, currency or date_time parameters, all named or all positional.
        #[serde(default)]
        parameters: Vec<Parameter>,
    },
    /// `button`: the parameter of one button, picked by `index`.
    Button {
        /// The button's kind, which fixes its parameter type.
        sub_type: ButtonKind,
        /// The button's position in the template, 0 to 9, unique among the `button` components.
        index: Index,
        /// Exactly one parameter: a payload, URL text, coupon code or action.
        #[serde(default)]
        parameters: Vec<Parameter>,
    },
    /// `limited_time_offer`: the expiry of a limited-time offer template (not inside a carousel card).
    LimitedTimeOffer {
        /// Exactly one `limited_time_offer` parameter.
        parameters: Vec<Parameter>,
    },
    /// `carousel`: the cards of a carousel template.
    Carousel {
        /// 1 to 10 cards.
        cards: Vec<Card>,
    },
}

impl Component {
    /// Carousels and catalog or multi-product buttons: what Meta does not deliver to groups.
    pub fn is_commerce(&self) -> bool {
        match self {
            Component::Carousel { .. } => true,
            Component::Button { sub_type, .. } => matches!(sub_type, ButtonKind::Catalog | ButtonKind::Mpm),
            _ => false,
        }
    }
}

/// The `sub_type` of a `button` component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonKind {
    /// `quick_reply`: parameter `payload`, returned when the user taps the button.
    QuickReply,
    /// `url`: parameter `text`, the dynamic suffix of the URL (the code of an authentication template).
    Url,
    /// `copy_code`: parameter `coupon_code`, the code the user copies.
    CopyCode,
    /// `flow`: parameter `action`, with the flow token and the flow's initial data.
    Flow,
    /// `CATALOG` (sent in capitals, `catalog` accepted): parameter `action`, with the thumbnail product.
    #[serde(rename = "CATALOG", alias = "catalog")]
    Catalog,
    /// `mpm` (multi-product): parameter `action`, with the thumbnail product and the product sections.
    Mpm,
}

/// A button index: Meta takes a number or a numeric string; kept as given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Index {
    /// The index as a JSON number.
    Number(u32),
    /// The index as a string, such as `"0"`.
    Text(String),
}

impl Index {
    /// The index as a number; `None` when the string is not one.
    pub fn value(&self) -> Option<u32> {
        match self {
            Index::Number(n) => Some(*n),
            Index::Text(s) => s.parse().ok(),
        }
    }
}

/// One card of a `carousel` component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    /// The card's position: 0 to (number of cards − 1), unique.
    pub card_index: u32,
    /// The card's components: a header (image, video or product) is required; no carousel or
    /// limited-time offer inside a card.
    pub components: Vec<Component>,
}

/// One template parameter, by `type`; which types a component takes is checked by `validate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Parameter {
    /// `text`: a body variable, a text header, or a `url` button's suffix.
    Text {
        /// The value: at most 32,768 characters in a body, 60 in a header, 2000 as a URL suffix (15 for
        /// an authentication code).
        text: String,
        /// Name of the `{{name}}` variable this fills, for templates with named parameters; absent for
        /// positional ones (the two cannot be mixed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    /// `currency`: an amount, formatted by WhatsApp for the user's locale.
    Currency {
        /// The amount and its fallback text.
        currency: Currency,
        /// Name of the `{{name}}` variable this fills, for templates with named parameters; absent for
        /// positional ones (the two cannot be mixed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    /// `date_time`: a date or time, given as its fallback text.
    DateTime {
        /// The date and its fallback text.
        date_time: DateTime,
        /// Name of the `{{name}}` variable this fills, for templates with named parameters; absent for
        /// positional ones (the two cannot be mixed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    /// `image`: an image header.
    Image {
        /// The image, by media `id` or `link`.
        image: Media,
    },
    /// `video`: a video header.
    Video {
        /// The video, by media `id` or `link`.
        video: Media,
    },
    /// `document`: a document header (not in carousel cards).
    Document {
        /// The document, by media `id` or `link`.
        document: Media,
    },
    /// `location`: a location header (not in carousel cards).
    Location {
        /// The place shown.
        location: Location,
    },
    /// `product`: a product header (single-product templates and carousel cards).
    Product {
        /// The catalogue product shown.
        product: ProductRef,
    },
    /// `payload`: the parameter of a `quick_reply` button.
    Payload {
        /// Returned in the user's `button` reply; at most 1000 characters.
        payload: String,
    },
    /// `coupon_code`: the parameter of a `copy_code` button.
    CouponCode {
        /// The code, at most 15 characters.
        coupon_code: String,
    },
    /// `action`: the parameter of `flow`, `catalog` and `mpm` buttons.
    Action {
        /// The button's action object.
        action: ButtonAction,
    },
    /// `limited_time_offer`: the parameter of a `limited_time_offer` component.
    LimitedTimeOffer {
        /// The offer's expiry.
        limited_time_offer: LimitedTimeOffer,
    },
}

/// A `currency` parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Currency {
    /// Text shown when WhatsApp cannot format the amount, e.g. `$100.99`.
    pub fallback_value: String,
    /// ISO 4217 code, three capital letters (`USD`).
    pub code: String,
    /// The amount × 1000 (100990 for 100.99).
    pub amount_1000: i64,
}

/// A `date_time` parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateTime {
    /// The date as text, e.g. `February 25, 1977`.
    pub fallback_value: String,
}

/// A `product` header parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductRef {
    /// The product's retailer id (SKU) in the catalogue.
    pub product_retailer_id: String,
    /// Meta id of the catalogue.
    pub catalog_id: String,
}

/// A `limited_time_offer` parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitedTimeOffer {
    /// When the offer ends, Unix time in milliseconds; must be positive.
    pub expiration_time_ms: i64,
}

/// The `action` of flow, catalog and mpm buttons.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonAction {
    /// `flow` buttons: the flow token for this send (not blank when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_token: Option<String>,
    /// `flow` buttons: initial data for the flow's first screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_action_data: Option<Map<String, Value>>,
    /// `catalog` and `mpm` buttons: retailer id of the product shown as the thumbnail (required for `mpm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_product_retailer_id: Option<String>,
    /// `mpm` buttons: the product sections (1 to 10, at most 30 products in all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sections: Option<Vec<ProductSection>>,
}

/// Template category, when known (from the request's options or the template state cache).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// `MARKETING` / `marketing`: promotions and offers.
    #[serde(alias = "MARKETING")]
    Marketing,
    /// `UTILITY` / `utility`: updates on something the user asked for (orders, accounts).
    #[serde(alias = "UTILITY")]
    Utility,
    /// `AUTHENTICATION` / `authentication`: one-time codes; the code is then at most 15 characters.
    #[serde(alias = "AUTHENTICATION")]
    Authentication,
}

impl Category {
    /// Parse a category name in any case (`marketing`, `UTILITY`, …); `None` for anything else.
    pub fn parse(s: &str) -> Option<Category> {
        match s.to_ascii_lowercase().as_str() {
            "marketing" => Some(Category::Marketing),
            "utility" => Some(Category::Utility),
            "authentication" => Some(Category::Authentication),
            _ => None,
        }
    }
    /// The lowercase name (`marketing`, `utility`, `authentication`).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Marketing => "marketing",
            Category::Utility => "utility",
            Category::Authentication => "authentication",
        }
    }
}

fn name_chars(p: &FieldPath<'_>, s: &str, what: &str) -> Checked {
    if s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        Ok(())
    } else {
        Err(p.err(format!("{what}: lowercase letters, digits and underscores only")))
    }
}

fn one_param<'a>(p: &FieldPath<'_>, params: &'a [Parameter], what: &str) -> Result<&'a Parameter, FieldErr> {
    match params {
        [one] => Ok(one),
        _ => Err(p.key("parameters").err(format!("exactly 1 {what} parameter"))),
    }
}

type FieldErr = super::validate::FieldError;

impl Template {
    /// Check the template at `p`: name, language code and policy, then every component;
    /// `category` (when known) applies the authentication code limit to `url` buttons.
    pub fn validate(&self, p: &FieldPath<'_>, category: Option<Category>) -> Checked {
        text(&p.key("name"), &self.name, TEMPLATE_NAME)?;
        name_chars(&p.key("name"), &self.name, "a template name")?;
        let pl = p.key("language");
        let code = &self.language.code;
        text(&pl.key("code"), code, 15)?;
        if !code.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') {
            return Err(pl.key("code").err("a language code such as en_US"));
        }
        if let Some(policy) = &self.language.policy {
            if policy != "deterministic" {
                return Err(pl.key("policy").err("\"deterministic\" when given"));
            }
        }
        validate_components(&p.key("components"), &self.components, category, false)
    }
}

fn validate_components(p: &FieldPath<'_>, comps: &[Component], category: Option<Category>, in_card: bool) -> Checked {
    let mut seen: [bool; 4] = [false; 4];
    let mut indexes: Vec<u32> = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        let pc = p.idx(i);
        let slot = match c {
            Component::Header { .. } => Some(0),
            Component::Body { .. } => Some(1),
            Component::LimitedTimeOffer { .. } => Some(2),
            Component::Carousel { .. } => Some(3),
            Component::Button { .. } => None,
        };
        if let Some(s) = slot.and_then(|s| seen.get_mut(s)) {
            if std::mem::replace(s, true) {
                return Err(pc.key("type").err("at most one component of each type (buttons excepted)"));
            }
        }
        match c {
            Component::Header { parameters } => header(&pc, parameters, in_card)?,
            Component::Body { parameters } => body(&pc, parameters)?,
            Component::Button { sub_type, index, parameters } => {
                let n = index.value().filter(|n| *n <= TEMPLATE_BUTTON_INDEX_MAX).ok_or_else(|| {
                    pc.key("index").err(format!("a button index from 0 to {TEMPLATE_BUTTON_INDEX_MAX}"))
                })?;
                if indexes.contains(&n) {
                    return Err(pc.key("index").err("button indexes must be unique"));
                }
                indexes.push(n);
                button(&pc, *sub_type, parameters, category)?;
            }
            Component::LimitedTimeOffer { parameters } if !in_card => {
                let pp = pc.key("parameters");
                match one_param(&pc, parameters, "limited_time_offer")? {
                    Parameter::LimitedTimeOffer { limited_time_offer } if limited_time_offer.expiration_time_ms > 0 => {
                    }
                    Parameter::LimitedTimeOffer { .. } => {
                        return Err(pp
                            .idx(0)
                            .key("limited_time_offer")
                            .key("expiration_time_ms")
                            .err("a positive epoch time in milliseconds"))
                    }
                    _ => return Err(pp.idx(0).key("type").err("must be \"limited_time_offer\"")),
                }
            }
            Component::Carousel { cards } if !in_card => carousel(&pc.key("cards"), cards, category)?,
            _ => return Err(pc.key("type").err("not allowed inside a carousel card")),
        }
    }
    Ok(())
}

fn header(p: &FieldPath<'_>, params: &[Parameter], in_card: bool) -> Checked {
    let pp = p.key("parameters");
    let pi = pp.idx(0);
    match one_param(p, params, "header")? {
        Parameter::Text { text: t, .. } if !in_card => text(&pi.key("text"), t, TEMPLATE_HEADER_TEXT),
        Parameter::Image { image } => image.validate(&pi.key("image"), MediaKind::Image),
        Parameter::Video { video } => video.validate(&pi.key("video"), MediaKind::Video),
        Parameter::Document { document } if !in_card => document.validate(&pi.key("document"), MediaKind::Document),
        Parameter::Location { location } if !in_card => location.validate(&pi.key("location")),
        Parameter::Product { product } => {
            required(&pi.key("product").key("product_retailer_id"), &product.product_retailer_id)?;
            required(&pi.key("product").key("catalog_id"), &product.catalog_id)
        }
        _ if in_card => Err(pi.key("type").err("a card header is an image, a video or a product")),
        _ => Err(pi.key("type").err("a header parameter is text, image, video, document, location or product")),
    }
}

fn body(p: &FieldPath<'_>, params: &[Parameter]) -> Checked {
    let pp = p.key("parameters");
    let mut names: Vec<&str> = Vec::new();
    for (i, param) in params.iter().enumerate() {
        let pi = pp.idx(i);
        let name = match param {
            Parameter::Text { text: t, parameter_name } => {
                text(&pi.key("text"), t, TEMPLATE_PARAM_TEXT)?;
                parameter_name
            }
            Parameter::Currency { currency, parameter_name } => {
                let pc = pi.key("currency");
                required(&pc.key("fallback_value"), &currency.fallback_value)?;
                if currency.code.len() != 3 || !currency.code.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(pc.key("code").err("an ISO 4217 code (3 capital letters)"));
                }
                parameter_name
            }
            Parameter::DateTime { date_time, parameter_name } => {
                required(&pi.key("date_time").key("fallback_value"), &date_time.fallback_value)?;
                parameter_name
            }
            _ => return Err(pi.key("type").err("a body parameter is text, currency or date_time")),
        };
        match name {
            Some(n) => {
                if i > 0 && names.is_empty() {
                    return Err(pi.key("parameter_name").err("named and positional parameters cannot be mixed"));
                }
                text(&pi.key("parameter_name"), n, 512)?;
                name_chars(&pi.key("parameter_name"), n, "a parameter name")?;
                if names.contains(&n.as_str()) {
                    return Err(pi.key("parameter_name").err("parameter names must be unique"));
                }
                names.push(n);
            }
            None if !names.is_empty() => {
                return Err(pi.key("parameter_name").err("named and positional parameters cannot be mixed"))
            }
            None => {}
        }
    }
    Ok(())
}

fn button(p: &FieldPath<'_>, kind: ButtonKind, params: &[Parameter], category: Option<Category>) -> Checked {
    let pi = p.key("parameters");
    let pi = pi.idx(0);
    let param = one_param(p, params, "button")?;
    match (kind, param) {
        (ButtonKind::QuickReply, Parameter::Payload { payload }) => {
            text(&pi.key("payload"), payload, QUICK_REPLY_PAYLOAD)
        }
        (ButtonKind::Url, Parameter::Text { text: t, .. }) if category == Some(Category::Authentication) => {
            text(&pi.key("text"), t, OTP_CODE)
        }
        (ButtonKind::Url, Parameter::Text { text: t, .. }) => text(&pi.key("text"), t, 2000),
        (ButtonKind::CopyCode, Parameter::CouponCode { coupon_code }) => {
            text(&pi.key("coupon_code"), coupon_code, COUPON_CODE)
        }
        (ButtonKind::Flow, Parameter::Action { action }) => match &action.flow_token {
            Some(t) => required(&pi.key("action").key("flow_token"), t),
            None => Ok(()),
        },
        (ButtonKind::Catalog, Parameter::Action { action }) => match &action.thumbnail_product_retailer_id {
            Some(t) => required(&pi.key("action").key("thumbnail_product_retailer_id"), t),
            None => Ok(()),
        },
        (ButtonKind::Mpm, Parameter::Action { action }) => {
            let pa = pi.key("action");
            required(
                &pa.key("thumbnail_product_retailer_id"),
                action.thumbnail_product_retailer_id.as_deref().unwrap_or_default(),
            )?;
            validate_product_sections(&pa.key("sections"), action.sections.as_deref().unwrap_or_default())
        }
        (kind, _) => {
            let expected = match kind {
                ButtonKind::QuickReply => "payload",
                ButtonKind::Url => "text",
                ButtonKind::CopyCode => "coupon_code",
                ButtonKind::Flow | ButtonKind::Catalog | ButtonKind::Mpm => "action",
            };
            Err(pi.key("type").err(format!("must be \"{expected}\" for this button")))
        }
    }
}

fn carousel(p: &FieldPath<'_>, cards: &[Card], category: Option<Category>) -> Checked {
    count(p, cards.len(), 1, CAROUSEL_CARDS, "cards")?;
    for (i, card) in cards.iter().enumerate() {
        let pc = p.idx(i);
        let n = card.card_index as usize;
        if n >= cards.len() || cards.iter().take(i).any(|c| c.card_index == card.card_index) {
            return Err(pc.key("card_index").err(format!("unique, from 0 to {}", cards.len() - 1)));
        }
        if !card.components.iter().any(|c| matches!(c, Component::Header { .. })) {
            return Err(pc.key("components").err("a card needs a header component (image, video or product)"));
        }
        validate_components(&pc.key("components"), &card.components, category, true)?;
    }
    Ok(())
}
