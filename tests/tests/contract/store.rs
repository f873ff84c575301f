//! Store cases: DynamoDB's semantics as the `Store` port defines them.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use wapipe_core::domain::keys::{GSI1PK, GSI1SK};
use wapipe_core::ports::{
    Cond, Index, Item, Key, Page, Query, Store, TransactOutcome, Update, Updated, Write, WriteOutcome,
};

use WriteOutcome::{Applied, ConditionFailed};

pub async fn put_get<S: Store>(s: S) {
    let item = Item::new("PUT#1", "ITEM").with("status", "sent").with("rank", 2).with("extra", true);
    assert_eq!(s.write(Write::put(item.clone())).await, Ok(Applied));
    assert_eq!(s.get("PUT#1", "ITEM").await.unwrap(), Some(item));
    assert_eq!(s.get("PUT#1", "OTHER").await.unwrap(), None);
    assert_eq!(s.get("PUT#missing", "ITEM").await.unwrap(), None);
    // A put replaces the whole item.
    let replaced = Item::new("PUT#1", "ITEM").with("status", "read");
    assert_eq!(s.write(Write::put(replaced.clone())).await, Ok(Applied));
    assert_eq!(s.get("PUT#1", "ITEM").await.unwrap(), Some(replaced));
}

pub async fn conditional_put_on_missing_item<S: Store>(s: S) {
    let first = Item::new("SEEN#a", "SEEN").with("by", "first");
    let second = Item::new("SEEN#a", "SEEN").with("by", "second");
    assert_eq!(s.write(Write::put_if(first.clone(), Cond::ItemMissing)).await, Ok(Applied));
    assert_eq!(s.write(Write::put_if(second.clone(), Cond::ItemMissing)).await, Ok(ConditionFailed));
    assert_eq!(s.get("SEEN#a", "SEEN").await.unwrap(), Some(first));
    assert_eq!(s.write(Write::put_if(second.clone(), Cond::ItemExists)).await, Ok(Applied));
    assert_eq!(s.write(Write::put_if(Item::new("SEEN#b", "SEEN"), Cond::ItemExists)).await, Ok(ConditionFailed));
    assert_eq!(s.get("SEEN#b", "SEEN").await.unwrap(), None);
}

fn status_update(rank: i64) -> Write {
    Write::Update {
        pk: "MSG#w1".into(),
        sk: "MSG".into(),
        updates: vec![Update::Set("rank".into(), json!(rank)), Update::Set(format!("at_{rank}"), json!(rank * 10))],
        cond: Some(Cond::missing_or_lt("rank", rank)),
    }
}

pub async fn monotonic_update_under_reordering<S: Store>(s: S) {
    // Statuses arrive out of order and duplicated; only a higher rank moves the item.
    let order = [2, 1, 3, 3, 0, 9, 10, 4];
    let expect =
        [Applied, ConditionFailed, Applied, ConditionFailed, ConditionFailed, Applied, Applied, ConditionFailed];
    for (rank, want) in order.into_iter().zip(expect) {
        assert_eq!(s.write(status_update(rank)).await, Ok(want), "rank {rank}");
    }
    let item = s.get("MSG#w1", "MSG").await.unwrap().expect("item");
    assert_eq!(item.get_i64("rank"), Some(10), "numbers compare numerically (10 > 9)");
    assert_eq!(item.get_i64("at_2"), Some(20));
    assert_eq!(item.attrs.get("at_1"), None);
    // Comparisons on a missing attribute or across types are false.
    let guarded = |c: Cond| Write::Update {
        pk: "MSG#w1".into(),
        sk: "MSG".into(),
        updates: vec![Update::Set("x".into(), json!(1))],
        cond: Some(c),
    };
    assert_eq!(s.write(guarded(Cond::AttrLt("nope".into(), json!(5)))).await, Ok(ConditionFailed));
    assert_eq!(s.write(guarded(Cond::AttrGt("nope".into(), json!(5)))).await, Ok(ConditionFailed));
    assert_eq!(s.write(guarded(Cond::AttrLt("rank".into(), json!("99")))).await, Ok(ConditionFailed));
    assert_eq!(s.write(guarded(Cond::AttrNe("nope".into(), json!(5)))).await, Ok(Applied));
    assert_eq!(s.write(guarded(Cond::AttrNe("rank".into(), json!(10)))).await, Ok(ConditionFailed));
    let all =
        Cond::And(vec![Cond::AttrEq("rank".into(), json!(10)), Cond::Not(Box::new(Cond::AttrExists("nope".into())))]);
    assert_eq!(s.write(guarded(all)).await, Ok(Applied));
}

