//! The GraphQL documents Tally sends, kept as files so that tests validate them against the schema.

pub const CREATE_BASIC_DISCOUNT: &str = include_str!("../graphql/create_basic_discount.graphql");
pub const CREATE_FREE_SHIPPING_DISCOUNT: &str = include_str!("../graphql/create_free_shipping_discount.graphql");
pub const FIND_DISCOUNT_BY_CODE: &str = include_str!("../graphql/find_discount_by_code.graphql");
pub const VARIANT_PRICE: &str = include_str!("../graphql/variant_price.graphql");
pub const CREDIT_STORE_CREDIT: &str = include_str!("../graphql/credit_store_credit.graphql");
pub const LIST_DISCOUNT_CODES: &str = include_str!("../graphql/list_discount_codes.graphql");
pub const DEACTIVATE_DISCOUNT: &str = include_str!("../graphql/deactivate_discount.graphql");
pub const ORDER_STATE: &str = include_str!("../graphql/order_state.graphql");
pub const ORDER_BY_CODE: &str = include_str!("../graphql/order_by_code.graphql");
pub const WEBHOOK_SUBSCRIPTIONS: &str = include_str!("../graphql/webhook_subscriptions.graphql");
pub const SUBSCRIBE_WEBHOOK: &str = include_str!("../graphql/subscribe_webhook.graphql");
pub const FLOW_TRIGGER_RECEIVE: &str = include_str!("../graphql/flow_trigger_receive.graphql");
pub const CUSTOMER_METAFIELD: &str = include_str!("../graphql/customer_metafield.graphql");
pub const SET_METAFIELDS: &str = include_str!("../graphql/set_metafields.graphql");

/// Every document, by name, for the schema check.
pub const DOCUMENTS: &[(&str, &str)] = &[
    ("CreateBasicDiscount", CREATE_BASIC_DISCOUNT),
    ("CreateFreeShippingDiscount", CREATE_FREE_SHIPPING_DISCOUNT),
    ("FindDiscountByCode", FIND_DISCOUNT_BY_CODE),
    ("VariantPrice", VARIANT_PRICE),
    ("CreditStoreCredit", CREDIT_STORE_CREDIT),
    ("ListDiscountCodes", LIST_DISCOUNT_CODES),
    ("DeactivateDiscount", DEACTIVATE_DISCOUNT),
    ("OrderState", ORDER_STATE),
    ("OrderByCode", ORDER_BY_CODE),
    ("WebhookSubscriptions", WEBHOOK_SUBSCRIPTIONS),
    ("SubscribeWebhook", SUBSCRIBE_WEBHOOK),
    ("FlowTriggerReceive", FLOW_TRIGGER_RECEIVE),
    ("CustomerMetafield", CUSTOMER_METAFIELD),
    ("SetMetafields", SET_METAFIELDS),
];
