//! OlaClick order → canonical order. Amounts are converted exactly from major units;
//! sums that do not add up are stored as sent, with a warning.

use ordergate_shared::model::{
    Adjustment, Attributes, Customer, Item, Order, OrderStatus, OrderType, Payment, Totals,
};
use ordergate_shared::money::{Converter, MajorAmount, MinorUnits};
use ordergate_shared::time::{TimeZone, Timestamp};

use crate::wire::{OrderData, OrderDetail, Topping};

/// OlaClick's status words. Only `pending` appears in its doc; the rest are the words its
/// panel uses (ASSUMPTION, see docs/platforms.md). Anything else is kept as `unknown`.
pub fn status(raw: &str) -> OrderStatus {
    match raw.trim().to_ascii_lowercase().as_str() {
        "pending" | "new" | "created" => OrderStatus::Placed,
        "accepted" | "confirmed" => OrderStatus::Accepted,
        "preparing" | "in_progress" | "cooking" => OrderStatus::Preparing,
        "ready" | "prepared" => OrderStatus::Ready,
        "picked_up" => OrderStatus::PickedUp,
        "on_the_way" | "dispatched" | "in_delivery" | "sent" => OrderStatus::InDelivery,
        "delivered" => OrderStatus::Delivered,
        "completed" | "finished" | "closed" => OrderStatus::Completed,
        "cancelled" | "canceled" | "rejected" | "deleted" => OrderStatus::Cancelled,
        _ => OrderStatus::Unknown,
    }
}

pub fn order_type(raw: Option<&str>) -> OrderType {
    let Some(raw) = raw else {
        return OrderType::Other(String::new());
    };
    match raw.trim().to_ascii_lowercase().as_str() {
        "delivery" => OrderType::Delivery,
        "pickup" | "takeaway" | "take_away" | "takeout" => OrderType::Pickup,
        "dine_in" | "dinein" | "table" | "eat_in" | "onsite" => OrderType::DineIn,
        "curbside" => OrderType::Curbside,
        _ => OrderType::Other(raw.to_owned()),
    }
}

fn non_zero(m: Option<MinorUnits>) -> Option<MinorUnits> {
    m.filter(|m| m.0 != 0)
}

fn topping(money: &mut Converter, i: usize, j: usize, t: &Topping) -> Item {
    let at = |f: &str| format!("data.order_details[{i}].product.toppings[{j}].{f}");
    Item {
        name: t.name.clone(),
        sku: t.sku.clone(),
        quantity: t.quantity,
        unit_price: money.or_zero(&|| at("unit_price"), t.unit_price),
        unit_regular_price: money.opt(&|| at("unit_regular_price"), t.unit_regular_price),
        unit_discount: non_zero(money.opt(&|| at("discount"), t.discount)),
        ..Item::default()
    }
}

fn line(money: &mut Converter, i: usize, d: &OrderDetail) -> Item {
    let at = |f: &str| format!("data.order_details[{i}].{f}");
    let p = &d.product;
    let modifiers = p
        .toppings
        .iter()
        .enumerate()
        .map(|(j, t)| topping(money, i, j, t))
        .collect();
    Item {
        name: p.name.clone(),
        sku: p.sku.clone(),
        quantity: d.quantity,
        unit_price: money.or_zero(&|| at("product.unit_price"), p.unit_price),
        unit_regular_price: money.opt(&|| at("product.unit_regular_price"), p.unit_regular_price),
        unit_discount: non_zero(money.opt(&|| at("product.unit_discount"), p.unit_discount)),
        line_total: money.opt(&|| at("total"), d.total),
        modifiers_total: money.opt(&|| at("product.toppings_price"), p.toppings_price),
        notes: d.comment.clone(),
        modifiers,
        attributes: Attributes::new(),
    }
}

/// Maps one OlaClick order; `status_override` is used for `order_deleted`.
pub fn order(
    data: &OrderData,
    tz: &TimeZone,
    status_override: Option<(OrderStatus, &str)>,
) -> (Order, Vec<String>) {
    let c = &data.cost_details;
    let mut money = Converter::new(c.currency);
    let items: Vec<Item> = data
        .order_details
        .iter()
        .enumerate()
        .map(|(i, d)| line(&mut money, i, d))
        .collect();

    let (discounts, fees, totals, tendered) = amounts(&mut money, data);
    check_sums(&mut money.warnings, &items, &discounts, &totals);
    let status_raw = data.status.clone().unwrap_or_default();
    let (status, status_raw) = match status_override {
        Some((s, raw)) => (s, raw.to_owned()),
        None => (status(&status_raw), status_raw),
    };
    let order = Order {
        order_id: data.order_id.clone(),
        display_id: Some(data.order_id.clone()),
        status,
        status_raw,
        order_type: order_type(data.order_type.as_deref()),
        currency: c.currency,
        items,
        discounts,
        fees,
        taxes: Vec::new(),
        totals,
        customer: data.client.as_ref().map(|cl| Customer {
            name: cl.name.clone(),
            phone: cl.phone_number.as_ref().map(|p| match &cl.country_calling_code {
                Some(cc) if !cc.is_empty() => format!("+{} {p}", cc.trim_start_matches('+')),
                _ => p.clone(),
            }),
            email: cl.email.clone(),
            address: cl.address.clone(),
            latitude: cl.latitude,
            longitude: cl.longitude,
            notes: None,
        }),
        payment: Some(Payment {
            method: data.payment_method.clone(),
            status: data.payment_status.clone(),
            amount_tendered: non_zero(tendered),
            ..Payment::default()
        }),
        notes: data.comment.clone(),
        fulfilment: None,
        table: data.table_number.clone(),
        source: data.source.clone(),
        created_at: data.created_at.as_deref().map(|t| Timestamp::local(t, tz)),
        updated_at: None,
        test: false,
        attributes: attributes(data),
    };
    (order, money.warnings)
}

