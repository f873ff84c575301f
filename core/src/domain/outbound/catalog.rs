//! Commerce interactive messages (docs/PROTOCOL.md §5.3): single product, multi-product, catalogue.

use serde::{Deserialize, Serialize};

use super::blocks::{fixed_name, frame, message, text_header_only, Absent, Header, NamedAction, TextObj};
use super::limits::{PRODUCT_ITEMS, PRODUCT_SECTIONS, SECTION_TITLE};
use super::validate::{count, opt_text, required, text, Checked, FieldPath};

message!(/** One catalogue product. */ Product, body: Option<TextObj>, action: ProductAction);
message!(/** Several catalogue products in sections. */ ProductList, body: TextObj, action: ProductListAction);
message!(/** The catalogue. */ Catalog, body: TextObj, action: NamedAction<CatalogParams>);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductAction {
    pub catalog_id: String,
    pub product_retailer_id: String,
}

impl Product {
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductListAction {
    pub catalog_id: String,
    pub sections: Vec<ProductSection>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSection {
    pub title: String,
    pub product_items: Vec<ProductItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductItem {
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
    pub fn validate(&self, p: &FieldPath<'_>) -> Checked {
        text_header_only(p, self.header.as_ref(), true)?;
        frame(p, self.header.as_ref(), Some(&self.body), self.footer.as_ref())?;
        let pa = p.key("action");
        required(&pa.key("catalog_id"), &self.action.catalog_id)?;
        validate_product_sections(&pa.key("sections"), &self.action.sections)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_product_retailer_id: Option<String>,
}

impl Catalog {
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
