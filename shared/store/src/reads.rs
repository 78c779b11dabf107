//! What the use cases read of a shop: customers, rewards, ledgers, rules, and the jobs' listings.

use tally_app::ports::store::{Customers, Ledgers, Listings, Page, Position, Rewards, Rules, StoreResult};
use tally_domain::customer::{Customer, Identity};
use tally_domain::ids::{CustomerId, RewardId, RuleId};
use tally_domain::ledger::LedgerEntry;
use tally_domain::reward::Reward;
use tally_domain::rule::{RedeemRule, RuleAlias};
use tally_domain::Time;

use crate::errors::failed;
use crate::pages::{self, Range};
use crate::records::customer::{CustomerIdRecord, CustomerRecord};
use crate::records::jobs::JournalReadRecord;
use crate::records::ledger::LedgerRecord;
use crate::records::reward::{CodeOwnerRecord, RewardRecord};
use crate::records::rule::{RuleIdRecord, RuleRecord};
use crate::records::{corrupt, from_item, sort_key, text, to_item, Item, PK, SK};
use crate::{keys, ShopTable, SortKey};

fn rewards(items: Vec<Item>) -> StoreResult<Vec<Reward>> {
    items.into_iter().map(|item| from_item::<RewardRecord>(item).and_then(Reward::try_from)).collect()
}

fn entries(items: Vec<Item>) -> StoreResult<Vec<LedgerEntry>> {
    items.into_iter().map(|item| from_item::<LedgerRecord>(item).and_then(LedgerEntry::try_from)).collect()
}

impl Customers for ShopTable<'_> {
    async fn customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        let record: Option<CustomerRecord> = self.store.get(keys::customer(self.domain, id)).await?;
        record.map(Customer::try_from).transpose()
    }

    async fn owner(&self, identity: &Identity) -> StoreResult<Option<CustomerId>> {
        let owner: Option<CustomerIdRecord> = self.store.get(keys::identity(self.domain, identity)).await?;
        owner.map(|owner| owner.id()).transpose()
    }

    async fn customer_ids(&self) -> StoreResult<Vec<CustomerId>> {
        let items =
            self.store.query(keys::customers(self.domain), SortKey::Prefix(keys::CUSTOMER_LISTING_PREFIX)).await?;
        items.into_iter().map(|item| from_item::<CustomerIdRecord>(item)?.id()).collect()
    }

    async fn customer_and_rule(
        &self,
        customer: CustomerId,
        rule: RuleId,
    ) -> StoreResult<(Option<Customer>, Option<RedeemRule>)> {
        let (customer_key, rule_key) = (keys::customer(self.domain, customer), keys::rule(self.domain, rule));
        let items = self.store.get_many(vec![customer_key.clone(), rule_key]).await?;
        let (mut found_customer, mut found_rule) = (None, None);
        for item in items {
            let is_customer = item.get(PK.name()).and_then(|pk| pk.as_s().ok()) == Some(&customer_key.0)
                && sort_key(&item) == Some(customer_key.1.as_str());
            match is_customer {
                true => found_customer = Some(Customer::try_from(from_item::<CustomerRecord>(item)?)?),
                false => found_rule = Some(RedeemRule::try_from(from_item::<RuleRecord>(item)?)?),
            }
        }
        Ok((found_customer, found_rule))
    }
}

impl Rewards for ShopTable<'_> {
    /// Where rewards are kept in order, or else where they were kept before (a second read, for the rewards
    /// of that time only).
    async fn reward(&self, customer: CustomerId, id: RewardId) -> StoreResult<Option<Reward>> {
        let record: Option<RewardRecord> = self.store.get(keys::ordered_reward(self.domain, customer, id)).await?;
        if let Some(record) = record {
            return Reward::try_from(record).map(Some);
        }
        let record: Option<RewardRecord> = self.store.get(keys::unordered_reward(self.domain, customer, id)).await?;
        record.map(Reward::try_from).transpose()
    }

    async fn rewards_made(&self, ids: &[(CustomerId, RewardId)]) -> StoreResult<Vec<Reward>> {
        let keys = ids.iter().map(|(customer, id)| keys::ordered_reward(self.domain, *customer, *id)).collect();
        rewards(self.store.get_many(keys).await?)
    }

    async fn newest_rewards(
        &self,
        customer: CustomerId,
        before: Option<RewardId>,
        limit: usize,
    ) -> StoreResult<(Vec<Reward>, bool)> {
        let low = keys::ORDERED_REWARD_PREFIX.to_string();
        let high = match before {
            Some(id) => match RewardId::new(id.get() - 1) {
                Some(below) => keys::ordered_reward(self.domain, customer, below).1,
                None => return Ok((vec![], false)),
            },
            None => keys::ORDERED_REWARDS_END.to_string(),
        };
        let (items, more) = self.newest_first(customer, (low, high), limit).await?;
        Ok((rewards(items)?, more))
    }

    /// Their sort keys are `REWARD#` and digits: the range below the ordered ones, which it never reads.
    async fn unordered_rewards(&self, customer: CustomerId) -> StoreResult<Vec<Reward>> {
        let partition = keys::customer_partition(self.domain, customer);
        let (low, high) = keys::UNORDERED_REWARDS;
        rewards(self.store.query(partition, SortKey::Between(low, high)).await?)
    }

    async fn code_owner(&self, code: &str) -> StoreResult<Option<(CustomerId, RewardId)>> {
        let owner: Option<CodeOwnerRecord> = self.store.get(keys::code(self.domain, code)).await?;
        owner.map(|owner| owner.owner()).transpose()
    }

    /// One query of the customer's partition from the profile on: the profile, then the rewards (the
    /// ledger's entries sort before it).
    async fn customer_with_rewards(&self, customer: CustomerId) -> StoreResult<Option<(Customer, Vec<Reward>)>> {
        let partition = keys::customer_partition(self.domain, customer);
        let mut items = self.store.query(partition, SortKey::From(keys::PROFILE)).await?;
        let Some(position) = items.iter().position(|item| sort_key(item) == Some(keys::PROFILE)) else {
            return Ok(None);
        };
        let profile = Customer::try_from(from_item::<CustomerRecord>(items.swap_remove(position))?)?;
        items.retain(|item| sort_key(item).is_some_and(|sk| sk.starts_with(keys::REWARD_PREFIX)));
        Ok(Some((profile, rewards(items)?)))
    }
}

