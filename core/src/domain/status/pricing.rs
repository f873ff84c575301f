//! Conversation and pricing analytics: which delivered messages are billable, and an estimated
//! cost from a rate card the user supplies (per country calling code and pricing category).
//!
//! wapipe ships no prices: `docs/rate-card.example.json` only shows the format. Meta's prices
//! change, differ by market and by volume tier; the card is the user's to set and version.
//! Costs are kept in integer micro-units of the card's currency, so counters stay integers.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// Most digits a country calling code has (ITU E.164).
const MAX_CODE_DIGITS: usize = 4;
/// The largest price accepted per message (guards against a misplaced decimal point).
const MAX_PRICE_MICROS: i64 = 1_000_000_000;

/// A versioned rate card: prices per message by country calling code and category.
#[derive(Clone, Debug, PartialEq)]
pub struct RateCard {
    /// The card's version, chosen by its owner; recorded on the pricing rows it priced.
    pub version: String,
    /// The currency of every price on the card (e.g. `USD`).
    pub currency: String,
    /// By calling code (digits), then category: micro-units per billable message.
    countries: BTreeMap<String, BTreeMap<String, i64>>,
    /// Prices for recipients whose code the card does not list.
    default: BTreeMap<String, i64>,
}

#[derive(Deserialize)]
struct CardFile {
    version: String,
    currency: String,
    #[serde(default)]
    countries: BTreeMap<String, BTreeMap<String, Value>>,
    #[serde(default)]
    default: BTreeMap<String, Value>,
}

fn micros(where_: &str, v: &Value) -> Result<i64, String> {
    let p = v.as_f64().ok_or_else(|| format!("{where_}: a price must be a number"))?;
    let m = (p * 1_000_000.0).round();
    if !m.is_finite() || m < 0.0 || m > MAX_PRICE_MICROS as f64 {
        return Err(format!("{where_}: price {p} is out of range (0 to {})", MAX_PRICE_MICROS / 1_000_000));
    }
    Ok(m as i64)
}

fn prices(where_: &str, m: &BTreeMap<String, Value>) -> Result<BTreeMap<String, i64>, String> {
    m.iter().map(|(cat, v)| Ok((cat.to_ascii_lowercase(), micros(&format!("{where_}.{cat}"), v)?))).collect()
}

impl RateCard {
    /// Parse a card (`docs/rate-card.example.json` shows the format); errors name the field.
    pub fn parse(text: &str) -> Result<RateCard, String> {
        let f: CardFile = serde_json::from_str(text).map_err(|e| format!("rate card: {e}"))?;
        if f.version.trim().is_empty() || f.currency.trim().is_empty() {
            return Err("rate card: `version` and `currency` must not be empty".into());
        }
        let mut countries = BTreeMap::new();
        for (code, cats) in &f.countries {
            let calling = !code.is_empty() && code.len() <= MAX_CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit());
            if !calling && !is_alpha2(code) {
                return Err(format!(
                    "rate card: countries.{code}: a calling code (1 to 4 digits) or an ISO country code (2 capital letters)"
                ));
            }
            countries.insert(code.clone(), prices(&format!("rate card: countries.{code}"), cats)?);
        }
        let default = prices("rate card: default", &f.default)?;
        Ok(RateCard { version: f.version, currency: f.currency, countries, default })
    }

    /// The calling code of a recipient (wa_id digits): the longest code the card lists.
    pub fn calling_code(&self, recipient: &str) -> Option<&str> {
        let digits = recipient.trim_start_matches('+');
        (1..=MAX_CODE_DIGITS.min(digits.len()))
            .rev()
            .filter_map(|n| digits.get(..n))
            .find_map(|p| self.countries.get_key_value(p).map(|(k, _)| k.as_str()))
    }

    /// Micro-units for one billable message of `category` to `recipient`; `None` when the card
    /// has no price for it (the message is then counted as `unpriced`). A phone is priced by its
    /// calling code; a BSUID (`IN.1349…`, sent to a user whose phone is hidden) by the ISO
    /// country code it starts with, which the card lists as `"IN"`.
    pub fn price_micros(&self, recipient: Option<&str>, category: &str) -> Option<i64> {
        let cat = category.to_ascii_lowercase();
        let country = recipient.and_then(|r| match r.split_once('.').map(|(cc, _)| cc).filter(|cc| is_alpha2(cc)) {
            Some(cc) => self.countries.get(cc),
            None => self.calling_code(r).and_then(|c| self.countries.get(c)),
        });
        country.and_then(|m| m.get(&cat)).or_else(|| self.default.get(&cat)).copied()
    }
}

