//! `POST /api/external/point-redeem-rules` and the `PUT` of one: a rule in Tally's words, in Appstle's, or in
//! both as a `GET` shows it. Appstle's fields that say what a rule gives are honoured, and beside Tally's must
//! say the same thing; those that ask for what Tally does not do (a product or collection discount, limits,
//! restrictions) are refused unless empty, so that nothing a client asked for is silently dropped; labels,
//! counters and dates are accepted and ignored.

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;
use tally_domain::ids::RuleId;
use tally_domain::rule::{CombinesWith, RewardType, RuleDraft, RuleStatus, VariableDraft};

use crate::money::Amount;
use crate::request::{number, Invalid};
use crate::views::{AppstleDiscountType as Discount, AppstleRuleView, AppstleType};

/// Appstle's fields that ask for what Tally does not do. Tally's codes are single-use, so Appstle's usage limit
/// of one is what they do already.
const UNSUPPORTED: &[&str] = &[
    "productId",
    "collectionId",
    "vipTierId",
    "redeemAllPoints",
    "enableInterval",
    "redeemLimit",
    "restrictCustomers",
    "restrictCustomersWithTags",
    "allowedCustomerTags",
    "allowedCountries",
    "showInPosOnly",
    "applyDiscountOnce",
    "discountCodeForAllCustomer",
    "maximumShippingRate",
    "applyToEachItem",
    "enableDiscountPrefix",
];

/// Appstle's labels, counters and dates.
const IGNORED: &[&str] = &[
    "shop",
    "createAt",
    "updateAt",
    "triggeredCount",
    "serial",
    "customerFacingLabel",
    "redeemLabel",
    "customerFacingIconUrl",
    "translations",
    "productData",
    "collectionData",
    "discountCodeNodeId",
    "earnRuleId",
    "enablePOS",
    "minimumPointsLabel",
    "maximumPointsLabel",
    "discountPrefixText",
];

/// A rule body: Appstle's ignored fields dropped, its unsupported ones checked empty, the rest read strictly.
#[derive(Debug)]
pub struct RuleBody(Fields);

impl<'de> Deserialize<'de> for RuleBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Each field's own text, so that amounts keep their digits.
        let Distinct(mut fields) = Distinct::deserialize(deserializer)?;
        fields.retain(|key, _| !IGNORED.contains(&key.as_str()));
        let value = |raw: Box<RawValue>| serde_json::from_str::<Value>(raw.get()).unwrap_or(Value::Null);
        for key in UNSUPPORTED {
            if fields.remove(*key).map(value).is_some_and(|value| !empty(&value)) {
                return Err(D::Error::custom(format!(
                    "{key} asks for what Tally does not do: leave it out, or send it empty (null, false, 0 or \"\")"
                )));
            }
        }
        // What Tally's codes do already: single use, one item of a free product.
        let mut is =
            |key: &str, already: Value| fields.remove(key).map(value).is_none_or(|v| empty(&v) || v == already);
        if !is("enableNumberOfUsagesLimit", Value::Bool(true)) || !is("numberOfUsagesLimit", 1.into()) {
            return Err(D::Error::custom("Tally's codes are single-use: numberOfUsagesLimit may only be 1"));
        }
        if !is("quantity", 1.into()) {
            return Err(D::Error::custom("a free product reward gives one item: quantity may only be 1"));
        }
        let text = serde_json::to_string(&fields).map_err(D::Error::custom)?;
        serde_json::from_str(&text).map(RuleBody).map_err(D::Error::custom)
    }
}

/// A JSON object's fields, each once: a field given twice is refused rather than one of them kept.
struct Distinct(BTreeMap<String, Box<RawValue>>);

