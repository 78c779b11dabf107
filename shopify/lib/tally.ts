// What every Tally UI extension shares: the calls to Tally's extension routes (a session token as the bearer,
// an Idempotency-Key kept until a redemption's outcome is known), and the rules that turn Tally's answers
// into what a shopper reads. No Shopify global here, so that the logic is tested on its own.

export interface Reward {
  id: number;
  description: string;
  discountCode: string | null;
  status: 'UNUSED' | 'USED' | 'REFUNDED' | 'EXPIRED' | 'PENDING' | 'FAILED';
  pointsRedeemed: number;
  orderId: number | null;
  createAt: string;
}

export interface Loyalty {
  customerId: number;
  availablePoints: number;
  expiringPointsAmount?: number;
  pointsExpireAt?: string | null;
  currentVipTier?: string;
  rewards: Reward[];
}

export interface Option {
  id: number;
  name: string;
  pointsCost: number;
  rewardType: string;
  variable?: { pointsStep: number; minPoints: number; maxPoints: number } | null;
  variantIds?: number[];
  minimumSubtotal?: number | null;
  vipTier?: string;
  available: boolean;
  unavailableReason?: string;
  pointsNeeded?: number;
}

export interface Entry {
  kind: string;
  points: number;
  balanceAfter: number;
  reason: string;
  rewardId: number | null;
  orderId: number | null;
  createdAt: string;
}

export interface Redeemed extends Loyalty {
  reward: Reward;
}

/** The codes the extensions have words for (`errors.<code>` in each locale); any other is `errors.other`. */
export const SHOPPER_ERRORS = [
  'INSUFFICIENT_POINTS',
  'INVALID_POINTS',
  'SHOPIFY_UNAVAILABLE',
  'TRY_AGAIN',
  'SERVICE_UNAVAILABLE',
  'REQUEST_IN_PROGRESS',
  'IDEMPOTENCY_KEY_REUSED',
  'RULE_INACTIVE',
  'RULE_NOT_FOUND',
  'TIER_RESTRICTED',
  'CUSTOMER_EXCLUDED',
  'CUSTOMER_NOT_ENROLLED',
  'CUSTOMER_NOT_FOUND',
  'VARIANT_REQUIRED',
  'VARIANT_NOT_FOUND',
  'SHOP_UNINSTALLED',
  'NOT_LOGGED_IN',
  'UNAUTHORIZED',
  'NETWORK',
] as const;

/** The locale key of a problem's words: its code when the extensions have words for it. */
export function errorKey(problem: { code: string }): string {
  return (SHOPPER_ERRORS as readonly string[]).includes(problem.code) ? problem.code : 'other';
}

/** A refusal or failure as the shopper is told: a key into the extension's locale (`errors.<code>`). */
export class Problem extends Error {
  code: string;
  status: number;

  constructor(code: string, status: number) {
    super(code);
    this.code = code;
    this.status = status;
  }
}

/** What the extension needs from Shopify to call Tally: the API's URL and a fresh session token. */
export interface Door {
  apiUrl: string;
  token: () => Promise<string>;
  fetch?: typeof fetch;
}

/** Tally's answer: its status (200, or 202 for a reward Shopify has not confirmed yet) and body. */
interface Answer<T> {
  status: number;
  body: T;
}

async function call<T>(door: Door, path: string, init: RequestInit = {}): Promise<T> {
  return (await send<T>(door, path, init)).body;
}

