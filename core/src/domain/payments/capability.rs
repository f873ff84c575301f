//! What WhatsApp (through EUM) can and cannot do for each kind of payment, said plainly.
//! Refunds are never initiated through WhatsApp: there is no refund API (docs/PROTOCOL.md §6.2); they go
//! to the payment gateway (or to an operator). Pix, boleto and payment links have no status
//! webhook (docs/PROTOCOL.md §6.5): the merchant's PSP confirms them, through the `payment.mark-paid` command.
//! Runbook: `docs/runbooks/payments.md`.

use crate::domain::outbound::payments::OrderDetailsParams;

/// How an order is paid, from its `order_details`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentKind {
    /// India: UPI intent or a payment gateway (Razorpay, PayU, …) — status webhooks.
    IndiaGateway,
    /// Singapore (`payment_type` like `p2m-lite:stripe`) — status webhook layout unverified.
    Singapore,
    /// Brazil Pix dynamic code — no status webhook.
    BrazilPix,
    /// Brazil boleto — no status webhook.
    BrazilBoleto,
    /// A payment link (Brazil or elsewhere) — no status webhook.
    PaymentLink,
}

impl PaymentKind {
    /// The name stored on the order (`kind`) and put in payment events, e.g. `india_gateway`, `pix_dynamic_code`.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::IndiaGateway => "india_gateway",
            PaymentKind::Singapore => "singapore",
            PaymentKind::BrazilPix => "pix_dynamic_code",
            PaymentKind::BrazilBoleto => "boleto",
            PaymentKind::PaymentLink => "payment_link",
        }
    }

    /// The kind of a stored name; `None` for a name [`PaymentKind::as_str`] never gives.
    pub fn parse(s: &str) -> Option<PaymentKind> {
        [
            PaymentKind::IndiaGateway,
            PaymentKind::Singapore,
            PaymentKind::BrazilPix,
            PaymentKind::BrazilBoleto,
            PaymentKind::PaymentLink,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Region code (`IN`, `SG`, `BR`; payment links take the currency's region).
    pub fn region(self, currency: &str) -> &'static str {
        match self {
            PaymentKind::IndiaGateway => "IN",
            PaymentKind::Singapore => "SG",
            PaymentKind::BrazilPix | PaymentKind::BrazilBoleto => "BR",
            PaymentKind::PaymentLink => match currency {
                "INR" => "IN",
                "SGD" => "SG",
                _ => "BR",
            },
        }
    }

    /// Does WhatsApp send payment status webhooks for this kind?
    pub fn status_webhook(self) -> bool {
        matches!(self, PaymentKind::IndiaGateway | PaymentKind::Singapore)
    }

    /// May `payment.mark-paid` (the PSP's word, relayed by another system) settle it? Only
    /// where no webhook will; Singapore too, because its webhook layout is unverified.
    pub fn mark_paid_allowed(self) -> bool {
        !matches!(self, PaymentKind::IndiaGateway)
    }

    /// The capability id of the registry that explains what is missing, if anything.
    pub fn missing_capability(self) -> Option<&'static str> {
        match self {
            PaymentKind::IndiaGateway => None,
            PaymentKind::Singapore => Some(CAP_SG_STATUS_LAYOUT),
            PaymentKind::BrazilPix | PaymentKind::BrazilBoleto => Some(CAP_BR_STATUS_WEBHOOK),
            PaymentKind::PaymentLink => Some(CAP_LINK_STATUS_WEBHOOK),
        }
    }
}

/// Rows of the capability registry (`crate::capabilities`) for what WhatsApp does not do here;
/// their runbooks are in `docs/runbooks/payments.md`.
pub const CAP_REFUND_INITIATION: &str = "payment_refund";
/// Brazil Pix and boleto: no status webhook, settled by `payment.mark-paid`.
pub const CAP_BR_STATUS_WEBHOOK: &str = "payment_pix";
/// Payment links: no status webhook, settled by `payment.mark-paid`.
pub const CAP_LINK_STATUS_WEBHOOK: &str = "payment_link";
/// Meta's payment lookup call, which EUM does not offer.
pub const CAP_LOOKUP_API: &str = "payment_lookup";
/// Singapore: the status webhook layout is unverified, so `payment.mark-paid` may settle an order.
pub const CAP_SG_STATUS_LAYOUT: &str = "payment_singapore";

/// The kind of an order, from its parameters: `payment_settings[0].type` when present
/// (`pix_dynamic_code`, `boleto`, `payment_link`, `payment_gateway`), else the currency.
pub fn kind_of(p: &OrderDetailsParams) -> PaymentKind {
    let setting =
        p.payment_settings.as_ref().and_then(|s| s.first()).and_then(|s| s.get("type")).and_then(|t| t.as_str());
    match setting {
        Some("pix_dynamic_code") => PaymentKind::BrazilPix,
        Some("boleto") => PaymentKind::BrazilBoleto,
        Some("payment_link") => PaymentKind::PaymentLink,
        _ if p.currency == "SGD" => PaymentKind::Singapore,
        _ if p.currency == "BRL" => PaymentKind::PaymentLink,
        _ => PaymentKind::IndiaGateway,
    }
}

/// The payment configuration name an order names (`payment_configuration`, or the gateway
/// setting's `configuration_name`): it selects the refund gateway.
pub fn configuration_of(p: &OrderDetailsParams) -> String {
    if let Some(c) = p.payment_configuration.as_deref() {
        return c.to_string();
    }
    p.payment_settings
        .as_ref()
        .and_then(|s| s.first())
        .and_then(|s| s.get("payment_gateway"))
        .and_then(|g| g.get("configuration_name"))
        .and_then(|c| c.as_str())
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_say_what_whatsapp_reports() {
        assert!(PaymentKind::IndiaGateway.status_webhook());
        assert!(!PaymentKind::IndiaGateway.mark_paid_allowed());
        for k in [PaymentKind::BrazilPix, PaymentKind::BrazilBoleto, PaymentKind::PaymentLink] {
            assert!(!k.status_webhook() && k.mark_paid_allowed() && k.missing_capability().is_some());
            assert_eq!(PaymentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(PaymentKind::PaymentLink.region("INR"), "IN");
    }

    #[test]
    fn capability_ids_are_rows_of_the_registry() {
        for id in [
            CAP_REFUND_INITIATION,
            CAP_BR_STATUS_WEBHOOK,
            CAP_LINK_STATUS_WEBHOOK,
            CAP_LOOKUP_API,
            CAP_SG_STATUS_LAYOUT,
        ] {
            let row = crate::capabilities::find(id).unwrap_or_else(|| panic!("{id} is not in the registry"));
            assert_eq!(row.area, crate::capabilities::find("payment_webhook").map(|r| r.area).unwrap_or_default());
        }
        // No status webhook for these: the registry must not claim EUM reports them.
        for id in [CAP_BR_STATUS_WEBHOOK, CAP_LINK_STATUS_WEBHOOK, CAP_LOOKUP_API] {
            assert!(!matches!(
                crate::capabilities::find(id).map(|r| r.support),
                Some(crate::capabilities::Support::Eum { .. })
            ));
        }
    }
}
