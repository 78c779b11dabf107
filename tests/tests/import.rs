//! `tally-cli import`: a program moved in from Appstle's shapes or a CSV, as a shop switching does it.

use serde_json::{json, Value};
use tally_tests::{Stack, TestShop};

/// Customers of the demo shop: id, points added, points added that expire, tier.
pub(crate) const CUSTOMERS: [(u64, i64, i64, Option<&str>); 4] =
    [(2001, 500, 0, Some("Gold")), (2002, 40, 100, None), (2003, 0, 0, None), (2004, 1200, 300, Some("Silver"))];

/// The demo shop: rules of each kind, customers with balances, lots that expire and tiers.
pub(crate) async fn demo(stack: &Stack) -> TestShop {
    let shop = stack.shop("import-source").await;
    for rule in [
        json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "5.00",
            "minimumSubtotal": 20, "combinesWith": {"orderDiscounts": true}}),
        json!({"name": "10% off", "rewardType": "PERCENTAGE", "pointsCost": 300, "discountValue": 10}),
        json!({"name": "$1 per 10", "type": "DYNAMIC_DISCOUNT", "pointsCost": 10, "discount": 1,
            "requiredMaximumPointsToRedeem": 500}),
        json!({"name": "Mug", "rewardType": "FREE_PRODUCT", "pointsCost": 900, "variantIds": [41], "vipTier": "Gold"}),
    ] {
        stack.rule(&shop, rule).await;
    }
    let expiry = "2030-06-30T00:00:00Z";
    for (id, points, expiring, tier) in CUSTOMERS {
        let enroll = json!({"customerId": id, "email": format!("c{id}@example.com"), "vipTier": tier});
        assert_eq!(stack.post(&shop.key, "/api/external/customers", enroll).await.status, 201);
        for (amount, expires) in [(points, None), (expiring, Some(expiry))] {
            if amount > 0 {
                let add = json!({"customerId": id, "points": amount, "reason": "earned", "expiresAt": expires});
                assert_eq!(stack.post(&shop.key, "/api/external/add-points", add).await.status, 200);
            }
        }
    }
    shop
}

/// The demo shop in Appstle's shapes: its rule objects, and each customer's loyalty object with their ids.
pub(crate) async fn export(stack: &Stack, shop: &TestShop, dir: &std::path::Path) -> (String, String) {
    let rules = stack.get(&shop.key, "/api/external/point-redeem-rules").await.body;
    let rules: Vec<String> = rules.as_array().unwrap().iter().map(Value::to_string).collect();
    let mut customers = vec![];
    for (id, ..) in CUSTOMERS {
        let mut loyalty = stack.loyalty(shop, id).await;
        loyalty["customerId"] = json!(id);
        loyalty["email"] = json!(format!("c{id}@example.com"));
        customers.push(loyalty.to_string());
    }
    let (rules_file, customers_file) = (dir.join("rules.jsonl"), dir.join("customers.jsonl"));
    std::fs::write(&rules_file, rules.join("\n")).unwrap();
    std::fs::write(&customers_file, customers.join("\n")).unwrap();
    (rules_file.display().to_string(), customers_file.display().to_string())
}

/// What a customer's loyalty information says that an import must carry over.
fn carried(loyalty: &Value) -> Value {
    json!([
        loyalty["availablePoints"],
        loyalty["expiringPointsAmount"],
        loyalty["pointsExpireAt"],
        loyalty["currentVipTier"],
        loyalty["customerStatus"]
    ])
}

/// A folder of the test's own for the files it imports.
pub(crate) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tally-import-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) fn report(printed: &str) -> Value {
    let start = printed.find('{').unwrap_or(0);
    serde_json::from_str(&printed[start..]).unwrap_or_else(|e| panic!("{e}: {printed}"))
}

