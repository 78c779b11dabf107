// The stand-in host of a UI extension target: builds the `shopify` global the target's bundle reads (from the
// page's #host-config, which the emulator writes), defines the Polaris stand-ins, then loads the bundle and
// runs its default export, as Shopify does in its sandbox.
import './polaris.js';

// What went wrong in the extension, for the tests to see (an extension must degrade to nothing, not fail).
window.hostErrors = [];
window.addEventListener('error', (event) => window.hostErrors.push(String(event.message)));
window.addEventListener('unhandledrejection', (event) => window.hostErrors.push(String(event.reason)));

const config = JSON.parse(document.getElementById('host-config').textContent);

const can = (capability) => config.capabilities.includes(capability);

// The extension's calls to Tally, counted from the session token it asks for: the tests wait for them to
// settle and count them (a guest's checkout makes none; checkout's reductions make one at load). Without
// `network_access` a fetch fails, as in Shopify's sandbox.
window.hostCalls = { started: 0, settled: 0, tally: 0 };
const pageFetch = globalThis.fetch.bind(globalThis);
const counted = (work) => {
  window.hostCalls.started += 1;
  return work.finally(() => { window.hostCalls.settled += 1; });
};
globalThis.fetch = (input, init) => {
  if (!can('network_access')) return Promise.reject(new TypeError('network_access is not granted'));
  if (!String(input).startsWith(config.settings.api_url)) return pageFetch(input, init);
  window.hostCalls.tally += 1;
  return counted(pageFetch(input, init));
};
const signal = (value) => ({ value, subscribe: () => () => {} });

function lookup(key) {
  return key.split('.').reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), config.translations);
}

const i18n = {
  // Shopify's translate: `{one, other}` entries chosen by `count` (the language's plural rules).
  translate(key, options = {}) {
    let text = lookup(key);
    if (text && typeof text === 'object' && 'count' in options) {
      text = text[new Intl.PluralRules(config.locale).select(Number(options.count))] ?? text.other;
    }
    if (typeof text !== 'string') return key;
    return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => (name in options ? String(options[name]) : ''));
  },
  formatNumber: (n, options) => new Intl.NumberFormat(config.locale, options).format(n),
  formatCurrency: (n, options) => new Intl.NumberFormat(config.locale, { style: 'currency', currency: config.currency, ...options }).format(n),
  formatDate: (date, options) => new Intl.DateTimeFormat(config.locale, options).format(date),
};

const shopify = {
  extension: { target: config.target, capabilities: signal(config.capabilities), apiVersion: '2026-10' },
  settings: signal(config.settings),
  // A fresh token each time, as Shopify's `get()` gives one that has not expired.
  sessionToken: {
    get: () => counted(pageFetch(config.tokenUrl).then((answer) => answer.json()).then((body) => body.token)),
  },
  i18n,
  localization: { language: signal({ isoCode: config.locale }) },
  // Customer accounts give metafields to order-status targets only; checkout to every target.
  ...(/order-status|^purchase\./.test(config.target) ? { appMetafields: signal(config.metafields) } : {}),
  buyerIdentity: { customer: signal(config.customer ? { id: config.customer } : undefined) },
  instructions: signal({ discounts: { canUpdateDiscountCodes: true } }),
  cost: { subtotalAmount: signal({ amount: Number(config.subtotal), currencyCode: config.currency }) },
  discountCodes: signal(config.discountCodes),
  order: signal(config.order || undefined),
  orderConfirmation: signal({ order: config.order || { id: '' }, number: '' }),
  navigation: { navigate: (url) => { window.location.href = url.startsWith('extension:') ? config.fullPage : url; } },
  // The Storefront API (`api_access`), the emulator's.
  async query(query, { variables } = {}) {
    if (!can('api_access')) throw new Error('api_access is not granted');
    const answer = await pageFetch(config.storefrontApi, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query, variables }),
    });
    return answer.json();
  },
  async applyDiscountCodeChange(change) {
    const answer = await fetch(config.applyUrl, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(change),
    });
    const result = await answer.json();
    if (result.type === 'success' && change.type === 'addDiscountCode') {
      shopify.discountCodes.value = [...shopify.discountCodes.value, { code: change.code }];
    }
    return result;
  },
};
globalThis.shopify = shopify;
window.shopifyHost = config;

const style = document.createElement('style');
style.textContent = `
  body { margin: 0; background: #f4f4f4; font: 15px/1.5 system-ui, sans-serif; color: #1c1c1c; }
  .host-header, .host-footer { display: flex; justify-content: space-between; gap: 16px; padding: 12px 24px; background: #fff; border-bottom: 1px solid #e3e3e3; }
  .host-footer { border: 0; border-top: 1px solid #e3e3e3; color: #5c5c5c; font-size: 13px; }
  .host-main { min-height: 200px; max-width: 760px; margin: 24px auto; padding: 0 24px; }
`;
document.head.appendChild(style);

// The extension renders into its own document.body, which here is the page's main area.
const main = document.querySelector('.host-main');
Object.defineProperty(document, 'body', { configurable: true, get: () => main });
try {
  const module = await import(config.module);
  await module.default();
} catch (error) {
  window.hostErrors.push(String(error));
}
document.documentElement.dataset.extensionReady = 'true';