impl Ledgers for ShopTable<'_> {
    async fn ledger(&self, customer: CustomerId) -> StoreResult<Vec<LedgerEntry>> {
        let partition = keys::customer_partition(self.domain, customer);
        entries(self.store.query(partition, SortKey::Prefix(keys::LEDGER_PREFIX)).await?)
    }

    async fn ledger_page(
        &self,
        customer: CustomerId,
        before: Option<u64>,
        limit: usize,
    ) -> StoreResult<(Vec<LedgerEntry>, bool)> {
        let low = keys::ledger(self.domain, customer, 0).1;
        let high = match before {
            Some(seq) => keys::ledger(self.domain, customer, seq.saturating_sub(1)).1,
            None => format!("{}~", keys::LEDGER_PREFIX),
        };
        let (items, more) = self.newest_first(customer, (low, high), limit).await?;
        Ok((entries(items)?, more))
    }
}

impl ShopTable<'_> {
    /// At most `limit` items of the customer's partition in the sort-key range, from its top down, and whether
    /// more remain: one query, however long the range.
    async fn newest_first(
        &self,
        customer: CustomerId,
        (low, high): (String, String),
        limit: usize,
    ) -> StoreResult<(Vec<Item>, bool)> {
        let page = self
            .store
            .client
            .query()
            .table_name(&self.store.table)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#sk", SK.name())
            .expression_attribute_values(":pk", text(keys::customer_partition(self.domain, customer)))
            .expression_attribute_values(":low", text(low))
            .expression_attribute_values(":high", text(high))
            .scan_index_forward(false)
            // One more than asked, to tell whether more remain.
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await
            .map_err(failed)?;
        let mut items = page.items.unwrap_or_default();
        let more = items.len() > limit;
        items.truncate(limit);
        Ok((items, more))
    }
}

impl Rules for ShopTable<'_> {
    async fn rule(&self, id: RuleId) -> StoreResult<Option<RedeemRule>> {
        let record: Option<RuleRecord> = self.store.get(keys::rule(self.domain, id)).await?;
        record.map(RedeemRule::try_from).transpose()
    }

    async fn rules(&self) -> StoreResult<Vec<RedeemRule>> {
        let (pk, prefix) = keys::rules(self.domain);
        let items = self.store.query(pk, SortKey::Prefix(prefix)).await?;
        items.into_iter().map(|item| from_item::<RuleRecord>(item).and_then(RedeemRule::try_from)).collect()
    }

    async fn rule_by_alias(&self, alias: &RuleAlias) -> StoreResult<Option<RuleId>> {
        let record: Option<RuleIdRecord> = self.store.get(keys::rule_alias(self.domain, alias)).await?;
        record.map(|r| r.rule_id()).transpose()
    }

    async fn rule_aliases(&self) -> StoreResult<Vec<(RuleAlias, RuleId)>> {
        let (pk, prefix) = keys::rule_aliases(self.domain);
        let items = self.store.query(pk, SortKey::Prefix(prefix)).await?;
        // The alias is its item's key (written from a parsed alias); an item that cannot be read is passed
        // by, naming its rule by number rather than failing the list.
        let named = |item: Item| -> StoreResult<(RuleAlias, RuleId)> {
            let alias = sort_key(&item).and_then(|sk| sk.strip_prefix(prefix)).and_then(|a| RuleAlias::parse(a).ok());
            let alias = alias.ok_or_else(|| corrupt("an alias's item whose key is not an alias"))?;
            Ok((alias, from_item::<RuleIdRecord>(item)?.rule_id()?))
        };
        Ok(items.into_iter().filter_map(|item| named(item).ok()).collect())
    }

    async fn rule_deleted(&self, id: RuleId) -> StoreResult<bool> {
        Ok(self.store.get::<RuleIdRecord>(keys::deleted_rule(self.domain, id)).await?.is_some())
    }
}

