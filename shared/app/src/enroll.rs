//! Enrollment: a customer joins the loyalty program, or comes back to it.

use tally_domain::customer::{released, EnrollRefused, Enrolled, Enrollment, IdentityKind};
use tally_domain::effect::Effect;
use tally_domain::loyalty::Loyalty;
use tally_domain::shop::Shop;

use crate::error::{unavailable_into, ReadError, Unavailable};
use crate::idempotency::Attempt;
use crate::ports::write::IdentityWrite;
use crate::ports::{Claim, Committed, CustomerWrite, Rejection, ShopStore, Store, Write};
use crate::{crash_point, loyalty, Deps};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollError {
    #[error(transparent)]
    Refused(#[from] EnrollRefused),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_into!(EnrollError);

impl From<ReadError> for EnrollError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Unavailable(e) => EnrollError::Unavailable(e),
            // A customer just enrolled who cannot be read back is a store that lost a write.
            ReadError::Missing(_) | ReadError::ForeignCursor => EnrollError::Unavailable(Unavailable::Busy),
        }
    }
}

/// Enrolls the customer; a returning customer keeps their balance and rewards.
pub async fn enroll<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    enrollment: Enrollment,
    attempt: &Attempt,
) -> Result<(Loyalty, Enrolled), EnrollError> {
    if let Some(Effect::Customer { customer_id, outcome }) = attempt.resume {
        return Ok((loyalty::of(deps, shop, customer_id).await?, outcome));
    }
    let store = deps.store.shop(&shop.domain);
    let (customer_id, outcome) = join(&store, enrollment, attempt.claim.as_ref(), deps.now()).await?;
    crash_point("after-enroll");
    tracing::info!(%customer_id, ?outcome, "customer enrolled");
    Ok((loyalty::of(deps, shop, customer_id).await?, outcome))
}

/// Writes the enrollment: the record, each identifier it gives claimed (free or the customer's already),
/// each one a returning customer no longer has released (when it is still theirs), and the request's
/// effect, in one write.
pub(crate) async fn join(
    store: &impl ShopStore,
    enrollment: Enrollment,
    claim: Option<&Claim>,
    at: tally_domain::Time,
) -> Result<(tally_domain::ids::CustomerId, Enrolled), EnrollError> {
    let existing = store.customer(enrollment.customer_id).await?;
    let given = enrollment.identities();
    let (customer, outcome) = enrollment.apply(existing.as_ref(), at)?;
    let id = customer.customer_id;
    let mut identities: Vec<IdentityWrite> = given.into_iter().map(|i| IdentityWrite::Claim(i, id)).collect();
    if let Some(previous) = &existing {
        for old in released(previous, &customer) {
            if store.owner(&old).await? == Some(id) {
                identities.push(IdentityWrite::Release(old, id));
            }
        }
    }
    let record = match &existing {
        None => CustomerWrite::Enrolled(customer.clone()),
        Some(previous) => CustomerWrite::Replaced { customer: customer.clone(), read_version: previous.version },
    };
    let write = Write { identities, ..Write::customer(record) }
        .with_effect(claim, Effect::Customer { customer_id: id, outcome });
    let in_use = |kind: IdentityKind| customer.identity(kind).map(EnrollRefused::in_use);
    match store.commit(write).await? {
        Committed::Done => Ok((id, outcome)),
        Committed::Rejected(Rejection::CustomerExists | Rejection::Customer(_)) => {
            Err(EnrollRefused::AlreadyEnrolled(id).into())
        }
        Committed::Rejected(Rejection::Identity(kind)) => {
            Err(in_use(kind).unwrap_or(EnrollRefused::AlreadyEnrolled(id)).into())
        }
        Committed::Rejected(Rejection::ClaimLost) => Err(Unavailable::InProgress.into()),
        Committed::Rejected(_) => Err(Unavailable::Busy.into()),
    }
}
