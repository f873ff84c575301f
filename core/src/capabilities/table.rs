//! The registry's rows: one per row of the source documents' matrices (`docs/coverage-matrix.md`:
//! the coverage matrix, sections 1–10, and the gaps document's summary table and flags).

use super::{Capability, Runbook, Support};

const CONSOLE_EUM: &str = "AWS Console → End User Messaging → Social → WhatsApp business accounts";

static PROFILE: Runbook = Runbook {
    steps: &[
        "Store the profile with `wapipe profile update` (kept with its version history).",
        "Print the checklist with `wapipe profile apply-instructions`.",
        "Open WhatsApp Manager → Phone numbers → the number → Profile; enter each field (about, address, description, email, websites, vertical, photo).",
        "Save, and check the profile on a phone.",
        "Record it: `wapipe profile mark-applied --version N`.",
    ],
    console: "Meta Business Suite → WhatsApp Manager → Phone numbers → Profile",
    acknowledge: "wapipe profile mark-applied",
    doc: None,
};

static CATALOG: Runbook = Runbook {
    steps: &[
        "Create or edit products in Commerce Manager and connect the catalog to the WABA.",
        "Mirror each product locally with `wapipe catalog put` (retailer id, name, price) so product and product_list sends are checked against it.",
        "`wapipe catalog list` shows what the sends will accept.",
    ],
    console: "Meta Commerce Manager → Catalogs; WhatsApp Manager → Catalog",
    acknowledge: "wapipe catalog put",
    doc: None,
};

static GROUPS: Runbook = Runbook {
    steps: &[
        "Create the group and invite members in the WhatsApp Business app or Meta's Groups API (not offered by EUM).",
        "Record its metadata with `wapipe groups create` so events can be labelled.",
    ],
    console: "WhatsApp Business app / Meta Graph API (Groups)",
    acknowledge: "wapipe groups create",
    doc: None,
};

static CALL_LINKS: Runbook = Runbook {
    steps: &[
        "Enable calling for the number (call settings) in WhatsApp Manager or with `wapipe calling settings --apply`.",
        "Share a click-to-call link: `wapipe calling link --phone +E164`.",
    ],
    console: "Meta Business Suite → WhatsApp Manager → Phone numbers → Call settings",
    acknowledge: "wapipe calling link",
    doc: None,
};

static DISPLAY_NAME: Runbook = Runbook {
    steps: &[
        "Open WhatsApp Manager → Phone numbers → the number → Edit display name.",
        "Submit the new name (it must follow Meta's display-name guidelines); Meta reviews it (1–3 days).",
        "Watch the review result in WhatsApp Manager (EUM exposes no name_status field).",
        "After approval, download the new certificate there and re-register the number if asked.",
        "Record the change: `wapipe phones runbook display-name --done`.",
    ],
    console: "Meta Business Suite → WhatsApp Manager → Phone numbers",
    acknowledge: "wapipe phones runbook display-name --done",
    doc: None,
};

static MIGRATE: Runbook = Runbook {
    steps: &[
        "Disable two-step verification on the number in the source WABA (WhatsApp Manager).",
        "In the destination WABA, add the number through the EUM console's Meta signup flow (AWS Console → End User Messaging → Social → Add WhatsApp phone number).",
        "Verify the number with the code Meta sends.",
        "Point the destination WABA's event destination at the stack: `wapipe phones destinations set`.",
        "Re-create approved templates in the destination WABA (`wapipe templates create`).",
        "Record it: `wapipe phones runbook migrate --done`.",
    ],
    console: CONSOLE_EUM,
    acknowledge: "wapipe phones runbook migrate --done",
    doc: None,
};

static ONBOARD_NUMBER: Runbook = Runbook {
    steps: &[
        "AWS Console → End User Messaging → Social → Add WhatsApp phone number (Meta's embedded signup runs there).",
        "Request and enter the verification code, set the two-step PIN, and register the number in that flow.",
        "Point the WABA at the stack's topic: `wapipe phones destinations set --waba-id waba-… --topic-arn …`.",
        "Check it: `wapipe phones list`.",
    ],
    console: CONSOLE_EUM,
    acknowledge: "wapipe phones list",
    doc: None,
};

