//! The root fields the emulator implements, with the checks Shopify makes beyond the schema.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::state::{CreditAccount, Discount, ShopState};

type Args<'a> = HashMap<&'a str, Value>;

pub fn resolve(shop: &mut ShopState, field: &str, args: &Args, user_error: bool) -> Result<Value, String> {
    if user_error {
        return Ok(emulated_user_error(field));
    }
    match field {
        "discountCodeBasicCreate" => Ok(create_discount(shop, &args["basicCodeDiscount"], "basicCodeDiscount")),
        "discountCodeFreeShippingCreate" => {
            Ok(create_discount(shop, &args["freeShippingCodeDiscount"], "freeShippingCodeDiscount"))
        }
        "codeDiscountNodeByCode" => {
            let code = args["code"].as_str().unwrap_or_default();
            Ok(shop.discount_by_code(code).map(discount_node).unwrap_or(Value::Null))
        }
        "discountNodes" => Ok(discount_nodes(shop, args)),
        "discountCodeDeactivate" => Ok(deactivate_discount(shop, args["id"].as_str().unwrap_or_default())),
        "discountCodeDelete" => Ok(delete_discount(shop, args["id"].as_str().unwrap_or_default())),
        "productVariant" => Ok(product_variant(shop, args["id"].as_str().unwrap_or_default())),
        "storeCreditAccountCredit" => Ok(credit(shop, args["id"].as_str().unwrap_or_default(), &args["creditInput"])),
        "customer" => Ok(customer(shop, args["id"].as_str().unwrap_or_default())),
        "webhookSubscriptionCreate" => Ok(subscribe(shop, args)),
        "webhookSubscriptions" => Ok(subscriptions(shop)),
        "order" => Ok(order(shop, args["id"].as_str().unwrap_or_default())),
        "orders" => orders(shop, args),
        "metafieldsSet" => Ok(crate::metafields::set(shop, &args["metafields"])),
        "flowTriggerReceive" => Ok(crate::metafields::trigger(shop, &args["handle"], &args["payload"])),
        other => Err(format!("The Tally Shopify emulator does not implement `{other}`")),
    }
}

fn user_error(field: &[&str], code: &str, message: &str) -> Value {
    json!({"field": field, "code": code, "message": message})
}

fn emulated_user_error(field: &str) -> Value {
    json!({"userErrors": [{"field": null, "code": null, "message": format!("Emulated failure of {field}")}]})
}

/// `discountCodeBasicCreate` and `discountCodeFreeShippingCreate`.
fn create_discount(shop: &mut ShopState, input: &Value, argument: &str) -> Value {
    let basic = argument == "basicCodeDiscount";
    let mut errors = Vec::new();
    let required: &[&str] = if basic {
        &["title", "code", "startsAt", "customerGets", "context"]
    } else {
        &["title", "code", "startsAt", "context"]
    };
    for name in required {
        if input[*name].is_null() || input[*name] == json!("") {
            errors.push(user_error(&[argument, name], "BLANK", &format!("{name} can't be blank")));
        }
    }
    let code = input["code"].as_str().unwrap_or_default();
    if code.len() > 255 || code.contains('\n') || code.contains('\r') {
        errors.push(user_error(&[argument, "code"], "INVALID", "Code is invalid"));
    }
    if !code.is_empty() && shop.discount_by_code(code).is_some() {
        errors.push(user_error(&[argument, "code"], "TAKEN", "Code must be unique. Please try a different code."));
    }
    if basic {
        check_customer_gets(shop, &input["customerGets"], argument, &mut errors);
    }
    if let (Some(starts), Some(ends)) = (input["startsAt"].as_str(), input["endsAt"].as_str()) {
        if ends <= starts {
            errors.push(user_error(
                &[argument, "endsAt"],
                "END_DATE_BEFORE_START_DATE",
                "End date must be after start",
            ));
        }
    }
    if input["usageLimit"].as_i64().is_some_and(|n| n < 1) {
        errors.push(user_error(&[argument, "usageLimit"], "GREATER_THAN", "Usage limit must be greater than 0"));
    }
    if !errors.is_empty() {
        return json!({"codeDiscountNode": null, "userErrors": errors});
    }
    let discount = Discount {
        id: shop.next_gid("DiscountCodeNode"),
        code: code.to_string(),
        kind: if basic { "basic" } else { "free_shipping" },
        value: input["customerGets"]["value"].clone(),
        items: input["customerGets"]["items"].clone(),
        customer: input.pointer("/context/customers/add/0").and_then(Value::as_str).map(str::to_string),
        status: "ACTIVE",
        title: input["title"].as_str().unwrap_or_default().to_string(),
        starts_at: input["startsAt"].clone(),
        ends_at: input["endsAt"].clone(),
        usage_limit: input["usageLimit"].clone(),
        applies_once_per_customer: input["appliesOncePerCustomer"].clone(),
        minimum_requirement: input["minimumRequirement"].clone(),
        combines_with: input["combinesWith"].clone(),
        used: 0,
        uses: Vec::new(),
        usage_lag: shop.usage_lag,
    };
    let node = discount_node(&discount);
    shop.discounts.push(discount);
    json!({"codeDiscountNode": node, "userErrors": []})
}

