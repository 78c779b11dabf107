// customer-account.profile.block.render: the customer's points and next expiry, and a link to the Rewards page
// (the extension tally-rewards-page). Nothing while loading, nothing if the customer is not a member.
import '@shopify/ui-extensions/preact';
import { render } from 'preact';

import * as tally from '../../../lib/tally.ts';
import { door, errorText, plural, useLoaded } from '../../../lib/hooks.ts';

export default async () => {
  render(<ProfileBlock />, document.body);
};

function ProfileBlock() {
  const { i18n } = shopify;
  const loaded = useLoaded(() => tally.loyalty(door(shopify)));
  if (loaded instanceof tally.Problem) {
    return loaded.code === 'CUSTOMER_NOT_FOUND' ? null : <s-text color="subdued">{errorText(shopify, loaded)}</s-text>;
  }
  const expiring =
    loaded?.pointsExpireAt && loaded.expiringPointsAmount
      ? { points: loaded.expiringPointsAmount, at: loaded.pointsExpireAt }
      : null;
  return (
    <s-section heading={i18n.translate('profile.heading')}>
      <s-stack gap="small-200">
        {loaded === undefined ? (
          <s-skeleton-paragraph />
        ) : (
          <s-text type="strong">{plural(shopify, 'profile.points', loaded.availablePoints)}</s-text>
        )}
        {expiring && (
          <s-text color="subdued">
            {plural(shopify, 'profile.expiring', expiring.points, {
              date: i18n.formatDate(new Date(expiring.at), { dateStyle: 'medium' }),
            })}
          </s-text>
        )}
        <s-link href="extension://tally-rewards-page">{i18n.translate('profile.open')}</s-link>
      </s-stack>
    </s-section>
  );
}
