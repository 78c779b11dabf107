//! The import taken up where it stopped, after time passed: the ledger tells which of its lots are in,
//! passing over points that expired in between.

use tally_domain::customer::{CustomerStatus, Enrollment};
use tally_domain::ids::CustomerId;
use tally_domain::ledger::LedgerKind;
use time::Duration;

use super::{World, START};
use crate::expire::expire;
use crate::import::{customer, Imported, ImportedCustomer, ImportedLot};
use crate::ports::store::{Customers, Ledgers};
use crate::ports::Store;

const MOVED: u64 = 3001;

#[tokio::test]
async fn an_import_resumed_after_its_first_lot_expired_credits_the_rest_once() {
    let world = World::new().await;
    let soon = ImportedLot { points: 100, expires_at: Some(START + Duration::days(1)) };
    let kept = ImportedLot { points: 50, expires_at: None };
    let enrollment = Enrollment::new(MOVED, "moved@example.com", None, None, Some("Gold")).unwrap();
    let imported = ImportedCustomer { enrollment, status: CustomerStatus::Active, lots: vec![soon, kept] };
    let (deps, shop) = (&world.deps, &world.shop);

    // The first run stopped after the first lot (as a crash would leave it).
    let first = ImportedCustomer { lots: vec![soon], ..imported.clone() };
    assert_eq!(customer(deps, shop, first, false).await.unwrap(), Imported::Done);
    // Two days on, the expiry job has taken that lot.
    world.clock.advance(Duration::days(2));
    assert_eq!(expire(deps, None, deps.now(), None).await.unwrap().points_expired, 100);

    // The run taken up again credits the second lot alone; a third run changes nothing.
    assert_eq!(customer(deps, shop, imported.clone(), false).await.unwrap(), Imported::Done);
    assert_eq!(customer(deps, shop, imported, false).await.unwrap(), Imported::AlreadyThere);
    let store = deps.store.shop(&shop.domain);
    let id = CustomerId::new(MOVED).unwrap();
    let ledger = store.ledger(id).await.unwrap();
    let kinds: Vec<(LedgerKind, i64)> = ledger.iter().map(|e| (e.kind, e.delta)).collect();
    assert_eq!(kinds, vec![(LedgerKind::Credit, 100), (LedgerKind::PointsExpired, -100), (LedgerKind::Credit, 50)]);
    let moved = store.customer(id).await.unwrap().unwrap();
    assert_eq!((moved.available_at(deps.now()), moved.vip_tier.as_deref()), (50, Some("Gold")));
}