static CONVERSATIONAL: Runbook = Runbook {
    steps: &[
        "Open WhatsApp Manager → Phone numbers → the number → Automations (ice breakers, commands, welcome message).",
        "Enter the prompts and save; EUM has no conversational-automation operation.",
        "Reply to the resulting messages from your own consumer of `whatsapp.message.received`.",
    ],
    console: "Meta Business Suite → WhatsApp Manager → Phone numbers → Automations",
    acknowledge: "",
    doc: None,
};

static PAYMENTS_GATEWAY: Runbook = Runbook {
    steps: &[
        "Refunds, payment lookups and gateway configuration are done with the payment gateway (Razorpay/PayU/…) or in WhatsApp Manager → Payments; EUM carries messages only.",
        "Record the outcome in wapipe as docs/runbooks/payments.md describes.",
    ],
    console: "Payment gateway dashboard; WhatsApp Manager → Payment configurations",
    acknowledge: "wapipe payments",
    doc: Some("docs/runbooks/payments.md"),
};

static PAYMENTS_MARK_PAID: Runbook = Runbook {
    steps: &[
        "Send the order_details message (Pix, boleto or payment link) with `wapipe send`.",
        "Meta sends no payment webhook for these methods: confirm the payment in the bank or gateway.",
        "Record it: `wapipe payments mark-paid` (see docs/runbooks/payments.md).",
    ],
    console: "Bank / payment gateway dashboard",
    acknowledge: "wapipe payments mark-paid",
    doc: Some("docs/runbooks/payments.md"),
};

static QUALITY_MANUAL: Runbook = Runbook {
    steps: &[
        "Open WhatsApp Manager → Insights / Phone numbers to read the value.",
        "Limits and tiers change automatically with quality and volume; Meta offers no request call through EUM.",
        "Follow the local history with `wapipe quality` (from phone_number_quality_update webhooks).",
    ],
    console: "Meta Business Suite → WhatsApp Manager → Insights",
    acknowledge: "wapipe quality",
    doc: None,
};

static MEDIA_URL: Runbook = Runbook {
    steps: &[
        "EUM never returns Meta's media URL: copy the media to S3 with `wapipe media get MEDIA_ID --to-s3 s3://bucket/prefix`.",
        "Share an S3 presigned URL of the copy (`aws s3 presign`).",
    ],
    console: "AWS Console → S3",
    acknowledge: "wapipe media get",
    doc: None,
};

static RESUMABLE: Runbook = Runbook {
    steps: &[
        "Upload the file to S3 (the AWS CLI uses multipart upload for large files).",
        "Hand it to WhatsApp with `wapipe media upload --s3 s3://bucket/key` (size limits of docs/PROTOCOL.md §2.3 still apply).",
    ],
    console: "AWS Console → S3",
    acknowledge: "wapipe media upload",
    doc: None,
};

static FLOW_METRICS: Runbook = Runbook {
    steps: &[
        "Read endpoint and completion metrics in WhatsApp Manager → Flows → the flow → Insights.",
        "Local counts of completed flows: `wapipe flows responses FLOW`.",
    ],
    console: "Meta Business Suite → WhatsApp Manager → Flows",
    acknowledge: "wapipe flows responses",
    doc: None,
};

static TEMPLATE_ANALYTICS: Runbook = Runbook {
    steps: &[
        "Click-through and conversion figures are in WhatsApp Manager → Insights → Message templates.",
        "Sent/delivered/read counters per template and day come from the status tracker: `wapipe analytics templates`.",
    ],
    console: "Meta Business Suite → WhatsApp Manager → Insights",
    acknowledge: "wapipe analytics templates",
    doc: None,
};

static CONVERSATIONS: Runbook = Runbook {
    steps: &[
        "Billed conversation and pricing analytics are in WhatsApp Manager → Insights (and the AWS bill).",
        "Local estimates from the status tracker: `wapipe analytics conversations`.",
    ],
    console: "Meta Business Suite → WhatsApp Manager → Insights",
    acknowledge: "wapipe analytics conversations",
    doc: None,
};