/// `cost_details`: discounts, fees, totals, and the cash tendered.
#[allow(clippy::type_complexity)] // four named parts of one reading, destructured at once
fn amounts(
    money: &mut Converter,
    data: &OrderData,
) -> (Vec<Adjustment>, Vec<Adjustment>, Totals, Option<MinorUnits>) {
    let c = &data.cost_details;
    let mut amount =
        |name: &str, a: &Option<MajorAmount>| money.opt(&|| format!("data.cost_details.{name}"), *a);
    let products = amount("products_price", &c.products_price);
    let toppings = amount("toppings_price", &c.toppings_price);
    let tip = amount("tip", &c.tip);
    let tendered = amount("amount_received", &c.amount_received);
    let mut discounts = Vec::new();
    for (kind, a) in [
        ("coupon", &c.coupon_discount),
        ("products", &c.products_discount),
        ("toppings", &c.toppings_discount),
    ] {
        if let Some(amount) = non_zero(amount(&format!("{kind}_discount"), a)) {
            let code = (kind == "coupon")
                .then(|| data.coupon.as_ref().and_then(|c| c.code.clone()))
                .flatten();
            discounts.push(Adjustment {
                kind: kind.into(),
                name: None,
                code,
                amount,
            });
        }
    }
    let mut fees = Vec::new();
    for (kind, a) in [("delivery", &c.delivery_price), ("packaging", &c.packaging_price)] {
        if let Some(amount) = non_zero(amount(&format!("{kind}_price"), a)) {
            fees.push(Adjustment {
                kind: kind.into(),
                name: None,
                code: None,
                amount,
            });
        }
    }
    let total = money.or_zero(&|| "data.cost_details.total".into(), c.total);
    let subtotal = match (products, toppings) {
        (None, None) => None,
        (p, t) => MinorUnits::sum([p.unwrap_or_default(), t.unwrap_or_default()]),
    };
    let totals = Totals {
        subtotal,
        discount_total: MinorUnits::sum(discounts.iter().map(|d| d.amount)).filter(|m| m.0 != 0),
        fee_total: MinorUnits::sum(fees.iter().map(|f| f.amount)).filter(|m| m.0 != 0),
        tax_total: None,
        tip,
        total,
    };
    (discounts, fees, totals, tendered)
}

/// Coupon and timing details the canonical order has no field for, kept as text.
fn attributes(data: &OrderData) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(t) = &data.last_product_added_at {
        attributes.insert("last_product_added_at", t.clone());
    }
    if let Some(coupon) = &data.coupon {
        for (name, value) in [
            ("coupon.discount_type", &coupon.discount_type),
            ("coupon.start_date", &coupon.start_date),
            ("coupon.end_date", &coupon.end_date),
        ] {
            if let Some(v) = value {
                attributes.insert(name, v.clone());
            }
        }
        if let Some(v) = coupon.value.as_ref().filter(|v| !v.is_zero()) {
            attributes.insert("coupon.value", v.to_string());
        }
    }
    attributes
}

/// OlaClick's own sums are not always consistent; say so, never reject.
/// Warns when OlaClick's amounts do not add up. Line totals are after the products' and
/// toppings' discounts (the doc's sample: lines 60 = products 50 + toppings 20 - products
/// discount 10); a coupon applies to the order. Lines equal to the undiscounted subtotal
/// are accepted too (a merchant without line discounts).
fn check_sums(warnings: &mut Vec<String>, items: &[Item], discounts: &[Adjustment], totals: &Totals) {
    let lines = MinorUnits::sum(items.iter().filter_map(|i| i.line_total));
    let line_discounts = MinorUnits::sum(discounts.iter().filter(|d| d.kind != "coupon").map(|d| d.amount));
    if let (Some(lines), Some(subtotal), Some(off)) = (lines, totals.subtotal, line_discounts) {
        let discounted = subtotal.checked_sub(off);
        if lines != subtotal && Some(lines) != discounted && items.iter().all(|i| i.line_total.is_some()) {
            warnings.push(format!(
                "line totals add up to {} but products_price + toppings_price is {} ({} after their discounts)",
                lines.0,
                subtotal.0,
                discounted.map_or("out of range".to_owned(), |d| d.0.to_string())
            ));
        }
    }
    let expected = MinorUnits::sum([
        totals.subtotal.unwrap_or_default(),
        totals.fee_total.unwrap_or_default(),
        totals.tip.unwrap_or_default(),
    ])
    .and_then(|s| s.checked_sub(totals.discount_total.unwrap_or_default()));
    if expected.is_some_and(|e| e != totals.total) {
        warnings.push(format!(
            "total {} differs from subtotal + fees + tip - discounts ({})",
            totals.total.0,
            expected.unwrap_or_default().0
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_map_and_unknown_is_kept() {
        assert_eq!(status("pending"), OrderStatus::Placed);
        assert_eq!(status("Cancelled"), OrderStatus::Cancelled);
        assert_eq!(status("teleported"), OrderStatus::Unknown);
        assert_eq!(order_type(Some("delivery")), OrderType::Delivery);
        assert_eq!(order_type(Some("drone")), OrderType::Other("drone".into()));
    }
}
