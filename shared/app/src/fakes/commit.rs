//! The fake store's writes, under exactly the conditions the DynamoDB store writes them: everything is
//! checked first, and only if every condition holds is anything changed. When several conditions fail,
//! the rejection names the first of: the claim, the customer, the reward, the code, an identity (in the
//! write's order), the rule; the DynamoDB store reports them in the same order.

use tally_domain::ids::CustomerId;

use super::store::{KeyRecord, ShopData};
use crate::ports::store::{Answer, Begin, Claim, NewKey, Taking, CLAIM_MILLIS, KEEP_ANSWER_SECONDS};
use crate::ports::write::{IdentityWrite, RuleWrite};
use crate::ports::{Committed, CustomerWrite, Rejection, RewardWrite, Write};

pub(super) fn commit(data: &mut ShopData, write: Write) -> Committed {
    if let Some(rejection) = refused(data, &write) {
        return Committed::Rejected(rejection);
    }
    apply(data, write);
    Committed::Done
}

/// The first condition of the write that does not hold, if any.
fn refused(data: &ShopData, write: &Write) -> Option<Rejection> {
    if let Some((claim, _)) = &write.effect {
        let held = data.keys_in_use.get(&claim.key);
        let free = match &claim.taking {
            Taking::Fresh(new) => held.is_none_or(|k| k.expires_at_s < new.now_s),
            Taking::Held => {
                held.is_some_and(|k| k.token.as_deref() == Some(claim.token.as_str()) && k.effect.is_none())
            }
        };
        if !free {
            return Some(Rejection::ClaimLost);
        }
    }
    let current = |id: CustomerId| data.customers.get(&id).cloned().map(Box::new);
    let at_version = |id: CustomerId, version: u64| data.customers.get(&id).is_some_and(|c| c.version == version);
    match &write.customer {
        Some(CustomerWrite::Changed(applied)) => {
            let id = applied.customer.customer_id;
            let ledger = data.ledgers.get(&id);
            let taken = applied.entries.iter().any(|e| ledger.is_some_and(|l| l.contains_key(&e.seq)));
            if !at_version(id, applied.read_version) || taken {
                return Some(Rejection::Customer(current(id)));
            }
        }
        Some(CustomerWrite::Enrolled(customer)) if data.customers.contains_key(&customer.customer_id) => {
            return Some(Rejection::CustomerExists)
        }
        Some(CustomerWrite::Replaced { customer, read_version })
            if !at_version(customer.customer_id, *read_version) =>
        {
            return Some(Rejection::Customer(current(customer.customer_id)))
        }
        Some(CustomerWrite::Unchanged { customer_id, version }) if !at_version(*customer_id, *version) => {
            return Some(Rejection::Customer(current(*customer_id)))
        }
        _ => {}
    }
    match &write.reward {
        Some(RewardWrite::New(reward)) if data.rewards.contains_key(&(reward.customer_id, reward.id)) => {
            return Some(Rejection::RewardIdTaken)
        }
        Some(RewardWrite::Changed(change)) => {
            let key = (change.reward.customer_id, change.reward.id);
            let now = data.rewards.get(&key);
            if !now.is_some_and(|r| r.version == change.read_version && change.from.contains(&r.status())) {
                return Some(Rejection::Reward(now.cloned().map(Box::new)));
            }
        }
        _ => {}
    }
    if write.code.as_ref().is_some_and(|code| data.codes.contains_key(&code.code.to_uppercase())) {
        return Some(Rejection::CodeTaken);
    }
    for identity in &write.identities {
        let (IdentityWrite::Claim(identity, id) | IdentityWrite::Release(identity, id)) = identity;
        if data.identities.get(identity).is_some_and(|owner| owner != id) {
            return Some(Rejection::Identity(identity.kind()));
        }
    }
    let rule_ok = match &write.rule {
        Some(RuleWrite::Create(rule) | RuleWrite::Import { rule, .. }) => !data.rules.contains_key(&rule.id),
        Some(RuleWrite::Replace(rule)) => data.rules.contains_key(&rule.id),
        Some(RuleWrite::Delete(id)) => data.rules.contains_key(id),
        None => true,
    };
    if !rule_ok {
        return Some(Rejection::Rule);
    }
    let Some(RuleWrite::Import { rule, alias }) = &write.rule else { return None };
    if data.deleted_rules.contains(&rule.id) {
        return Some(Rejection::RuleDeleted);
    }
    alias.as_ref().filter(|alias| data.rule_aliases.contains_key(alias)).map(|_| Rejection::RuleAlias)
}

