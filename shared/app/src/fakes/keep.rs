//! The fake store's markers, tokens, erasure, idempotency keys and writes.

use tally_domain::effect::Effect;
use tally_domain::ids::{CustomerId, OrderId};
use tally_domain::Time;

use super::store::FakeShopStore;
use crate::ports::store::*;
use crate::ports::{Committed, Write};

impl Markers for FakeShopStore<'_> {
    async fn mark_order_cancelled(&self, order: OrderId, _at: Time) -> StoreResult<()> {
        self.with(|data| data.cancelled_orders.insert(order));
        Ok(())
    }

    async fn order_cancelled(&self, order: OrderId) -> StoreResult<bool> {
        Ok(self.with(|data| data.cancelled_orders.contains(&order)))
    }

    async fn delivery_handled(&self, delivery: &str) -> StoreResult<bool> {
        Ok(self.with(|data| data.deliveries.contains(delivery)))
    }

    async fn record_delivery(&self, delivery: &str, _at: Time) -> StoreResult<()> {
        self.with(|data| data.deliveries.insert(delivery.to_string()));
        Ok(())
    }
}

impl Tokens for FakeShopStore<'_> {
    async fn shared_token(&self) -> StoreResult<Option<SharedToken>> {
        Ok(self.with(|data| data.token.clone()))
    }

    async fn lease_token(&self, now: Time, until: Time) -> StoreResult<Held> {
        Ok(self.with(|data| match data.lease {
            Some(lease) if lease >= now => Held::Elsewhere,
            _ => {
                data.lease = Some(until);
                Held::Taken
            }
        }))
    }

    async fn release_lease(&self, until: Time) -> StoreResult<()> {
        self.with(|data| {
            if data.lease == Some(until) {
                data.lease = None
            }
        });
        Ok(())
    }

    async fn share_token(&self, token: &SharedToken) -> StoreResult<()> {
        self.with(|data| (data.token, data.lease) = (Some(token.clone()), None));
        Ok(())
    }

    async fn forget_token(&self) -> StoreResult<()> {
        self.with(|data| (data.token, data.lease) = (None, None));
        Ok(())
    }
}

impl Erasure for FakeShopStore<'_> {
    async fn delete_customer(&self, customer: CustomerId) -> StoreResult<()> {
        self.with(|data| {
            data.identities.retain(|_, owner| *owner != customer);
            data.rewards.retain(|(c, _), _| *c != customer);
            data.codes.retain(|_, (c, _)| *c != customer);
            data.ledgers.remove(&customer);
            data.customers.remove(&customer);
            data.lot_listings.retain(|(_, c)| *c != customer);
            data.customer_list.remove(&customer);
        });
        Ok(())
    }

    async fn delete_shop(&self) -> StoreResult<()> {
        let mut world = self.store.world();
        world.keys.retain(|_, domain| domain != self.domain);
        world.shops.remove(self.domain);
        Ok(())
    }

    async fn begin_redaction(&self, at: Time) -> StoreResult<Created> {
        let mut world = self.store.world();
        Ok(match world.redactions.contains_key(self.domain) {
            true => Created::Exists,
            false => {
                world.redactions.insert(self.domain.clone(), at);
                Created::New
            }
        })
    }

    async fn end_redaction(&self) -> StoreResult<()> {
        self.store.world().redactions.remove(self.domain);
        Ok(())
    }
}

impl Writes for FakeShopStore<'_> {
    async fn commit(&self, write: Write) -> StoreResult<Committed> {
        Ok(self.with(|data| super::commit::commit(data, write)))
    }
}

impl Idempotency for FakeShopStore<'_> {
    async fn begin(&self, key: &str, fingerprint: &str, token: &str, now: Time) -> StoreResult<Begin> {
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        Ok(self.with(|data| super::commit::begin(data, key, fingerprint, token, now_ms, true)))
    }

    async fn begin_unpromised(&self, key: &str, fingerprint: &str, token: &str, now: Time) -> StoreResult<Begin> {
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        Ok(self.with(|data| super::commit::begin(data, key, fingerprint, token, now_ms, false)))
    }

    async fn finish(&self, claim: &Claim, answer: &Answer) -> StoreResult<()> {
        self.with(|data| super::commit::finish(data, claim, answer));
        Ok(())
    }

    async fn release(&self, claim: &Claim) -> StoreResult<()> {
        self.with(|data| super::commit::release(data, claim));
        Ok(())
    }

    async fn restart(&self, claim: &Claim) -> StoreResult<bool> {
        Ok(self.with(|data| super::commit::restart(data, claim)))
    }

    /// As the DynamoDB store sizes its records, near enough: a body of 2 KB deflates to about 700 bytes.
    fn promise_fits(&self, claim: &Claim, _: &Effect, promise: &Promise) -> bool {
        matches!(claim.taking, Taking::Fresh(_)) && promise.body.len() <= 2_048
    }
}
