//! What is measured: a redemption through the API, its floor (the DynamoDB calls bare, and the Shopify
//! call alone), and the capacity a redemption consumes.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde_json::json;
use tally_app::ports::ShopifyShop;
use tally_domain::ids::CustomerId;
use tally_domain::reward::{DeductionMode, Issuance, Reward};
use tally_domain::rule::Priced;
use tally_domain::shop::ShopDomain;
use tally_store::keys;
use tally_store::records::from_item;
use tally_store::records::reward::RewardRecord;

use crate::meter::Usage;
use crate::{Bench, Error, Item, DOMAIN, KEY, METERED};

fn domain() -> ShopDomain {
    ShopDomain::parse(DOMAIN).expect("the bench's domain")
}

fn customer(id: u64) -> CustomerId {
    CustomerId::new(id).expect("a positive id")
}

impl Bench {
    /// One redemption through the local API server: the handler Lambda runs.
    pub(crate) async fn redeem(&self, api: &str, customer: u64) {
        self.redeem_with_key(api, customer, None).await
    }

    pub(crate) async fn redeem_with_key(&self, api: &str, customer: u64, key: Option<String>) {
        let body = json!({"customerId": customer, "redeemRuleId": self.rule});
        let mut request = self.http.post(format!("{api}/api/external/redeem-points"));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.header("X-API-Key", KEY).json(&body).send().await;
        assert!(response.is_ok_and(|r| r.status() == 200), "a redemption failed");
    }

    /// The items of a real redemption of customer 1, to copy.
    pub(crate) async fn copy_items(&self) -> Result<HashMap<&'static str, Item>, Error> {
        let partition = keys::customer_partition(&domain(), customer(1));
        let page = self
            .raw
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(partition))
            .send()
            .await?;
        let mut items = HashMap::new();
        for item in page.items.unwrap_or_default() {
            let sk = item.get("SK").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let name = if sk == keys::PROFILE {
                "profile"
            } else if sk.starts_with(keys::LEDGER_PREFIX) {
                "ledger"
            } else {
                "reward"
            };
            items.insert(name, item);
        }
        let code = from_item::<RewardRecord>(items["reward"].clone())?.discount_code.ok_or("no code")?;
        let (pk, sk) = keys::code(&domain(), &code);
        let owner = self
            .raw
            .get_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .send()
            .await?;
        items.insert("code", owner.item.ok_or("no code item")?);
        Ok(items)
    }

    /// The DynamoDB calls a redemption makes, bare: the key, the shop, the rule, the customer; the
    /// transaction (customer, ledger, pending reward, code); the reward's update and re-read; the loyalty query.
    pub(crate) async fn floor(&self, worker: usize, i: usize) {
        self.floor_calls(worker, i).await.expect("the floor's calls succeed");
    }

    async fn floor_calls(&self, worker: usize, i: usize) -> Result<(), Error> {
        let (shop, rule) = (domain(), tally_domain::ids::RuleId::new(self.rule).ok_or("rule 0")?);
        for (pk, sk) in [
            keys::api_key(&tally_domain::ids::hash_api_key(KEY)),
            keys::shop(&shop),
            keys::rule(&shop, rule),
            keys::customer(&shop, customer(worker as u64 + 1)),
        ] {
            self.get(pk, sk).await?;
        }
        let partition = format!("FLOOR#{}#{worker}#{i}", self.deps.draw_reward_id(self.deps.now()));
        let copy = |name: &str, sk: &str| {
            let mut item = self.items[name].clone();
            item.insert(
                "PK".into(),
                AttributeValue::S(if name == "code" { format!("{partition}#CODE") } else { partition.clone() }),
            );
            item.insert("SK".into(), AttributeValue::S(sk.into()));
            item
        };
        let expire_date = self.reward_expiry.ok_or("the bench rule's rewards expire")?;
        let listing = keys::expiring_listing(&shop, expire_date, tally_domain::ids::RewardId::from_entropy(1)).1;
        let mut reward = copy("reward", "REWARD#1");
        reward.insert("status".into(), AttributeValue::S("PENDING".into()));
        reward.insert("GSI1PK".into(), AttributeValue::S(format!("SHOP#{DOMAIN}")));
        reward.insert("GSI1SK".into(), AttributeValue::S(format!("PENDING#{partition}")));
        let puts =
            [copy("profile", keys::PROFILE), copy("ledger", "LEDGER#000000000001"), reward, copy("code", "CODE")];
        let items = puts
            .into_iter()
            .map(|item| {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(PK)")
                    .build();
                put.map(|put| TransactWriteItem::builder().put(put).build())
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.raw.transact_write_items().set_transact_items(Some(items)).send().await?;
        self.raw
            .update_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(partition.clone()))
            .key("SK", AttributeValue::S("REWARD#1".into()))
            .condition_expression("#status IN (:pending)")
            .update_expression("SET #status = :unused, discountCodeId = :id, usedAt = :null, GSI1SK = :listing")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", AttributeValue::S("PENDING".into()))
            .expression_attribute_values(":unused", AttributeValue::S("UNUSED".into()))
            .expression_attribute_values(":id", AttributeValue::S("gid://shopify/DiscountCodeNode/1".into()))
            .expression_attribute_values(":null", AttributeValue::Null(true))
            .expression_attribute_values(":listing", AttributeValue::S(listing))
            .send()
            .await?;
        self.get(partition.clone(), "REWARD#1".into()).await?;
        self.raw
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK >= :profile")
            .expression_attribute_values(":pk", AttributeValue::S(partition))
            .expression_attribute_values(":profile", AttributeValue::S(keys::PROFILE.into()))
            .consistent_read(true)
            .send()
            .await?;
        Ok(())
    }

    async fn get(&self, pk: String, sk: String) -> Result<aws_sdk_dynamodb::operation::get_item::GetItemOutput, Error> {
        Ok(self
            .raw
            .get_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await?)
    }

    /// The Shopify call of a redemption alone: one discount created, for a reward built beforehand.
    pub(crate) async fn shopify_alone(&self, worker: usize, _: usize) {
        let (shop, rule) = &self.records;
        let (priced, now, drawn) =
            (Priced::at_cost(rule), self.deps.now(), self.deps.draw_reward(&shop.code_prefix, self.deps.now()));
        let who = customer(worker as u64 + 1);
        let reward = Reward::pending(shop, who, rule, &priced, None, DeductionMode::Immediate, now, drawn);
        let Issuance::Discount(discount) = reward.issuance(rule) else { panic!("the bench rule is a discount") };
        let shopify = tally_app::access::shopify(&self.deps, shop, None);
        shopify.create_discount(&discount).await.expect("the discount is created");
    }

    /// What one redemption of the real code consumes, by operation, as DynamoDB reports it: the average of
    /// `METERED` redemptions through the metered API server.
    pub(crate) async fn capacity(
        &self,
        first_customer: u64,
        with_key: bool,
    ) -> Result<BTreeMap<&'static str, Usage>, Error> {
        self.meter.take();
        for customer in first_customer..first_customer + METERED as u64 {
            let key = with_key.then(|| format!("bench-{customer}"));
            self.redeem_with_key(&self.metered_api, customer, key).await;
        }
        let n = METERED as f64;
        Ok(self
            .meter
            .take()
            .into_iter()
            .map(|(op, u)| {
                let average = Usage {
                    calls: u.calls / n,
                    reads: u.reads / n,
                    writes: u.writes / n,
                    index_writes: u.index_writes / n,
                };
                (op, average)
            })
            .collect())
    }
}
