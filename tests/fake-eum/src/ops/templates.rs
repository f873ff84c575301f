//! Message template operations and the template library.

use base64::Engine;
use serde_json::{json, Value};

use super::{empty, missing, Req};
use crate::error::EumError;
use crate::state::{page, State, Template};

const CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];

fn bad(text: impl Into<String>) -> EumError {
    EumError::validation(text)
}

/// `POST /v1/whatsapp/template/put`.
pub fn create(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba_id = req.body_required("id")?.to_string();
    let def = req.blob_json("templateDefinition")?.clone();
    let field = |k: &str| def.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let name = field("name").ok_or_else(|| bad("(#100) The parameter name is required."))?;
    let language = field("language").ok_or_else(|| bad("(#100) The parameter language is required."))?;
    let category = field("category").ok_or_else(|| bad("(#100) The parameter category is required."))?;
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(bad(format!("(#100) Invalid parameter: category {category}")));
    }
    if !def.get("components").is_some_and(Value::is_array) {
        return Err(bad("(#100) The parameter components is required."));
    }
    let waba = st.waba_or_404(&waba_id)?.id.clone();
    let status = st.seed.template_status.clone();
    insert(st, waba, name, language, category, status, def)
}

fn insert(
    st: &mut State,
    waba_id: String,
    name: String,
    language: String,
    category: String,
    status: String,
    definition: Value,
) -> Result<Value, EumError> {
    if st.templates.iter().any(|t| t.waba_id == waba_id && t.name == name && t.language == language) {
        return Err(EumError::invalid_parameters(format!(
            "(#192) Content in this language already exists: {name} ({language})"
        )));
    }
    let meta_template_id = st.meta_id();
    let out = json!({"metaTemplateId": meta_template_id, "templateStatus": status, "category": category});
    st.templates.push(Template { waba_id, meta_template_id, name, language, category, status, definition });
    Ok(out)
}

/// `POST /v1/whatsapp/template/create`.
pub fn create_from_library(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba_id = req.body_required("id")?.to_string();
    let lib = req.body_value("metaLibraryTemplate").ok_or_else(|| missing("metaLibraryTemplate"))?.clone();
    let field = |k: &str| lib.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let name = field("templateName").ok_or_else(|| missing("metaLibraryTemplate.templateName"))?;
    let library_name =
        field("libraryTemplateName").ok_or_else(|| missing("metaLibraryTemplate.libraryTemplateName"))?;
    let category = field("templateCategory").ok_or_else(|| missing("metaLibraryTemplate.templateCategory"))?;
    let language = field("templateLanguage").ok_or_else(|| missing("metaLibraryTemplate.templateLanguage"))?;
    let waba = st.waba_or_404(&waba_id)?.id.clone();
    let definition = json!({
        "name": name, "language": language, "category": category,
        "library_template_name": library_name, "components": []
    });
    // Library templates are pre-approved by Meta.
    insert(st, waba, name, language, category, "APPROVED".to_string(), definition)
}

/// `POST /v1/whatsapp/template/media`.
pub fn create_media(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba_id = req.body_required("id")?;
    let file = req.body_value("sourceS3File").ok_or_else(|| missing("sourceS3File"))?;
    let key = file.get("key").and_then(Value::as_str).filter(|k| !k.is_empty());
    let bucket = file.get("bucketName").and_then(Value::as_str).filter(|b| !b.is_empty());
    let (Some(_), Some(key)) = (bucket, key) else {
        return Err(bad("sourceS3File requires bucketName and key"));
    };
    st.waba_or_404(waba_id)?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(key.as_bytes());
    let n = st.meta_id();
    Ok(json!({ "metaHeaderHandle": format!("4::{b64}:ARb{n}") }))
}

fn summary(t: &Template) -> Value {
    json!({
        "templateName": t.name, "metaTemplateId": t.meta_template_id, "templateStatus": t.status,
        "templateQualityScore": "UNKNOWN", "templateLanguage": t.language, "templateCategory": t.category,
    })
}

/// `GET /v1/whatsapp/template/list?id=…&nextToken=…&maxResults=…`.
pub fn list(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba = st.waba_or_404(req.query_required("id")?)?.id.clone();
    let items: Vec<Value> = st.templates.iter().filter(|t| t.waba_id == waba).map(summary).collect();
    let max = req.query_str("maxResults").map(|s| json!(s));
    let (templates, next) = page(items, max.as_ref(), req.query_str("nextToken"), 100)?;
    let mut out = json!({ "templates": templates });
    if let (Some(t), Some(obj)) = (next, out.as_object_mut()) {
        obj.insert("nextToken".to_string(), json!(t));
    }
    Ok(out)
}

/// Index of the template addressed by `metaTemplateId` or `templateName` + `templateLanguageCode`.
fn find(
    st: &State,
    waba: &str,
    meta_id: Option<&str>,
    name: Option<&str>,
    language: Option<&str>,
) -> Result<usize, EumError> {
    let pos = match (meta_id.filter(|s| !s.is_empty()), name.filter(|s| !s.is_empty())) {
        (Some(id), _) => st.templates.iter().position(|t| t.waba_id == waba && t.meta_template_id == id),
        (None, Some(n)) => {
            let lang = language.filter(|s| !s.is_empty()).ok_or_else(|| missing("templateLanguageCode"))?;
            st.templates.iter().position(|t| t.waba_id == waba && t.name == n && t.language == lang)
        }
        (None, None) => return Err(bad("Either metaTemplateId or templateName and templateLanguageCode is required")),
    };
    pos.ok_or_else(|| EumError::not_found("Template not found"))
}