fn update(pk: &str, updates: Vec<Update>) -> Write {
    Write::Update { pk: pk.into(), sk: "C".into(), updates, cond: None }
}

pub async fn add_counters<S: Store>(s: S) {
    for _ in 0..3 {
        assert_eq!(s.write(update("CNT#1", vec![Update::Add("sent".into(), 1)])).await, Ok(Applied));
    }
    let both = vec![Update::Add("sent".into(), -1), Update::Add("cost_micros".into(), 2_500)];
    assert_eq!(s.write(update("CNT#1", both)).await, Ok(Applied));
    let item = s.get("CNT#1", "C").await.unwrap().expect("counter");
    assert_eq!(item.get_i64("sent"), Some(2));
    assert_eq!(item.get_i64("cost_micros"), Some(2_500));
}

pub async fn set_if_missing<S: Store>(s: S) {
    let first =
        vec![Update::SetIfMissing("first_seen".into(), json!("t1")), Update::Set("last_seen".into(), json!("t1"))];
    let later =
        vec![Update::SetIfMissing("first_seen".into(), json!("t2")), Update::Set("last_seen".into(), json!("t2"))];
    assert_eq!(s.write(update("WIN#1", first)).await, Ok(Applied));
    assert_eq!(s.write(update("WIN#1", later)).await, Ok(Applied));
    let item = s.get("WIN#1", "C").await.unwrap().expect("window");
    assert_eq!(item.get_str("first_seen"), Some("t1"));
    assert_eq!(item.get_str("last_seen"), Some("t2"));
}

pub async fn remove_attribute<S: Store>(s: S) {
    let set = vec![Update::Set("a".into(), json!(1)), Update::Set("b".into(), json!("two"))];
    assert_eq!(s.write(update("RM#1", set)).await, Ok(Applied));
    assert_eq!(
        s.write(update("RM#1", vec![Update::Remove("a".into()), Update::Remove("zz".into())])).await,
        Ok(Applied)
    );
    let item = s.get("RM#1", "C").await.unwrap().expect("item");
    assert_eq!(Value::Object(item.attrs), json!({"b": "two"}));
    // An update with no changes still upserts the (key-only) item.
    assert_eq!(s.write(update("RM#2", vec![])).await, Ok(Applied));
    assert_eq!(s.get("RM#2", "C").await.unwrap(), Some(Item::new("RM#2", "C")));
}

pub async fn delete_with_condition<S: Store>(s: S) {
    let del = |c: Option<Cond>| Write::Delete { pk: "DEL#1".into(), sk: "D".into(), cond: c };
    assert_eq!(s.write(Write::put(Item::new("DEL#1", "D").with("state", "open"))).await, Ok(Applied));
    assert_eq!(s.write(del(Some(Cond::AttrEq("state".into(), json!("done"))))).await, Ok(ConditionFailed));
    assert!(s.get("DEL#1", "D").await.unwrap().is_some());
    assert_eq!(s.write(del(Some(Cond::AttrEq("state".into(), json!("open"))))).await, Ok(Applied));
    assert_eq!(s.get("DEL#1", "D").await.unwrap(), None);
    assert_eq!(s.write(del(Some(Cond::ItemExists))).await, Ok(ConditionFailed));
    assert_eq!(s.write(del(None)).await, Ok(Applied), "deleting a missing item is not an error");
}

pub async fn transact_all_or_nothing<S: Store>(s: S) {
    assert_eq!(s.write(Write::put(Item::new("TX#x", "T").with("v", 1))).await, Ok(Applied));
    let failing = vec![
        Write::put_if(Item::new("TX#y", "T").with("v", 1), Cond::ItemMissing),
        Write::Update {
            pk: "TX#x".into(),
            sk: "T".into(),
            updates: vec![Update::Add("v".into(), 1)],
            cond: Some(Cond::AttrEq("v".into(), json!(2))),
        },
        update("TX#z", vec![Update::Add("n".into(), 1)]),
    ];
    assert_eq!(s.transact(failing).await, Ok(TransactOutcome::ConditionFailed(vec![1])));
    assert_eq!(s.get("TX#y", "T").await.unwrap(), None, "nothing of a failed transaction is written");
    assert_eq!(s.get("TX#z", "C").await.unwrap(), None);
    let two_failing = vec![
        Write::put_if(Item::new("TX#x", "T"), Cond::ItemMissing),
        update("TX#w", vec![Update::Set("a".into(), json!(1))]),
        Write::Delete { pk: "TX#v".into(), sk: "T".into(), cond: Some(Cond::ItemExists) },
    ];
    assert_eq!(s.transact(two_failing).await, Ok(TransactOutcome::ConditionFailed(vec![0, 2])));
    assert_eq!(s.get("TX#w", "C").await.unwrap(), None);
    let ok = vec![
        Write::put_if(Item::new("TX#y", "T").with("v", 1), Cond::ItemMissing),
        Write::Update {
            pk: "TX#x".into(),
            sk: "T".into(),
            updates: vec![Update::Add("v".into(), 1)],
            cond: Some(Cond::AttrEq("v".into(), json!(1))),
        },
        Write::Delete { pk: "TX#x2".into(), sk: "T".into(), cond: None },
    ];
    assert_eq!(s.transact(ok).await, Ok(TransactOutcome::Applied));
    assert_eq!(s.get("TX#x", "T").await.unwrap().and_then(|i| i.get_i64("v")), Some(2));
    assert!(s.get("TX#y", "T").await.unwrap().is_some());
}

