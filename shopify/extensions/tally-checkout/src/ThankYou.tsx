// purchase.thank-you.block.render (every plan): the points the order spent, by the codes it carries, and the
// balance left. Nothing for a guest, an order that used no rewards, or without network access.
import '@shopify/ui-extensions/preact';
import { render } from 'preact';

import * as tally from '../../../lib/tally.ts';
import { door, plural, useLoaded } from '../../../lib/hooks.ts';

export default async () => {
  render(<ThankYou />, document.body);
};

function ThankYou() {
  const { i18n } = shopify;
  const t = i18n.translate;
  const customer = shopify.buyerIdentity?.customer.value;
  const canCall = shopify.extension.capabilities.value.includes('network_access');
  const loaded = useLoaded(() => tally.loyalty(door(shopify)), !!customer && canCall);
  if (!customer || !loaded || loaded instanceof tally.Problem) return null;
  const codes = shopify.discountCodes.value.map((d) => d.code);
  const order = tally.idOf(shopify.orderConfirmation.value.order.id);
  const spent = tally.spentOn(loaded.rewards, order, codes);
  if (spent.rewards.length === 0) return null;
  return (
    <s-section heading={t('thankYou.heading')}>
      <s-stack gap="small-200">
        <s-text>{plural(shopify, 'thankYou.spent', spent.points)}</s-text>
        <s-text type="strong">{plural(shopify, 'thankYou.left', loaded.availablePoints)}</s-text>
      </s-stack>
    </s-section>
  );
}