static THIRD_PARTY: Runbook = Runbook {
    steps: &[
        "Third-party integrations are not part of wapipe: subscribe the integration to the stack's EventBridge bus (a rule on `wapipe` events) or call `wapipe send`.",
    ],
    console: "AWS Console → EventBridge → Rules",
    acknowledge: "",
    doc: None,
};

static S3_LIFECYCLE: Runbook = Runbook {
    steps: &[
        "Add a lifecycle rule to the media bucket (expire copies after N days).",
        "EUM does not manage S3 objects it writes; wapipe does not create the bucket.",
    ],
    console: "AWS Console → S3 → bucket → Management → Lifecycle rules",
    acknowledge: "",
    doc: None,
};

const fn eum(
    id: &'static str,
    area: &'static str,
    feature: &'static str,
    operations: &'static [&'static str],
    note: &'static str,
) -> Capability {
    Capability { id, feature, area, support: Support::Eum { operations }, note }
}
const fn stack(
    id: &'static str,
    area: &'static str,
    feature: &'static str,
    component: &'static str,
    note: &'static str,
) -> Capability {
    Capability { id, feature, area, support: Support::Stack { component }, note }
}
const fn local(
    id: &'static str,
    area: &'static str,
    feature: &'static str,
    runbook: &'static Runbook,
    note: &'static str,
) -> Capability {
    Capability { id, feature, area, support: Support::LocalOnly { runbook }, note }
}
const fn gap(
    id: &'static str,
    area: &'static str,
    feature: &'static str,
    runbook: &'static Runbook,
    note: &'static str,
) -> Capability {
    Capability { id, feature, area, support: Support::NotSupported { runbook }, note }
}

const SEND: &[&str] = &["SendWhatsAppMessage"];
const MSG: &str = "1. Messages";
const FLOWS: &str = "2. Flows";
const TPL: &str = "3. Templates";
const HOOKS: &str = "4. Webhooks";
const MEDIA: &str = "5. Media";
const PHONE: &str = "6. Phone numbers";
const PROFILE_AREA: &str = "7. Business profile";
const CONV: &str = "8. Conversational components";
const PAY: &str = "9. Payments";
const QUAL: &str = "10. Quality";
const GAPS: &str = "EUM gaps";

