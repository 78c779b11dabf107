//! Point lots: a customer's available points, kept by when they expire. Points given with an expiry join
//! the lot of that UTC day (at the later of the two times, never earlier than promised); points without
//! one join the lot that never expires. A debit takes from the soonest-expiring lot first, lots without
//! expiry last, and says what it took, so that points given back return to the lots they came from.
//!
//! The lots live inside the customer's record, so a redemption writes nothing more than it did: their
//! number is bounded by `MAX_LOTS`, and past it the two dated lots closest in time merge into the later.

use super::Time;

/// The most lots a customer keeps, the one without expiry included.
pub const MAX_LOTS: usize = 12;

/// Points that expire together (`expires_at`), or never (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub points: i64,
    pub expires_at: Option<Time>,
}

/// A customer's lots: soonest expiry first, the lot without expiry last; no empty lot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lots(Vec<Lot>);

impl Lots {
    /// Lots as stored, put back in order (an empty or unordered list is read as it should be).
    pub fn from_lots(lots: impl IntoIterator<Item = Lot>) -> Lots {
        let mut all = Lots::default();
        for lot in lots {
            all.add(lot.points, lot.expires_at);
        }
        all
    }

    /// A record from before lots: its balance, as one lot that never expires.
    pub fn without_expiry(points: i64) -> Lots {
        Lots::from_lots([Lot { points, expires_at: None }])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Lot> {
        self.0.iter()
    }

    pub fn total(&self) -> i64 {
        self.0.iter().map(|l| l.points).sum()
    }

    /// The soonest-expiring lot, if any lot expires.
    pub fn next_expiring(&self) -> Option<Lot> {
        self.0.first().filter(|l| l.expires_at.is_some()).copied()
    }

    /// Adds points that expire at `expires_at` (or never).
    pub fn add(&mut self, points: i64, expires_at: Option<Time>) {
        if points <= 0 {
            return;
        }
        let expires_at = expires_at.map(|at| at.checked_to_offset(time::UtcOffset::UTC).unwrap_or(at));
        let same_day = |l: &Lot| match (l.expires_at, expires_at) {
            (Some(a), Some(b)) => a.date() == b.date(),
            (None, None) => true,
            _ => false,
        };
        match self.0.iter_mut().find(|l| same_day(l)) {
            Some(lot) => {
                lot.points += points;
                lot.expires_at = lot.expires_at.max(expires_at);
            }
            None => {
                self.0.push(Lot { points, expires_at });
                self.0.sort_by_key(|l| (l.expires_at.is_none(), l.expires_at));
                self.bound();
            }
        }
    }

    /// Past `MAX_LOTS`, merges the two dated lots closest in time into the later one: no point expires
    /// sooner than it was given to.
    fn bound(&mut self) {
        while self.0.len() > MAX_LOTS {
            let dated: Vec<(usize, Time)> =
                self.0.iter().enumerate().filter_map(|(i, l)| l.expires_at.map(|at| (i, at))).collect();
            let Some(closest) = dated.windows(2).min_by_key(|pair| pair[1].1 - pair[0].1).map(|pair| pair[0].0) else {
                return;
            };
            let merged = self.0.remove(closest);
            self.0[closest].points += merged.points;
        }
    }

    /// Takes `points`, soonest-expiring first; returns what came from which lot. Takes all there is when
    /// `points` is more.
    pub fn take(&mut self, mut points: i64) -> Vec<Lot> {
        let mut taken = Vec::new();
        for lot in &mut self.0 {
            if points <= 0 {
                break;
            }
            let part = lot.points.min(points);
            lot.points -= part;
            points -= part;
            taken.push(Lot { points: part, expires_at: lot.expires_at });
        }
        self.0.retain(|l| l.points > 0);
        taken
    }

    /// Gives back `points` that were taken as `from`: to the lots they came from, latest expiry first;
    /// what `from` does not account for (a reward from before lots) joins the lot without expiry.
    pub fn give_back(&mut self, mut points: i64, from: &[Lot]) {
        for lot in from.iter().rev() {
            let part = lot.points.min(points);
            self.add(part, lot.expires_at);
            points -= part;
        }
        self.add(points, None);
    }

    /// The points of the lots that have not expired at `at`: what the customer can spend then.
    pub fn unexpired_at(&self, at: Time) -> i64 {
        self.0.iter().filter(|l| l.expires_at.is_none_or(|e| e > at)).map(|l| l.points).sum()
    }

    /// The soonest-expiring lot that has not expired at `at`, if any lot expires after it.
    pub fn next_expiring_after(&self, at: Time) -> Option<Lot> {
        self.0.iter().find(|l| l.expires_at.is_some_and(|e| e > at)).copied()
    }

    /// The UTC days on which a lot expires.
    pub fn days(&self) -> Vec<time::Date> {
        self.0.iter().filter_map(|l| l.expires_at.map(|at| at.date())).collect()
    }

    /// Removes the lots that have expired at `at`; returns how many points they held.
    pub fn expire(&mut self, at: Time) -> i64 {
        let expired = self.0.iter().filter(|l| l.expires_at.is_some_and(|e| e <= at)).map(|l| l.points).sum();
        self.0.retain(|l| l.expires_at.is_none_or(|e| e > at));
        expired
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use time::Duration;

    use super::*;

    fn lots(lots: &[(i64, Option<Time>)]) -> Lots {
        Lots::from_lots(lots.iter().map(|&(points, expires_at)| Lot { points, expires_at }))
    }

    const JAN: Time = datetime!(2027-01-31 12:00 UTC);
    const MAR: Time = datetime!(2027-03-31 00:00 UTC);

    #[test]
    fn points_are_spent_soonest_expiring_first_and_those_without_expiry_last() {
        let mut held = lots(&[(100, None), (300, Some(MAR)), (200, Some(JAN))]);
        assert_eq!(held.iter().map(|l| l.points).collect::<Vec<_>>(), [200, 300, 100]);
        let taken = held.take(250);
        assert_eq!(taken, [Lot { points: 200, expires_at: Some(JAN) }, Lot { points: 50, expires_at: Some(MAR) }]);
        assert_eq!(held, lots(&[(250, Some(MAR)), (100, None)]));
        assert_eq!(held.next_expiring(), Some(Lot { points: 250, expires_at: Some(MAR) }));
    }

    #[test]
    fn points_given_back_return_to_their_lots_with_their_expiry() {
        let mut held = lots(&[(200, Some(JAN)), (300, Some(MAR)), (100, None)]);
        let taken = held.take(250);
        held.give_back(250, &taken);
        assert_eq!(held, lots(&[(200, Some(JAN)), (300, Some(MAR)), (100, None)]));
        // A reward from before lots, or more back than was taken: the rest never expires.
        held.give_back(40, &[]);
        assert_eq!(held.iter().last(), Some(&Lot { points: 140, expires_at: None }));
    }

    #[test]
    fn one_day_is_one_lot_at_its_latest_time_and_the_count_is_bounded() {
        let mut held = Lots::default();
        held.add(10, Some(JAN));
        held.add(5, Some(JAN + Duration::hours(6)));
        assert_eq!(held, lots(&[(15, Some(JAN + Duration::hours(6)))]), "never sooner than promised");
        for day in 1..=40 {
            held.add(1, Some(MAR + Duration::days(day)));
        }
        held.add(7, None);
        assert_eq!(held.iter().count(), MAX_LOTS);
        assert_eq!(held.total(), 15 + 40 + 7, "merging loses no point");
        assert_eq!(held.iter().last(), Some(&Lot { points: 7, expires_at: None }));
    }

    #[test]
    fn expiry_removes_exactly_the_lots_whose_time_has_come() {
        let mut held = lots(&[(200, Some(JAN)), (300, Some(MAR)), (100, None)]);
        assert_eq!(held.expire(JAN - Duration::seconds(1)), 0);
        assert_eq!(held.expire(JAN), 200);
        assert_eq!(held.expire(JAN), 0, "once");
        assert_eq!(held, lots(&[(300, Some(MAR)), (100, None)]));
    }

    #[test]
    fn what_can_be_spent_at_a_time_leaves_out_the_lots_expired_by_then() {
        let held = lots(&[(200, Some(JAN)), (300, Some(MAR)), (100, None)]);
        assert_eq!(held.unexpired_at(JAN - Duration::seconds(1)), 600);
        assert_eq!(held.unexpired_at(JAN), 400, "a lot stops counting at its time, not at the next run");
        assert_eq!(held.next_expiring_after(JAN), Some(Lot { points: 300, expires_at: Some(MAR) }));
        assert_eq!(held.next_expiring_after(MAR), None);
    }
}
