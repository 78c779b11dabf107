//! A redemption's answer: `200` with the reward, `202` while Shopify's outcome is not known. It goes out as
//! soon as Shopify has answered; the reward's outcome is recorded while the answer is kept for retries.

use tally_app::ports::{Shopify, Store};
use tally_app::redeem::{Issued, RedeemError, Redeemed};

use crate::endpoint::Reply;
use crate::errors::Problem;
use crate::views::RedeemedView;

/// The answer to a redemption, with the recording of its outcome still to do.
pub fn reply<'a, S: Store, H: Shopify>(issued: Result<Issued<'a, S, H>, RedeemError>) -> Result<Reply<'a>, Problem> {
    let issued = issued?;
    let answer = view(&issued.redeemed)?;
    Ok(answer.finishing(async move { issued.record().await.map(|now| view(&now?)) }))
}

fn view(redeemed: &Redeemed) -> Result<Reply<'static>, Problem> {
    // A reward Shopify has not confirmed yet is accepted, not done.
    let status = if redeemed.reward.is_pending() { 202 } else { 200 };
    Reply::json(status, &RedeemedView::from(redeemed.clone()))
}
