//! `wapipe templates`: message templates through EUM Social — list (paged, optionally
//! refreshing the send worker's template state cache), show, validate, create (the definition
//! is validated first, nothing is sent when it has problems), update, delete (one language or
//! all), the template library, and header media.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::{json, Value};
use wapipe_core::app::paging::all_templates;
use wapipe_core::app::quality::apply_template_observation;
use wapipe_core::domain::quality::template::TemplateObservation;
use wapipe_core::domain::quality::Source;
use wapipe_core::domain::templates::{validate_components, validate_text, Problem};
use wapipe_core::ports::accounts::Accounts;
use wapipe_core::ports::admin::{Admin, DeleteScope, FromLibrary, S3Location, TemplateRef, TemplateUpdate};
use wapipe_core::ports::Store;

use crate::operator::{done, finish, on_store, print_json, print_table, progress, Failure, WabaOpts};

/// Pages of 100 templates `list` reads at most.
const MAX_PAGES: usize = 50;

/// The subcommands of `wapipe templates`.
#[derive(Subcommand)]
pub enum TemplatesCommand {
    /// List the WABA's templates (every page). With --sync, also refresh the template state
    /// cache the send worker reads (local state, or the table with --table).
    #[command(
        after_help = "Examples:\n  wapipe templates list\n  wapipe templates list --sync --table wapipe-prod --json"
    )]
    List {
        /// The WABA to act on and how to reach EUM.
        #[command(flatten)]
        waba: WabaOpts,
        /// Print `{"waba_id", "count", "templates": […], "cache_items_updated"}`.
        #[arg(long)]
        json: bool,
        /// Refresh `TEMPLATE#…/STATE` from the list (never regresses a newer webhook observation).
        #[arg(long)]
        sync: bool,
        /// With --sync: the DynamoDB table NAME instead of local state.
        #[arg(long, value_name = "NAME")]
        table: Option<String>,
    },
    /// Meta's JSON of one template: by Meta template id, or by name with --language.
    #[command(
        after_help = "Examples:\n  wapipe templates show order_update --language en_US\n  wapipe templates show 1689556908129832"
    )]
    Show {
        /// The template: its Meta template id, or its name (with --language).
        template: String,
        /// The language code (e.g. en_US) of the template named.
        #[arg(long)]
        language: Option<String>,
        /// The WABA to act on and how to reach EUM.
        #[command(flatten)]
        waba: WabaOpts,
    },
    /// Check a template definition (Meta's creation JSON) without sending it; exit 1 on problems.
    #[command(after_help = "Example:\n  wapipe templates validate order_update.json --json")]
    Validate {
        /// The template definition (Meta's creation JSON).
        file: PathBuf,
        /// Print `{"file", "valid", "problems": […]}`.
        #[arg(long)]
        json: bool,
    },
    /// Create a template from a definition FILE (validated first; nothing is sent on problems).
    #[command(after_help = "Example:\n  wapipe templates create order_update.json")]
    Create {
        /// The template definition (Meta's creation JSON).
        file: PathBuf,
        /// The WABA to act on and how to reach EUM.
        #[command(flatten)]
        waba: WabaOpts,
        /// Print `{"name", "language", "created": {…}}`.
        #[arg(long)]
        json: bool,
    },
    /// Change a template's components (FILE: a JSON array, validated first), category, parameter
    /// format or link tracking.
    #[command(after_help = "Example:\n  wapipe templates update order_update --language en_US --components body.json")]
    Update {
        /// The template: its Meta template id, or its name (with --language).
        template: String,
        /// The language code (e.g. en_US) of the template named.
        #[arg(long)]
        language: Option<String>,
        /// The new components: a JSON array in FILE (validated against the template's category and
        /// parameter format).
        #[arg(long, value_name = "FILE")]
        components: Option<PathBuf>,
        /// The new category: MARKETING, UTILITY or AUTHENTICATION.
        #[arg(long)]
        category: Option<String>,
        /// `named` or `positional`.
        #[arg(long)]
        parameter_format: Option<String>,
        /// true turns Meta's click tracking of URL buttons off, false on.
        #[arg(long)]
        cta_url_link_tracking_opted_out: Option<bool>,
        /// The WABA to act on and how to reach EUM.
        #[command(flatten)]
        waba: WabaOpts,
        /// Print `{"template", "updated"}`.
        #[arg(long)]
        json: bool,
    },
    /// Delete one language (--meta-template-id) or every language (--all-languages) of a template.
    #[command(
        after_help = "Examples:\n  wapipe templates delete order_update --meta-template-id 1689556908129832\n  wapipe templates delete order_update --all-languages"
    )]
    Delete {
        /// The template's name.
        name: String,
        /// Delete only the language version with this Meta template id.
        #[arg(long, conflicts_with = "all_languages", required_unless_present = "all_languages")]
        meta_template_id: Option<String>,
        /// Delete every language version of the template.
        #[arg(long)]
        all_languages: bool,
        /// The WABA to act on and how to reach EUM.
        #[command(flatten)]
        waba: WabaOpts,
        /// Print `{"deleted", "languages"}`.
        #[arg(long)]
        json: bool,
    },
    /// Search Meta's template library.
    #[command(after_help = "Example:\n  wapipe templates library --search order --topic ORDER_MANAGEMENT")]
    Library {
        /// Words to search for in the library.
        #[arg(long)]
        search: Option<String>,
        /// Only templates of this topic (e.g. ORDER_MANAGEMENT).
        #[arg(long)]
        topic: Option<String>,
        /// Only templates for this use case.
        #[arg(long)]
        usecase: Option<String>,
        /// Only templates for this industry.
        #[arg(long)]
        industry: Option<String>,
        /// Only templates in this language (e.g. en_US).
        #[arg(long)]
        language: Option<String>,
        /// Print `{"count", "templates": […]}`.
        #[arg(long)]
        json: bool,
        /// The WABA to act on and how to reach EUM.
        #[command(flatten)]
        waba: WabaOpts,
    },
    /// Create a template from a library template.
    #[command(
        after_help = "Example:\n  wapipe templates from-library --name my_order --library-name order_confirmation --category UTILITY --language en_US"
    )]
    FromLibrary {
        /// The name of the new template in the WABA.
        #[arg(long)]
        name: String,
        /// The library template to copy (`templates library` lists them).
        #[arg(long)]
        library_name: String,
        /// The new template's category (e.g. UTILITY).
        #[arg(long)]
        category: String,
        /// The new template's language code (e.g. en_US).
        #[arg(long)]
        language: String,
        /// The WABA to act on and how to reach EUM.
        #[command(flatten)]
        waba: WabaOpts,
        /// Print `{"name", "created": {…}}`.
        #[arg(long)]
        json: bool,
    },
    /// Upload a header example (image/video/document in S3) and print its header handle.
    #[command(after_help = "Example:\n  wapipe templates media --s3 s3://bucket/headers/banner.png")]
    Media {
        /// The header example in S3 (s3://bucket/key): a jpeg/png image, an mp4 video or a pdf.
        #[arg(long, value_name = "S3_URI")]
        s3: String,
        /// The WABA to act on and how to reach EUM.
        #[command(flatten)]
        waba: WabaOpts,
        /// Print `{"header_handle"}`.
        #[arg(long)]
        json: bool,
    },
}

