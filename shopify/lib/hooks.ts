// The Preact side every Tally extension shares: its door to Tally from the `shopify` global's settings and
// session token, translation, and the balance the customer metafield holds for a first paint with no call.

import { useEffect, useState } from 'preact/hooks';
import * as tally from './tally.ts';

/** What every target's `shopify` global offers that these helpers use. */
export interface Host {
  settings: { value: Record<string, unknown> };
  sessionToken: { get(): Promise<string> };
  i18n: { translate(key: string, options?: Record<string, string | number>): string | unknown[] };
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

/** The shopper's words for a problem, from the extension's locale. */
export function errorText(host: Host, problem: tally.Problem): string {
  const known = String(host.i18n.translate(`errors.${problem.code}`));
  return known && !known.startsWith('errors.') ? known : String(host.i18n.translate('errors.other'));
}