/// Every row. The first ten groups follow the coverage matrix; the last the gaps document.
pub static CAPABILITIES: &[Capability] = &[
    eum("send_text", MSG, "Text Messages", SEND, "wapipe send (type text)"),
    eum("send_image", MSG, "Image Messages", SEND, "wapipe send (type image; id from `wapipe media upload` or link)"),
    eum("send_video", MSG, "Video Messages", SEND, "wapipe send (type video)"),
    eum("send_audio", MSG, "Audio Messages", SEND, "wapipe send (type audio)"),
    eum("send_document", MSG, "Document Messages", SEND, "wapipe send (type document)"),
    eum("send_sticker", MSG, "Sticker Messages", SEND, "wapipe send (type sticker)"),
    eum("send_location", MSG, "Location Messages", SEND, "wapipe send (type location)"),
    eum("send_contacts", MSG, "Contact Messages", SEND, "wapipe send (type contacts)"),
    eum("send_reaction", MSG, "Reaction Messages", SEND, "wapipe send (type reaction)"),
    eum("send_reply_buttons", MSG, "Reply Buttons (up to 3)", SEND, "interactive button; 3 buttons checked before sending"),
    eum("send_list", MSG, "List Messages (sections)", SEND, "interactive list"),
    eum("send_cta_url", MSG, "CTA URL Buttons", SEND, "interactive cta_url"),
    eum("send_product", MSG, "Single Product (SPM)", SEND, "interactive product; retailer ids checked against `wapipe catalog`"),
    eum("send_product_list", MSG, "Multi-Product (MPM)", SEND, "interactive product_list"),
    eum("send_location_request", MSG, "Location Request", SEND, "interactive location_request_message"),
    eum("send_address", MSG, "Address Messages", SEND, "interactive address_message (India numbers only, Meta rule)"),
    eum("send_flow", MSG, "Flow Messages (send)", SEND, "interactive flow; tokens from `wapipe flows token`"),
    eum("send_request_to_pay", MSG, "Request to Pay (RTP)", SEND, "interactive order_details (payments; see docs/runbooks/payments.md)"),
    eum("flow_create", FLOWS, "Create Flow", &["CreateWhatsAppFlow"], "wapipe flows create (Flow JSON validated first)"),
    eum("flow_update", FLOWS, "Update Flow", &["UpdateWhatsAppFlow", "UpdateWhatsAppFlowAssets"], "wapipe flows update / update-assets"),
    eum("flow_publish", FLOWS, "Publish Flow", &["PublishWhatsAppFlow"], "wapipe flows publish"),
    eum("flow_deprecate", FLOWS, "Deprecate Flow", &["DeprecateWhatsAppFlow"], "wapipe flows deprecate"),
    eum("flow_get", FLOWS, "Get Flow", &["GetWhatsAppFlow"], "wapipe flows show"),
    eum("flow_list", FLOWS, "List Flows", &["ListWhatsAppFlows"], "wapipe flows list"),
    gap("flow_metrics", FLOWS, "Flow Metrics", &FLOW_METRICS, "EUM's GetWhatsAppFlow has health status but no metrics"),
    eum("flow_preview", FLOWS, "Flow Preview", &["GetWhatsAppFlowPreview"], "wapipe flows preview"),
    eum("flow_send", FLOWS, "Send Flow Message", SEND, "wapipe send (interactive flow)"),
    stack("flow_data_exchange", FLOWS, "Flow Data Exchange Endpoint", "functions/flow-endpoint", "Meta calls the endpoint directly (docs/PROTOCOL.md §4); key via `wapipe flows upload-key`"),
    eum("flow_health", FLOWS, "Flow Health Check", &["GetWhatsAppFlow"], "healthStatus from EUM plus the local validator `wapipe flows validate`"),
    eum("flow_assets", FLOWS, "Flow Assets Upload", &["UpdateWhatsAppFlowAssets", "ListWhatsAppFlowAssets"], "wapipe flows update-assets / assets (the Flow JSON asset; images are inline base64)"),
    eum("flow_delete", FLOWS, "Delete Flow", &["DeleteWhatsAppFlow"], "wapipe flows delete (drafts only, Meta rule)"),
    eum("template_create", TPL, "Create Template", &["CreateWhatsAppMessageTemplate", "CreateWhatsAppMessageTemplateFromLibrary", "CreateWhatsAppMessageTemplateMedia"], "wapipe templates create (definition validated first) / from-library / media"),
    eum("send_template_marketing", TPL, "Send Marketing Template", SEND, "wapipe send (type template)"),
    eum("send_template_utility", TPL, "Send Utility Template", SEND, "wapipe send (type template)"),
    eum("send_template_auth", TPL, "Send Auth Template", SEND, "wapipe send (OTP copy-code / one-tap button)"),
    eum("send_template_catalog", TPL, "Send Catalog Template", SEND, "wapipe send (catalog button)"),
    eum("send_template_coupon", TPL, "Send Coupon Template", SEND, "wapipe send (copy_code button)"),
    eum("send_template_lto", TPL, "Send Limited Offer Template", SEND, "wapipe send (limited_time_offer component)"),
    eum("send_template_carousel", TPL, "Send Carousel Template", SEND, "wapipe send (carousel, ≤10 cards)"),
    eum("send_template_mpm", TPL, "Send MPM Template", SEND, "wapipe send (mpm button)"),
    local("template_analytics", TPL, "Template Analytics", &TEMPLATE_ANALYTICS, "counters from status webhooks: wapipe analytics templates"),
    eum("template_list", TPL, "Get Templates (Meta API)", &["ListWhatsAppMessageTemplates", "GetWhatsAppMessageTemplate"], "wapipe templates list [--sync] / show"),
    eum("template_delete", TPL, "Delete Template", &["DeleteWhatsAppMessageTemplate"], "wapipe templates delete NAME [--meta-template-id ID | --all-languages]"),
    eum("template_edit", TPL, "Edit Template", &["UpdateWhatsAppMessageTemplate"], "wapipe templates update"),
    eum("template_quality", TPL, "Template Quality Score", &["ListWhatsAppMessageTemplates"], "templateQualityScore in the list; changes arrive as message_template_quality_update webhooks"),
    eum("webhook_register", HOOKS, "Register Webhook", &["PutWhatsAppBusinessAccountEventDestinations"], "EUM owns Meta's webhook; wapipe phones destinations set points the WABA at the stack's SNS topic"),
    stack("webhook_process", HOOKS, "Process Webhook Event", "functions/webhook-ingest", "SNS → SQS → webhook-ingest → EventBridge"),
    stack("webhook_events", HOOKS, "Get Webhook Events", "functions/status-tracker", "stored statuses: wapipe status; local event log: wapipe dev GET /events"),
    gap("wix_integration", HOOKS, "Wix Integration", &THIRD_PARTY, "third-party integrations are outside wapipe"),
    stack("webhook_verification", HOOKS, "Webhook Verification (GET)", "wapipe dev GET /webhook", "with EUM, Meta verifies EUM's webhook; wapipe dev answers the challenge for direct Meta tests"),
    stack("webhook_signature", HOOKS, "Webhook Signature Validation", "core::domain::signature", "X-Hub-Signature-256 for direct Meta webhooks (wapipe dev --app-secret); EUM events arrive via SNS"),
    stack("webhook_retry", HOOKS, "Webhook Retry Handler", "SQS redrive + functions/dlq-drainer", "failed records retry from SQS, then a DLQ, then are parked with their reason"),
    eum("media_download", MEDIA, "Download Media (EUM)", &["GetWhatsAppMessageMedia"], "wapipe media get MEDIA_ID --to-s3 s3://bucket/prefix"),
    eum("media_upload", MEDIA, "Upload Media (EUM)", &["PostWhatsAppMessageMedia"], "wapipe media upload --s3 s3://bucket/key | --url URL"),
    stack("media_validate", MEDIA, "Validate Media", "core::domain::media_rules", "type and size rules of docs/PROTOCOL.md §2.3 checked before any call"),
    stack("media_formats", MEDIA, "Supported Formats", "core::domain::media_rules", "wapipe media formats"),
    gap("media_s3_lifecycle", MEDIA, "S3 Lifecycle", &S3_LIFECYCLE, "a bucket rule the operator sets"),
    gap("media_url", MEDIA, "Get Media URL", &MEDIA_URL, "EUM copies media to S3 instead of returning Meta's URL"),
    eum("media_delete", MEDIA, "Delete Media", &["DeleteWhatsAppMessageMedia"], "wapipe media delete MEDIA_ID"),
    gap("media_resumable", MEDIA, "Resumable Upload", &RESUMABLE, "EUM uploads from S3 or a presigned URL; no resumable session"),
    gap("phone_request_verification", PHONE, "Request Verification", &ONBOARD_NUMBER, "EUM's signup is console-only (AssociateWhatsAppBusinessAccount)"),
    gap("phone_verify_code", PHONE, "Verify Code", &ONBOARD_NUMBER, "part of the console signup"),
    gap("phone_two_step", PHONE, "Two-Step Verification", &ONBOARD_NUMBER, "PIN set in the console signup or WhatsApp Manager"),
    gap("phone_certificates", PHONE, "Get Certificates", &ONBOARD_NUMBER, "certificates are handled by Meta/EUM signup"),
    gap("phone_register", PHONE, "Register Phone", &ONBOARD_NUMBER, "registration happens in the console signup"),
    gap("phone_deregister", PHONE, "Deregister Phone", &ONBOARD_NUMBER, "remove the number in the console (DisassociateWhatsAppBusinessAccount removes the whole WABA)"),
    eum("phone_list", PHONE, "List Phone Numbers", &["ListLinkedWhatsAppBusinessAccounts", "GetLinkedWhatsAppBusinessAccount"], "wapipe phones list"),
    eum("phone_health", PHONE, "Health Status", &["GetLinkedWhatsAppBusinessAccountPhoneNumber"], "qualityRating only (docs/PROTOCOL.md §2.3): wapipe phones show"),
    gap("phone_migrate", PHONE, "Migrate Phone Number", &MIGRATE, "no EUM operation; runbook"),
    gap("phone_display_name", PHONE, "Request Display Name Change", &DISPLAY_NAME, "no EUM operation; runbook"),
    gap("phone_name_status", PHONE, "Get Name Status", &DISPLAY_NAME, "EUM's phone shapes have no name_status"),
    local("business_profile_get", PROFILE_AREA, "Get Business Profile", &PROFILE, "wapipe profile show (the locally stored profile)"),
    local("business_profile_update", PROFILE_AREA, "Update Business Profile", &PROFILE, "wapipe profile update (version history) + apply-instructions + mark-applied"),
    local("business_profile_picture", PROFILE_AREA, "Upload Profile Picture", &PROFILE, "picture's S3 key stored with the profile; set in WhatsApp Manager"),
    gap("ice_breakers", CONV, "Ice Breakers", &CONVERSATIONAL, "conversational automation is not in EUM"),
    gap("bot_commands", CONV, "Bot Commands", &CONVERSATIONAL, "conversational automation is not in EUM"),
    gap("persistent_menu", CONV, "Persistent Menu", &CONVERSATIONAL, "no WhatsApp equivalent through EUM"),
    gap("welcome_message", CONV, "Welcome Message", &CONVERSATIONAL, "enable in WhatsApp Manager; replies come from your consumer"),
    gap("away_message", CONV, "Away Message", &CONVERSATIONAL, "WhatsApp Business app feature, not API"),
    gap("payment_onboarding", PAY, "Payment Onboarding", &PAYMENTS_GATEWAY, "payment configurations are made in WhatsApp Manager"),
    eum("payment_request", PAY, "Create Payment Request", SEND, "interactive order_details"),
    stack("payment_status", PAY, "Payment Status", "functions/payment-processor", "from payment webhooks; a lookup by reference id is not in EUM (see payment_lookup)"),
    eum("payment_update_status", PAY, "Update Payment Status", SEND, "order_status message"),
    eum("payment_confirmation", PAY, "Send Confirmation", SEND, "order_status / text message"),
    eum("order_details", PAY, "Order Details Message", SEND, "interactive order_details"),
    eum("order_status", PAY, "Order Status Message", SEND, "interactive order_status"),
    stack("payment_webhook", PAY, "Payment Webhook", "functions/payment-processor", "payment status webhooks → payment events"),
    eum("payment_singapore", PAY, "Singapore Payments", SEND, "order_details with SG payment settings (docs/PROTOCOL.md §6.4); the SG status webhook layout is unverified, `wapipe payments mark-paid` settles an SG order too"),
    local("payment_pix", PAY, "Brazil PIX Payments", &PAYMENTS_MARK_PAID, "order_details with Pix; status recorded by mark-paid"),
    stack("payment_refund", PAY, "Refund Processing", "functions/payment-processor", "WhatsApp has no refund API: refunds go to the gateway port (Razorpay, or manual with `wapipe payments refund-done`; docs/runbooks/payments.md)"),
    local("payment_link", PAY, "Payment Link Generation", &PAYMENTS_MARK_PAID, "the link comes from the gateway; status recorded by mark-paid"),
    gap("payment_lookup", PAY, "Payment Lookup (Meta API)", &PAYMENTS_GATEWAY, "Meta's payment lookup call is not in EUM"),
    eum("quality_rating", QUAL, "Quality Rating", &["GetLinkedWhatsAppBusinessAccountPhoneNumber"], "qualityRating; changes via phone_number_quality_update"),
    local("messaging_limits", QUAL, "Messaging Limits", &QUALITY_MANUAL, "tier from phone_number_quality_update webhooks (not in EUM's shapes)"),
    gap("tier_upgrade", QUAL, "Tier Upgrade Request", &QUALITY_MANUAL, "tiers change automatically; no request call"),
    eum("phone_health_status", QUAL, "Phone Health Status", &["GetLinkedWhatsAppBusinessAccountPhoneNumber"], "qualityRating of the number"),
    gap("compliance_status", QUAL, "Compliance Status", &QUALITY_MANUAL, "business verification / compliance info is read in WhatsApp Manager"),
    local("business_profile", GAPS, "Business Profile GET/UPDATE", &PROFILE, "see business_profile_get / _update"),
    local("template_analytics_detailed", GAPS, "Template Analytics (detailed)", &TEMPLATE_ANALYTICS, "basic counters locally; CTR/conversion only in WhatsApp Manager"),
    local("phone_quality_history", GAPS, "Phone Quality History", &QUALITY_MANUAL, "quality snapshots in the table (quality-snapshotter)"),
    local("conversation_analytics", GAPS, "Conversation Analytics", &CONVERSATIONS, "estimates: wapipe analytics conversations"),
    local("catalog_crud", GAPS, "Catalog Management", &CATALOG, "wapipe catalog put|list|show|delete (local products)"),
    eum("flow_builder", GAPS, "Flow Builder", &["CreateWhatsAppFlow", "UpdateWhatsAppFlowAssets", "PublishWhatsAppFlow"], "EUM now has the Flows API (the seed predates it): wapipe flows create|update-assets|publish"),
    local("group_management", GAPS, "Group Management", &GROUPS, "metadata only: wapipe groups"),
    eum("calling", GAPS, "Calling Features", &["UpdateLinkedWhatsAppBusinessAccountPhoneNumber", "GetLinkedWhatsAppBusinessAccountPhoneNumber", "GetWhatsAppCallPermission", "SendWhatsAppCallEvent"], "through EUM: wapipe calling settings (call hours, holidays, icon, callback permission; --apply, --from-eum), calling permission, calling action|event FILE (connect, pre_accept, accept, reject, terminate); call webhooks become call records (calling calls|show); deep links: wapipe calling link"),
    local("calling_deep_links", GAPS, "Call Deep Links", &CALL_LINKS, "wa.me links and local call settings"),
    eum("templates_crud", GAPS, "Templates CRUD", &["CreateWhatsAppMessageTemplate", "ListWhatsAppMessageTemplates", "GetWhatsAppMessageTemplate", "UpdateWhatsAppMessageTemplate", "DeleteWhatsAppMessageTemplate"], "wapipe templates"),
    eum("media_upload_download", GAPS, "Media Upload/Download", &["PostWhatsAppMessageMedia", "GetWhatsAppMessageMedia", "DeleteWhatsAppMessageMedia"], "wapipe media"),
    eum("send_messages", GAPS, "Send Messages", SEND, "wapipe send"),
    stack("webhooks_events", GAPS, "Webhooks / Events", "functions/webhook-ingest", "EUM → SNS → the stack"),
    eum("event_destinations", GAPS, "Event Destinations", &["PutWhatsAppBusinessAccountEventDestinations"], "wapipe phones destinations set"),
    eum("resource_tags", GAPS, "Tags (WABA, phone number)", &["TagResource", "UntagResource", "ListTagsForResource"], "wapipe tags list|add|remove ARN"),
    eum("waba_disassociate", GAPS, "Disassociate WABA", &["DisassociateWhatsAppBusinessAccount"], "wapipe phones disassociate --waba-id … --confirm (prints what stops first)"),
    eum("conversions_api", GAPS, "Conversions API (click-to-WhatsApp ads)", &["CreateWhatsAppDataset", "SendWhatsAppConversionEvent"], "ingest keeps referral.ctwa_clid; the payment processor reports mapped events (WAPIPE_CONVERSIONS) once per click, event and source: wapipe conversions list|show"),
];