/// Run a `wapipe templates` subcommand through EUM; the exit code: 0 done, 1 the definition,
/// components or header file has problems (nothing sent), 2 bad usage, 3 EUM refused.
pub async fn run(command: TemplatesCommand, state: Option<&Path>) -> Result<u8, String> {
    finish(run_inner(command, state).await)
}

fn problems_failure(problems: Vec<Problem>) -> Failure {
    Failure::Invalid(problems.iter().map(Problem::to_string).collect())
}

fn read(file: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(file).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))
}

fn which(template: &str, language: Option<String>) -> Result<TemplateRef, Failure> {
    if !template.is_empty() && template.chars().all(|c| c.is_ascii_digit()) {
        return Ok(TemplateRef::MetaId(template.to_string()));
    }
    match language {
        Some(language) => Ok(TemplateRef::NameLanguage { name: template.to_string(), language }),
        None => Err(Failure::usage(format!("{template}: give --language (or a Meta template id)"))),
    }
}

async fn run_inner(command: TemplatesCommand, state: Option<&Path>) -> Result<u8, Failure> {
    match command {
        TemplatesCommand::List { waba, json, sync, table } => list(&waba, json, sync, table, state).await,
        TemplatesCommand::Show { template, language, waba } => {
            let which = which(&template, language)?;
            let id = waba.resolve().await?;
            let text = waba.eum.admin().await.get_template(&id, &which).await?;
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => print_json(&v)?,
                Err(_) => println!("{text}"),
            }
            Ok(0)
        }
        TemplatesCommand::Validate { file, json } => {
            let result = validate_text(&read(&file)?);
            let problems = result.as_ref().err().cloned().unwrap_or_default();
            if json {
                print_json(
                    &json!({"file": file.display().to_string(), "valid": problems.is_empty(), "problems": problems}),
                )?;
            } else if problems.is_empty() {
                println!("{}: ok", file.display());
            } else {
                for p in &problems {
                    println!("{}: {p}", file.display());
                }
            }
            Ok(u8::from(!problems.is_empty()))
        }
        TemplatesCommand::Create { file, waba, json } => {
            let text = read(&file)?;
            // Refused before any call, the WABA lookup included.
            let def = validate_text(&text).map_err(problems_failure)?;
            let id = waba.resolve().await?;
            let created = waba.eum.admin().await.create_template(&id, text.as_bytes()).await?;
            if json {
                print_json(&json!({"name": def.name, "language": def.language, "created": created}))?;
            } else {
                println!(
                    "created {} ({}): meta template id {}, status {}, category {}",
                    def.name, def.language, created.meta_template_id, created.status, created.category
                );
                println!("next: Meta reviews it; `wapipe templates list --sync` records the verdict");
            }
            Ok(0)
        }
        TemplatesCommand::Update {
            template,
            language,
            components,
            category,
            parameter_format,
            cta_url_link_tracking_opted_out,
            waba,
            json,
        } => {
            let which = which(&template, language)?;
            let components = match &components {
                Some(f) => Some(
                    serde_json::from_str::<Value>(&read(f)?)
                        .map_err(|e| Failure::Invalid(vec![format!("$: not JSON: {e}")]))?,
                ),
                None => None,
            };
            if let Some(f) = parameter_format.as_deref().filter(|f| *f != "named" && *f != "positional") {
                return Err(Failure::Invalid(vec![format!("parameter_format: `{f}`: `named` or `positional`")]));
            }
            let id = waba.resolve().await?;
            let admin = waba.eum.admin().await;
            if let Some(c) = &components {
                // The rules depend on the template's category and parameter format: read them.
                let current: Value = serde_json::from_str(&admin.get_template(&id, &which).await?).unwrap_or_default();
                let cat = category
                    .clone()
                    .or_else(|| current.get("category").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_default();
                let format = parameter_format
                    .clone()
                    .or_else(|| current.get("parameter_format").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_else(|| "positional".into());
                validate_components(c, &cat, &format).map_err(problems_failure)?;
            }
            let update = TemplateUpdate { parameter_format, category, components, cta_url_link_tracking_opted_out };
            admin.update_template(&id, &which, &update).await?;
            let text = format!("updated {template}; Meta may review it again (`wapipe templates list --sync`)");
            done(json, json!({"template": template, "updated": true}), &text)
        }
        TemplatesCommand::Delete { name, meta_template_id, all_languages, waba, json } => {
            let scope = match (meta_template_id, all_languages) {
                (_, true) => DeleteScope::AllLanguages,
                (Some(m), false) => DeleteScope::OneLanguage { meta_template_id: m },
                (None, false) => return Err(Failure::usage("give --meta-template-id or --all-languages")),
            };
            let id = waba.resolve().await?;
            waba.eum.admin().await.delete_template(&id, &name, &scope).await?;
            let (text, which) = match &scope {
                DeleteScope::AllLanguages => (format!("deleted every language of {name}"), json!("all")),
                DeleteScope::OneLanguage { meta_template_id } => {
                    (format!("deleted {name} ({meta_template_id})"), json!(meta_template_id))
                }
            };
            done(json, json!({"deleted": name, "languages": which}), &text)
        }
        TemplatesCommand::Library { search, topic, usecase, industry, language, json, waba } => {
            let filters: BTreeMap<String, String> = [
                ("searchKey", search),
                ("topic", topic),
                ("usecase", usecase),
                ("industry", industry),
                ("language", language),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect();
            let id = waba.resolve().await?;
            let admin = waba.eum.admin().await;
            let mut all = Vec::new();
            let mut next: Option<String> = None;
            // Bounded: 20 pages.
            for _ in 0..20 {
                let page = admin.list_library(&id, &filters, next.as_deref()).await?;
                all.extend(page.templates);
                match page.next_token {
                    Some(t) => next = Some(t),
                    None => break,
                }
            }
            if json {
                print_json(&json!({"count": all.len(), "templates": all}))?;
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|t| vec![t.name.clone(), t.category.clone(), t.topic.clone(), t.body.clone()])
                    .collect();
                print_table(&["LIBRARY NAME", "CATEGORY", "TOPIC", "BODY"], &rows);
                println!(
                    "{} template(s); `wapipe templates from-library --library-name NAME …` creates one",
                    all.len()
                );
            }
            Ok(0)
        }
        TemplatesCommand::FromLibrary { name, library_name, category, language, waba, json } => {
            let id = waba.resolve().await?;
            let from =
                FromLibrary { template_name: name.clone(), library_template_name: library_name, category, language };
            let created = waba.eum.admin().await.create_from_library(&id, &from).await?;
            let text =
                format!("created {name}: meta template id {}, status {}", created.meta_template_id, created.status);
            done(json, json!({"name": name, "created": created}), &text)
        }
        TemplatesCommand::Media { s3, waba, json } => {
            let S3Location::File { bucket, key } = S3Location::parse_s3_uri(&s3)? else {
                return Err(Failure::usage("--s3 must be s3://BUCKET/KEY"));
            };
            match wapipe_core::domain::media_rules::mime_for(&key) {
                Some(m) if m.starts_with("image/") || m.starts_with("video/") || m == "application/pdf" => {}
                _ => {
                    return Err(Failure::Invalid(vec![format!(
                        "s3: {key}: a header example is a jpeg/png image, mp4 video or pdf"
                    )]))
                }
            }
            let id = waba.resolve().await?;
            let handle = waba.eum.admin().await.template_media(&id, &bucket, &key).await?;
            eprintln!("use it as the header's example: {{\"example\": {{\"header_handle\": [\"{handle}\"]}}}}");
            done(json, json!({"header_handle": handle}), &handle)
        }
    }
}

async fn list(
    waba: &WabaOpts,
    json: bool,
    sync: bool,
    table: Option<String>,
    state: Option<&Path>,
) -> Result<u8, Failure> {
    let id = waba.resolve().await?;
    let admin = waba.eum.admin().await;
    let bar = progress(None, json, "templates");
    let templates = all_templates(&admin, &id, MAX_PAGES, |n| bar.set_position(n as u64)).await?;
    bar.finish_and_clear();
    let mut synced = None;
    if sync {
        // The cache is keyed by Meta's WABA id (as the webhooks carry it).
        let meta_waba = waba.eum.accounts().await.get_waba(&id).await.map_err(Failure::Eum)?.summary.meta_waba_id;
        let now = crate::clock::now()?;
        let count = on_store!(table.as_deref(), state, |store| sync_cache(store, &meta_waba, &templates, now).await)?;
        synced = Some(count);
    }
    if json {
        print_json(
            &json!({"waba_id": id, "count": templates.len(), "templates": templates, "cache_items_updated": synced}),
        )?;
    } else {
        let rows: Vec<Vec<String>> = templates
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    t.language.clone(),
                    t.category.clone(),
                    t.status.clone(),
                    t.quality_score.clone(),
                    t.meta_template_id.clone(),
                ]
            })
            .collect();
        print_table(&["NAME", "LANGUAGE", "CATEGORY", "STATUS", "QUALITY", "META ID"], &rows);
        println!("{} template(s) in {id}", templates.len());
        if let Some(n) = synced {
            println!("template state cache: {n} item(s) updated");
        }
    }
    Ok(0)
}

/// Apply each listed template to the cache through the quality module's single update path.
async fn sync_cache<S: Store>(
    store: &S,
    meta_waba: &str,
    templates: &[wapipe_core::ports::admin::TemplateSummary],
    now: time::OffsetDateTime,
) -> Result<usize, Failure> {
    let mut changes = 0;
    let keep = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    for t in templates {
        let obs = TemplateObservation {
            waba_id: meta_waba.to_string(),
            name: t.name.clone(),
            language: t.language.clone(),
            template_id: keep(&t.meta_template_id),
            source: Source::Refresh,
            observed_at: now,
            status: keep(&t.status),
            quality: keep(&t.quality_score),
            category: keep(&t.category),
        };
        changes += usize::from(apply_template_observation(store, &obs, now).await?.wrote);
    }
    Ok(changes)
}