impl ShopTable<'_> {
    async fn listed(
        &self,
        (low, high): (String, String),
        after: Option<&Position>,
        limit: usize,
    ) -> StoreResult<Page<Reward>> {
        let partitions = keys::listings(self.domain);
        let page = self.store.sharded_page(&partitions, true, (&low, &high), after, limit).await?;
        pages::read(page, |item| from_item::<RewardRecord>(item).and_then(Reward::try_from))
    }
}

impl Listings for ShopTable<'_> {
    async fn pending(&self, before: Time, after: Option<&Position>, limit: usize) -> StoreResult<Page<Reward>> {
        self.listed(keys::pending_until(before), after, limit).await
    }

    async fn in_review(&self) -> StoreResult<Vec<Reward>> {
        let mut all = Vec::new();
        for partition in keys::listings(self.domain) {
            all.extend(self.store.query_listing(partition, SortKey::Prefix(keys::REVIEW_LISTING_PREFIX)).await?);
        }
        rewards(all)
    }

    async fn expiring(&self, before: Time, after: Option<&Position>, limit: usize) -> StoreResult<Page<Reward>> {
        self.listed(keys::expiring_until(before), after, limit).await
    }

    async fn refunding(&self, before: Time, after: Option<&Position>, limit: usize) -> StoreResult<Page<Reward>> {
        self.listed(keys::refunding_until(before), after, limit).await
    }

    async fn lots_due(
        &self,
        since: Option<time::Date>,
        day: time::Date,
        after: Option<&Position>,
        limit: usize,
    ) -> StoreResult<Page<(CustomerId, time::Date)>> {
        let high = format!("{}{day}#~", keys::LOTS_PREFIX);
        // Past every listing of `since`: its customers' ids are digits, and `~` sorts after them.
        let low =
            since.map_or_else(|| keys::LOTS_PREFIX.to_string(), |since| format!("{}{since}#~", keys::LOTS_PREFIX));
        let partitions = keys::lot_listings(self.domain);
        let page = self.store.sharded_page(&partitions, false, (&low, &high), after, limit).await?;
        let read = |sk: &str| {
            let (day, customer) = sk.strip_prefix(keys::LOTS_PREFIX)?.split_once('#')?;
            let mut parts = day.splitn(3, '-').map(str::parse::<i32>);
            let (year, month, date) = (parts.next()?.ok()?, parts.next()?.ok()?, parts.next()?.ok()?);
            let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
            let day = time::Date::from_calendar_date(year, month, u8::try_from(date).ok()?).ok()?;
            Some((customer.parse().ok()?, day))
        };
        pages::read(page, |item| {
            sort_key(&item).and_then(read).ok_or_else(|| corrupt("a lot listing whose key does not read"))
        })
    }

    async fn customers_page(&self, after: Option<&Position>, limit: usize) -> StoreResult<Page<CustomerId>> {
        let high = format!("{}~", keys::CUSTOMER_LISTING_PREFIX);
        let (pk, low) = (keys::customers(self.domain), keys::CUSTOMER_LISTING_PREFIX);
        let range = Range { index: false, pk, low, high: &high };
        pages::read(self.store.page(range, after, limit).await?, |item| from_item::<CustomerIdRecord>(item)?.id())
    }

    async fn journal(
        &self,
        since: Option<Time>,
        until: Time,
        after: Option<&Position>,
        limit: usize,
    ) -> StoreResult<Page<(CustomerId, RewardId)>> {
        let (low, high) = keys::journal_between(since, until);
        let partitions = keys::journals(self.domain);
        let page = self.store.sharded_page(&partitions, true, (&low, &high), after, limit).await?;
        pages::read(page, |item| {
            let entry = from_item::<LedgerRecord>(item)?;
            let reward = entry.reward_id.and_then(RewardId::new);
            CustomerId::new(entry.customer_id).zip(reward).ok_or_else(|| corrupt("a journal entry of no reward"))
        })
    }

    async fn journal_read_to(&self) -> StoreResult<Option<Time>> {
        Ok(self.store.get::<JournalReadRecord>(keys::journal_read(self.domain)).await?.map(|read| read.read_to))
    }

    async fn set_journal_read_to(&self, to: Time) -> StoreResult<()> {
        let item = to_item(&JournalReadRecord { read_to: to }, keys::journal_read(self.domain))?;
        let put = self.store.client.put_item().table_name(&self.store.table).set_item(Some(item));
        put.send().await.map_err(failed)?;
        Ok(())
    }
}
