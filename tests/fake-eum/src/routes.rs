//! Method + path → operation (docs/PROTOCOL.md §2.2), and dispatch to the handlers.

use serde_json::Value;

use crate::error::EumError;
use crate::ops::{calling, conversions, flows, messaging, tags, templates, waba, Req};
use crate::state::State;

macro_rules! ops {
    ($( $variant:ident => $method:literal $path:literal ),* $(,)?) => {
        /// An EUM Social operation the fake routes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Op {
            $(
                #[doc = concat!("`", $method, " ", $path, "`")]
                $variant,
            )*
        }

        impl Op {
            /// Every routed operation.
            pub const ALL: &'static [Op] = &[$(Op::$variant),*];

            /// The operation's API name, e.g. `SendWhatsAppMessage`.
            pub fn name(self) -> &'static str {
                match self { $(Op::$variant => stringify!($variant),)* }
            }

            /// HTTP method and path.
            pub fn http(self) -> (&'static str, &'static str) {
                match self { $(Op::$variant => ($method, $path),)* }
            }
        }
    };
}

ops! {
    SendWhatsAppMessage => "POST" "/v1/whatsapp/send",
    PostWhatsAppMessageMedia => "POST" "/v1/whatsapp/media",
    GetWhatsAppMessageMedia => "POST" "/v1/whatsapp/media/get",
    DeleteWhatsAppMessageMedia => "DELETE" "/v1/whatsapp/media",
    CreateWhatsAppMessageTemplate => "POST" "/v1/whatsapp/template/put",
    CreateWhatsAppMessageTemplateFromLibrary => "POST" "/v1/whatsapp/template/create",
    CreateWhatsAppMessageTemplateMedia => "POST" "/v1/whatsapp/template/media",
    ListWhatsAppMessageTemplates => "GET" "/v1/whatsapp/template/list",
    GetWhatsAppMessageTemplate => "GET" "/v1/whatsapp/template",
    UpdateWhatsAppMessageTemplate => "POST" "/v1/whatsapp/template",
    DeleteWhatsAppMessageTemplate => "DELETE" "/v1/whatsapp/template",
    ListWhatsAppTemplateLibrary => "POST" "/v1/whatsapp/template/library",
    GetLinkedWhatsAppBusinessAccount => "GET" "/v1/whatsapp/waba/details",
    GetLinkedWhatsAppBusinessAccountPhoneNumber => "GET" "/v1/whatsapp/waba/phone/details",
    UpdateLinkedWhatsAppBusinessAccountPhoneNumber => "PUT" "/v1/whatsapp/waba/phone",
    ListLinkedWhatsAppBusinessAccounts => "GET" "/v1/whatsapp/waba/list",
    PutWhatsAppBusinessAccountEventDestinations => "PUT" "/v1/whatsapp/waba/eventdestinations",
    GetWhatsAppBusinessPublicKey => "GET" "/v1/whatsapp/business-public-key",
    PutWhatsAppBusinessPublicKey => "PUT" "/v1/whatsapp/business-public-key",
    CreateWhatsAppFlow => "POST" "/v1/whatsapp/flow/create",
    GetWhatsAppFlow => "GET" "/v1/whatsapp/flow",
    ListWhatsAppFlows => "GET" "/v1/whatsapp/flow/list",
    UpdateWhatsAppFlow => "POST" "/v1/whatsapp/flow/update",
    UpdateWhatsAppFlowAssets => "POST" "/v1/whatsapp/flow/assets/update",
    ListWhatsAppFlowAssets => "GET" "/v1/whatsapp/flow/assets",
    PublishWhatsAppFlow => "POST" "/v1/whatsapp/flow/publish",
    DeprecateWhatsAppFlow => "POST" "/v1/whatsapp/flow/deprecate",
    DeleteWhatsAppFlow => "DELETE" "/v1/whatsapp/flow",
    GetWhatsAppFlowPreview => "GET" "/v1/whatsapp/flow/preview",
    GetWhatsAppCallPermission => "POST" "/v1/whatsapp/call/permission/get",
    SendWhatsAppCallEvent => "POST" "/v1/whatsapp/call/event",
    TagResource => "POST" "/v1/tags/tag-resource",
    UntagResource => "POST" "/v1/tags/untag-resource",
    ListTagsForResource => "GET" "/v1/tags/list",
    DisassociateWhatsAppBusinessAccount => "DELETE" "/v1/whatsapp/waba/disassociate",
    CreateWhatsAppDataset => "POST" "/v1/whatsapp/waba/dataset",
    SendWhatsAppConversionEvent => "POST" "/v1/whatsapp/waba/dataset/events",
}

