//! One step on one leg: the trouble armed, the operation carried out as Tally's endpoints, webhooks and
//! jobs carry it out (keyed writes claim their key, answer, and keep the answer as the endpoint glue
//! does), a crash met by the retry a client or Shopify would make, and the outcome in words the other
//! leg's must equal.

use std::time::Duration;

use tally_api::errors::Problem;
use tally_app::adjust::{adjust, Adjustment};
use tally_app::idempotency::{self, Attempt, Begun, Keyed};
use tally_app::jobs::HOLD;
use tally_app::ports::store::{Answer, CLAIM_MILLIS};
use tally_app::ports::{Shopify, Store};
use tally_app::redeem::{self, Promised, Recorded, Redeemed};
use tally_app::refund::RefundCommand;
use tally_app::settle::DEFAULT_GRACE;
use tally_app::webhooks::{self, Event};
use tally_domain::customer::CustomerRef;
use tally_domain::ledger::Direction;
use tally_domain::order::Order;
use tally_domain::points::{Number, Points};
use tally_domain::redemption::RedeemCommand;
use tally_domain::shop::Shop;

use crate::book::{pick, Book, Delivery, InFlight, Placed, Request, Seen, Sent};
use crate::schedule::{Op, Step, Trouble};
use crate::shopify::ShopifyWorld;
use crate::trouble::Armed;
use crate::world::{customer_id, rule_id, variant, Leg};

/// What a step did, as the comparison of the legs and a failure's report read it.
pub type Outcome = String;

const CRASHED: &str = "crashed";

/// How an adjustment's ledger entry names the key (and session) it was made under.
pub const KEYED: &str = "key";

impl<S: Store, H: Shopify, W: ShopifyWorld> Leg<S, H, W> {
    /// Carries out step `n`; a crash is followed by the retry, with time enough for the dead claim to lapse.
    pub async fn step(&self, book: &mut Book, n: usize, step: &Step) -> Outcome {
        let armed = match step.trouble {
            Some(Trouble::Shopify(fault)) => {
                self.world.fail(fault).await;
                None
            }
            Some(Trouble::Crash { at, after }) => Some(Armed::Crash { at: at.into(), after }),
            Some(Trouble::StoreFails { at, after }) => Some(Armed::StoreFails { at: at.into(), after }),
            None => None,
        };
        self.plan.arm(armed);
        book.in_flight = None;
        let outcome = tokio::select! {
            biased;
            () = self.plan.crash() => CRASHED.to_string(),
            // Boxed: a step's future is deep, and the test threads' stacks are small.
            outcome = Box::pin(self.op(book, n, step.op)) => outcome,
        };
        self.plan.disarm();
        self.world.clear().await;
        if outcome != CRASHED {
            return outcome;
        }
        self.clock.advance(time::Duration::milliseconds(CLAIM_MILLIS + 1000));
        // What a client, Shopify or the scheduler does next: the same request, delivery or run again.
        let retried = match (step.op, book.in_flight.take()) {
            (Op::Expire | Op::Reconcile, _) => {
                self.clock.advance(time::Duration::try_from(HOLD).unwrap_or(time::Duration::MINUTE));
                Box::pin(self.op(book, n, step.op)).await
            }
            (_, Some(InFlight::Sent(sent))) => Box::pin(self.send(book, &sent)).await,
            (_, Some(InFlight::Delivery(delivery))) => Box::pin(self.deliver(book, &delivery)).await,
            (_, None) => "nothing to retry".into(),
        };
        format!("{CRASHED}, then {retried}")
    }

