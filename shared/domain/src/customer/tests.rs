use time::macros::datetime;

use super::*;
use crate::ids::RewardId;

fn enrollment(email: &str) -> Enrollment {
    Enrollment::new(7, email, None, None, Some("  Gold ")).unwrap()
}

fn customer() -> Customer {
    enrollment("a@b.co").apply(None, Time::UNIX_EPOCH).unwrap().0
}

fn reward(n: u64) -> RewardId {
    RewardId::from_entropy(n)
}

#[test]
fn an_enrollment_is_normalised_or_refused_with_its_reason() {
    let checked = Enrollment::new(7, "Ana@Example.com", None, None, Some(" Gold ")).unwrap();
    assert_eq!((checked.email.as_str(), checked.vip_tier.as_deref()), ("ana@example.com", Some("Gold")));
    assert_eq!(Enrollment::new(7, "nope", None, None, None), Err(EnrollmentError::Email));
    assert_eq!(Enrollment::new(7, "a@b.co", Some("4155552671"), None, None), Err(EnrollmentError::Phone));
    assert_eq!(Enrollment::new(0, "a@b.co", None, None, None), Err(EnrollmentError::CustomerId));
}

#[test]
fn a_returning_customer_keeps_the_balance_and_what_they_do_not_give_again() {
    let mut left = customer();
    left.status = CustomerStatus::Inactive;
    left.available_points = 300;
    left.phone = Phone::parse("+14155552671");
    let again = Enrollment::new(7, "new@b.co", None, Some("POS-1"), None).unwrap();
    let (back, outcome) = again.apply(Some(&left), Time::UNIX_EPOCH).unwrap();
    assert_eq!((outcome, back.available_points, back.version), (Enrolled::Reactivated, 300, left.version + 1));
    assert_eq!(back.phone, left.phone, "a phone not given again stays");
    assert_eq!(released(&left, &back), [Identity::Email(Email::parse("a@b.co").unwrap())]);
    let enrolled = enrollment("a@b.co").apply(Some(&back), Time::UNIX_EPOCH);
    assert_eq!(enrolled, Err(EnrollRefused::AlreadyEnrolled(back.customer_id)));
}

#[test]
fn each_change_moves_the_counters_and_writes_the_next_ledger_entry() {
    let at = Time::UNIX_EPOCH;
    let apply = |c: &Customer, change| c.apply(&change, at).map(|a| (a.customer, a.entries)).unwrap();
    let (credited, first) = apply(&customer(), BalanceChange::adjust(1000, "welcome"));
    let (reserved, second) = apply(&credited, BalanceChange::reserve(300, reward(9)));
    let (spent, third) = apply(&reserved, BalanceChange::spend_reservation(300, reward(9), "order #1"));
    assert_eq!((first[0].seq, second[0].seq, third[0].seq), (1, 2, 3));
    assert_eq!((second[0].kind, second[0].delta, second[0].reserved_delta), (LedgerKind::Reserve, -300, 300));
    assert_eq!((spent.available_points, spent.reserved_points, spent.spent_points), (700, 0, 300));
    assert_eq!((spent.credited_points, spent.version, third[0].balance_after), (1000, 3, 700));
}

#[test]
fn what_is_refused_moves_nothing() {
    let mut poor = customer();
    poor.available_points = 10;
    poor.lots = Lots::without_expiry(10);
    let short = poor.apply(&BalanceChange::redeem(11, reward(1)), Time::UNIX_EPOCH);
    assert_eq!(short, Err(Refused::InsufficientPoints { available: 10, required: 11 }));
    let mut gone = poor.clone();
    gone.status = CustomerStatus::Inactive;
    assert_eq!(gone.apply(&BalanceChange::adjust(5, "gift"), Time::UNIX_EPOCH), Err(Refused::NotEnrolled));
    assert!(gone.apply(&BalanceChange::reverse_redeem(5, reward(1), "failed"), Time::UNIX_EPOCH).is_ok());
    gone.status = CustomerStatus::Excluded;
    assert_eq!(gone.apply(&BalanceChange::redeem(1, reward(1)), Time::UNIX_EPOCH), Err(Refused::Excluded));
}