fn check_customer_gets(shop: &ShopState, gets: &Value, argument: &str, errors: &mut Vec<Value>) {
    let value = &gets["value"];
    let percentage = value["percentage"].as_f64();
    let amount = value.pointer("/discountAmount/amount").and_then(decimal);
    let field = [argument, "customerGets", "value"];
    match (percentage, amount) {
        (Some(p), None) if p > 0.0 && p <= 1.0 => {}
        (Some(_), None) => errors.push(user_error(&field, "VALUE_OUTSIDE_RANGE", "Percentage must be between 0 and 1")),
        (None, Some(a)) if a > Decimal::ZERO => {}
        (None, Some(_)) => errors.push(user_error(&field, "GREATER_THAN", "Amount must be greater than 0")),
        _ if gets.is_null() => {}
        _ => errors.push(user_error(&field, "INVALID", "Give exactly one of percentage and discountAmount")),
    }
    let items = &gets["items"];
    let variants = items.pointer("/products/productVariantsToAdd").and_then(Value::as_array);
    if !gets.is_null() && items["all"] != json!(true) && variants.is_none_or(Vec::is_empty) {
        errors.push(user_error(&[argument, "customerGets", "items"], "BLANK", "Items can't be blank"));
    }
    for gid in variants.into_iter().flatten() {
        let known = gid
            .as_str()
            .and_then(|g| gid_number(g, "ProductVariant"))
            .is_some_and(|id| shop.variants.contains_key(&id));
        if !known {
            errors.push(user_error(
                &[argument, "customerGets", "items"],
                "INVALID",
                &format!("Variant {gid} does not exist"),
            ));
        }
    }
}

fn discount_node(discount: &Discount) -> Value {
    let typename = if discount.kind == "basic" { "DiscountCodeBasic" } else { "DiscountCodeFreeShipping" };
    json!({"__typename": "DiscountCodeNode", "id": discount.id,
        "codeDiscount": {"__typename": typename, "title": discount.title, "status": discount.status,
            "asyncUsageCount": discount.counted_uses(),
            "codes": {"nodes": [{"code": discount.code}]}, "codesCount": {"count": 1, "precision": "EXACT"},
            "endsAt": discount.ends_at, "usageLimit": discount.usage_limit}})
}