pub async fn transact_rejects_invalid_requests<S: Store>(s: S) {
    let w = || update("TXV#1", vec![Update::Add("n".into(), 1)]);
    let err = s.transact(vec![w(), w()]).await.expect_err("one item twice");
    assert!(!err.is_retryable(), "{err}");
    let too_many = (0..101).map(|i| update(&format!("TXV#{i}"), vec![Update::Add("n".into(), 1)])).collect();
    assert!(!s.transact(too_many).await.expect_err("101 writes").is_retryable());
    assert_eq!(s.get("TXV#1", "C").await.unwrap(), None);
}

/// Every page of a query, checking each respects the limit.
pub async fn all_pages<S: Store>(s: &S, mut q: Query) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let Page { items, cursor } = s.query(q.clone()).await.unwrap();
        pages += 1;
        assert!(items.len() <= q.limit.unwrap_or(usize::MAX));
        seen.extend(items.iter().map(|i| format!("{}|{}", i.pk, i.sk)));
        match cursor {
            Some(c) => q.cursor = Some(c),
            None => return (seen, pages),
        }
        assert!(pages < 50, "pagination does not end");
    }
}

pub async fn query_table<S: Store>(s: S) {
    for sk in ["A#03", "A#01", "B#01", "A#05", "A#02", "A#04"] {
        s.write(Write::put(Item::new("Q#1", sk).with("n", 1))).await.unwrap();
    }
    s.write(Write::put(Item::new("Q#2", "A#00"))).await.unwrap();
    s.write(Write::put(Item::new("Q#10", "A#00"))).await.unwrap();
    let a: Vec<String> = (1..=5).map(|i| format!("Q#1|A#0{i}")).collect();
    let (got, _) = all_pages(&s, Query::table("Q#1", "A#")).await;
    assert_eq!(got, a);
    let (got, _) = all_pages(&s, Query { forward: false, ..Query::table("Q#1", "A#") }).await;
    assert_eq!(got, a.iter().rev().cloned().collect::<Vec<_>>());
    let (got, pages) = all_pages(&s, Query { limit: Some(2), ..Query::table("Q#1", "A#") }).await;
    assert_eq!(got, a);
    assert!(pages >= 3);
    let (got, _) = all_pages(&s, Query { limit: Some(2), forward: false, ..Query::table("Q#1", "") }).await;
    assert_eq!(got.len(), 6);
    assert_eq!(got[0], "Q#1|B#01");
    let page = s.query(Query { limit: Some(1), ..Query::table("Q#1", "A#") }).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.cursor.is_some());
    assert!(s.query(Query::table("Q#none", "")).await.unwrap().items.is_empty());
}

pub async fn query_gsi1<S: Store>(s: S) {
    for (i, ts) in [300, 100, 200, 50].into_iter().enumerate() {
        let item =
            Item::new(format!("MSG#m{i}"), "MSG").with(GSI1PK, "CONTACT#p#1").with(GSI1SK, format!("{ts:012}#m{i}"));
        s.write(Write::put(item.with("body", i))).await.unwrap();
    }
    s.write(Write::put(Item::new("MSG#other", "MSG").with(GSI1PK, "CONTACT#p#2").with(GSI1SK, "000000000001#x")))
        .await
        .unwrap();
    s.write(Write::put(Item::new("MSG#noindex", "MSG").with("body", "no gsi attributes"))).await.unwrap();
    let q = Query { index: Index::Gsi1, ..Query::table("CONTACT#p#1", "") };
    let order = ["MSG#m3|MSG", "MSG#m1|MSG", "MSG#m2|MSG", "MSG#m0|MSG"];
    let (got, _) = all_pages(&s, q.clone()).await;
    assert_eq!(got, order);
    let (got, pages) = all_pages(&s, Query { limit: Some(3), forward: false, ..q.clone() }).await;
    assert_eq!(got, order.iter().rev().map(|s| s.to_string()).collect::<Vec<_>>());
    assert!(pages >= 2);
    let (got, _) = all_pages(&s, Query { sk_prefix: "0000000001".into(), ..q.clone() }).await;
    assert_eq!(got, order[1..2]);
    let page = s.query(Query { limit: Some(1), ..q }).await.unwrap();
    assert_eq!(page.items[0].get_str(GSI1SK), Some("000000000050#m3"), "items come back whole");
    assert_eq!(page.items[0].get_i64("body"), Some(3));
}

