// purchase.checkout.reductions.render-after (Shopify Plus): the balance (from the customer metafield, no call)
// and the options the cart qualifies for (one call); redeeming applies the code to the checkout.
import '@shopify/ui-extensions/preact';
import { render } from 'preact';
import { useRef, useState } from 'preact/hooks';

import * as tally from '../../../lib/tally.ts';
import { door, errorText, metafieldBalance, plural, useLoaded } from '../../../lib/hooks.ts';

export default async () => {
  render(<Reductions />, document.body);
};

function Reductions() {
  const { i18n } = shopify;
  const t = i18n.translate;
  const customer = shopify.buyerIdentity?.customer.value;
  const canCall = shopify.extension.capabilities.value.includes('network_access');
  const canApply = shopify.instructions.value.discounts.canUpdateDiscountCodes;
  const loaded = useLoaded(() => tally.options(door(shopify)), !!customer && canCall && canApply);
  const [busy, setBusy] = useState<number | null>(null);
  const [problem, setProblem] = useState<tally.Problem | null>(null);
  const [result, setResult] = useState<{ code: string; applied: boolean } | null>(null);
  const [balance, setBalance] = useState<number | null>(null);
  // The key of each option whose redemption's outcome is not known yet.
  const keys = useRef(new Map<number, string>());
  const [pending, setPending] = useState(false);
  if (!customer || !canCall || !canApply || !loaded || loaded instanceof tally.Problem) return null;
  const subtotal = Number(shopify.cost.subtotalAmount.value.amount);
  const options = tally.forCart(loaded, subtotal).filter((o) => o.available);
  const shown = balance ?? metafieldBalance(shopify)?.balance;
  if (options.length === 0 && !result) return null;

  async function redeem(option: tally.Option) {
    const key = keys.current.get(option.id) ?? tally.newKey();
    keys.current.set(option.id, key);
    setBusy(option.id);
    setProblem(null);
    setPending(false);
    try {
      const outcome = await tally.redeem(door(shopify), { option }, key);
      setBalance(outcome.answer.availablePoints);
      // A code Shopify has not confirmed is not applied; the next tap asks again under the same key.
      if (outcome.pending) return setPending(true);
      keys.current.delete(option.id);
      const code = outcome.answer.reward.discountCode;
      if (code) {
        const applied = await shopify.applyDiscountCodeChange({ type: 'addDiscountCode', code });
        setResult({ code, applied: applied.type === 'success' });
      }
    } catch (e) {
      const failed = e instanceof tally.Problem ? e : new tally.Problem('NETWORK', 0);
      if (tally.settled(failed)) keys.current.delete(option.id);
      setProblem(failed);
    } finally {
      setBusy(null);
    }
  }

  return (
    <s-stack gap="small-200">
      {shown !== undefined && (
        <s-text type="strong">{plural(shopify, 'reductions.balance', shown)}</s-text>
      )}
      {problem && <s-banner tone="critical">{errorText(shopify, problem)}</s-banner>}
      {pending && <s-banner tone="info">{t('reductions.pending')}</s-banner>}
      {result && (
        <s-banner tone={result.applied ? 'success' : 'info'}>
          {t(result.applied ? 'reductions.applied' : 'reductions.notApplied', { code: result.code })}
        </s-banner>
      )}
      {!result &&
        options.map((option) => (
          <s-button
            key={option.id}
            id={`redeem-${option.id}`}
            variant="secondary"
            disabled={busy !== null}
            loading={busy === option.id}
            onClick={() => redeem(option)}
          >
            {plural(shopify, 'reductions.redeem', option.pointsCost, { name: option.name })}
          </s-button>
        ))}
    </s-stack>
  );
}
