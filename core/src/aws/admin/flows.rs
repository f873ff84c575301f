//! The flow operations of [`EumAdmin`] (CreateWhatsAppFlow … ListWhatsAppFlowAssets), kept
//! apart so each file stays readable; the `Admin` impl delegates here.

use aws_sdk_socialmessaging::primitives::Blob;

use super::{categories, category_names, eum, page_size, some, EumAdmin};
use crate::ports::admin::{AdminResult, FlowAsset, FlowInfo, FlowPage, FlowPreview, FlowUpdate, NewFlow};

impl EumAdmin {
    pub(super) async fn eum_create_flow(&self, waba_id: &str, flow: &NewFlow) -> AdminResult<(String, Vec<String>)> {
        let out = self
            .client
            .create_whats_app_flow()
            .id(waba_id)
            .flow_name(&flow.name)
            .set_categories(Some(categories(&flow.categories)))
            .set_flow_json(flow.flow_json.clone().map(Blob::new))
            .publish(flow.publish)
            .set_clone_flow_id(flow.clone_flow_id.clone())
            .set_endpoint_uri(flow.endpoint_uri.clone())
            .send()
            .await
            .map_err(eum)?;
        Ok((out.flow_id().unwrap_or_default().to_string(), out.validation_errors().to_vec()))
    }

    pub(super) async fn eum_update_flow(&self, waba_id: &str, flow_id: &str, u: &FlowUpdate) -> AdminResult<()> {
        self.client
            .update_whats_app_flow()
            .id(waba_id)
            .flow_id(flow_id)
            .set_flow_name(u.name.clone())
            .set_categories(u.categories.as_deref().map(categories))
            .set_endpoint_uri(u.endpoint_uri.clone())
            .set_meta_app_id(u.meta_app_id.clone())
            .send()
            .await
            .map_err(eum)?;
        Ok(())
    }

    pub(super) async fn eum_list_flows(
        &self,
        waba_id: &str,
        next: Option<&str>,
        max: Option<u32>,
    ) -> AdminResult<FlowPage> {
        let out = self
            .client
            .list_whats_app_flows()
            .id(waba_id)
            .set_next_token(next.map(str::to_string))
            .set_max_results(page_size(max))
            .send()
            .await
            .map_err(eum)?;
        let flows = out
            .flows()
            .iter()
            .map(|f| FlowInfo {
                flow_id: f.flow_id().to_string(),
                name: f.flow_name().to_string(),
                status: f.flow_status().to_string(),
                categories: category_names(f.flow_categories()),
                validation_errors: f.validation_errors().to_vec(),
                ..FlowInfo::default()
            })
            .collect();
        Ok(FlowPage { flows, next_token: some(out.next_token()) })
    }

    pub(super) async fn eum_get_flow(&self, waba_id: &str, flow_id: &str) -> AdminResult<FlowInfo> {
        let f = self.client.get_whats_app_flow().id(waba_id).flow_id(flow_id).send().await.map_err(eum)?;
        Ok(FlowInfo {
            flow_id: f.flow_id().to_string(),
            name: f.flow_name().to_string(),
            status: f.flow_status().to_string(),
            categories: category_names(f.categories()),
            validation_errors: f.validation_errors().to_vec(),
            json_version: some(f.json_version()),
            endpoint_uri: some(f.endpoint_uri()),
            preview_url: f.preview().map(|p| p.preview_url().to_string()),
            can_send_message: f.health_status().map(|h| h.can_send_message().to_string()),
        })
    }

    pub(super) async fn eum_preview_flow(
        &self,
        waba_id: &str,
        flow_id: &str,
        invalidate: bool,
    ) -> AdminResult<FlowPreview> {
        let out = self
            .client
            .get_whats_app_flow_preview()
            .id(waba_id)
            .flow_id(flow_id)
            .invalidate(invalidate)
            .send()
            .await
            .map_err(eum)?;
        let (url, expires_at) =
            out.preview().map(|p| (p.preview_url().to_string(), p.expires_at().to_string())).unwrap_or_default();
        Ok(FlowPreview { flow_id: out.flow_id().to_string(), url, expires_at })
    }

    pub(super) async fn eum_list_flow_assets(&self, waba_id: &str, flow_id: &str) -> AdminResult<Vec<FlowAsset>> {
        let mut assets = Vec::new();
        let mut next: Option<String> = None;
        // Bounded: a flow has one JSON asset; 20 pages is far more than Meta returns.
        for _ in 0..20 {
            let out = self
                .client
                .list_whats_app_flow_assets()
                .id(waba_id)
                .flow_id(flow_id)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(eum)?;
            assets.extend(out.flow_assets().iter().map(|a| FlowAsset {
                name: a.name().to_string(),
                asset_type: a.asset_type().to_string(),
                download_url: a.download_url().to_string(),
            }));
            match some(out.next_token()) {
                Some(t) => next = Some(t),
                None => break,
            }
        }
        Ok(assets)
    }
}