/// A page of `discountNodes`: the cursor is the position of the last discount given.
fn discount_nodes(shop: &ShopState, args: &Args) -> Value {
    let first = args.get("first").and_then(Value::as_u64).unwrap_or(50).min(250) as usize;
    let start = args.get("after").and_then(Value::as_str).and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let page: Vec<Value> = shop
        .discounts
        .iter()
        .skip(start)
        .take(first)
        .map(|d| {
            let mut node = discount_node(d);
            node["__typename"] = json!("DiscountNode");
            node["discount"] = node["codeDiscount"].take();
            node
        })
        .collect();
    let end = start + page.len();
    json!({"nodes": page, "pageInfo": {"hasNextPage": end < shop.discounts.len(), "endCursor": end.to_string(),
        "hasPreviousPage": start > 0, "startCursor": start.to_string()}})
}

fn deactivate_discount(shop: &mut ShopState, id: &str) -> Value {
    match shop.discounts.iter_mut().find(|d| d.id == id) {
        Some(discount) => {
            discount.status = "EXPIRED";
            json!({"codeDiscountNode": discount_node(discount), "userErrors": []})
        }
        None => {
            json!({"codeDiscountNode": null, "userErrors": [user_error(&["id"], "INVALID", "Discount does not exist")]})
        }
    }
}

fn delete_discount(shop: &mut ShopState, id: &str) -> Value {
    let before = shop.discounts.len();
    shop.discounts.retain(|d| d.id != id);
    if shop.discounts.len() == before {
        return json!({"deletedCodeDiscountId": null,
            "userErrors": [user_error(&["id"], "INVALID", "Code discount does not exist.")]});
    }
    json!({"deletedCodeDiscountId": id, "userErrors": []})
}

fn product_variant(shop: &ShopState, gid: &str) -> Value {
    match gid_number(gid, "ProductVariant").and_then(|id| shop.variants.get(&id)) {
        Some(price) => {
            json!({"__typename": "ProductVariant", "id": gid, "price": price.to_string()})
        }
        None => Value::Null,
    }
}

/// `storeCreditAccountCredit` on a customer GID: the account for the currency is made on first credit.
fn credit(shop: &mut ShopState, owner: &str, input: &Value) -> Value {
    let fail = |code: &str, message: &str| json!({"storeCreditAccountTransaction": null, "userErrors": [user_error(&["creditInput"], code, message)]});
    if gid_number(owner, "Customer").is_none() {
        return fail("OWNER_NOT_FOUND", "Owner does not exist");
    }
    let Some(amount) = input.pointer("/creditAmount/amount").and_then(decimal) else {
        return fail("NEGATIVE_OR_ZERO_AMOUNT", "A positive amount must be used to credit a store credit account");
    };
    if amount <= Decimal::ZERO {
        return fail("NEGATIVE_OR_ZERO_AMOUNT", "A positive amount must be used to credit a store credit account");
    }
    let currency = input.pointer("/creditAmount/currencyCode").and_then(Value::as_str).unwrap_or("USD").to_string();
    let transaction_id = shop.next_gid("StoreCreditAccountCreditTransaction");
    let account_id = shop.next_gid("StoreCreditAccount");
    let accounts = shop.store_credit.entry(owner.to_string()).or_default();
    let account = match accounts.iter().position(|a| a.currency == currency) {
        Some(i) => &mut accounts[i],
        None => {
            accounts.push(CreditAccount { id: account_id, customer: owner.into(), balance: Decimal::ZERO, currency });
            accounts.last_mut().expect("just pushed")
        }
    };
    account.balance += amount;
    let money = |value: Decimal| json!({"amount": value.to_string(), "currencyCode": account.currency});
    json!({"storeCreditAccountTransaction": {"__typename": "StoreCreditAccountCreditTransaction",
            "id": transaction_id, "amount": money(amount), "balanceAfterTransaction": money(account.balance),
            "account": {"id": account.id, "balance": money(account.balance)}},
        "userErrors": []})
}

