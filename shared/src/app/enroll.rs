//! Enrollment: a customer joins the loyalty program, or comes back to it.

use super::idempotency::Attempt;
use super::{crash_point, loyalty, now, Deps};
use crate::domain::customer::{Enrolled, Enrollment};
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::loyalty::Loyalty;
use crate::domain::shop::Shop;

/// Enrolls the customer; a returning customer keeps their balance and rewards.
pub async fn enroll(
    deps: &Deps,
    shop: &Shop,
    enrollment: Enrollment,
    attempt: &Attempt,
) -> Result<(Loyalty, Enrolled), TallyError> {
    if let Some(Effect::Customer { customer_id, outcome }) = attempt.resume {
        return Ok((loyalty::of(deps, shop, customer_id).await?, outcome));
    }
    let (customer, outcome) = deps.store.enroll(&shop.domain, enrollment, attempt.claim.as_ref(), now()).await?;
    crash_point("after-enroll");
    tracing::info!(customer_id = customer.customer_id, ?outcome, "customer enrolled");
    Ok((loyalty::of(deps, shop, customer.customer_id).await?, outcome))
}
