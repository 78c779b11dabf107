// The `shopify` global each module of this extension gets, typed by its target (as the Shopify CLI writes it).
import '@shopify/ui-extensions';

//@ts-ignore
declare module './src/Reductions.tsx' {
  const shopify: import('@shopify/ui-extensions/purchase.checkout.reductions.render-after').Api;
  const globalThis: { shopify: typeof shopify };
}

//@ts-ignore
declare module './src/ThankYou.tsx' {
  const shopify: import('@shopify/ui-extensions/purchase.thank-you.block.render').Api;
  const globalThis: { shopify: typeof shopify };
}