    async fn op(&self, book: &mut Book, n: usize, op: Op) -> Outcome {
        match op {
            Op::Redeem { shop, customer, rule, delayed } => {
                let command = redeem_command(customer, rule, delayed);
                self.send_new(book, shop.into(), format!("redeem-{n}"), Request::Redeem(command)).await
            }
            Op::Refund { pick: p } => match pick(&book.rewards, p).map(|i| book.rewards[i].clone()) {
                Some(seen) => {
                    let request = Request::Refund { customer: seen.customer, reward: seen.id };
                    self.send_new(book, seen.shop, format!("refund-{n}"), request).await
                }
                None => "no reward".into(),
            },
            Op::Order { pick: p } => self.order(book, p).await,
            Op::Cancel { pick: p } => match pick(&book.orders, p) {
                Some(i) if !book.orders[i].cancelled => {
                    book.orders[i].cancelled = true;
                    let placed = book.orders[i].clone();
                    book.deliver_later(placed.shop, Event::OrderCancelled(order(&placed)));
                    format!("order {} cancelled", placed.id)
                }
                _ => "no order".into(),
            },
            Op::RefundOrder { pick: p, full } => match pick(&book.orders, p).map(|i| book.orders[i].clone()) {
                Some(placed) => {
                    self.world.refund_order(&self.shops[placed.shop].domain, placed.id, full).await;
                    book.deliver_later(placed.shop, Event::RefundCreated { order_id: placed.id });
                    format!("order {} refunded (full: {full})", placed.id)
                }
                None => "no order".into(),
            },
            Op::Deliver { pick: p } => match pick(&book.waiting, p).map(|i| book.waiting[i].clone()) {
                Some(delivery) => self.deliver(book, &delivery).await,
                None => "nothing waiting".into(),
            },
            Op::Redeliver { pick: p } => match pick(&book.delivered, p).map(|i| book.delivered[i].clone()) {
                Some(delivery) => self.deliver(book, &delivery).await,
                None => "nothing delivered".into(),
            },
            Op::Add { shop, customer, points, expires_in_days } => {
                let request =
                    Request::Adjust { customer: customer_id(customer), points: points.into(), expires_in_days };
                self.send_new(book, shop.into(), format!("add-{n}"), request).await
            }
            Op::Remove { shop, customer, points } => {
                let request = Request::Adjust {
                    customer: customer_id(customer),
                    points: -i64::from(points),
                    expires_in_days: None,
                };
                self.send_new(book, shop.into(), format!("remove-{n}"), request).await
            }
            Op::Expire => match tally_app::expire::expire(&self.deps, None, self.deps.now(), None).await {
                Ok(report) => format!("{report:?}"),
                Err(e) => format!("expire failed: {e}"),
            },
            Op::Reconcile => {
                let run = tally_app::reconcile::reconcile(&self.deps, None, DEFAULT_GRACE, self.deps.now(), None);
                match run.await {
                    Ok(report) => format!("{report:?}"),
                    Err(e) => format!("reconcile failed: {e}"),
                }
            }
            Op::Advance { seconds } => {
                self.clock.advance(time::Duration::seconds(seconds.into()));
                format!("{seconds} s later")
            }
            Op::Retry { pick: p } => match pick(&book.sent, p).map(|i| book.sent[i].clone()) {
                Some(sent) => self.send(book, &sent).await,
                None => "nothing sent".into(),
            },
            Op::RedeemThenRefund { shop, customer, rule } => {
                let command = redeem_command(customer, rule, false);
                let redeemed = self.send_new(book, shop.into(), format!("redeem-{n}"), Request::Redeem(command)).await;
                let Some(reward) = book.reward_of_key.get(&format!("redeem-{n}")).copied() else {
                    return redeemed;
                };
                let request = Request::Refund { customer: customer_id(customer), reward };
                let refunded = self.send_new(book, shop.into(), format!("refund-{n}"), request).await;
                format!("{redeemed}; {refunded}")
            }
        }
    }

    async fn order(&self, book: &mut Book, p: u32) -> Outcome {
        let coded: Vec<&Seen> = book.rewards.iter().filter(|r| r.code.is_some()).collect();
        let Some(seen) = pick(&coded, p).map(|i| coded[i].clone()) else { return "no code".into() };
        let codes = vec![seen.code.clone().unwrap_or_default()];
        let domain = &self.shops[seen.shop].domain;
        match self.world.place_order(domain, &codes, seen.customer).await {
            Some((id, name)) => {
                let placed = Placed { shop: seen.shop, id, name, codes, cancelled: false };
                book.deliver_later(seen.shop, Event::OrderCreated(order(&placed)));
                book.orders.push(placed);
                format!("order {id} placed")
            }
            None => "order refused".into(),
        }
    }

    /// A delivery arrives; once handled it no longer waits.
    async fn deliver(&self, book: &mut Book, delivery: &Delivery) -> Outcome {
        book.in_flight = Some(InFlight::Delivery(delivery.clone()));
        let shop = &self.shops[delivery.shop];
        let received = webhooks::receive(&self.deps, shop, &delivery.id, Ok(delivery.event.clone()), None, None).await;
        book.in_flight = None;
        let outcome = match received {
            Ok(handled) => format!("handled {handled:?}"),
            Err(e) => return format!("webhook not handled: {}", problem(Problem::from(e))),
        };
        if let Some(i) = book.waiting.iter().position(|d| d.id == delivery.id) {
            let handled = book.waiting.remove(i);
            book.delivered.push(handled);
        }
        outcome
    }

    async fn send_new(&self, book: &mut Book, shop: usize, key: String, request: Request) -> Outcome {
        let sent = Sent { shop, key, request };
        book.sent.push(sent.clone());
        self.send(book, &sent).await
    }

    /// A keyed write, as the endpoint glue runs it: claim, run, answer, keep the answer unless it says
    /// to try again.
    async fn send(&self, book: &mut Book, sent: &Sent) -> Outcome {
        let shop = &self.shops[sent.shop];
        let session = book.sending(&sent.key, self.deps.now(), matches!(sent.request, Request::Redeem(_)));
        book.in_flight = Some(InFlight::Sent(sent.clone()));
        let keyed = Keyed { key: sent.key.clone(), fingerprint: format!("{:?}", sent.request) };
        let attempt = match idempotency::begin(&self.deps, &shop.domain, Some(&keyed)).await {
            Ok(Begun::Run(attempt)) => attempt,
            Ok(Begun::Replay(answer)) => return format!("replayed {}", answer.body),
            Err(e) => return problem(Problem::from(e)),
        };
        let (outcome, keep, held) = match self.request(book, sent, session, &attempt).await {
            Ok((status, outcome, held)) => (format!("{status} {outcome}"), status != 202, held),
            Err(e) => (problem(e.clone()), !e.is_transient(), false),
        };
        // An answer promised in the key's record, its reward issued, is kept already: as the endpoint does.
        if !held {
            let answer = keep.then(|| Answer { status: 200, body: outcome.clone() });
            idempotency::finish(&self.deps, &shop.domain, &attempt, answer.as_ref()).await;
        }
        book.in_flight = None;
        outcome
    }