#[test]
fn lots_follow_the_points_and_points_given_back_return_to_their_lots() {
    let (at, soon, later) = (Time::UNIX_EPOCH, datetime!(2027-01-01 0:00 UTC), datetime!(2027-06-01 0:00 UTC));
    let apply = |c: &Customer, change: BalanceChange| c.apply(&change, at).unwrap();
    let mut c = customer();
    for (points, expiry) in [(100, Some(later)), (50, Some(soon)), (10, None)] {
        c = apply(&c, BalanceChange::adjust(points, "given").expiring(expiry)).customer;
    }
    let paid = apply(&c, BalanceChange::redeem(80, reward(1)));
    let (fifty, thirty) = (Lot { points: 50, expires_at: Some(soon) }, Lot { points: 30, expires_at: Some(later) });
    assert_eq!(paid.taken, [fifty, thirty]);
    let back = apply(&paid.customer, BalanceChange::reverse_redeem(80, reward(1), "failed").from_lots(&paid.taken));
    assert_eq!(back.customer.lots, c.lots, "back to the lots they came from");
}

#[test]
fn points_stop_counting_at_their_time_and_leave_with_the_next_change() {
    let (soon, later) = (datetime!(2027-01-01 0:00 UTC), datetime!(2027-06-01 0:00 UTC));
    let given = customer().apply(&BalanceChange::adjust(50, "given").expiring(Some(soon)), Time::UNIX_EPOCH).unwrap();
    let c = given.customer.apply(&BalanceChange::adjust(100, "given").expiring(Some(later)), Time::UNIX_EPOCH).unwrap();
    assert_eq!(given.new_days, [soon.date()], "a new day is listed for the expiry job");
    let c = c.customer;
    assert_eq!((c.available_at(soon - time::Duration::SECOND), c.available_at(soon)), (150, 100));
    assert_eq!(c.next_expiring(soon), Some(Lot { points: 100, expires_at: Some(later) }));
    let refused = c.apply(&BalanceChange::redeem(120, reward(1)), soon);
    assert_eq!(
        refused,
        Err(Refused::InsufficientPoints { available: 100, required: 120 }),
        "expired points are not spent"
    );
    let paid = c.apply(&BalanceChange::redeem(60, reward(1)), soon).unwrap();
    let kinds: Vec<_> = paid.entries.iter().map(|e| (e.kind, e.delta, e.balance_after)).collect();
    assert_eq!(kinds, [(LedgerKind::PointsExpired, -50, 100), (LedgerKind::Redeem, -60, 40)]);
    assert_eq!(paid.taken, [Lot { points: 60, expires_at: Some(later) }]);
    let back = paid.customer.apply(&BalanceChange::reverse_redeem(60, reward(1), "x").from_lots(&paid.taken), later);
    let kinds: Vec<_> = back.unwrap().entries.iter().map(|e| (e.kind, e.delta)).collect();
    assert_eq!(
        kinds,
        [(LedgerKind::PointsExpired, -40), (LedgerKind::RedeemReversed, 60), (LedgerKind::PointsExpired, -60)],
        "points given back to a lot whose time has come leave with it"
    );
}

#[test]
fn expiry_by_the_job_removes_what_has_expired_once() {
    let soon = datetime!(2027-01-01 0:00 UTC);
    let c = customer().apply(&BalanceChange::adjust(50, "given").expiring(Some(soon)), Time::UNIX_EPOCH).unwrap();
    let expired = c.customer.expire_lots(soon).unwrap();
    assert_eq!((expired.entries.len(), expired.customer.available_points), (1, 0));
    assert_eq!(expired.customer.expire_lots(soon), None, "nothing left to expire");
    assert_eq!(c.customer.expire_lots(soon - time::Duration::SECOND), None);
}

#[test]
fn no_counter_passes_javascripts_safe_integers() {
    let mut c = customer();
    c.available_points = MAX_SAFE_INTEGER - 10;
    c.credited_points = MAX_SAFE_INTEGER - 10;
    c.lots = Lots::without_expiry(c.available_points);
    assert!(c.apply(&BalanceChange::adjust(10, "to the brim"), Time::UNIX_EPOCH).is_ok());
    assert_eq!(c.apply(&BalanceChange::adjust(11, "one too many"), Time::UNIX_EPOCH), Err(Refused::BalanceTooLarge));
}
