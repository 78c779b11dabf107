// The extensions' logic, on its own: run by `node --test` (Node 22 strips the types).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as tally from './tally.ts';

const option = (changes: Partial<tally.Option>): tally.Option => ({
  id: 1,
  name: '$5 off',
  pointsCost: 500,
  rewardType: 'FIXED_AMOUNT',
  available: true,
  ...changes,
});

const reward = (changes: Partial<tally.Reward>): tally.Reward => ({
  id: 1,
  description: '$5 off',
  discountCode: 'DEMO-AAAA',
  status: 'UNUSED',
  pointsRedeemed: 500,
  orderId: null,
  createAt: '2026-12-01T00:00:00Z',
  ...changes,
});

function door(answers: { status: number; body: unknown }[], seen: Request[] = []): tally.Door {
  return {
    apiUrl: 'https://tally.example.com/',
    token: async () => 'token',
    fetch: (async (url: string, init: RequestInit) => {
      seen.push(new Request(url, init));
      const next = answers.shift();
      if (!next) throw new TypeError('offline');
      return new Response(JSON.stringify(next.body), { status: next.status });
    }) as typeof fetch,
  };
}

test('calls carry the session token and the key, to the extension routes', async () => {
  const seen: Request[] = [];
  const answer = { status: 200, body: { reward: reward({}), availablePoints: 2000 } };
  const done = await tally.redeem(door([answer], seen), { option: option({}), points: 600 }, 'key-1');
  assert.equal(done.pending, false);
  assert.equal(seen[0].url, 'https://tally.example.com/api/extension/redeem-points');
  assert.equal(seen[0].headers.get('authorization'), 'Bearer token');
  assert.equal(seen[0].headers.get('idempotency-key'), 'key-1');
  assert.deepEqual(await seen[0].json(), { redeemRuleId: 1, points: 600 });
});

test("Tally's refusals and a lost connection become problems the shopper is told", async () => {
  const refused = { status: 400, body: { error: { code: 'INSUFFICIENT_POINTS' } } };
  await assert.rejects(tally.loyalty(door([refused])), (e: tally.Problem) => e.code === 'INSUFFICIENT_POINTS');
  await assert.rejects(tally.loyalty(door([])), (e: tally.Problem) => e.code === 'NETWORK' && !tally.settled(e));
  const html = { status: 502, body: 'Bad gateway' };
  await assert.rejects(tally.loyalty(door([html])), (e: tally.Problem) => e.code === 'SERVICE_UNAVAILABLE');
});

test('a pending reward is asked again under the same key until Shopify confirms it', async () => {
  const seen: Request[] = [];
  const pending = { status: 202, body: { reward: reward({ status: 'PENDING', discountCode: null }), availablePoints: 2000 } };
  const done = { status: 200, body: { reward: reward({}), availablePoints: 2000 } };
  const pauses: number[] = [];
  const pause = async (ms: number) => void pauses.push(ms);
  const outcome = await tally.redeem(door([pending, pending, done], seen), { option: option({}) }, 'key-2', pause);
  assert.equal(outcome.pending, false);
  assert.equal(outcome.answer.reward.discountCode, 'DEMO-AAAA');
  assert.deepEqual(seen.map((r) => r.headers.get('idempotency-key')), ['key-2', 'key-2', 'key-2']);
  assert.deepEqual(pauses, [1000, 2000]);
  const still = await tally.redeem(door([pending, pending], []), { option: option({}) }, 'key-3', pause, 2);
  assert.equal(still.pending, true, 'still pending after the tries: the caller keeps the key');
});

test('another choice is another key; a lost answer or a reused key means reading the balance again', () => {
  const base = option({ variable: { pointsStep: 100, minPoints: 100, maxPoints: 900 } });
  assert.notEqual(tally.choiceKey({ option: base, points: 100 }), tally.choiceKey({ option: base, points: 200 }));
  assert.equal(tally.choiceKey({ option: base, points: 100 }), tally.choiceKey({ option: base, points: 100 }));
  assert.equal(tally.mayHaveRedeemed(new tally.Problem('NETWORK', 0)), true);
  assert.equal(tally.mayHaveRedeemed(new tally.Problem('IDEMPOTENCY_KEY_REUSED', 422)), true);
  assert.equal(tally.mayHaveRedeemed(new tally.Problem('INSUFFICIENT_POINTS', 400)), false);
});

test('a key is kept for a retry until the outcome is known', () => {
  assert.equal(tally.settled(new tally.Problem('INSUFFICIENT_POINTS', 400)), true);
  assert.equal(tally.settled(new tally.Problem('SHOPIFY_UNAVAILABLE', 503)), true);
  assert.equal(tally.settled(new tally.Problem('REQUEST_IN_PROGRESS', 409)), false);
  assert.equal(tally.settled(new tally.Problem('TRY_AGAIN', 503)), false);
  assert.equal(tally.settled(new tally.Problem('NETWORK', 0)), false);
});