#[tokio::test]
async fn a_shop_moves_in_from_appstle_s_shapes_survives_a_crash_and_a_second_run_changes_nothing() {
    let stack = Stack::start().await;
    let source = demo(&stack).await;
    let target = stack.shop("import-target").await;
    let dir = scratch("appstle");
    let (rules, customers) = export(&stack, &source, &dir).await;
    let import = |extra: &'static [&'static str]| {
        let mut args = vec!["import", "--shop", &target.domain, "--format", "appstle", "--rules", &rules];
        args.extend(["--customers", &customers]);
        args.extend(extra);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };

    // A dry run reads and checks everything and writes nothing.
    let (ok, printed) = stack.cli(&import(&["--dry-run"]).iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(ok, "{printed}");
    assert_eq!(report(&printed)["customers"]["imported"], 4, "{printed}");
    assert_eq!(stack.get(&target.key, "/api/external/point-redeem-rules").await.body, json!([]));

    // Halfway through the customers, the process dies just after enrolling 2004, before their points.
    let crashing = import(&["--concurrency", "1"]);
    let args: Vec<&str> = crashing.iter().map(String::as_str).collect();
    let (ok, printed) = stack.cli_with_env(&args, &[("TALLY_CRASH_AT", "import-enrolled-2004")]).await;
    assert!(!ok, "the import was to die: {printed}");

    // Run again: it does what is missing, and the target now says what the source says.
    let (ok, printed) = stack.cli(&import(&[]).iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(ok, "{printed}");
    let resumed = report(&printed);
    assert_eq!((&resumed["rules"]["alreadyThere"], &resumed["customers"]["alreadyThere"]), (&json!(4), &json!(3)));
    assert_eq!(resumed["customers"]["imported"], 1, "2004's points, after the crash: {printed}");
    let source_rules = stack.get(&source.key, "/api/external/point-redeem-rules").await.body;
    assert_eq!(stack.get(&target.key, "/api/external/point-redeem-rules").await.body, source_rules);
    let mut before = vec![];
    for (id, ..) in CUSTOMERS {
        let (from, to) = (stack.loyalty(&source, id).await, stack.loyalty(&target, id).await);
        assert_eq!(carried(&to), carried(&from), "customer {id}");
        before.push(to);
    }

    // A second run finds everything there and changes nothing.
    let (ok, printed) = stack.cli(&import(&[]).iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(ok, "{printed}");
    let again = report(&printed);
    assert_eq!((&again["rules"]["imported"], &again["customers"]["imported"]), (&json!(0), &json!(0)), "{printed}");
    for ((id, ..), was) in CUSTOMERS.iter().zip(before) {
        assert_eq!(stack.loyalty(&target, *id).await, was, "customer {id}");
    }

    // Rules kept their ids: a theme's `redeemRuleId` still names the same reward, and a new rule takes the
    // next id.
    let newest = source_rules.as_array().unwrap().iter().filter_map(|r| r["id"].as_u64()).max().unwrap();
    let added = stack.rule(&target, json!({"name": "Ship", "rewardType": "FREE_SHIPPING", "pointsCost": 50})).await;
    assert!(added > newest, "{added} after {newest}");
    let redeem = json!({"customerId": 2004, "redeemRuleId": source_rules[0]["id"]});
    assert_eq!(stack.post(&target.key, "/api/external/redeem-points", redeem).await.status, 200);
}

/// A CSV from any other source: a row per lot; what cannot be carried over is refused by name, and the rest
/// goes in.
#[tokio::test]
async fn a_csv_import_reports_what_it_refused_and_why() {
    let stack = Stack::start().await;
    let shop = stack.shop("import-csv").await;
    let dir = scratch("csv");
    let customers = dir.join("customers.csv");
    std::fs::write(
        &customers,
        "customerId,email,phone,externalId,vipTier,status,points,expiresAt\n\
         3001,a@example.com,+14155550101,12345,Gold,ACTIVE,250,\n\
         3001,,,,,,100,2031-01-01T00:00:00Z\n\
         3002,b@example.com,,,,,12.5,\n\
         3003,A@example.com,,,,,10,\n\
         3004,\"d@example.com\",,,,EXCLUDED,40,\n",
    )
    .unwrap();
    let rules = dir.join("rules.csv");
    std::fs::write(
        &rules,
        "id,name,rewardType,pointsCost,discountValue\n7,\"Five, off\",FIXED_AMOUNT,500,5\n8,Bogus,GIFT_CARD,10,\n",
    )
    .unwrap();
    let (customers, rules) = (customers.display().to_string(), rules.display().to_string());
    let args = ["import", "--shop", &shop.domain, "--format", "csv", "--rules", &rules, "--customers", &customers];
    let (ok, printed) = stack.cli(&args).await;
    assert!(!ok, "refusals make the exit code 1: {printed}");
    let report = report(&printed);
    assert_eq!((&report["customers"]["imported"], &report["customers"]["refused"]), (&json!(2), &json!(2)));
    let reasons = report["customers"]["refusals"].to_string() + &report["rules"]["refusals"].to_string();
    for reason in ["fractional balance", "the same customer or identifier as customer 3001", "GIFT_CARD"] {
        assert!(reasons.contains(reason), "{reason}: {reasons}");
    }
    let first = stack.loyalty(&shop, 3001).await;
    assert_eq!((&first["availablePoints"], &first["expiringPointsAmount"]), (&json!(350), &json!(100)));
    assert_eq!((&first["currentVipTier"], &first["pointsExpireAt"]), (&json!("Gold"), &json!("2031-01-01T00:00:00Z")));
    let found = stack.get(&shop.key, "/api/external/customer-loyalty?customerPhone=%2B14155550101").await;
    assert_eq!(found.body["availablePoints"], 350, "found by the phone it brought");
    let excluded = stack.loyalty(&shop, 3004).await;
    assert_eq!((&excluded["customerStatus"], &excluded["availablePoints"]), (&json!("EXCLUDED"), &json!(40)));
    let by_pos = stack.get(&shop.key, "/api/external/customer-loyalty?customerExternalId=12345").await;
    assert_eq!(by_pos.body["availablePoints"], 350, "a numeric external id stays the text it was");
    let rules = stack.get(&shop.key, "/api/external/point-redeem-rules").await.body;
    assert_eq!((&rules[0]["id"], &rules[0]["name"]), (&json!(7), &json!("Five, off")));
}

/// Two runs of one import at once (an operator starting it twice): each lot is credited once.
#[tokio::test]
async fn two_runs_at_once_credit_each_lot_once() {
    let stack = Stack::start().await;
    let shop = stack.shop("import-twice").await;
    let dir = scratch("twice");
    let mut csv = String::from("customerId,email,points,expiresAt\n");
    for id in 4001..4041 {
        csv += &format!("{id},c{id}@example.com,100,\n{id},,25,2031-01-01T00:00:00Z\n");
    }
    let customers = dir.join("customers.csv");
    std::fs::write(&customers, csv).unwrap();
    let customers = customers.display().to_string();
    let args = ["import", "--shop", &shop.domain, "--format", "csv", "--customers", &customers, "--concurrency", "8"];
    let (first, second) = tokio::join!(stack.cli(&args), stack.cli(&args));
    let (first, second) = (report(&first.1), report(&second.1));
    let done = |r: &Value, key: &str| r["customers"][key].as_u64().unwrap_or(0);
    assert_eq!(done(&first, "refused") + done(&second, "refused"), 0, "{first} {second}");
    for id in 4001..4041 {
        let ledger = stack.ledger(&shop.domain, id).await;
        assert_eq!(ledger.iter().map(|e| e.delta).collect::<Vec<_>>(), vec![100, 25], "customer {id}");
        assert_eq!(stack.balance(&shop, id).await, 125);
    }
}
