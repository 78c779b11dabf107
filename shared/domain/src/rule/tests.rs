use super::*;

fn id(n: u64) -> RuleId {
    RuleId::new(n).unwrap()
}

fn draft(kind: RewardType, value: Option<&str>) -> RuleDraft {
    RuleDraft {
        name: "r".into(),
        status: RuleStatus::Active,
        reward_type: kind,
        points_cost: Some(Number::Integer(100)),
        variable: None,
        discount_value: value.map(|v| v.parse().unwrap()),
        minimum_subtotal: None,
        expires_after_days: None,
        variant_ids: vec![],
        combines_with: CombinesWith::default(),
        vip_tier: None,
    }
}

#[test]
fn the_documented_example_rule_is_accepted() {
    let mut example = draft(RewardType::FixedAmount, Some("5.00"));
    example.minimum_subtotal = Some("25.00".parse().unwrap());
    example.expires_after_days = Some(30);
    example.points_cost = Some(Number::Integer(500));
    let rule = example.into_rule(id(7)).unwrap();
    assert_eq!((rule.id, rule.points_cost, rule.discount_value.unwrap().to_string()), (id(7), 500, "5.00".into()));
}

#[test]
fn values_that_do_not_fit_the_reward_type_are_refused() {
    let err = |d: RuleDraft| d.into_rule(id(1)).unwrap_err();
    assert_eq!(err(draft(RewardType::Percentage, Some("150"))), RuleError::Percent);
    assert_eq!(err(draft(RewardType::Percentage, Some("0"))), RuleError::Percent);
    assert_eq!(err(draft(RewardType::FixedAmount, Some("-5"))), RuleError::Amount);
    assert_eq!(err(draft(RewardType::StoreCredit, None)), RuleError::Amount);
    assert_eq!(err(draft(RewardType::FreeShipping, Some("5"))), RuleError::NoValueExpected);
    assert!(draft(RewardType::Percentage, Some("15")).into_rule(id(1)).is_ok());
    let mut fractional = draft(RewardType::FreeShipping, None);
    fractional.points_cost = Some(Number::Float(10.5));
    assert!(matches!(err(fractional), RuleError::PointsCost(_)));
    let mut stray_variants = draft(RewardType::FixedAmount, Some("1"));
    stray_variants.variant_ids = vec![5];
    assert_eq!(err(stray_variants), RuleError::VariantsNotExpected);
}

#[test]
fn names_tiers_and_lifetimes_are_bounded() {
    let mut blank = draft(RewardType::FreeShipping, None);
    blank.name = "   ".into();
    assert_eq!(blank.into_rule(id(1)).unwrap_err(), RuleError::Name);
    let mut forever = draft(RewardType::FreeShipping, None);
    forever.expires_after_days = Some(MAX_EXPIRES_AFTER_DAYS + 1);
    assert_eq!(forever.into_rule(id(1)).unwrap_err(), RuleError::ExpiresAfterDays);
    let mut tier = draft(RewardType::FreeShipping, None);
    tier.vip_tier = Some(" Gold ".into());
    assert_eq!(tier.into_rule(id(1)).unwrap().vip_tier.as_deref(), Some("Gold"));
}

fn variable(step: i64, min: i64, max: i64) -> VariableDraft {
    let (n, value_per_step) = (Number::Integer, "0.50".parse().unwrap());
    VariableDraft { points_step: n(step), value_per_step, min_points: n(min), max_points: n(max) }
}

#[test]
fn a_variable_rule_sells_steps_within_its_range_at_exactly_their_value() {
    let mut draft = draft(RewardType::FixedAmount, None);
    draft.points_cost = None;
    draft.variable = Some(variable(100, 200, 1000));
    let rule = draft.into_rule(id(3)).unwrap();
    assert_eq!(rule.points_cost, 200, "the least it costs");
    assert_eq!(rule.price(Some(300)).unwrap(), (300, Some("1.50".parse().unwrap())));
    assert_eq!(rule.price(Some(1000)).unwrap().1.unwrap().to_string(), "5.00");
    for asked in [Some(100), Some(250), Some(1100), None] {
        let err = rule.price(asked).unwrap_err();
        assert!(err.to_string().contains("a multiple of 100 from 200 to 1000"), "{err}");
    }
}

#[test]
fn a_variable_rule_is_checked_as_a_whole() {
    let with = |kind, value: Option<&str>, cost: Option<i64>, v: Option<VariableDraft>| {
        let mut d = draft(kind, value);
        d.points_cost = cost.map(Number::Integer);
        d.variable = v;
        d.into_rule(id(1))
    };
    let range = variable(100, 200, 1000);
    assert_eq!(with(RewardType::FixedAmount, None, Some(5), Some(range)), Err(RuleError::CostOrVariable));
    assert_eq!(with(RewardType::FixedAmount, None, None, None), Err(RuleError::CostOrVariable));
    assert_eq!(with(RewardType::Percentage, None, None, Some(range)), Err(RuleError::VariableType));
    assert_eq!(with(RewardType::StoreCredit, Some("1"), None, Some(range)), Err(RuleError::VariableWithValue));
    for (min, max) in [(250, 1000), (1000, 200)] {
        let bad = Some(variable(100, min, max));
        assert_eq!(with(RewardType::FixedAmount, None, None, bad), Err(RuleError::VariableRange));
    }
    let priceless = VariableDraft { value_per_step: "1e20".parse().unwrap(), ..range };
    assert_eq!(with(RewardType::FixedAmount, None, None, Some(priceless)), Err(RuleError::VariableValue));
    assert!(with(RewardType::StoreCredit, None, None, Some(range)).is_ok());
}