fn apply(data: &mut ShopData, write: Write) {
    match write.customer {
        Some(CustomerWrite::Changed(applied)) => {
            let id = applied.customer.customer_id;
            let ledger = data.ledgers.entry(id).or_default();
            for entry in applied.entries {
                ledger.insert(entry.seq, entry);
            }
            for day in applied.new_days {
                data.lot_listings.insert((day, id));
            }
            data.customers.insert(id, applied.customer);
        }
        Some(CustomerWrite::Enrolled(customer)) => {
            data.customer_list.insert(customer.customer_id);
            data.customers.insert(customer.customer_id, customer);
        }
        Some(CustomerWrite::Replaced { customer, .. }) => {
            data.customers.insert(customer.customer_id, customer);
        }
        Some(CustomerWrite::Unchanged { .. }) | None => {}
    }
    match write.reward {
        Some(RewardWrite::New(reward)) => {
            if reward.journaled {
                // As the store: on the ledger entry that paid for it, which the store refuses to be without.
                let paid = data.ledgers.get(&reward.customer_id).is_some_and(|ledger| {
                    ledger.values().any(|entry| entry.reward_id == Some(reward.id) && entry.at == reward.create_at)
                });
                assert!(paid, "a journaled reward with no ledger entry to journal it in: the store refuses it");
                data.journal.insert((reward.create_at, reward.customer_id, reward.id));
            }
            data.rewards.insert((reward.customer_id, reward.id), reward);
        }
        Some(RewardWrite::Changed(change)) => {
            data.rewards.insert((change.reward.customer_id, change.reward.id), change.reward);
        }
        None => {}
    }
    if let Some(code) = write.code {
        data.codes.insert(code.code.to_uppercase(), (code.customer_id, code.reward_id));
    }
    if let Some((claim, effect)) = write.effect {
        match claim.taking {
            Taking::Fresh(new) => {
                let record = KeyRecord {
                    fingerprint: new.fingerprint,
                    token: Some(claim.token),
                    locked_until_ms: new.locked_until_ms,
                    expires_at_s: new.expires_at_s,
                    effect: Some(effect),
                    answer: None,
                    promise: write.promise,
                };
                data.keys_in_use.insert(claim.key, record);
            }
            Taking::Held => {
                if let Some(key) = data.keys_in_use.get_mut(&claim.key) {
                    (key.effect, key.promise) = (Some(effect), write.promise);
                }
            }
        }
    }
    for identity in write.identities {
        match identity {
            IdentityWrite::Claim(identity, id) => data.identities.insert(identity, id),
            IdentityWrite::Release(identity, _) => data.identities.remove(&identity),
        };
    }
    match write.rule {
        Some(RuleWrite::Create(rule) | RuleWrite::Replace(rule)) => {
            data.rules.insert(rule.id, rule);
        }
        Some(RuleWrite::Import { rule, alias }) => {
            if let Some(alias) = alias {
                data.rule_aliases.insert(alias, rule.id);
            }
            data.rules.insert(rule.id, rule);
        }
        Some(RuleWrite::Delete(id)) => {
            data.rules.remove(&id);
            data.deleted_rules.insert(id);
        }
        None => {}
    }
    if let Some((customer, day)) = write.unlist_lots {
        data.lot_listings.remove(&(day, customer));
    }
}

/// Reads a key as the DynamoDB store does: a fresh (or expired) one is left for the effect's write to take;
/// another request's is refused; an answered one is replayed; a live one is in progress; a lapsed one is
/// taken over.
/// `promises`: whether a promise is an answer to look at (`Idempotency::begin`), or was found not kept.
pub(super) fn begin(
    data: &mut ShopData,
    key: &str,
    fingerprint: &str,
    token: &str,
    now_ms: i64,
    promises: bool,
) -> Begin {
    let Some(old) = data.keys_in_use.get_mut(key).filter(|old| old.expires_at_s >= now_ms / 1000) else {
        let new = NewKey {
            fingerprint: fingerprint.into(),
            locked_until_ms: now_ms + CLAIM_MILLIS,
            expires_at_s: now_ms / 1000 + KEEP_ANSWER_SECONDS,
            now_s: now_ms / 1000,
        };
        return Begin::Run(Claim { key: key.into(), token: token.into(), taking: Taking::Fresh(new) });
    };
    if old.fingerprint != fingerprint {
        return Begin::Reused;
    }
    if let Some(answer) = &old.answer {
        return Begin::Replay(answer.clone());
    }
    if let (true, Some((effect, promise))) = (promises, old.effect.zip(old.promise.clone())) {
        return Begin::Promised { promise, effect };
    }
    if old.locked_until_ms > now_ms {
        return Begin::InProgress;
    }
    // A promise not kept goes with the take-over: the request taking over answers, and keeps its answer.
    (old.token, old.locked_until_ms, old.promise) = (Some(token.into()), now_ms + CLAIM_MILLIS, None);
    let claim = Claim { key: key.into(), token: token.into(), taking: Taking::Held };
    match old.effect {
        Some(effect) => Begin::Resume(claim, effect),
        None => Begin::Run(claim),
    }
}

/// Keeps the answer under a claim that recorded an effect (again, if it was kept before); a claim taken
/// over that recorded none frees its key.
pub(super) fn finish(data: &mut ShopData, claim: &Claim, answer: &Answer) {
    let Some(key) = data.keys_in_use.get_mut(&claim.key) else { return };
    if key.token.as_deref() == Some(claim.token.as_str()) && key.effect.is_some() {
        (key.answer, key.promise) = (Some(answer.clone()), None);
        return;
    }
    forget(data, claim);
}

pub(super) fn release(data: &mut ShopData, claim: &Claim) {
    if forget(data, claim) {
        return;
    }
    if let Some(key) = data.keys_in_use.get_mut(&claim.key).filter(|k| k.token.as_deref() == Some(claim.token.as_str()))
    {
        (key.locked_until_ms, key.answer, key.promise) = (0, None, None);
    }
}

/// Forgets the effect of the claim's request, if the claim is still its.
pub(super) fn restart(data: &mut ShopData, claim: &Claim) -> bool {
    match data.keys_in_use.get_mut(&claim.key) {
        Some(key) if key.token.as_deref() == Some(claim.token.as_str()) && key.effect.is_some() => {
            (key.effect, key.promise) = (None, None);
            true
        }
        _ => false,
    }
}

/// Frees a key whose request made no effect; `false` when it made one (or the claim was lost).
fn forget(data: &mut ShopData, claim: &Claim) -> bool {
    let mine_without_effect = data
        .keys_in_use
        .get(&claim.key)
        .is_some_and(|k| k.token.as_deref() == Some(claim.token.as_str()) && k.effect.is_none());
    if mine_without_effect {
        data.keys_in_use.remove(&claim.key);
    }
    mine_without_effect
}
