// customer-account.page.render: the full Rewards page. The balance, the options with what each costs and why
// one is unavailable, redeeming (points for a variable option, a product for a free one, by name), the code
// with copy, the codes still to use and the activity.
import '@shopify/ui-extensions/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

import * as tally from '../../../lib/tally.ts';
import { door, errorText, plural } from '../../../lib/hooks.ts';

export default async () => {
  render(<RewardsPage />, document.body);
};

interface Loaded {
  loyalty: tally.Loyalty;
  options: tally.Option[];
  entries: tally.Entry[];
}

/** Product names by variant id, from the Storefront API. */
async function variantNames(ids: number[]): Promise<Record<number, string>> {
  if (ids.length === 0) return {};
  const gids = ids.map((id) => `gid://shopify/ProductVariant/${id}`);
  const query = `query Names($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id title product { title } } } }`;
  type Node = { id: string; title: string; product: { title: string } } | null;
  const answer = await shopify.query<{ nodes: Node[] }>(query, { variables: { ids: gids } });
  const names: Record<number, string> = {};
  for (const node of answer.data?.nodes ?? []) {
    const id = tally.idOf(node?.id);
    if (node && id) names[id] = node.title && node.title !== 'Default Title' ? `${node.product.title} (${node.title})` : node.product.title;
  }
  return names;
}

async function loadAll(): Promise<Loaded> {
  const [loyalty, options, page] = await Promise.all([
    tally.loyalty(door(shopify)),
    tally.options(door(shopify)),
    tally.activity(door(shopify)),
  ]);
  return { loyalty, options, entries: page.entries };
}

function RewardsPage() {
  const { i18n } = shopify;
  const t = i18n.translate;
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [problem, setProblem] = useState<tally.Problem | null>(null);
  const [names, setNames] = useState<Record<number, string>>({});
  const [choices, setChoices] = useState<Record<number, { points?: number; variantId?: number }>>({});
  const [busy, setBusy] = useState<number | null>(null);
  // The key of each choice whose redemption's outcome is not known yet.
  const keys = useRef(new Map<string, string>());
  const [redeemed, setRedeemed] = useState<tally.Reward | null>(null);
  const [pending, setPending] = useState(false);

  const refresh = () =>
    loadAll().then(setLoaded, (e) => setProblem(e instanceof tally.Problem ? e : new tally.Problem('NETWORK', 0)));
  useEffect(() => {
    refresh();
  }, []);
  useEffect(() => {
    const ids = [...new Set((loaded?.options ?? []).flatMap((o) => o.variantIds ?? []))];
    variantNames(ids).then(setNames, () => setNames({}));
  }, [loaded?.options.length]);

  async function redeem(option: tally.Option) {
    const choice = choices[option.id] ?? {};
    const balance = loaded?.loyalty.availablePoints ?? 0;
    const points = option.variable ? (choice.points ?? tally.pointChoices(option, balance)[0]) : undefined;
    const variantId = option.variantIds?.length ? (choice.variantId ?? option.variantIds[0]) : undefined;
    const chosen = { option, points, variantId };
    const id = tally.choiceKey(chosen);
    const key = keys.current.get(id) ?? tally.newKey();
    keys.current.set(id, key);
    setBusy(option.id);
    setProblem(null);
    setPending(false);
    try {
      const outcome = await tally.redeem(door(shopify), chosen, key);
      if (outcome.pending) setPending(true);
      else keys.current.delete(id);
      setRedeemed(outcome.answer.reward);
      await refresh();
    } catch (e) {
      const failed = e instanceof tally.Problem ? e : new tally.Problem('NETWORK', 0);
      if (tally.settled(failed)) keys.current.delete(id);
      setProblem(failed);
      if (tally.mayHaveRedeemed(failed)) await refresh();
    } finally {
      setBusy(null);
    }
  }

  const balance = loaded?.loyalty.availablePoints;
  return (
    <s-page heading={t('page.title')}>
      <s-stack gap="base">
        <s-section>
          {balance !== undefined && <s-heading>{plural(shopify, 'page.balance', balance)}</s-heading>}
          {balance === undefined && !problem && <s-text>{t('page.loading')}</s-text>}
          {loaded?.loyalty.pointsExpireAt && loaded.loyalty.expiringPointsAmount ? (
            <s-text color="subdued">
              {plural(shopify, 'page.expiring', loaded.loyalty.expiringPointsAmount, {
                date: i18n.formatDate(new Date(loaded.loyalty.pointsExpireAt), { dateStyle: 'medium' }),
              })}
            </s-text>
          ) : null}
        </s-section>
        {problem && <s-banner tone="critical">{errorText(shopify, problem)}</s-banner>}
        {redeemed && <Redeemed reward={redeemed} pending={pending} />}
        {loaded && (
          <s-section heading={t('options.heading')}>
            <s-stack gap="base">
              {loaded.options.length === 0 && <s-text>{t('options.none')}</s-text>}
              {loaded.options.map((option) => (
                <OptionRow
                  key={option.id}
                  option={option}
                  balance={loaded.loyalty.availablePoints}
                  names={names}
                  choice={choices[option.id] ?? {}}
                  choose={(choice) => setChoices({ ...choices, [option.id]: { ...choices[option.id], ...choice } })}
                  busy={busy === option.id}
                  redeem={() => redeem(option)}
                />
              ))}
            </s-stack>
          </s-section>
        )}
        {loaded && <Codes rewards={tally.usable(loaded.loyalty.rewards)} />}
        {loaded && <Activity entries={loaded.entries} />}
      </s-stack>
    </s-page>
  );
}