pub async fn nested_values_round_trip<S: Store>(s: S) {
    let doc = json!({
        "text": "héllo ✓", "empty": "", "int": -42, "big": 9_007_199_254_740_993_i64, "frac": 0.5, "neg": -2.25,
        "tiny": 1e-5, "yes": true, "no": false, "none": null, "list": [1, "two", [3.5, false], {"k": null}, []],
        "map": {"a": {"b": {"c": [1, 2, 3]}}, "empty": {}}
    });
    let Value::Object(attrs) = doc else { unreachable!() };
    let item = Item { pk: "DOC#1".into(), sk: "DOC".into(), attrs: attrs.clone() };
    s.write(Write::put(item.clone())).await.unwrap();
    assert_eq!(s.get("DOC#1", "DOC").await.unwrap(), Some(item));
    let updates = attrs.iter().map(|(k, v)| Update::Set(format!("u_{k}"), v.clone())).collect();
    s.write(Write::Update { pk: "DOC#2".into(), sk: "DOC".into(), updates, cond: None }).await.unwrap();
    let got = s.get("DOC#2", "DOC").await.unwrap().expect("item");
    let want: Map<String, Value> = attrs.into_iter().map(|(k, v)| (format!("u_{k}"), v)).collect();
    assert_eq!(got.attrs, want);
}

pub async fn concurrent_conditional_puts<S: Store + 'static>(s: S) {
    let s = Arc::new(s);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let s = s.clone();
        tasks.spawn(async move {
            let item = Item::new("RACE#1", "R").with("writer", i);
            (i, s.write(Write::put_if(item, Cond::ItemMissing)).await)
        });
    }
    let mut winners = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, outcome) = joined.expect("task");
        match outcome.expect("no errors under contention") {
            Applied => winners.push(i),
            ConditionFailed => {}
        }
    }
    assert_eq!(winners.len(), 1, "exactly one conditional put wins: {winners:?}");
    assert_eq!(s.get("RACE#1", "R").await.unwrap().and_then(|i| i.get_i64("writer")), Some(winners[0]));
}

fn key(pk: &str, sk: &str) -> Key {
    Key { pk: pk.into(), sk: sk.into() }
}

pub async fn get_many_missing_and_duplicate_keys<S: Store>(s: S) {
    assert_eq!(s.get_many(&[]).await.unwrap(), Vec::<Option<Item>>::new(), "no keys, no request");
    let a = Item::new("GM#a", "X").with("n", 1).with("tags", json!(["x", "y"]));
    let b = Item::new("GM#b", "X").with("n", 2);
    for item in [&a, &b] {
        assert_eq!(s.write(Write::put(item.clone())).await, Ok(Applied));
    }
    let got = s
        .get_many(&[key("GM#b", "X"), key("GM#missing", "X"), key("GM#a", "X"), key("GM#a", "Y"), key("GM#b", "X")])
        .await
        .unwrap();
    assert_eq!(got, vec![Some(b.clone()), None, Some(a.clone()), None, Some(b.clone())]);
    assert_eq!(s.get_many(&[key("GM#none", "X")]).await.unwrap(), vec![None]);
    assert_eq!(s.get_many(&[key("GM#a", "X"), key("GM#a", "X")]).await.unwrap(), vec![Some(a.clone()), Some(a)]);
}

