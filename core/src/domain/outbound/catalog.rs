//! Commerce interactive messages (docs/PROTOCOL.md §5.3): single product, multi-product, catalogue.

use serde::{Deserialize, Serialize};

use super::blocks::{fixed_name, frame, message, text_header_only, Absent, Header, NamedAction, TextObj};
use super::limits::{PRODUCT_ITEMS, PRODUCT_SECTIONS, SECTION_TITLE};
use super::validate::{count, opt_text, required, text, Checked, FieldPath};

message!(/** One catalogue product. */ Product, body: Option<TextObj>, action: ProductAction);
message!(/** Several catalogue products in sections. */ ProductList, body: TextObj, action: ProductListAction);
message!(/** The catalogue. */ Catalog, body: TextObj, action: NamedAction<CatalogParams>);

/// The `action` of a single-product message: which product of which catalogue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductAction {
    /// Meta id of the catalogue connected to the WhatsApp Business Account.
    pub catalog_id: String,
    /// The product's retailer id (SKU) in that catalogue.
    pub product_retailer_id: String,
}

impl Product {
    /// Check the message at `p`: no header, body ≤ 1024 and footer ≤ 60 characters, both ids present.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        if self.header.is_some() {
            return Err(p.key("header").err("not allowed for a single product message"));
        }
        frame(p, None, self.body.as_ref(), self.footer.as_ref())?;
        let pa = p.key("action");
        required(&pa.key("catalog_id"), &self.action.catalog_id)?;
        required(&pa.key("product_retailer_id"), &self.action.product_retailer_id)
    }
}

/// The `action` of a multi-product message: a catalogue and its sections of products.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductListAction {
    /// Meta id of the catalogue the products come from.
    pub catalog_id: String,
    /// The sections: 1 to 10, each with a title, at most 30 products across all of them.
    pub sections: Vec<ProductSection>,
}

/// A titled group of products (multi-product messages and template `mpm` buttons).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSection {
    /// The section title, required, at most 24 characters.
    pub title: String,
    /// The products of the section, at least one.
    pub product_items: Vec<ProductItem>,
}

/// One product of a section, by retailer id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductItem {
    /// The product's retailer id (SKU) in the catalogue.
    pub product_retailer_id: String,
}

/// Sections of products (multi-product messages and template `mpm` buttons).
pub fn validate_product_sections(p: &FieldPath<'_>, sections: &[ProductSection]) -> Checked {
    count(p, sections.len(), 1, PRODUCT_SECTIONS, "sections")?;
    let mut total = 0;
    for (i, s) in sections.iter().enumerate() {
        let ps = p.idx(i);
        text(&ps.key("title"), &s.title, SECTION_TITLE)?;
        let pi = ps.key("product_items");
        if s.product_items.is_empty() {
            return Err(pi.err("at least 1 product"));
        }
        for (j, item) in s.product_items.iter().enumerate() {
            total += 1;
            if total > PRODUCT_ITEMS {
                return Err(pi.idx(j).err(format!("at most {PRODUCT_ITEMS} products across all sections")));
            }
            required(&pi.idx(j).key("product_retailer_id"), &item.product_retailer_id)?;
        }
    }
    Ok(())
}

impl ProductList {
    /// Check the message at `p`: a text header is required, then body, footer and the product sections.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        text_header_only(p, self.header.as_ref(), true)?;
        frame(p, self.header.as_ref(), Some(&self.body), self.footer.as_ref())?;
        let pa = p.key("action");
        required(&pa.key("catalog_id"), &self.action.catalog_id)?;
        validate_product_sections(&pa.key("sections"), &self.action.sections)
    }
}

/// The `action.parameters` of a catalogue message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogParams {
    /// Retailer id of the product whose image is the message's thumbnail (at most 100 characters);
    /// when absent, Meta chooses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_product_retailer_id: Option<String>,
}

impl Catalog {
    /// Check the message at `p`: no header, body and footer lengths, action name `catalog_message`.
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        if self.header.is_some() {
            return Err(p.key("header").err("not allowed for a catalog message"));
        }
        frame(p, None, Some(&self.body), self.footer.as_ref())?;
        let pa = p.key("action");
        fixed_name(&pa, &self.action.name, "catalog_message")?;
        let t = self.action.parameters.thumbnail_product_retailer_id.as_deref();
        opt_text(&pa.key("parameters").key("thumbnail_product_retailer_id"), t, 100)
    }
}
