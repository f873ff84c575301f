//! Store cursors, followed in one place: every caller that needs all the items of a query
//! pages through it here, with a bound, so a cursor that never ends cannot loop for ever.

use std::future::Future;

use crate::ports::accounts::{Accounts, WabaSummary};
use crate::ports::admin::{Admin, AdminError, AdminResult, TemplateSummary};
use crate::ports::messaging::MessagingError;
use crate::ports::{Index, Item, PortResult, Query, Store};

/// Pages read by default before [`all_items`] stops (with 100-item pages, 10,000 items).
pub const MAX_PAGES: usize = 100;

/// Every item `query` matches, page after page from its cursor, at most `max_pages` pages.
///
/// # Errors
///
/// The first failed page's error, with its class (transient or permanent) as the store gave it.
pub async fn all_items<S: Store>(store: &S, mut query: Query, max_pages: usize) -> PortResult<Vec<Item>> {
    let mut out = Vec::new();
    for _ in 0..max_pages {
        let page = store.query(query.clone()).await?;
        out.extend(page.items);
        match page.cursor {
            Some(c) => query.cursor = Some(c),
            None => break,
        }
    }
    Ok(out)
}

/// The leading items of a GSI1 partition sorted by age, oldest first, while `is_due` holds: at
/// most `limit`, and `true` when more were due (the sweeps of payments and of the feed
/// reconciliation, which continue where the last one stopped).
///
/// # Errors
///
/// The first failed page's error, with its class.
pub async fn due_items<S: Store>(
    store: &S,
    partition: String,
    limit: usize,
    is_due: impl Fn(&Item) -> bool,
) -> PortResult<(Vec<Item>, bool)> {
    let limit = limit.max(1);
    let mut q = Query { index: Index::Gsi1, limit: Some(limit.min(100)), ..Query::table(partition, "") };
    let mut out = Vec::new();
    // Bounded: each page holds at least one item, so at most `limit` pages.
    for _ in 0..limit {
        let page = store.query(q.clone()).await?;
        for item in page.items {
            if !is_due(&item) {
                return Ok((out, false));
            }
            if out.len() == limit {
                return Ok((out, true));
            }
            out.push(item);
        }
        match page.cursor {
            Some(c) => q.cursor = Some(c),
            None => return Ok((out, false)),
        }
    }
    Ok((out, true))
}

/// Every item of a listing that pages by `nextToken` (EUM's list operations): `fetch` gets the
/// token of the page to read (`None` for the first) and returns the page's items and the next
/// token; `on_page` gets the count of items so far after each page. Stops on a missing or
/// empty token, or after `max_pages` pages.
///
/// # Errors
///
/// The first failed page's error, as `fetch` returned it.
pub async fn all_token_pages<T, E, F, Fut>(
    max_pages: usize,
    mut fetch: F,
    mut on_page: impl FnMut(usize),
) -> Result<Vec<T>, E>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), E>>,
{
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..max_pages {
        let (items, token) = fetch(next.take()).await?;
        out.extend(items);
        on_page(out.len());
        match token {
            Some(t) if !t.is_empty() => next = Some(t),
            _ => break,
        }
    }
    Ok(out)
}

/// Every linked WABA, following `nextToken` (at most [`MAX_PAGES`] pages).
///
/// # Errors
///
/// The first failed page's error.
pub async fn all_wabas<A: Accounts + ?Sized>(accounts: &A) -> Result<Vec<WabaSummary>, MessagingError> {
    all_token_pages(
        MAX_PAGES,
        |next| async move {
            let page = accounts.list_wabas(next.as_deref(), None).await?;
            Ok((page.wabas, page.next_token))
        },
        |_| {},
    )
    .await
}

/// Every page of a WABA's templates (at most `max_pages` of 100), calling `on_page` with the
/// count so far after each.
///
/// # Errors
///
/// The first failed page's error.
pub async fn all_templates<A: Admin>(
    admin: &A,
    waba_id: &str,
    max_pages: usize,
    mut on_page: impl FnMut(usize) + Send,
) -> AdminResult<Vec<TemplateSummary>> {
    all_token_pages(
        max_pages,
        |next| async move {
            let page = admin.list_templates(waba_id, next.as_deref(), Some(100)).await?;
            Ok::<_, AdminError>((page.templates, page.next_token))
        },
        &mut on_page,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
    use crate::ports::Write;

    #[tokio::test]
    async fn follows_the_cursor_to_the_end_and_stops_at_the_bound() {
        let store = MemoryStore::new();
        for i in 0..25 {
            store.write(Write::put(Item::new("P", format!("S#{i:02}")))).await.unwrap();
        }
        store.write(Write::put(Item::new("P", "OTHER"))).await.unwrap();
        let query = Query { limit: Some(10), ..Query::table("P", "S#") };
        let all = all_items(&store, query.clone(), MAX_PAGES).await.unwrap();
        let sks: Vec<&str> = all.iter().map(|i| i.sk.as_str()).collect();
        assert_eq!(sks.len(), 25, "three pages of 10, 10 and 5, the prefix only: {sks:?}");
        assert_eq!(sks.first().copied(), Some("S#00"));
        assert_eq!(all_items(&store, query, 2).await.unwrap().len(), 20, "two pages at most");
    }
}