/// Two capital letters: an ISO 3166 alpha-2 country code, as BSUIDs begin with.
fn is_alpha2(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// What a status's `pricing` object says (docs/PROTOCOL.md §3.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Billing {
    /// The pricing category, lower case (`marketing`, `utility`, `authentication`, `service`, …); `unknown`
    /// when absent.
    pub category: String,
    /// Whether Meta charges for the message: its `billable`, else PMP's `type` is `regular`, else the category
    /// is not `service`.
    pub billable: bool,
}

/// Read a `pricing` object: `billable` when Meta sends it (deprecated under PMP), else from
/// PMP's `type` (`regular` is billable; `free_customer_service`, `free_entry_point` are not).
pub fn billing(pricing: &Value) -> Billing {
    let s = |k: &str| pricing.get(k).and_then(Value::as_str);
    let category = s("category").filter(|c| !c.is_empty()).unwrap_or("unknown").to_ascii_lowercase();
    let billable = match (pricing.get("billable").and_then(Value::as_bool), s("type")) {
        (Some(b), _) => b,
        (None, Some(t)) => t == "regular",
        (None, None) => category != "service",
    };
    Billing { category, billable }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn card() -> RateCard {
        RateCard::parse(
            r#"{"version":"t1","currency":"USD",
                "countries":{"91":{"marketing":0.0107,"utility":0.0014},"1":{"marketing":0.025},"1242":{"marketing":0.03}},
                "default":{"marketing":0.05,"authentication":0.02}}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_bsuid_is_priced_by_its_country_code() {
        let c = RateCard::parse(
            r#"{"version":"t2","currency":"USD","countries":{"91":{"marketing":0.01},"IN":{"marketing":0.011}},
                "default":{"marketing":0.05}}"#,
        )
        .unwrap();
        assert_eq!(c.price_micros(Some("IN.13491208655302741918"), "marketing"), Some(11_000));
        assert_eq!(c.price_micros(Some("IN.ENT.118"), "MARKETING"), Some(11_000), "a parent BSUID too");
        assert_eq!(c.price_micros(Some("919876543210"), "marketing"), Some(10_000));
        assert_eq!(c.price_micros(Some("BR.77"), "marketing"), Some(50_000), "not listed: the default");
        assert!(RateCard::parse(r#"{"version":"x","currency":"USD","countries":{"in":{}}}"#).is_err());
    }

    #[test]
    fn longest_calling_code_wins_and_defaults_apply() {
        let c = card();
        assert_eq!(c.calling_code("919876543210"), Some("91"));
        assert_eq!(c.calling_code("+12425550100"), Some("1242"));
        assert_eq!(c.calling_code("14155550100"), Some("1"));
        assert_eq!(c.calling_code("447700900000"), None);
        assert_eq!(c.price_micros(Some("919876543210"), "MARKETING"), Some(10_700));
        assert_eq!(c.price_micros(Some("12425550100"), "marketing"), Some(30_000));
        assert_eq!(c.price_micros(Some("447700900000"), "marketing"), Some(50_000), "default");
        assert_eq!(c.price_micros(Some("919876543210"), "authentication"), Some(20_000), "category default");
        assert_eq!(c.price_micros(None, "service"), None);
    }

    #[test]
    fn bad_cards_are_refused_with_the_field() {
        let e = RateCard::parse(r#"{"version":"v","currency":"USD","countries":{"x1":{}}}"#).unwrap_err();
        assert!(e.contains("countries.x1"), "{e}");
        let e = RateCard::parse(r#"{"version":"v","currency":"USD","default":{"marketing":-1}}"#).unwrap_err();
        assert!(e.contains("default.marketing"), "{e}");
        assert!(RateCard::parse(r#"{"version":"","currency":"USD"}"#).is_err());
        assert!(RateCard::parse("[]").is_err());
    }

    #[test]
    fn billable_from_flag_or_pmp_type() {
        assert!(billing(&json!({"billable": true, "category": "utility"})).billable);
        assert!(
            !billing(&json!({"pricing_model": "PMP", "type": "free_customer_service", "category": "service"})).billable
        );
        assert!(billing(&json!({"pricing_model": "PMP", "type": "regular", "category": "marketing"})).billable);
        assert_eq!(billing(&json!({})).category, "unknown");
    }

    #[test]
    fn the_shipped_example_parses() {
        let text = include_str!("../../../../docs/rate-card.example.json");
        let c = RateCard::parse(text).unwrap();
        assert!(c.price_micros(Some("919876543210"), "marketing").is_some());
    }
}