/// `GET /v1/whatsapp/template?id=…&metaTemplateId=…` (or `templateName` + `templateLanguageCode`).
pub fn get(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba = st.waba_or_404(req.query_required("id")?)?.id.clone();
    let i = find(
        st,
        &waba,
        req.query_str("metaTemplateId"),
        req.query_str("templateName"),
        req.query_str("templateLanguageCode"),
    )?;
    let t = &st.templates[i];
    let mut meta = t.definition.clone();
    if let Some(obj) = meta.as_object_mut() {
        obj.insert("id".to_string(), json!(t.meta_template_id));
        obj.insert("status".to_string(), json!(t.status));
        obj.insert("category".to_string(), json!(t.category));
        obj.insert("name".to_string(), json!(t.name));
        obj.insert("language".to_string(), json!(t.language));
    }
    Ok(json!({ "template": meta.to_string() }))
}

/// `POST /v1/whatsapp/template` (UpdateWhatsAppMessageTemplate).
pub fn update(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba = st.waba_or_404(req.body_required("id")?)?.id.clone();
    let i = find(
        st,
        &waba,
        req.body_str("metaTemplateId"),
        req.body_str("templateName"),
        req.body_str("templateLanguageCode"),
    )?;
    let components = match req.body_value("templateComponents") {
        None => None,
        Some(_) => {
            let c = req.blob_json("templateComponents")?;
            let list = c.get("components").cloned().unwrap_or_else(|| c.clone());
            if !list.is_array() {
                return Err(bad("templateComponents must be a JSON array of components"));
            }
            Some(list)
        }
    };
    let category = req.body_str("templateCategory").map(str::to_string);
    if let Some(c) = &category {
        if !CATEGORIES.contains(&c.as_str()) {
            return Err(bad(format!("Invalid templateCategory {c}")));
        }
    }
    let format = req.body_str("parameterFormat").map(str::to_string);
    let t = &mut st.templates[i];
    if let Some(obj) = t.definition.as_object_mut() {
        if let Some(list) = components {
            obj.insert("components".to_string(), list);
        }
        if let Some(f) = format {
            obj.insert("parameter_format".to_string(), json!(f));
        }
        if let Some(c) = &category {
            obj.insert("category".to_string(), json!(c));
        }
    }
    if let Some(c) = category {
        t.category = c;
    }
    Ok(empty())
}

/// `DELETE /v1/whatsapp/template?id=…&templateName=…[&metaTemplateId=…][&deleteAllTemplates=true]`.
/// Like Meta: by name alone (or with `deleteAllTemplates`) every language goes; with a
/// `metaTemplateId` only that one.
pub fn delete(req: &Req, st: &mut State) -> Result<Value, EumError> {
    let waba_id = req.query_required("id")?;
    let name = req.query_required("templateName")?.to_string();
    let all = req.query_bool("deleteAllTemplates")?;
    let meta_id = req.query_str("metaTemplateId").filter(|s| !s.is_empty()).map(str::to_string);
    let waba = st.waba_or_404(waba_id)?.id.clone();
    let before = st.templates.len();
    st.templates.retain(|t| {
        let target = t.waba_id == waba && t.name == name;
        let hit = match (&meta_id, all) {
            (Some(id), false) => target && &t.meta_template_id == id,
            _ => target,
        };
        !hit
    });
    if st.templates.len() == before {
        return Err(EumError::not_found(format!("Template {name} not found")));
    }
    Ok(empty())
}

/// The fixed template library.
fn library_items() -> Vec<Value> {
    let item = |name: &str, topic: &str, use_case: &str, body: &str| {
        json!({
            "templateName": name, "templateLanguage": "en_US", "templateCategory": "UTILITY",
            "templateTopic": topic, "templateUseCase": use_case, "templateBody": body,
            "templateId": format!("lib-{name}"),
        })
    };
    vec![
        item(
            "order_confirmation",
            "ORDER_MANAGEMENT",
            "ORDER_CONFIRMATION",
            "Hi {{1}}, your order {{2}} is confirmed.",
        ),
        item("delivery_update_1", "ORDER_MANAGEMENT", "SHIPPING_UPDATE", "Your order {{1}} is on its way."),
        item("payment_reminder", "PAYMENTS", "PAYMENT_REMINDER", "Reminder: {{1}} is due on {{2}}."),
        item("appointment_reminder", "EVENT_REMINDER", "APPOINTMENT_REMINDER", "See you on {{1}} at {{2}}."),
    ]
}

/// `POST /v1/whatsapp/template/library?id=…`.
pub fn library(req: &Req, st: &mut State) -> Result<Value, EumError> {
    st.waba_or_404(req.query_required("id")?)?;
    let filters = req.body_value("filters").and_then(Value::as_object).cloned().unwrap_or_default();
    let search = filters.get("searchKey").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
    let topic = filters.get("topic").and_then(Value::as_str).unwrap_or("");
    let items: Vec<Value> = library_items()
        .into_iter()
        .filter(|i| {
            let text = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            (search.is_empty()
                || text("templateName").to_ascii_lowercase().contains(&search)
                || text("templateBody").to_ascii_lowercase().contains(&search))
                && (topic.is_empty() || text("templateTopic").eq_ignore_ascii_case(topic))
        })
        .collect();
    let (page_items, next) = page(items, req.body_value("maxResults"), req.body_str("nextToken"), 100)?;
    let mut out = json!({ "metaLibraryTemplates": page_items });
    if let (Some(t), Some(obj)) = (next, out.as_object_mut()) {
        obj.insert("nextToken".to_string(), json!(t));
    }
    Ok(out)
}
