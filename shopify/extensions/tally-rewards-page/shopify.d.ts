// The `shopify` global each module of this extension gets, typed by its target (as the Shopify CLI writes it).
import '@shopify/ui-extensions';

//@ts-ignore
declare module './src/RewardsPage.tsx' {
  const shopify: import('@shopify/ui-extensions/customer-account.page.render').Api;
  const globalThis: { shopify: typeof shopify };
}
