//! Limits a client meets: balances within the integers every client reads exactly, API keys that never
//! change shops, a rule read and written back, and long reward histories paged.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tally_domain::customer::MAX_SAFE_INTEGER;
use tally_tests::Stack;

const CUSTOMER: u64 = 6060;

#[tokio::test]
async fn no_balance_passes_the_largest_integer_javascript_reads_exactly() {
    let (stack, shop, _) = Stack::with_rule(
        "safe-integers",
        json!({"name": "r", "rewardType": "FREE_SHIPPING", "pointsCost": 1}),
        &[(CUSTOMER, 10)],
    )
    .await;
    let mut customer = stack.customer_record(&shop.domain, CUSTOMER).await.unwrap();
    customer.available_points = MAX_SAFE_INTEGER - 5;
    stack.put_customer(&shop.domain, &customer).await;
    let add = |points: i64| json!({"customerId": CUSTOMER, "points": points, "reason": "more"});
    let over = stack.post(&shop.key, "/api/external/add-points", add(6)).await;
    assert_eq!((over.status, over.code()), (400, "INVALID_REQUEST"), "{:?}", over.body);
    assert_eq!(stack.balance(&shop, CUSTOMER).await, MAX_SAFE_INTEGER - 5, "nothing changed");
    let brim = stack.post(&shop.key, "/api/external/add-points", add(5)).await;
    assert_eq!(brim.body["availablePoints"].as_i64(), Some(MAX_SAFE_INTEGER));
}

#[tokio::test]
async fn an_api_key_never_moves_to_another_shop_and_can_be_revoked() {
    let stack = Stack::start().await;
    let mine = stack.shop("keys-mine").await;
    let theirs = stack.shop("keys-theirs").await;
    let (moved, said) = stack.cli(&["api-key", "create", "--shop", &theirs.domain, "--key", &mine.key]).await;
    assert!(!moved && said.contains("opens another shop"), "{said}");
    assert_eq!(stack.get(&mine.key, "/api/external/point-redeem-rules").await.status, 200, "it still opens mine");

    let (made, key) = stack.cli(&["api-key", "create", "--shop", &mine.domain]).await;
    assert!(made);
    let key = key.trim().to_string();
    let (_, listed) = stack.cli(&["api-key", "list", "--shop", &mine.domain]).await;
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert!(!listed.to_string().contains(&key), "a key is never shown again");
    assert_eq!(stack.get(&key, "/api/external/point-redeem-rules").await.status, 200, "the API now holds the key");
    // The CLI is another process: the API server learns of the revocation when what it holds of the key
    // lapses, within `HELD_FOR` of the revocation, as the README promises.
    let (revoked, said) = stack.cli(&["api-key", "revoke", "--shop", &mine.domain, "--prefix", &key[..12]]).await;
    let revoked_at = std::time::Instant::now();
    assert!(revoked, "{said}");
    loop {
        let reply = stack.get(&key, "/api/external/point-redeem-rules").await;
        if reply.code() == "UNAUTHORIZED" {
            break;
        }
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let bound = tally_app::held::HELD_FOR + std::time::Duration::from_millis(500);
        assert!(revoked_at.elapsed() < bound, "a revoked key still opened the shop {bound:?} after");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(stack.get(&mine.key, "/api/external/point-redeem-rules").await.status, 200, "the other key still works");
}

#[tokio::test]
async fn a_rule_as_read_is_accepted_back_by_put() {
    let rule = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": "5.00",
        "minimumSubtotal": "25.00", "expiresAfterDays": 30, "combinesWith": {"productDiscounts": true}});
    let (stack, shop, id) = Stack::with_rule("rule-roundtrip", rule, &[]).await;
    let read = stack.get(&shop.key, "/api/external/point-redeem-rules").await.body[0].clone();
    let mut changed = read.clone();
    changed["pointsCost"] = json!(450);
    let put = stack.put(&shop.key, &format!("/api/external/point-redeem-rules/{id}"), changed.clone()).await;
    assert_eq!((put.status, &put.body), (200, &changed), "{:?}", put.body);
    // The value is in both vocabularies: changed in one only, the two disagree, and nothing changes.
    changed["discountValue"] = json!(6);
    let put = stack.put(&shop.key, &format!("/api/external/point-redeem-rules/{id}"), changed.clone()).await;
    let says = put.body["error"]["detail"].as_str().unwrap_or("");
    assert!(put.status == 400 && says.contains("discount says otherwise"), "{:?}", put.body);
    changed["discount"] = json!(6);
    let put = stack.put(&shop.key, &format!("/api/external/point-redeem-rules/{id}"), changed.clone()).await;
    assert_eq!((put.status, &put.body), (200, &changed), "{:?}", put.body);
    let elsewhere = stack.put(&shop.key, &format!("/api/external/point-redeem-rules/{}", id + 1), read).await;
    assert_eq!((elsewhere.status, elsewhere.code()), (400, "INVALID_REQUEST"), "another rule's id");
}

#[tokio::test]
async fn a_long_history_is_answered_in_pages() {
    let rule = json!({"name": "Free shipping", "rewardType": "FREE_SHIPPING", "pointsCost": 10});
    let (stack, shop, rule) = Stack::with_rule("history", rule, &[(CUSTOMER, 1000), (CUSTOMER + 1, 10)]).await;
    for _ in 0..55 {
        let reply = stack
            .post(&shop.key, "/api/external/redeem-points", json!({"customerId": CUSTOMER, "redeemRuleId": rule}))
            .await;
        assert_eq!(reply.status, 200);
    }
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!((loyalty["rewards"].as_array().map(Vec::len), loyalty["rewardsCount"].as_u64()), (Some(50), Some(55)));

    let mut seen = BTreeSet::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/external/customer-rewards?customerId={CUSTOMER}&limit=20");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = stack.get(&shop.key, &path).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        pages += 1;
        let ids: Vec<u64> =
            page.body["rewards"].as_array().unwrap().iter().map(|r| r["id"].as_u64().unwrap()).collect();
        assert!(ids.iter().all(|id| seen.insert(*id)), "no reward twice");
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 55), "every reward once, 20 a page");

    let unused =
        stack.get(&shop.key, &format!("/api/external/customer-rewards?customerId={CUSTOMER}&status=USED")).await;
    assert_eq!(unused.body["rewards"], json!([]), "none was used");
    let first = stack.get(&shop.key, &format!("/api/external/customer-rewards?customerId={CUSTOMER}&limit=1")).await;
    let theirs = first.body["nextCursor"].as_str().unwrap();
    for bad in [
        format!("customerId={}&cursor={theirs}", CUSTOMER + 1),
        format!("customerId={CUSTOMER}&cursor=nonsense"),
        format!("customerId={CUSTOMER}&status=SPENT"),
        format!("customerId={CUSTOMER}&limit=0"),
    ] {
        let reply = stack.get(&shop.key, &format!("/api/external/customer-rewards?{bad}")).await;
        assert_eq!((reply.status, reply.code()), (400, "INVALID_REQUEST"), "{bad}: {:?}", reply.body);
    }
}