test('a variable option offers its steps up to the balance', () => {
  const variable = option({ variable: { pointsStep: 100, minPoints: 200, maxPoints: 1000 } });
  assert.deepEqual(tally.pointChoices(variable, 650), [200, 300, 400, 500, 600]);
  assert.deepEqual(tally.pointChoices(variable, 5000).at(-1), 1000);
  assert.deepEqual(tally.pointChoices(variable, 100), []);
  assert.deepEqual(tally.pointChoices(option({}), 5000), []);
});

test('an unavailable option says why', () => {
  assert.equal(tally.unavailable(option({})), null);
  const short = option({ available: false, unavailableReason: 'INSUFFICIENT_POINTS', pointsNeeded: 100 });
  assert.deepEqual(tally.unavailable(short), { key: 'reasons.insufficient', values: {}, count: 100 });
  const tier = option({ available: false, unavailableReason: 'TIER_RESTRICTED', vipTier: 'Platinum' });
  assert.deepEqual(tally.unavailable(tier), { key: 'reasons.tier', values: { tier: 'Platinum' } });
});

test("an order's rewards are those it used or whose codes it carries", () => {
  const rewards = [
    reward({ id: 1, status: 'USED', orderId: 7 }),
    reward({ id: 2, discountCode: 'DEMO-BBBB', pointsRedeemed: 300 }),
    reward({ id: 3, discountCode: 'DEMO-CCCC', status: 'FAILED' }),
    reward({ id: 4, discountCode: 'DEMO-DDDD' }),
  ];
  const spent = tally.spentOn(rewards, 7, ['demo-bbbb', 'DEMO-CCCC']);
  assert.deepEqual(spent.rewards.map((r) => r.id), [1, 2]);
  assert.equal(spent.points, 800);
  assert.equal(tally.spentOn(rewards, null, []).points, 0);
});

test('checkout offers the fixed codes the subtotal reaches', () => {
  const all = [
    option({ id: 1, minimumSubtotal: 25 }),
    option({ id: 2, rewardType: 'STORE_CREDIT' }),
    option({ id: 3, rewardType: 'FREE_PRODUCT', variantIds: [1] }),
    option({ id: 4, rewardType: 'FREE_SHIPPING' }),
    option({ id: 5, variable: { pointsStep: 1, minPoints: 1, maxPoints: 9 } }),
  ];
  assert.deepEqual(tally.forCart(all, 20).map((o) => o.id), [4]);
  assert.deepEqual(tally.forCart(all, 25).map((o) => o.id), [1, 4]);
});

test("the metafield's balance is read when it is Tally's, and nothing else is", () => {
  const value = JSON.stringify({ balance: 2500, nextExpiry: { points: 500, at: '2027-01-01T00:00:00Z' }, version: 4 });
  assert.deepEqual(tally.fromMetafield(value), { balance: 2500, nextExpiry: { points: 500, at: '2027-01-01T00:00:00Z' } });
  assert.deepEqual(tally.fromMetafield({ balance: 0, nextExpiry: null }), { balance: 0, nextExpiry: null });
  for (const other of ['not json', '{"points": 5}', null, 42, '{"balance": "5"}']) {
    assert.equal(tally.fromMetafield(other), null, String(other));
  }
});

test('ids come out of GIDs and nothing else', () => {
  assert.equal(tally.idOf('gid://shopify/Order/5'), 5);
  assert.equal(tally.idOf('gid://shopify/Order/x'), null);
  assert.equal(tally.idOf(undefined), null);
});

test('every UI extension locale has words for every problem and the same keys in every language', async () => {
  const { readdir, readFile } = await import('node:fs/promises');
  const root = new URL('../extensions/', import.meta.url);
  const keys = (node: unknown, prefix = ''): string[] =>
    node && typeof node === 'object'
      ? Object.entries(node).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k))
      : [prefix];
  for (const handle of await readdir(root)) {
    if (!handle.startsWith('tally-')) continue;
    const folder = new URL(`${handle}/locales/`, root);
    const names = await readdir(folder).catch(() => [] as string[]);
    if (names.length === 0) continue;
    const locales = await Promise.all(names.map(async (n) => JSON.parse(await readFile(new URL(n, folder), 'utf8'))));
    for (const [i, locale] of locales.entries()) {
      for (const code of [...tally.SHOPPER_ERRORS, 'other']) {
        assert.equal(typeof locale.errors?.[code], 'string', `${handle}/${names[i]}: errors.${code}`);
      }
      assert.deepEqual(keys(locale).sort(), keys(locales[0]).sort(), `${handle}: ${names[i]} and ${names[0]}`);
    }
  }
  assert.equal(tally.errorKey({ code: 'SOMETHING_NEW' }), 'other');
  assert.equal(tally.errorKey({ code: 'NETWORK' }), 'NETWORK');
});