    async fn request(
        &self,
        book: &mut Book,
        sent: &Sent,
        session: u32,
        attempt: &Attempt,
    ) -> Result<(u16, String, bool), Problem> {
        let shop = &self.shops[sent.shop];
        match &sent.request {
            Request::Redeem(command) => {
                let (redeemed, held) = self.redeem(shop, command, attempt).await?;
                let reward = &redeemed.reward;
                let seen = Seen {
                    shop: sent.shop,
                    customer: reward.customer_id,
                    id: reward.id,
                    code: reward.discount_code.clone(),
                };
                let same = book.rewarded(&sent.key, seen);
                let status = if reward.is_pending() { 202 } else { 200 };
                let outcome = format!("{}{}", described(&redeemed), if same { "" } else { " ANOTHER REWARD" });
                Ok((status, outcome, held))
            }
            Request::Refund { customer, reward } => {
                let command =
                    RefundCommand { customer: CustomerRef::Id(*customer), reward_id: *reward, reason: "sim".into() };
                let refunded = tally_app::refund::refund(&self.deps, shop, &command, attempt).await?;
                Ok((200, described(&refunded), false))
            }
            Request::Adjust { customer, points, expires_in_days } => {
                let adjustment = Adjustment {
                    customer: CustomerRef::Id(*customer),
                    points: Points::new("points", Number::Integer(points.abs()))
                        .unwrap_or_else(|_| unreachable!("a step's points")),
                    // The key in the ledger: the checks count what each key did.
                    reason: format!("{KEYED} {} #{session}", sent.key),
                    direction: if *points > 0 { Direction::Add } else { Direction::Remove },
                    expires_at: expires_in_days.map(|d| self.deps.now() + time::Duration::days(d.into())),
                };
                let loyalty = adjust(&self.deps, shop, &adjustment, attempt).await?;
                Ok((200, format!("{} points", loyalty.available_points()), false))
            }
        }
    }

    /// A redemption as its endpoint runs it, its answer promised where it can be: the redemption, and
    /// whether the key's record holds its answer already.
    async fn redeem(
        &self,
        shop: &Shop,
        command: &RedeemCommand,
        attempt: &Attempt,
    ) -> Result<(Redeemed, bool), Problem> {
        let prepared = redeem::prepare(&self.deps, shop, command).await;
        let issued = redeem::redeem_prepared(&self.deps, shop, command, prepared, attempt, Some(promised)).await?;
        let (answered, held) = (issued.redeemed.clone(), matches!(issued.promised, Some(Promised::Held(_))));
        match issued.record().await {
            Recorded::Changed(now) => Ok(((*now)?, false)),
            Recorded::NotRecorded => Ok((answered, false)),
            Recorded::Stands => Ok((answered, held)),
        }
    }
}

/// A refusal as a client reads it; a server error other than "try again" is marked for the checks.
fn problem(e: Problem) -> Outcome {
    let server_error = if e.status >= 500 && e.status != 503 { " SERVER ERROR" } else { "" };
    format!("{} {}{server_error}", e.status, e.code)
}

fn described(redeemed: &Redeemed) -> String {
    let reward = &redeemed.reward;
    format!("reward {} {} ({} points left)", reward.id, reward.status(), redeemed.loyalty.available_points())
}

/// A redemption's answer as `send` keeps it, for its promise: short, so that the fakes and DynamoDB Local
/// promise the same answers (each sizes the key's record its own way).
fn promised(redeemed: &Redeemed) -> Option<String> {
    Some(format!("200 {}", described(redeemed)))
}

fn redeem_command(customer: u8, rule: u8, delayed: bool) -> RedeemCommand {
    let variable = rule == 6;
    RedeemCommand {
        customer: CustomerRef::Id(customer_id(customer)),
        redeem_rule_id: rule_id(rule),
        points: variable.then(|| Points::new("points", Number::Integer(300)).unwrap_or_else(|_| unreachable!())),
        variant_id: (rule == 4).then(variant),
        // Store credit is given at once: a delayed one is refused before anything happens.
        delay_points_deduction: delayed && rule != 5,
    }
}

fn order(placed: &Placed) -> Order {
    Order { id: placed.id, name: placed.name.clone(), codes: placed.codes.clone() }
}

/// How long the lockstep's DynamoDB leg may wait for Shopify's held answers.
pub const SHOPIFY_REQUEST: Duration = Duration::from_millis(600);
/// And for each of its calls to Shopify in all: room for a throttled call's retry, none for a 503's.
pub const SHOPIFY_BUDGET: Duration = Duration::from_millis(1200);
