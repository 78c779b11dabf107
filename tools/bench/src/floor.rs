//! What is measured: a redemption through the API, its floor (the DynamoDB calls bare, and the Shopify
//! call alone), and the capacity a redemption consumes.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue::{self, S};
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem};
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

/// The key of the redemption whose items the floor copies.
const COPIED_KEY: &str = "bench-copied";

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

    /// The items of a real redemption of customer 1, made with an `Idempotency-Key`, to copy: the profile,
    /// its ledger entry, the reward, the code's item and the key's record with its answer.
    pub(crate) async fn copy_items(&self) -> Result<HashMap<&'static str, Item>, Error> {
        self.redeem_with_key(&self.api, 1, Some(COPIED_KEY.into())).await;
        let partition = keys::customer_partition(&domain(), customer(1));
        let page = self
            .raw
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(partition))
            .scan_index_forward(false)
            .send()
            .await?;
        let mut items = HashMap::new();
        // The newest of each kind: the keyed redemption's.
        for item in page.items.unwrap_or_default() {
            let sk = item.get("SK").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let name = if sk == keys::PROFILE {
                "profile"
            } else if sk.starts_with(keys::LEDGER_PREFIX) {
                "ledger"
            } else {
                "reward"
            };
            items.entry(name).or_insert(item);
        }
        let code = from_item::<RewardRecord>(items["reward"].clone())?.discount_code.ok_or("no code")?;
        for (name, (pk, sk)) in
            [("code", keys::code(&domain(), &code)), ("key", keys::idempotency(&domain(), COPIED_KEY))]
        {
            let found = self.get(pk, sk).await?;
            items.insert(name, found.item.ok_or(format!("no {name} item"))?);
        }
        Ok(items)
    }

    /// The floor of a redemption with an `Idempotency-Key`, bare through the SDK on items of the real size:
    /// one read (the customer, the rule and the key, with the customer's newest rewards queried at once),
    /// one transaction (the debit, its ledger entry, the reward, its code, the key's claim), the Shopify
    /// call, and one write of both the reward's outcome and the key's answer.
    pub(crate) async fn floor(&self, worker: usize, i: usize) {
        self.floor_calls(worker, i).await.expect("the floor's calls succeed");
    }

    async fn floor_calls(&self, worker: usize, i: usize) -> Result<(), Error> {
        let (shop, rule) = (domain(), tally_domain::ids::RuleId::new(self.rule).ok_or("rule 0")?);
        let partition = format!("FLOOR#{}#{worker}#{i}", self.deps.draw_reward_id(self.deps.now()));
        let key = |(pk, sk): keys::Key| HashMap::from([("PK".to_string(), S(pk)), ("SK".to_string(), S(sk))]);
        let keys_read = KeysAndAttributes::builder()
            .keys(key(keys::customer(&shop, customer(worker as u64 + 1))))
            .keys(key(keys::rule(&shop, rule)))
            .keys(key((format!("{partition}#KEY"), "IDEMPOTENCY".into())))
            .consistent_read(true)
            .build()?;
        let batch = self.raw.batch_get_item().request_items(&self.table, keys_read).send();
        let newest = self
            .raw
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :low AND :high")
            .expression_attribute_values(":pk", S(keys::customer_partition(&shop, customer(worker as u64 + 1))))
            .expression_attribute_values(":low", S(keys::ORDERED_REWARD_PREFIX.into()))
            .expression_attribute_values(":high", S(keys::ORDERED_REWARDS_END.into()))
            .scan_index_forward(false)
            .limit(51)
            .consistent_read(true)
            .send();
        let (batch, newest) = tokio::join!(batch, newest);
        batch?;
        newest?;
        let copy = |name: &str, pk: String, sk: &str| {
            let mut item = self.items[name].clone();
            item.insert("PK".into(), S(pk));
            item.insert("SK".into(), S(sk.into()));
            item
        };
        let mut reward = copy("reward", partition.clone(), "REWARD#T1");
        reward.insert("status".into(), S("PENDING".into()));
        reward.insert("GSI1PK".into(), S(format!("SHOP#{DOMAIN}#LISTED#00")));
        reward.insert("GSI1SK".into(), S(format!("PENDING#{partition}")));
        let mut claim = copy("key", format!("{partition}#KEY"), "IDEMPOTENCY");
        claim.remove("responseStatus");
        claim.remove("responseBodyZ");
        let puts = [
            copy("profile", partition.clone(), keys::PROFILE),
            copy("ledger", partition.clone(), "LEDGER#000000000001"),
            reward,
            copy("code", format!("{partition}#CODE"), "CODE"),
            claim,
        ];
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
        self.shopify_alone(worker, i).await;
        let mut issued = copy("reward", partition.clone(), "REWARD#T1");
        issued.insert("GSI1PK".into(), S(format!("SHOP#{DOMAIN}#LISTED#00")));
        let expire_date = self.reward_expiry.ok_or("the bench rule's rewards expire")?;
        let listing = keys::expiring_listing(&shop, expire_date, tally_domain::ids::RewardId::from_entropy(1)).1;
        issued.insert("GSI1SK".into(), S(listing));
        let outcome = self
            .raw
            .put_item()
            .table_name(&self.table)
            .set_item(Some(issued))
            .condition_expression("#status IN (:pending)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", S("PENDING".into()))
            .send();
        let kept = &self.items["key"];
        let answer = self
            .raw
            .update_item()
            .table_name(&self.table)
            .key("PK", S(format!("{partition}#KEY")))
            .key("SK", S("IDEMPOTENCY".into()))
            .condition_expression("lockToken = :token")
            .update_expression("SET #status = :completed, responseStatus = :status, responseBodyZ = :body")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":token", kept.get("lockToken").cloned().ok_or("no token")?)
            .expression_attribute_values(":completed", S("COMPLETED".into()))
            .expression_attribute_values(":status", kept.get("responseStatus").cloned().ok_or("no status")?)
            .expression_attribute_values(":body", kept.get("responseBodyZ").cloned().ok_or("no body")?)
            .send();
        let (outcome, answer) = tokio::join!(outcome, answer);
        outcome?;
        answer?;
        Ok(())
    }

    async fn get(&self, pk: String, sk: String) -> Result<aws_sdk_dynamodb::operation::get_item::GetItemOutput, Error> {
        Ok(self
            .raw
            .get_item()
            .table_name(&self.table)
            .key("PK", S(pk))
            .key("SK", S(sk))
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
