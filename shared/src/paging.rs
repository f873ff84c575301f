//! Store cursors, followed in one place: every caller that needs all the items of a query
//! pages through it here, with a bound, so a cursor that never ends cannot loop for ever.

use crate::ports::{Item, PortResult, Query, Store};

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