/// Finds the operation for a request line. A trailing `/` is ignored.
pub fn route(method: &str, path: &str) -> Option<Op> {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    Op::ALL.iter().copied().find(|op| {
        let (m, p) = op.http();
        m.eq_ignore_ascii_case(method) && p == path
    })
}

/// Runs the handler of `op` against the state.
pub fn dispatch(op: Op, req: &Req, st: &mut State) -> Result<Value, EumError> {
    use Op::*;
    match op {
        SendWhatsAppMessage => messaging::send(req, st),
        PostWhatsAppMessageMedia => messaging::post_media(req, st),
        GetWhatsAppMessageMedia => messaging::get_media(req, st),
        DeleteWhatsAppMessageMedia => messaging::delete_media(req, st),
        CreateWhatsAppMessageTemplate => templates::create(req, st),
        CreateWhatsAppMessageTemplateFromLibrary => templates::create_from_library(req, st),
        CreateWhatsAppMessageTemplateMedia => templates::create_media(req, st),
        ListWhatsAppMessageTemplates => templates::list(req, st),
        GetWhatsAppMessageTemplate => templates::get(req, st),
        UpdateWhatsAppMessageTemplate => templates::update(req, st),
        DeleteWhatsAppMessageTemplate => templates::delete(req, st),
        ListWhatsAppTemplateLibrary => templates::library(req, st),
        GetLinkedWhatsAppBusinessAccount => waba::get_waba(req, st),
        GetLinkedWhatsAppBusinessAccountPhoneNumber => waba::get_phone(req, st),
        UpdateLinkedWhatsAppBusinessAccountPhoneNumber => waba::update_phone(req, st),
        ListLinkedWhatsAppBusinessAccounts => waba::list_wabas(req, st),
        PutWhatsAppBusinessAccountEventDestinations => waba::put_event_destinations(req, st),
        GetWhatsAppBusinessPublicKey => waba::get_public_key(req, st),
        PutWhatsAppBusinessPublicKey => waba::put_public_key(req, st),
        CreateWhatsAppFlow => flows::create(req, st),
        GetWhatsAppFlow => flows::get(req, st),
        ListWhatsAppFlows => flows::list(req, st),
        UpdateWhatsAppFlow => flows::update(req, st),
        UpdateWhatsAppFlowAssets => flows::update_assets(req, st),
        ListWhatsAppFlowAssets => flows::list_assets(req, st),
        PublishWhatsAppFlow => flows::publish(req, st),
        DeprecateWhatsAppFlow => flows::deprecate(req, st),
        DeleteWhatsAppFlow => flows::delete(req, st),
        GetWhatsAppFlowPreview => flows::preview(req, st),
        GetWhatsAppCallPermission => calling::permission(req, st),
        SendWhatsAppCallEvent => calling::event(req, st),
        TagResource => tags::tag(req, st),
        UntagResource => tags::untag(req, st),
        ListTagsForResource => tags::list(req, st),
        DisassociateWhatsAppBusinessAccount => waba::disassociate(req, st),
        CreateWhatsAppDataset => conversions::create_dataset(req, st),
        SendWhatsAppConversionEvent => conversions::send_event(req, st),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_unique_and_found() {
        for op in Op::ALL {
            let (m, p) = op.http();
            assert_eq!(route(m, p), Some(*op), "{m} {p}");
        }
        assert_eq!(route("GET", "/v1/whatsapp/template"), Some(Op::GetWhatsAppMessageTemplate));
        assert_eq!(route("POST", "/v1/whatsapp/template"), Some(Op::UpdateWhatsAppMessageTemplate));
        assert_eq!(route("PATCH", "/v1/whatsapp/template"), None);
        assert_eq!(route("POST", "/v1/whatsapp/waba/dataset/events/"), Some(Op::SendWhatsAppConversionEvent));
        assert_eq!(route("GET", "/v1/whatsapp/waba/disassociate"), None);
        assert_eq!(route("GET", "/nope"), None);
    }

    #[test]
    fn every_operation_is_routed_once() {
        assert_eq!(Op::ALL.len(), 37);
        let mut names: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Op::ALL.len());
        for name in [
            "TagResource",
            "UntagResource",
            "ListTagsForResource",
            "DisassociateWhatsAppBusinessAccount",
            "CreateWhatsAppDataset",
            "SendWhatsAppConversionEvent",
        ] {
            assert!(names.contains(&name), "{name} is routed");
        }
    }
}
