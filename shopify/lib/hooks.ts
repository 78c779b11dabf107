// The Preact side every Tally extension shares: its door to Tally from the `shopify` global's settings and
// session token, translation, and the balance the customer metafield holds for a first paint with no call.

import { useEffect, useState } from 'preact/hooks';
import * as tally from './tally.ts';

/** What every target's `shopify` global offers that these helpers use. */
export interface Host {
  settings: { value: Record<string, unknown> };
  sessionToken: { get(): Promise<string> };
  i18n: {
    translate(key: string, options?: Record<string, string | number>): string | unknown[];
    formatNumber(n: number): string;
  };
  appMetafields?: { value: { target: { type: string }; metafield: { namespace: string; key: string; value: unknown } }[] };
}

export function door(host: Host): tally.Door {
  return { apiUrl: String(host.settings.value.api_url ?? ''), token: () => host.sessionToken.get() };
}

/** The customer's balance from `$app:tally.loyalty`, when the shop's metafield has reached the page. */
export function metafieldBalance(host: Host): { balance: number; nextExpiry: tally.Expiring | null } | null {
  const entry = host.appMetafields?.value.find(
    (e) => e.target.type === 'customer' && e.metafield.key === 'loyalty' && e.metafield.namespace.endsWith('tally'),
  );
  return entry ? tally.fromMetafield(entry.metafield.value) : null;
}

/** A value loaded once from Tally: `undefined` while loading, a `Problem` when it failed. */
export function useLoaded<T>(load: () => Promise<T>, when = true): T | tally.Problem | undefined {
  const [value, setValue] = useState<T | tally.Problem | undefined>(undefined);
  useEffect(() => {
    if (!when) return;
    load().then(setValue, (e) => setValue(e instanceof tally.Problem ? e : new tally.Problem('NETWORK', 0)));
  }, [when]);
  return value;
}

/** The shopper's words for a problem, from the extension's locale (which has every code `tally.SHOPPER_ERRORS` names). */
export function errorText(host: Host, problem: tally.Problem): string {
  return String(host.i18n.translate(`errors.${tally.errorKey(problem)}`));
}

/**
 * A counted phrase (`{one, other}` in the locale, chosen by `count` as Shopify's translate does), with the
 * number formatted in the shopper's language as `points`.
 */
export function plural(host: Host, key: string, count: number, values: Record<string, string | number> = {}): string {
  return String(host.i18n.translate(key, { count, points: host.i18n.formatNumber(count), ...values }));
}
