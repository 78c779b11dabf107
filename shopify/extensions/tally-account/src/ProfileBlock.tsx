// customer-account.profile.block.render: the customer's points and next expiry, first from the metafield Tally
// keeps (no call, nothing moves), then from Tally; a link to the Rewards page.
import '@shopify/ui-extensions/preact';
import { render } from 'preact';

import * as tally from '../../../lib/tally.ts';
import { door, metafieldBalance, useLoaded } from '../../../lib/hooks.ts';

export default async () => {
  render(<ProfileBlock />, document.body);
};

function ProfileBlock() {
  const { i18n } = shopify;
  const first = metafieldBalance(shopify);
  const loaded = useLoaded(() => tally.loyalty(door(shopify)));
  const live = loaded instanceof tally.Problem ? undefined : loaded;
  if (loaded instanceof tally.Problem && !first) return null;
  const points = live?.availablePoints ?? first?.balance;
  const expiring = live
    ? live.pointsExpireAt && live.expiringPointsAmount
      ? { points: live.expiringPointsAmount, at: live.pointsExpireAt }
      : null
    : first?.nextExpiry;
  return (
    <s-section heading={i18n.translate('profile.heading')}>
      <s-stack gap="small-200">
        {points === undefined ? (
          <s-skeleton-paragraph />
        ) : (
          <s-text type="strong">{i18n.translate('profile.points', { points: i18n.formatNumber(points) })}</s-text>
        )}
        {expiring && (
          <s-text color="subdued">
            {i18n.translate('profile.expiring', {
              points: i18n.formatNumber(expiring.points),
              date: i18n.formatDate(new Date(expiring.at), { dateStyle: 'medium' }),
            })}
          </s-text>
        )}
        <s-link href="extension:/">{i18n.translate('profile.open')}</s-link>
      </s-stack>
    </s-section>
  );
}