impl<'de> Deserialize<'de> for Distinct {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = Distinct;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Distinct, A::Error> {
                let mut fields = BTreeMap::new();
                while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    if fields.insert(key.clone(), value).is_some() {
                        return Err(A::Error::custom(format!("{key} is given twice")));
                    }
                }
                Ok(Distinct(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

fn empty(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Fields {
    #[serde(default)]
    id: Option<u64>,
    name: String,
    #[serde(default = "active")]
    status: RuleStatus,
    #[serde(default)]
    reward_type: Option<RewardType>,
    #[serde(default)]
    points_cost: Option<Value>,
    #[serde(default)]
    variable: Option<VariableBody>,
    #[serde(default)]
    discount_value: Option<Amount>,
    #[serde(default)]
    minimum_subtotal: Option<Amount>,
    #[serde(default)]
    expires_after_days: Option<u32>,
    #[serde(default)]
    variant_ids: Option<Vec<u64>>,
    #[serde(default)]
    combines_with: Option<CombinesWithBody>,
    #[serde(default)]
    vip_tier: Option<String>,
    // Appstle's words for what the rule gives.
    #[serde(default, rename = "type")]
    kind: Option<AppstleType>,
    #[serde(default)]
    discount_type: Option<Discount>,
    #[serde(default)]
    discount: Option<Amount>,
    #[serde(default)]
    redeem_points: Option<Value>,
    #[serde(default)]
    minimum_purchase_amount: Option<Amount>,
    #[serde(default)]
    variant_id: Option<u64>,
    #[serde(default)]
    combined_with_product_discount: Option<bool>,
    #[serde(default)]
    combined_with_order_discount: Option<bool>,
    #[serde(default)]
    combined_with_shipping_discount: Option<bool>,
    #[serde(default)]
    enable_minimum_points_to_redeem: Option<bool>,
    #[serde(default)]
    required_minimum_points_to_redeem: Option<Value>,
    #[serde(default)]
    enable_maximum_points_to_redeem: Option<bool>,
    #[serde(default)]
    required_maximum_points_to_redeem: Option<Value>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CombinesWithBody {
    #[serde(default)]
    order_discounts: bool,
    #[serde(default)]
    product_discounts: bool,
    #[serde(default)]
    shipping_discounts: bool,
}

/// A variable rule's price: `{"pointsStep": 100, "valuePerStep": 1.00, "minPoints": 200, "maxPoints": 2000}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VariableBody {
    points_step: Value,
    value_per_step: Amount,
    min_points: Value,
    max_points: Value,
}

fn active() -> RuleStatus {
    RuleStatus::Active
}

impl RuleBody {
    /// The rule to create: the server gives it its id.
    pub fn new_rule(self) -> Result<RuleDraft, Invalid> {
        match self.0.id {
            Some(_) => Err(Invalid::RuleIdGiven),
            None => self.0.draft(),
        }
    }

    /// The rule to put under `id`: a body that names another id is refused.
    pub fn rule_for(self, id: RuleId) -> Result<RuleDraft, Invalid> {
        match self.0.id {
            Some(given) if given != id.get() => Err(Invalid::RuleIdMismatch { path: id.get(), body: given }),
            _ => self.0.draft(),
        }
    }
}

impl Fields {
    fn draft(self) -> Result<RuleDraft, Invalid> {
        let draft = match (self.reward_type, self.kind) {
            (Some(reward_type), _) => self.tally_draft(reward_type)?,
            (None, Some(kind)) => self.appstle_draft(kind)?,
            (None, None) => return Err(Invalid::RuleType),
        };
        // Appstle's fields beside Tally's must describe the same rule (a draft that is wrong in itself is
        // refused for that by the use case).
        if let Ok(rule) = draft.clone().into_rule(RuleId::FIRST) {
            self.agrees_with(&AppstleRuleView::of(&rule))?;
        }
        Ok(draft)
    }

    fn tally_draft(&self, reward_type: RewardType) -> Result<RuleDraft, Invalid> {
        let c = self.combines_with.unwrap_or_default();
        Ok(RuleDraft {
            name: self.name.clone(),
            status: self.status,
            reward_type,
            points_cost: self.points_cost.as_ref().map(|cost| number("pointsCost", cost)).transpose()?,
            variable: self.variable.as_ref().map(VariableBody::draft).transpose()?,
            discount_value: self.discount_value.map(|a| a.0),
            minimum_subtotal: self.minimum_subtotal.map(|a| a.0),
            expires_after_days: self.expires_after_days,
            variant_ids: self.variant_ids.clone().unwrap_or_default(),
            combines_with: CombinesWith {
                order_discounts: c.order_discounts,
                product_discounts: c.product_discounts,
                shipping_discounts: c.shipping_discounts,
            },
            vip_tier: self.vip_tier.clone(),
        })
    }

    /// A rule in Appstle's words alone: Tally's words for what it gives would need `rewardType`.
    fn appstle_draft(&self, kind: AppstleType) -> Result<RuleDraft, Invalid> {
        let tally_words = self.variable.is_some()
            || self.discount_value.is_some()
            || self.minimum_subtotal.is_some()
            || self.variant_ids.is_some()
            || self.combines_with.is_some();
        if tally_words {
            return Err(Invalid::RuleType);
        }
        let (reward_type, variable) = match (kind, self.discount_type) {
            (AppstleType::DiscountCode, Some(Discount::Fixed)) => (RewardType::FixedAmount, false),
            (AppstleType::DiscountCode, Some(Discount::Percentage)) => (RewardType::Percentage, false),
            (AppstleType::DynamicDiscount, None | Some(Discount::Fixed)) => (RewardType::FixedAmount, true),
            (AppstleType::FreeShipping, _) => (RewardType::FreeShipping, false),
            (AppstleType::FreeProduct, _) => (RewardType::FreeProduct, false),
            (AppstleType::StoreCredit, _) => {
                (RewardType::StoreCredit, self.enable_maximum_points_to_redeem == Some(true))
            }
            _ => return Err(Invalid::AppstleRuleType),
        };
        let cost = self.points_cost.as_ref().or(self.redeem_points.as_ref());
        let cost = cost.map(|cost| number("pointsCost", cost)).transpose()?;
        let discount = self.discount.map(|a| a.0);
        let (points_cost, variable, discount_value) = match variable {
            false => (
                cost,
                None,
                discount.filter(|_| !matches!(reward_type, RewardType::FreeShipping | RewardType::FreeProduct)),
            ),
            true => {
                let (Some(points_step), Some(value_per_step), Some(max)) =
                    (cost, discount, self.required_maximum_points_to_redeem.as_ref())
                else {
                    return Err(Invalid::AppstleVariable);
                };
                let min = match (self.enable_minimum_points_to_redeem, &self.required_minimum_points_to_redeem) {
                    (Some(false), _) | (_, None) => points_step,
                    (_, Some(min)) => number("requiredMinimumPointsToRedeem", min)?,
                };
                let max_points = number("requiredMaximumPointsToRedeem", max)?;
                (None, Some(VariableDraft { points_step, value_per_step, min_points: min, max_points }), None)
            }
        };
        Ok(RuleDraft {
            name: self.name.clone(),
            status: self.status,
            reward_type,
            points_cost,
            variable,
            discount_value,
            minimum_subtotal: self.minimum_purchase_amount.map(|a| a.0).filter(|min| !min.is_zero()),
            expires_after_days: self.expires_after_days,
            variant_ids: self.variant_id.into_iter().collect(),
            combines_with: CombinesWith {
                order_discounts: self.combined_with_order_discount.unwrap_or(false),
                product_discounts: self.combined_with_product_discount.unwrap_or(false),
                shipping_discounts: self.combined_with_shipping_discount.unwrap_or(false),
            },
            vip_tier: self.vip_tier.clone(),
        })
    }

    /// Each of Appstle's fields the body gives says what Tally's rule says. Zero is read as none (an export
    /// that fills unused fields with 0), and a range is compared only where its flag does not turn it off.
    fn agrees_with(&self, rule: &AppstleRuleView) -> Result<(), Invalid> {
        let whole = |value: &Value| value.as_f64().filter(|n| n.fract() == 0.0 && *n != 0.0).map(|n| n as i64);
        let points = |given: &Option<Value>, on: Option<bool>| given.as_ref().filter(|_| on != Some(false)).map(whole);
        let amount = |given: Option<Amount>| given.map(|a| Some(a.0).filter(|d| !d.is_zero()));
        let none_if_zero = |d: Option<Decimal>| d.filter(|d| !d.is_zero());
        let same = |agrees: Option<bool>, field: &'static str| agrees.is_none_or(|a| a).then_some(()).ok_or(field);
        let (min_on, max_on) = (self.enable_minimum_points_to_redeem, self.enable_maximum_points_to_redeem);
        let (min, max) = (
            points(&self.required_minimum_points_to_redeem, min_on),
            points(&self.required_maximum_points_to_redeem, max_on),
        );
        [
            same(self.kind.map(|k| k == rule.kind), "type"),
            same(self.discount_type.map(|d| Some(d) == rule.discount_type), "discountType"),
            same(amount(self.discount).map(|d| d == none_if_zero(rule.discount)), "discount"),
            same(self.redeem_points.as_ref().map(|p| whole(p) == Some(rule.redeem_points)), "redeemPoints"),
            same(
                amount(self.minimum_purchase_amount).map(|m| m == none_if_zero(rule.minimum_purchase_amount)),
                "minimumPurchaseAmount",
            ),
            same(self.variant_id.map(|v| rule.variant_id.is_none_or(|only| only == v)), "variantId"),
            same(
                self.combined_with_product_discount.map(|c| c == rule.combined_with_product_discount),
                "combinedWithProductDiscount",
            ),
            same(
                self.combined_with_order_discount.map(|c| c == rule.combined_with_order_discount),
                "combinedWithOrderDiscount",
            ),
            same(
                self.combined_with_shipping_discount.map(|c| c == rule.combined_with_shipping_discount),
                "combinedWithShippingDiscount",
            ),
            same(
                min.map(|m| m.is_none() || m == rule.required_minimum_points_to_redeem),
                "requiredMinimumPointsToRedeem",
            ),
            same(
                max.map(|m| m.is_none() || m == rule.required_maximum_points_to_redeem),
                "requiredMaximumPointsToRedeem",
            ),
        ]
        .into_iter()
        .collect::<Result<Vec<()>, &str>>()
        .map(drop)
        .map_err(|field| Invalid::AppstleDisagrees { field })
    }
}

impl VariableBody {
    fn draft(&self) -> Result<VariableDraft, Invalid> {
        Ok(VariableDraft {
            points_step: number("variable.pointsStep", &self.points_step)?,
            value_per_step: self.value_per_step.0,
            min_points: number("variable.minPoints", &self.min_points)?,
            max_points: number("variable.maxPoints", &self.max_points)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_json;
    use crate::views::RuleView;
    use rust_decimal::Decimal;
    use serde_json::json;
    use tally_domain::rule::RedeemRule;

    fn rule(body: Value) -> Result<RuleDraft, String> {
        parse_json::<RuleBody>(body.to_string().as_bytes()).and_then(RuleBody::new_rule).map_err(|e| e.to_string())
    }

    #[test]
    fn a_rule_body_is_refused_for_unknown_fields_and_fractional_costs() {
        let five_off = json!({"name": "$5 off", "status": "ACTIVE", "rewardType": "FIXED_AMOUNT", "pointsCost": 500,
            "discountValue": "5.00", "combinesWith": {"orderDiscounts": false, "productDiscounts": true}});
        let draft = rule(five_off).unwrap();
        assert!(draft.combines_with.product_discounts && !draft.combines_with.shipping_discounts);
        let fractional = rule(json!({"name": "r", "rewardType": "FREE_SHIPPING", "pointsCost": 10.5})).unwrap();
        assert!(fractional
            .into_rule(RuleId::FIRST)
            .unwrap_err()
            .to_string()
            .contains("pointsCost must be a whole number"));
        assert!(rule(json!({"name": "r", "rewardType": "FREE_SHIPPING", "pointsCost": 10, "color": "red"})).is_err());
        assert!(rule(json!({"name": "r", "rewardType": "FREE", "pointsCost": 10})).is_err());
        // A field given twice is refused, not read as one of its values.
        let twice = br#"{"name": "r", "rewardType": "FREE_SHIPPING", "pointsCost": 10, "pointsCost": 1}"#;
        let refused = parse_json::<RuleBody>(twice).map(|_| ()).unwrap_err().to_string();
        assert!(refused.contains("pointsCost is given twice"), "{refused}");
    }

    #[test]
    fn a_rule_as_read_can_be_put_back_under_its_own_id_only() {
        let read = json!({"id": 5, "name": "r", "status": "ACTIVE", "rewardType": "FREE_SHIPPING", "pointsCost": 10,
            "combinesWith": {"orderDiscounts": false, "productDiscounts": false, "shippingDiscounts": false}});
        let body = || parse_json::<RuleBody>(read.to_string().as_bytes()).unwrap();
        assert!(body().rule_for(RuleId::new(5).unwrap()).is_ok());
        assert!(body().rule_for(RuleId::new(6).unwrap()).unwrap_err().to_string().contains("the path names rule 6"));
        assert!(body().new_rule().unwrap_err().to_string().contains("assigned"));
    }

    /// A client that reads a rule (Tally's fields and Appstle's) and puts it back changes nothing.
    #[test]
    fn a_rule_as_a_get_shows_it_in_both_vocabularies_is_put_back_unchanged() {
        let id = RuleId::new(7).unwrap();
        let fixed = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": "5.00",
            "minimumSubtotal": 20, "combinesWith": {"orderDiscounts": true}});
        let variable = json!({"name": "Dollars", "rewardType": "FIXED_AMOUNT",
            "variable": {"pointsStep": 100, "valuePerStep": 1, "minPoints": 200, "maxPoints": 2000}});
        let product = json!({"name": "Mug", "rewardType": "FREE_PRODUCT", "pointsCost": 900, "variantIds": [41]});
        let credit = json!({"name": "Credit", "rewardType": "STORE_CREDIT", "vipTier": "Gold",
            "variable": {"pointsStep": 10, "valuePerStep": "0.10", "minPoints": 10, "maxPoints": 100}});
        for body in [fixed, variable, product, credit] {
            let original: RedeemRule = rule(body).unwrap().into_rule(id).unwrap();
            let read = serde_json::to_value(RuleView::from(original.clone())).unwrap();
            let put = parse_json::<RuleBody>(read.to_string().as_bytes()).unwrap().rule_for(id);
            assert_eq!(put.unwrap().into_rule(id), Ok(original), "{read}");
        }
    }

    /// Appstle's rule object as its export and its reference show it, with no word of Tally's.
    #[test]
    fn a_rule_in_appstle_s_words_alone_is_the_same_rule() {
        let five_off =
            rule(json!({"name": "$5 off", "type": "DISCOUNT_CODE", "discountType": "FIXED", "pointsCost": 500,
            "redeemPoints": 500, "discount": 5, "minimumPurchaseAmount": 0, "combinedWithOrderDiscount": true,
            "customerFacingLabel": "Get $5 off", "shop": "a.myshopify.com", "triggeredCount": 12, "productId": null,
            "redeemAllPoints": false, "enableNumberOfUsagesLimit": true, "numberOfUsagesLimit": 1, "enablePOS": false,
            "createAt": "2023-11-07T05:31:56Z", "status": "ACTIVE"}));
        let five_off = five_off.unwrap().into_rule(RuleId::FIRST).unwrap();
        assert_eq!(five_off.reward_type, RewardType::FixedAmount);
        assert_eq!(
            (five_off.points_cost, five_off.discount_value, five_off.minimum_subtotal),
            (500, Some(5.into()), None)
        );
        assert!(five_off.combines_with.order_discounts && !five_off.combines_with.product_discounts);

        let percent =
            rule(json!({"name": "10%", "type": "DISCOUNT_CODE", "discountType": "PERCENTAGE", "pointsCost": 800,
            "discount": 10}));
        assert_eq!(percent.unwrap().reward_type, RewardType::Percentage);

        let dynamic = rule(json!({"name": "$1 per 10", "type": "DYNAMIC_DISCOUNT", "discountType": "FIXED",
            "pointsCost": 10, "discount": 1, "enableMaximumPointsToRedeem": true, "requiredMaximumPointsToRedeem": 1000}));
        let dynamic = dynamic.unwrap().into_rule(RuleId::FIRST).unwrap().variable.unwrap();
        assert_eq!((dynamic.points_step, dynamic.min_points, dynamic.max_points), (10, 10, 1000));
        assert_eq!(dynamic.value_per_step, Decimal::ONE);

        let mug = rule(json!({"name": "Mug", "type": "FREE_PRODUCT", "pointsCost": 900, "variantId": 41})).unwrap();
        assert_eq!(mug.variant_ids, vec![41]);
    }

    /// What Tally does not do is refused rather than dropped, and two vocabularies that disagree are refused.
    #[test]
    fn appstle_s_fields_that_tally_cannot_honour_or_that_disagree_are_refused() {
        let appstle = |extra: Value| {
            let mut body = json!({"name": "r", "type": "FREE_SHIPPING", "pointsCost": 10});
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            rule(body)
        };
        assert!(appstle(json!({})).is_ok());
        for (extra, says) in [
            (json!({"productId": 123}), "productId asks for what Tally does not do"),
            (json!({"redeemAllPoints": true}), "redeemAllPoints"),
            (json!({"allowedCountries": "US"}), "allowedCountries"),
            (json!({"numberOfUsagesLimit": 5}), "single-use"),
            (json!({"type": "COLLECTION_DISCOUNT"}), "DISCOUNT_CODE (with discountType)"),
            (json!({"type": "DISCOUNT_CODE"}), "DISCOUNT_CODE (with discountType)"),
            (json!({"type": "DYNAMIC_DISCOUNT", "discount": 1}), "requiredMaximumPointsToRedeem"),
            (json!({"redeemPoints": 11}), "Appstle's redeemPoints says otherwise"),
            (json!({"discountValue": 5}), "rewardType is required"),
            (json!({"colour": "red"}), "unknown field"),
        ] {
            assert!(appstle(extra.clone()).unwrap_err().contains(says), "{extra}: {:?}", appstle(extra.clone()));
        }
        let tally = json!({"name": "r", "rewardType": "PERCENTAGE", "pointsCost": 10, "discountValue": 10});
        for (extra, field) in [
            (json!({"discount": 15}), "discount"),
            (json!({"discountType": "FIXED"}), "discountType"),
            (json!({"type": "STORE_CREDIT"}), "type"),
            (json!({"combinedWithShippingDiscount": true}), "combinedWithShippingDiscount"),
        ] {
            let mut body = tally.clone();
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            assert!(rule(body).unwrap_err().contains(&format!("Appstle's {field} says otherwise")), "{extra}");
        }
    }
}