interface RowProps {
  option: tally.Option;
  balance: number;
  names: Record<number, string>;
  choice: { points?: number; variantId?: number };
  choose: (choice: { points?: number; variantId?: number }) => void;
  busy: boolean;
  redeem: () => void;
}

function OptionRow({ option, balance, names, choice, choose, busy, redeem }: RowProps) {
  const { i18n } = shopify;
  const t = i18n.translate;
  const why = tally.unavailable(option);
  const steps = tally.pointChoices(option, balance);
  const cost = option.variable
    ? t('options.range', { min: i18n.formatNumber(option.variable.minPoints), max: i18n.formatNumber(option.variable.maxPoints) })
    : plural(shopify, 'options.cost', option.pointsCost);
  return (
    <s-box id={`option-${option.id}`} padding="base" border="base" borderRadius="base">
      <s-stack gap="small-200">
        <s-text type="strong">{option.name}</s-text>
        <s-text color="subdued">{cost}</s-text>
        {why && <s-text tone="critical">{why.count === undefined ? t(why.key, why.values) : plural(shopify, why.key, why.count)}</s-text>}
        {!why && steps.length > 0 && (
          <s-select
            label={t('options.points')}
            value={String(choice.points ?? steps[0])}
            onChange={(e) => choose({ points: Number((e.currentTarget as HTMLSelectElement).value) })}
          >
            {steps.map((points) => (
              <s-option key={points} value={String(points)}>
                {i18n.formatNumber(points)}
              </s-option>
            ))}
          </s-select>
        )}
        {!why && (option.variantIds?.length ?? 0) > 0 && (
          <s-select
            label={t('options.product')}
            value={String(choice.variantId ?? option.variantIds?.[0])}
            onChange={(e) => choose({ variantId: Number((e.currentTarget as HTMLSelectElement).value) })}
          >
            {option.variantIds?.map((id) => (
              <s-option key={id} value={String(id)}>
                {names[id] ?? `#${id}`}
              </s-option>
            ))}
          </s-select>
        )}
        <s-button variant="primary" disabled={!!why || busy} loading={busy} onClick={redeem}>
          {t('options.redeem')}
        </s-button>
      </s-stack>
    </s-box>
  );
}

function Redeemed({ reward, pending }: { reward: tally.Reward; pending: boolean }) {
  const t = shopify.i18n.translate;
  let text = t('redeemed.pending');
  if (!pending && reward.discountCode) text = t('redeemed.code', { code: reward.discountCode });
  else if (!pending && reward.status === 'UNUSED') text = t('redeemed.credit');
  return (
    <s-banner tone={pending ? 'info' : 'success'} heading={pending ? undefined : t('redeemed.heading')}>
      <s-stack gap="small-200">
        <s-text>{text}</s-text>
        {!pending && reward.discountCode && <Copy id={`redeemed-${reward.id}`} code={reward.discountCode} />}
      </s-stack>
    </s-banner>
  );
}

function Copy({ id, code }: { id: string; code: string }) {
  const t = shopify.i18n.translate;
  const [copied, setCopied] = useState(false);
  return (
    <s-stack direction="inline" gap="small-200">
      <s-clipboard-item id={id} text={code} onCopy={() => setCopied(true)} />
      <s-button command="--copy" commandFor={id}>
        {t('rewards.copy')}
      </s-button>
      {copied && <s-text color="subdued">{t('rewards.copied')}</s-text>}
    </s-stack>
  );
}

function Codes({ rewards }: { rewards: tally.Reward[] }) {
  const t = shopify.i18n.translate;
  return (
    <s-section heading={t('rewards.heading')}>
      <s-stack gap="small-200">
        {rewards.length === 0 && <s-text color="subdued">{t('rewards.none')}</s-text>}
        {rewards.map((reward) => (
          <s-stack key={reward.id} gap="small-100">
            <s-text>
              {reward.description} · <s-text type="strong">{reward.discountCode}</s-text>
            </s-text>
            <Copy id={`code-${reward.id}`} code={reward.discountCode ?? ''} />
          </s-stack>
        ))}
      </s-stack>
    </s-section>
  );
}

function Activity({ entries }: { entries: tally.Entry[] }) {
  const { i18n } = shopify;
  const t = i18n.translate;
  return (
    <s-section heading={t('activity.heading')}>
      <s-stack gap="small-200">
        {entries.length === 0 && <s-text color="subdued">{t('activity.none')}</s-text>}
        {entries.map((entry, index) => (
          <s-stack key={index} direction="inline" gap="base">
            <s-text>{i18n.formatDate(new Date(entry.createdAt), { dateStyle: 'medium' })}</s-text>
            <s-text>{t(`activity.kind.${entry.kind}`)}</s-text>
            <s-text type="strong">{entry.points > 0 ? `+${i18n.formatNumber(entry.points)}` : i18n.formatNumber(entry.points)}</s-text>
          </s-stack>
        ))}
      </s-stack>
    </s-section>
  );
}
