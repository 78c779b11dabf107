//! What clients read: the API's JSON bodies (camelCase, Appstle's field names), built from domain types, one
//! module per resource. Stored records are not these; a rename here changes the API and nothing else.

mod loyalty;
mod pages;
mod rules;
mod webhooks;

pub use loyalty::{CustomerDataView, LoyaltyView, RedeemedView, RewardView};
pub use pages::{ActivityView, LedgerEntryView, RewardPageView};
pub use rules::{
    AppstleDiscountType, AppstleRuleView, AppstleType, CombinesWithView, RedeemOptionView, RuleView, VariableView,
};
pub use webhooks::handled;