pub async fn get_many_more_than_one_batch<S: Store>(s: S) {
    // 150 keys: more than one BatchGetItem. Every third key is missing; the order is scrambled.
    let keys: Vec<Key> = (0..150).map(|i| key(&format!("GMB#{:03}", (i * 7) % 150), "X")).collect();
    for i in (0..150).filter(|i| i % 3 != 0) {
        let item = Item::new(format!("GMB#{i:03}"), "X").with("i", i);
        assert_eq!(s.write(Write::put(item)).await, Ok(Applied));
    }
    let got = s.get_many(&keys).await.unwrap();
    assert_eq!(got.len(), keys.len());
    for (k, item) in keys.iter().zip(&got) {
        let i: i64 = k.pk["GMB#".len()..].parse().unwrap();
        match item {
            Some(item) => {
                assert_eq!((item.pk.as_str(), item.sk.as_str()), (k.pk.as_str(), k.sk.as_str()), "in key order");
                assert_eq!(item.get_i64("i"), Some(i));
            }
            None => assert_eq!(i % 3, 0, "{k} exists"),
        }
    }
    assert_eq!(got.iter().flatten().count(), 100);
    // With duplicates past the 100-key mark as well.
    let twice: Vec<Key> = keys.iter().chain(keys.iter().take(60)).cloned().collect();
    let again = s.get_many(&twice).await.unwrap();
    assert_eq!(again[..150], got[..]);
    assert_eq!(again[150..], got[..60]);
}

pub async fn update_returns_the_new_item<S: Store>(s: S) {
    let old = Item::new("UPD#1", "U").with("keep", "me").with("sent", 2).with("drop", true);
    assert_eq!(s.write(Write::put(old)).await, Ok(Applied));
    let updates = vec![
        Update::Add("sent".into(), 3),
        Update::Add("fresh".into(), 1),
        Update::Set("status".into(), json!("read")),
        Update::SetIfMissing("keep".into(), json!("other")),
        Update::Remove("drop".into()),
    ];
    let got = s.update("UPD#1", "U", updates, Some(Cond::AttrEq("sent".into(), json!(2)))).await.unwrap();
    let want = Item::new("UPD#1", "U").with("keep", "me").with("sent", 5).with("fresh", 1).with("status", "read");
    assert_eq!(got, Updated::Applied(want.clone()), "the whole item after the update");
    assert_eq!(s.get("UPD#1", "U").await.unwrap(), Some(want));
    // An upsert creates the item.
    let created = s.update("UPD#2", "U", vec![Update::Add("n".into(), 7)], Some(Cond::ItemMissing)).await.unwrap();
    assert_eq!(created, Updated::Applied(Item::new("UPD#2", "U").with("n", 7)));
}

/// The item a failed update returned: `None`, or exactly the item as it was.
fn check_returned_old(got: Updated, old: &Item) {
    match got {
        Updated::ConditionFailed(None) => {}
        Updated::ConditionFailed(Some(item)) => assert_eq!(&item, old, "ALL_OLD is the item as it was"),
        Updated::Applied(item) => panic!("a failing condition applied: {item:?}"),
    }
}

fn guarded_bump() -> Vec<Update> {
    vec![Update::Add("n".into(), 1), Update::Set("touched".into(), json!(true))]
}

pub async fn update_condition_failed_writes_nothing<S: Store>(s: S) {
    let old = Item::new("UPF#1", "U").with("n", 1).with("state", "open");
    assert_eq!(s.write(Write::put(old.clone())).await, Ok(Applied));
    let got = s.update("UPF#1", "U", guarded_bump(), Some(Cond::AttrEq("state".into(), json!("done")))).await.unwrap();
    check_returned_old(got, &old);
    assert_eq!(s.get("UPF#1", "U").await.unwrap(), Some(old.clone()), "nothing written");
    let got = s.update("UPF#1", "U", guarded_bump(), Some(Cond::ItemMissing)).await.unwrap();
    check_returned_old(got, &old);
    assert_eq!(s.get("UPF#1", "U").await.unwrap(), Some(old));
    // On a missing item there is nothing to return, and the upsert does not create it.
    let got = s.update("UPF#2", "U", guarded_bump(), Some(Cond::ItemExists)).await.unwrap();
    assert_eq!(got, Updated::ConditionFailed(None));
    assert_eq!(s.get("UPF#2", "U").await.unwrap(), None);
}

/// Stricter than DynamoDB promises: the in-memory store always returns the item that failed.
pub async fn update_condition_failed_returns_old_item<S: Store>(s: S) {
    let old = Item::new("UPO#1", "U").with("n", 1);
    assert_eq!(s.write(Write::put(old.clone())).await, Ok(Applied));
    let got = s.update("UPO#1", "U", guarded_bump(), Some(Cond::AttrGt("n".into(), json!(5)))).await.unwrap();
    assert_eq!(got, Updated::ConditionFailed(Some(old.clone())));
    assert_eq!(s.get("UPO#1", "U").await.unwrap(), Some(old));
}
