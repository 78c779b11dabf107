//! A rule's part of a write: its item, and the items that keep its id under other names (an import's
//! alias, a deleted rule's id). Each item is named for the condition it carries.

use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem};
use tally_app::ports::store::StoreResult;
use tally_app::ports::write::RuleWrite;
use tally_domain::rule::RedeemRule;

use crate::commit::{EXISTS, NEW};
use crate::errors::unbuilt;
use crate::records::rule::{RuleIdRecord, RuleRecord};
use crate::records::{text, to_item, PK, SK};
use crate::transaction::Part;
use crate::{keys, ShopTable};

impl ShopTable<'_> {
    pub(crate) fn rule_items(&self, write: &RuleWrite) -> StoreResult<Vec<(Part, TransactWriteItem)>> {
        let domain = self.domain;
        let item = |rule: &RedeemRule| to_item(&RuleRecord::from(rule), keys::rule(domain, rule.id));
        let put = |put| TransactWriteItem::builder().put(put).build();
        Ok(match write {
            RuleWrite::Create(rule) => vec![(Part::Rule, put(self.put(item(rule)?, Some(NEW))?))],
            RuleWrite::Replace(rule) => vec![(Part::Rule, put(self.put(item(rule)?, Some(EXISTS))?))],
            RuleWrite::Import { rule, alias } => {
                let (pk, sk) = keys::deleted_rule(domain, rule.id);
                let never_deleted = ConditionCheck::builder()
                    .table_name(&self.store.table)
                    .key(PK.name(), text(pk))
                    .key(SK.name(), text(sk))
                    .condition_expression(NEW)
                    .expression_attribute_names("#pk", PK.name())
                    .build()
                    .map_err(unbuilt)?;
                let mut items = vec![
                    (Part::Rule, put(self.put(item(rule)?, Some(NEW))?)),
                    (Part::RuleDeleted, TransactWriteItem::builder().condition_check(never_deleted).build()),
                ];
                if let Some(alias) = alias {
                    let named = to_item(&RuleIdRecord { rule_id: rule.id.get() }, keys::rule_alias(domain, alias))?;
                    items.push((Part::RuleAlias, put(self.put(named, Some(NEW))?)));
                }
                items
            }
            RuleWrite::Delete(id) => {
                let remembered = to_item(&RuleIdRecord { rule_id: id.get() }, keys::deleted_rule(domain, *id))?;
                vec![
                    (
                        Part::Rule,
                        TransactWriteItem::builder()
                            .delete(self.delete(keys::rule(domain, *id), Some(EXISTS))?)
                            .build(),
                    ),
                    (Part::Other, put(self.put(remembered, None)?)),
                ]
            }
        })
    }
}
