//! Shopify orders, as far as rewards are concerned: which codes an order used.

use super::ids::OrderId;

/// An order that used (or may have used) reward codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    /// The order's name in Shopify (`#1001`), or its id when it has none.
    pub name: String,
    /// The discount codes the order used, as the customer typed them.
    pub codes: Vec<String>,
}

/// The order a reward was used by, as the reward keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRef {
    pub id: OrderId,
    pub name: String,
}

impl Order {
    pub fn reference(&self) -> OrderRef {
        OrderRef { id: self.id, name: self.name.clone() }
    }
}
