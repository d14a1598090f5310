//! Oolio order → canonical order. Amounts are integer cents of the configured currency.

use ordergate_shared::model::attributes::{put, put_json, put_list};
use ordergate_shared::model::{
    Address, Adjustment, Attributes, Customer, Fulfilment, Item, Order, OrderStatus, OrderType, Totals,
};
use ordergate_shared::money::{Converter, Currency, MinorUnits};
use ordergate_shared::time::Timestamp;

use crate::wire;

pub fn status(raw: &str) -> OrderStatus {
    match raw.trim().to_ascii_lowercase().as_str() {
        "created" | "new" | "pending" | "placed" => OrderStatus::Placed,
        "accepted" => OrderStatus::Accepted,
        "completed" | "complete" => OrderStatus::Completed,
        "cancelled" | "canceled" | "rejected" => OrderStatus::Cancelled,
        _ => OrderStatus::Unknown,
    }
}

fn product_attrs(attrs: &mut Attributes, pos_id: &Option<String>, ids: &Option<wire::ProductIds>) {
    put(attrs, "pos_id", pos_id.as_ref());
    if let Some(ids) = ids {
        put_json(attrs, "product_ids", ids);
    }
}

/// Options and their chosen variants become modifiers ("cooking type: Scrambled"). `path`
/// (where they are in the body) is only built for a warning.
fn options(money: &mut Converter, path: &dyn Fn() -> String, options: &[wire::ItemOption]) -> Vec<Item> {
    let mut out = Vec::new();
    for (o, option) in options.iter().enumerate() {
        for (v, variant) in option.variants.iter().enumerate() {
            let mut attributes = Attributes::new();
            put(&mut attributes, "option_pos_id", option.pos_id.as_ref());
            put(&mut attributes, "option_min", option.min);
            put(&mut attributes, "option_max", option.max);
            put(&mut attributes, "pos_id", variant.pos_id.as_ref());
            if let Some(tax) = &variant.tax {
                put_json(&mut attributes, "tax", tax);
            }
            out.push(Item {
                name: match &option.name {
                    Some(group) => format!("{group}: {}", variant.name),
                    None => variant.name.clone(),
                },
                quantity: 1,
                unit_price: money.scaled_or_zero(
                    &|| format!("{}.options[{o}].variants[{v}].price", path()),
                    Some(variant.price),
                    2,
                ),
                attributes,
                ..Item::default()
            });
        }
    }
    out
}

fn item(money: &mut Converter, n: usize, i: &wire::OrderItem, taxes: &mut Vec<Adjustment>) -> Item {
    let path = || format!("data.items[{n}]");
    let mut modifiers = options(money, &path, &i.options);
    for (k, inc) in i.included_items.iter().enumerate() {
        let at = || format!("{}.includedItems[{k}]", path());
        let mut attributes = Attributes::from([("included", "true")]);
        product_attrs(&mut attributes, &inc.pos_id, &inc.product_ids);
        modifiers.push(Item {
            name: inc.name.clone(),
            sku: sku(&inc.product_ids),
            quantity: inc.quantity,
            unit_price: money.scaled_or_zero(&|| format!("{}.unitPrice", at()), Some(inc.unit_price), 2),
            modifiers: options(money, &at, &inc.options),
            attributes,
            ..Item::default()
        });
    }
    for (k, t) in i.taxes.iter().enumerate() {
        let amount = t
            .amount
            .and_then(|a| money.scaled(&|| format!("{}.taxes[{k}].amount", path()), a, 2));
        if let Some(amount) = amount {
            taxes.push(Adjustment {
                kind: if t.is_tax_inclusive == Some(true) {
                    "tax_inclusive"
                } else {
                    "tax"
                }
                .into(),
                name: t.name.clone(),
                code: t.pos_id.clone(),
                amount,
            });
        }
    }
    let mut attributes = Attributes::new();
    product_attrs(&mut attributes, &i.pos_id, &i.product_ids);
    put(&mut attributes, "type", i.kind.as_ref());
    put(&mut attributes, "status", i.status.as_ref());
    put(
        &mut attributes,
        "total_before_surcounts",
        i.total_before_surcounts,
    );
    if let Some(m) = &i.measured_by {
        put_json(&mut attributes, "measured_by", m);
    }
    put_list(&mut attributes, "surcounts", &i.surcounts);
    Item {
        name: i.name.clone(),
        sku: sku(&i.product_ids),
        quantity: i.quantity,
        unit_price: money.scaled_or_zero(&|| format!("{}.unitPrice", path()), i.unit_price, 2),
        line_total: i
            .total_after_surcounts
            .and_then(|t| money.scaled(&|| format!("{}.totalAfterSurcounts", path()), t, 2)),
        notes: i.item_notes.clone(),
        modifiers,
        attributes,
        ..Item::default()
    }
}

fn sku(ids: &Option<wire::ProductIds>) -> Option<String> {
    ids.as_ref().and_then(|p| p.sku.clone().or_else(|| p.plu.clone()))
}

