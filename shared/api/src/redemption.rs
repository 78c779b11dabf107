//! A redemption's answer: `200` with the reward, `202` while Shopify's outcome is not known. It goes out as
//! soon as Shopify has answered; the reward's outcome is recorded while the answer is kept for retries, or,
//! when the answer was promised with the points' transaction, is all there is left to write.

use tally_app::ports::{Shopify, Store};
use tally_app::redeem::{Issued, Promised, Recorded, RedeemError, Redeemed};

use crate::endpoint::Reply;
use crate::errors::Problem;
use crate::views::RedeemedView;

/// The answer to a redemption, with the recording of its outcome still to do.
pub fn reply<'a, S: Store, H: Shopify>(issued: Result<Issued<'a, S, H>, RedeemError>) -> Result<Reply<'a>, Problem> {
    let issued = issued?;
    let promised = issued.promised.clone();
    let answer = match &promised {
        Some(Promised::Held(answer)) => Reply::promised(answer.clone()),
        Some(Promised::Taken(answer)) => Reply::answer(answer.clone()),
        None => view(&issued.redeemed)?,
    };
    Ok(answer.finishing(async move {
        match issued.record().await {
            Recorded::Stands => None,
            // A promise holds once the reward is issued: until then its answer is kept as any other.
            Recorded::NotRecorded => match promised {
                Some(Promised::Held(answer)) => Some(Ok(Reply::answer(answer))),
                _ => None,
            },
            Recorded::Changed(now) => Some((*now).map_err(Problem::from).and_then(|now| view(&now))),
        }
    }))
}

/// How a redemption's answer is written, for its promise (`tally_app::redeem::Render`).
pub fn render(redeemed: &Redeemed) -> Option<String> {
    serde_json::to_string(&RedeemedView::from(redeemed.clone())).ok()
}

fn view(redeemed: &Redeemed) -> Result<Reply<'static>, Problem> {
    // A reward Shopify has not confirmed yet is accepted, not done.
    let status = if redeemed.reward.is_pending() { 202 } else { 200 };
    Reply::json(status, &RedeemedView::from(redeemed.clone()))
}
