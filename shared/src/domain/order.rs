//! Shopify orders, as far as rewards are concerned: which codes an order used.

/// An order that used (or may have used) reward codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: u64,
    /// The order's name in Shopify (`#1001`), or its id when it has none.
    pub name: String,
    /// The discount codes the order used, as the customer typed them.
    pub codes: Vec<String>,
}
