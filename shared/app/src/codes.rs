//! A reward's code as Shopify holds it, asked before Tally ends a code (a refund, an expiry): a code an
//! order used is left for that order's webhook, and a discount deleted in Shopify's admin is already ended.

use tally_domain::reward::Reward;

use crate::ports::shopify::ShopifyResult;
use crate::ports::ShopifyShop;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Code {
    /// The reward has no code (store credit), or Shopify has no discount for it: nothing to end.
    Absent,
    /// Orders used it, as far as Shopify has counted.
    Used,
    /// No order used it yet; `active` when it still works at checkout.
    Unused { id: String, active: bool },
}

pub(crate) async fn in_shopify(shopify: &impl ShopifyShop, reward: &Reward) -> ShopifyResult<Code> {
    let Some(code) = reward.discount_code.as_deref() else { return Ok(Code::Absent) };
    Ok(match shopify.find_discount(code).await? {
        None => Code::Absent,
        Some(found) if found.uses > 0 => Code::Used,
        Some(found) => Code::Unused { id: found.id, active: found.active },
    })
}