pub fn order(o: &wire::Order, status: OrderStatus, currency: Currency) -> (Order, Vec<String>) {
    let mut money = Converter::new(currency);
    let mut taxes = Vec::new();
    let items = o
        .items
        .iter()
        .enumerate()
        .map(|(n, i)| item(&mut money, n, i, &mut taxes))
        .collect::<Vec<_>>();
    let (fees, discounts) = surcounts(&mut money, o);
    // Oolio sends no order total: it is the items' totals after their surcounts.
    let line_amounts: Option<Vec<MinorUnits>> = items
        .iter()
        .map(|i| i.line_total.or_else(|| i.unit_price.times(i.quantity)))
        .collect();
    let lines = line_amounts.and_then(MinorUnits::sum).unwrap_or_else(|| {
        money
            .warnings
            .push("the items' amounts add up beyond range; total recorded as 0".into());
        MinorUnits(0)
    });
    let tax_total = MinorUnits::sum(taxes.iter().map(|t| t.amount));
    if tax_total.is_none() {
        money
            .warnings
            .push("taxes add up beyond range; tax total left out".into());
    }

    let consumer = o.consumer.as_ref();
    let address = consumer.and_then(|c| c.address.as_ref()).map(address);
    let order = Order {
        order_id: o.id.clone(),
        display_id: o.code.clone().or_else(|| o.pos_display_id.clone()),
        status,
        status_raw: o.status.clone().unwrap_or_default(),
        order_type: if o.table.is_some() {
            OrderType::DineIn
        } else if address.is_some() {
            OrderType::Delivery
        } else {
            OrderType::Other(o.source.clone().unwrap_or_default())
        },
        currency,
        items,
        discounts,
        fees,
        taxes,
        totals: Totals {
            subtotal: Some(lines),
            tax_total: tax_total.filter(|t| t.0 != 0),
            total: lines,
            ..Totals::default()
        },
        customer: consumer.map(|c| Customer {
            name: c.name.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
            notes: c.notes.clone(),
            ..Customer::default()
        }),
        payment: None,
        notes: o.notes.clone(),
        fulfilment: Some(Fulfilment {
            deliver_at: o.required_at.as_deref().map(Timestamp::rfc3339),
            address,
            ..Fulfilment::default()
        }),
        table: o.table.as_ref().and_then(|t| t.name.clone()),
        source: o.source.clone(),
        created_at: o.created_at.as_deref().map(Timestamp::rfc3339),
        updated_at: None,
        test: false,
        attributes: attributes(o),
    };
    (order, money.warnings)
}

/// Order-level surcounts (already included in the items' totals): fees, except those that
/// take money off — named as a discount (the doc's "10% discount") or negative — which are
/// discounts, with a positive amount. Returns (fees, discounts).
#[allow(clippy::type_complexity)] // the two lists, named at the call site
fn surcounts(money: &mut Converter, o: &wire::Order) -> (Vec<Adjustment>, Vec<Adjustment>) {
    let (mut fees, mut discounts) = (Vec::new(), Vec::new());
    for (k, s) in o.surcounts.iter().enumerate() {
        let Some(amount) = s.amount.filter(|a| *a != 0) else {
            continue;
        };
        let named_discount = s
            .name
            .as_deref()
            .is_some_and(|n| n.to_ascii_lowercase().contains("discount"));
        let is_discount = named_discount || amount < 0;
        let Some(minor) = money.scaled(&|| format!("data.surcounts[{k}].amount"), amount, 2) else {
            continue;
        };
        let adjustment = Adjustment {
            kind: if is_discount { "discount" } else { "surcount" }.into(),
            name: s.name.clone(),
            code: s.pos_id.clone(),
            amount: if is_discount {
                MinorUnits(minor.0.saturating_abs())
            } else {
                minor
            },
        };
        if is_discount {
            discounts.push(adjustment);
        } else {
            fees.push(adjustment);
        }
    }
    (fees, discounts)
}

fn address(a: &wire::ConsumerAddress) -> Address {
    Address {
        street: match (&a.line1, &a.line2) {
            (Some(l1), Some(l2)) if !l2.is_empty() => Some(format!("{l1}, {l2}")),
            (l1, _) => l1.clone(),
        },
        city: a.city.clone(),
        postal_code: a.postal_code.clone(),
        area: a.state.clone(),
        country: a.country.clone(),
        notes: a.notes.clone(),
        ..Address::default()
    }
}

/// Everything Oolio sends that the canonical order has no field for, kept as text.
fn attributes(o: &wire::Order) -> Attributes {
    let mut attributes = Attributes::new();
    put(
        &mut attributes,
        "external_order_ref",
        o.external_order_ref.as_ref(),
    );
    put(&mut attributes, "partner", o.partner.as_ref());
    put(
        &mut attributes,
        "partner_location_id",
        o.partner_location_id.as_ref(),
    );
    put(&mut attributes, "pos_display_id", o.pos_display_id.as_ref());
    put(&mut attributes, "pos_location_id", o.pos_location_id.as_ref());
    put(&mut attributes, "rejection_reason", o.rejection_reason.as_ref());
    put(
        &mut attributes,
        "reservation.external_ref",
        o.reservation.as_ref().and_then(|r| r.external_ref.as_ref()),
    );
    put(
        &mut attributes,
        "table.id",
        o.table.as_ref().and_then(|t| t.id.as_ref()),
    );
    if let Some(section) = o.table.as_ref().and_then(|t| t.section.as_ref()) {
        put_json(&mut attributes, "table.section", section);
    }
    put_list(&mut attributes, "surcounts", &o.surcounts);
    if let Some(l) = &o.loyalty {
        put(&mut attributes, "loyalty.member_id", l.member_id.as_ref());
        put_list(&mut attributes, "loyalty.redeemed_rewards", &l.redeemed_rewards);
    }
    attributes
}