async function send<T>(door: Door, path: string, init: RequestInit = {}): Promise<Answer<T>> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${await door.token()}`);
  let response: Response;
  try {
    response = await (door.fetch ?? fetch)(`${door.apiUrl.replace(/\/$/, '')}/api/extension/${path}`, {
      ...init,
      headers,
    });
  } catch {
    throw new Problem('NETWORK', 0);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Problem(body?.error?.code ?? 'SERVICE_UNAVAILABLE', response.status);
  }
  return { status: response.status, body: body as T };
}

export const loyalty = (door: Door) => call<Loyalty>(door, 'customer-loyalty');
export const options = (door: Door) => call<Option[]>(door, 'point-redeem-rules');
export const activity = (door: Door, limit = 10) =>
  call<{ entries: Entry[]; nextCursor?: string }>(door, `customer-activity?limit=${limit}`);

/** What the shopper chose: an option, with the points of a variable one and the variant of a free product. */
export interface Choice {
  option: Option;
  points?: number;
  variantId?: number;
}

/** What a redemption came to: done, or still pending at Shopify after the retries (keep the key). */
export interface Outcome {
  pending: boolean;
  answer: Redeemed;
}

/**
 * Redeems `choice` under `key`. A `202` (Shopify has not confirmed the reward yet) is asked again with the same
 * key, which answers the same redemption, up to `tries` times with a growing pause; the caller keeps the key
 * until the outcome is known (`settled`, or not `pending`), so a second tap, or a retry after a lost answer,
 * redeems once.
 */
export async function redeem(
  door: Door,
  choice: Choice,
  key: string,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
  tries = 4,
): Promise<Outcome> {
  const body: Record<string, number> = { redeemRuleId: choice.option.id };
  if (choice.points !== undefined) body.points = choice.points;
  if (choice.variantId !== undefined) body.variantId = choice.variantId;
  for (let attempt = 1; ; attempt++) {
    const answer = await send<Redeemed>(door, 'redeem-points', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify(body),
    });
    if (answer.status !== 202 || attempt >= tries) return { pending: answer.status === 202, answer: answer.body };
    await pause(500 * 2 ** attempt);
  }
}

/** The choice a key belongs to: another choice is another redemption, with a key of its own. */
export function choiceKey(choice: Choice): string {
  return `${choice.option.id}:${choice.points ?? ''}:${choice.variantId ?? ''}`;
}

/** Whether a failed redemption's outcome is known (keep the key for a retry when it is not). */
export function settled(problem: Problem): boolean {
  if (problem.status >= 400 && problem.status < 500) return problem.code !== 'REQUEST_IN_PROGRESS';
  return problem.code === 'SHOPIFY_UNAVAILABLE';
}

/** Whether a failed redemption may have gone through all the same: the balance shown should be read again. */
export function mayHaveRedeemed(problem: Problem): boolean {
  return !settled(problem) || problem.code === 'IDEMPOTENCY_KEY_REUSED';
}

/** The points a variable option may take, as its steps; empty for a fixed one. */
export function pointChoices(option: Option, balance: number): number[] {
  const range = option.variable;
  if (!range || range.pointsStep <= 0) return [];
  const top = Math.min(range.maxPoints, balance - (balance % range.pointsStep));
  const choices: number[] = [];
  for (let points = range.minPoints; points <= top && choices.length < 50; points += range.pointsStep) {
    choices.push(points);
  }
  return choices;
}

/** Why an option cannot be taken now, as a locale key and its values; `null` when it can. */
export function unavailable(
  option: Option,
): { key: string; values: Record<string, string | number>; count?: number } | null {
  if (option.available) return null;
  switch (option.unavailableReason) {
    case 'INSUFFICIENT_POINTS':
      return { key: 'reasons.insufficient', values: {}, count: option.pointsNeeded ?? 0 };
    case 'TIER_RESTRICTED':
      return { key: 'reasons.tier', values: { tier: option.vipTier ?? '' } };
    case 'CUSTOMER_EXCLUDED':
      return { key: 'reasons.excluded', values: {} };
    default:
      return { key: 'reasons.notMember', values: {} };
  }
}

/**
 * The rewards an order used and the points they cost: those Tally marked used by the order, and those whose
 * codes the order carries (on the thank-you page, before Shopify's order webhook has reached Tally).
 */
export function spentOn(rewards: Reward[], orderId: number | null, codes: string[]): { points: number; rewards: Reward[] } {
  const carried = new Set(codes.map((c) => c.toUpperCase()));
  const used = rewards.filter(
    (r) =>
      (orderId !== null && r.orderId === orderId) ||
      (r.discountCode !== null && carried.has(r.discountCode.toUpperCase()) && r.status !== 'FAILED'),
  );
  return { points: used.reduce((sum, r) => sum + r.pointsRedeemed, 0), rewards: used };
}

/** The options a checkout can apply now: a fixed cost, a code (not store credit or a product), a subtotal met. */
export function forCart(all: Option[], subtotal: number): Option[] {
  return all.filter(
    (o) =>
      !o.variable &&
      ['FIXED_AMOUNT', 'PERCENTAGE', 'FREE_SHIPPING'].includes(o.rewardType) &&
      (o.minimumSubtotal ?? 0) <= subtotal,
  );
}

/** Codes a shopper may still use: made, unused, not failed. */
export function usable(rewards: Reward[]): Reward[] {
  return rewards.filter((r) => r.status === 'UNUSED' && r.discountCode);
}

/** The numeric id of a Shopify GID (`gid://shopify/Order/5` is 5). */
export function idOf(gid: string | undefined | null): number | null {
  const id = Number(gid?.split('/').pop());
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** Points that expire together, and when. */
export interface Expiring {
  points: number;
  at: string;
}

/**
 * The balance the customer metafield `$app:tally.loyalty` holds (written by Tally's events), for a first paint
 * with no call; `null` when there is none or it is not Tally's shape.
 */
export function fromMetafield(value: unknown): { balance: number; nextExpiry: Expiring | null } | null {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return null;
    }
  }
  const record = parsed as { balance?: unknown; nextExpiry?: { points?: unknown; at?: unknown } | null } | null;
  if (!record || typeof record.balance !== 'number') return null;
  const next = record.nextExpiry;
  const nextExpiry =
    next && typeof next.points === 'number' && typeof next.at === 'string' ? { points: next.points, at: next.at } : null;
  return { balance: record.balance, nextExpiry };
}

/** A fresh Idempotency-Key. */
export function newKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