fn customer(shop: &ShopState, gid: &str) -> Value {
    if gid_number(gid, "Customer").is_none() {
        return Value::Null;
    }
    let nodes: Vec<Value> = shop
        .store_credit
        .get(gid)
        .into_iter()
        .flatten()
        .map(|a| json!({"id": a.id, "balance": {"amount": a.balance.to_string(), "currencyCode": a.currency}}))
        .collect();
    let edges: Vec<Value> = nodes.iter().map(|n| json!({"node": n})).collect();
    json!({"__typename": "Customer", "id": gid, "storeCreditAccounts": {"nodes": nodes, "edges": edges}})
}

/// `webhookSubscriptionCreate(topic, webhookSubscription: {uri, format})`.
fn subscribe(shop: &mut ShopState, args: &Args) -> Value {
    let topic = args["topic"].as_str().unwrap_or_default().to_string();
    let uri = args["webhookSubscription"]["uri"].as_str().unwrap_or_default().to_string();
    if !(uri.starts_with("https://") || uri.starts_with("http://")) {
        return json!({"webhookSubscription": null,
            "userErrors": [user_error(&["webhookSubscription", "uri"], "INVALID", "Address is invalid")]});
    }
    if shop.subscriptions.iter().any(|s| s.topic == topic && s.uri == uri) {
        return json!({"webhookSubscription": null,
            "userErrors": [user_error(&["webhookSubscription", "uri"], "TAKEN", "Address for this topic has already been taken")]});
    }
    let id = shop.next_gid("WebhookSubscription");
    let subscription = crate::state::Subscription { id, topic, uri };
    let node = subscription_node(&subscription);
    shop.subscriptions.push(subscription);
    json!({"webhookSubscription": node, "userErrors": []})
}

fn subscription_node(s: &crate::state::Subscription) -> Value {
    json!({"__typename": "WebhookSubscription", "id": s.id, "topic": s.topic, "uri": s.uri, "format": "JSON"})
}

/// `webhookSubscriptions(first:)`: every subscription, on one page.
fn subscriptions(shop: &ShopState) -> Value {
    let nodes: Vec<Value> = shop.subscriptions.iter().map(subscription_node).collect();
    json!({"nodes": nodes, "pageInfo": {"hasNextPage": false, "endCursor": null, "hasPreviousPage": false, "startCursor": null}})
}

/// `order(id:)`: what Tally asks about an order.
fn order(shop: &ShopState, gid: &str) -> Value {
    match gid_number(gid, "Order").and_then(|id| shop.orders.get(&id)) {
        Some(order) => json!({"__typename": "Order", "id": gid, "name": order.name,
            "displayFinancialStatus": order.financial_status, "discountCodes": order.codes}),
        None => Value::Null,
    }
}

/// `orders(query:)`, newest first: only the `discount_code:` filter Tally sends, as Shopify matches it
/// (without case); any other query is refused so that a change in what Tally sends is seen.
fn orders(shop: &ShopState, args: &Args) -> Result<Value, String> {
    let query = args.get("query").and_then(Value::as_str).unwrap_or_default();
    let code = query.strip_prefix("discount_code:").map(|c| c.trim_matches('"'));
    let Some(code) = code else {
        return Err(format!("The emulator's `orders` takes only discount_code:, not {query}"));
    };
    let first = args.get("first").and_then(Value::as_u64).unwrap_or(50) as usize;
    let nodes: Vec<Value> = shop
        .orders
        .values()
        .rev()
        .filter(|o| o.codes.iter().any(|c| c.eq_ignore_ascii_case(code)))
        .take(first)
        .map(|o| order(shop, &format!("gid://shopify/Order/{}", o.id)))
        .collect();
    Ok(
        json!({"nodes": nodes, "pageInfo": {"hasNextPage": false, "endCursor": null, "hasPreviousPage": false, "startCursor": null}}),
    )
}

fn gid_number(gid: &str, kind: &str) -> Option<u64> {
    gid.strip_prefix("gid://shopify/")?.strip_prefix(kind)?.strip_prefix('/')?.parse().ok()
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}
