// customer-account.order-status.block.render: the points this order spent, the rewards it used, and what is
// left. Nothing for an order that used none.
import '@shopify/ui-extensions/preact';
import { render } from 'preact';

import * as tally from '../../../lib/tally.ts';
import { door, plural, useLoaded } from '../../../lib/hooks.ts';

export default async () => {
  render(<OrderBlock />, document.body);
};

function OrderBlock() {
  const { i18n } = shopify;
  const loaded = useLoaded(() => tally.loyalty(door(shopify)));
  if (!loaded || loaded instanceof tally.Problem) return null;
  const codes = shopify.discountCodes.value.map((d) => d.code);
  const spent = tally.spentOn(loaded.rewards, tally.idOf(shopify.order.value?.id), codes);
  if (spent.rewards.length === 0) return null;
  return (
    <s-section heading={i18n.translate('order.heading')}>
      <s-stack gap="small-200">
        <s-text>{plural(shopify, 'order.spent', spent.points)}</s-text>
        {spent.rewards.map((reward) => (
          <s-text key={reward.id} color="subdued">
            {reward.description}
            {reward.discountCode ? ` · ${reward.discountCode}` : ''}
          </s-text>
        ))}
        <s-text type="strong">{plural(shopify, 'order.left', loaded.availablePoints)}</s-text>
      </s-stack>
    </s-section>
  );
}
