//! Deliverect order → canonical order. Amounts arrive in minor units of `decimalDigits`
//! and are rescaled to the configured currency's ISO 4217 exponent.

use ordergate_shared::model::attributes::{put, put_list};
use ordergate_shared::model::{
    Address, Adjustment, Attributes, Courier, Customer, Fulfilment, Item, Order, OrderStatus, OrderType,
    Payment, Totals,
};
use ordergate_shared::money::{Converter, Currency, MinorUnits};
use ordergate_shared::time::Timestamp;

use crate::wire;

/// Deliverect's documented status codes → canonical status and a stage that orders codes
/// sharing one canonical status (printed after accepted, canceled after cancel, …).
pub fn status(code: i64) -> (OrderStatus, u8) {
    match code {
        10 => (OrderStatus::Placed, 0),
        20 => (OrderStatus::Accepted, 0),
        40 => (OrderStatus::Accepted, 1),
        50 => (OrderStatus::Preparing, 0),
        60 => (OrderStatus::Ready, 0),
        70 => (OrderStatus::Ready, 1),
        80..=89 => (OrderStatus::InDelivery, (code - 80) as u8),
        90 => (OrderStatus::Completed, 0),
        95 => (OrderStatus::Completed, 1),
        100 => (OrderStatus::Cancelled, 0),
        110 => (OrderStatus::Cancelled, 1),
        120 => (OrderStatus::Failed, 0),
        // Undocumented (the sample itself carries 1 and 4): kept, never rejected.
        _ => (OrderStatus::Unknown, 0),
    }
}

pub fn order_type(code: Option<i64>) -> OrderType {
    match code {
        Some(1) => OrderType::Pickup,
        Some(2) => OrderType::Delivery,
        Some(3) => OrderType::DineIn,
        Some(4) => OrderType::Curbside,
        Some(other) => OrderType::Other(other.to_string()),
        None => OrderType::Other(String::new()),
    }
}

/// Deliverect's amounts: integers in the order's `decimalDigits`, converted (and any
/// rounding or unreadable amount noted) by the shared [`Converter`].
struct Money {
    digits: u32,
    converter: Converter,
}

impl Money {
    fn new(digits: u32, currency: Currency) -> Money {
        Money {
            digits,
            converter: Converter::new(currency),
        }
    }

    /// `field` names the amount in warnings; it is only built when needed.
    fn minor(&mut self, field: &dyn Fn() -> String, amount: i64) -> Option<MinorUnits> {
        self.converter.scaled(field, amount, self.digits)
    }

    fn opt(&mut self, field: &dyn Fn() -> String, amount: Option<i64>) -> Option<MinorUnits> {
        amount.and_then(|a| self.minor(field, a))
    }

    fn warn(&mut self, warning: String) {
        self.converter.warnings.push(warning);
    }
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A line and its sub-items; `value` is the price of one unit including sub-items, when
/// every price in it is readable and the sum is in range.
/// `path` (the item's place in the body) is only built for a warning.
fn item(money: &mut Money, path: &dyn Fn() -> String, i: &wire::Item) -> (Item, Option<i128>) {
    let mut modifiers = Vec::with_capacity(i.sub_items.len());
    let mut value = i.price.map(i128::from);
    for (n, sub) in i.sub_items.iter().enumerate() {
        let (m, sub_value) = item(money, &|| format!("{}.subItems[{n}]", path()), sub);
        value = sub_value
            .and_then(|v| v.checked_mul(i128::from(sub.quantity)))
            .and_then(|v| v.checked_add(value?));
        modifiers.push(m);
    }
    let mut attributes = Attributes::new();
    put(&mut attributes, "sort_order", i.sort_order);
    put(&mut attributes, "product_type", i.product_type);
    put(&mut attributes, "is_combo", i.is_combo.filter(|b| *b));
    put(&mut attributes, "in_bundle", i.in_bundle.filter(|b| *b));
    put_list(&mut attributes, "product_tags", &i.product_tags);
    let price = &|| format!("{}.price", path());
    let unit_price = money.opt(price, i.price).unwrap_or_else(|| {
        money.warn(format!("{}: no readable amount; recorded as 0", price()));
        MinorUnits(0)
    });
    let line = Item {
        name: i.name.clone(),
        sku: text(&i.plu),
        quantity: i.quantity,
        unit_price,
        notes: text(&i.remark),
        modifiers,
        attributes,
        ..Item::default()
    };
    (line, value)
}

fn adjustment(money: &mut Money, field: &str, kind: &str, amount: Option<i64>) -> Option<Adjustment> {
    money
        .opt(&|| field.to_owned(), amount)
        .filter(|m| m.0 != 0)
        .map(|amount| Adjustment {
            kind: kind.into(),
            name: None,
            code: None,
            amount: MinorUnits(amount.0.saturating_abs()),
        })
}

fn ts(raw: &Option<String>) -> Option<Timestamp> {
    text(raw).map(|t| Timestamp::rfc3339(&t))
}

/// Maps one Deliverect order. Never fails: an amount it cannot read is left empty (or 0
/// where the canonical order always has one) and named in the warnings.
pub fn order(o: &wire::Order, currency: Currency) -> (Order, Vec<String>) {
    let sent = o.decimal_digits.unwrap_or(2);
    let digits = if sent > 9 { 2 } else { sent };
    let mut money = Money::new(digits, currency);
    if sent != digits {
        money.warn(format!(
            "decimalDigits {sent} is not supported; amounts read with 2"
        ));
    }
    let (items, subtotal) = items(&mut money, o);
    let discounts = discounts(&mut money, o);
    let fees = fees(&mut money, o);
    let taxes = taxes(&mut money, o);
    let (totals, paid) = totals(&mut money, o, subtotal, &discounts, &fees, &taxes);
    let (status, _) = status(o.status);
    let order = Order {
        order_id: o.id.clone(),
        display_id: text(&o.channel_order_display_id),
        status,
        status_raw: o.status.to_string(),
        order_type: order_type(o.order_type),
        currency,
        items,
        discounts,
        fees,
        taxes,
        totals,
        customer: o.customer.as_ref().map(|c| Customer {
            name: text(&c.name),
            phone: text(&c.phone_number),
            email: text(&c.email),
            notes: text(&c.note),
            ..Customer::default()
        }),
        payment: o.payment.as_ref().map(|p| Payment {
            method: p.kind.map(|k| k.to_string()),
            status: o
                .order_is_already_paid
                .map(|paid| if paid { "paid" } else { "unpaid" }.to_owned()),
            amount_paid: paid,
            amount_due: money.opt(&|| "payment.due".into(), p.due),
            amount_tendered: None,
        }),
        notes: text(&o.note),
        fulfilment: Some(fulfilment(o)),
        table: None,
        source: o.channel.map(|c| format!("channel:{c}")),
        created_at: ts(&o.created),
        updated_at: ts(&o.updated),
        test: o.test_order.unwrap_or(false),
        attributes: attributes(o, digits),
    };
    (order, money.converter.warnings)
}

/// The items, and their sum (each line's value times its quantity) in minor units when
/// every price is readable and the sum is in range.
fn items(money: &mut Money, o: &wire::Order) -> (Vec<Item>, Option<MinorUnits>) {
    let mut items = Vec::with_capacity(o.items.len());
    let mut subtotal = Some(0_i128);
    for (n, i) in o.items.iter().enumerate() {
        let (line, value) = item(money, &|| format!("items[{n}]"), i);
        subtotal = value
            .and_then(|v| v.checked_mul(i128::from(i.quantity)))
            .and_then(|v| v.checked_add(subtotal?));
        items.push(line);
    }
    let subtotal = subtotal.and_then(|s| i64::try_from(s).ok());
    if subtotal.is_none() {
        money.warn("items: the lines' prices do not add up to an amount; subtotal left empty".into());
    }
    (items, subtotal.and_then(|s| money.minor(&|| "items".into(), s)))
}

fn discounts(money: &mut Money, o: &wire::Order) -> Vec<Adjustment> {
    let mut discounts = Vec::new();
    for (n, d) in o.discounts.iter().enumerate() {
        let field = format!("discounts[{n}].amount");
        if let Some(mut a) = adjustment(money, &field, "discount", d.amount) {
            a.kind = text(&d.kind).unwrap_or_else(|| "discount".into());
            a.name = text(&d.name);
            a.code = text(&d.channel_discount_code).or_else(|| text(&d.reference_id));
            discounts.push(a);
        }
    }
    discounts
}

fn fees(money: &mut Money, o: &wire::Order) -> Vec<Adjustment> {
    [
        ("deliveryCost", "delivery", o.delivery_cost),
        ("serviceCharge", "service", o.service_charge),
        ("bagFee", "bag", o.bag_fee),
    ]
    .into_iter()
    .filter_map(|(field, kind, amount)| adjustment(money, field, kind, amount))
    .collect()
}

fn taxes(money: &mut Money, o: &wire::Order) -> Vec<Adjustment> {
    let mut taxes = Vec::new();
    for (n, t) in o.taxes.iter().enumerate() {
        if let Some(mut a) = adjustment(money, &format!("taxes[{n}].total"), "tax", t.total) {
            a.name = text(&t.name);
            a.code = t.tax_class_id.map(|c| c.to_string());
            taxes.push(a);
        }
    }
    taxes
}

/// The order's totals, and the amount paid if Deliverect says. The total is what was paid,
/// else items - discounts + fees + tips (0 if neither is known); a difference between them
/// is a warning.
fn totals(
    money: &mut Money,
    o: &wire::Order,
    subtotal: Option<MinorUnits>,
    discounts: &[Adjustment],
    fees: &[Adjustment],
    taxes: &[Adjustment],
) -> (Totals, Option<MinorUnits>) {
    let sum = |list: &[Adjustment]| MinorUnits::sum(list.iter().map(|a| a.amount));
    let discount_total = match o.discount_total {
        Some(t) => money
            .minor(&|| "discountTotal".into(), t)
            .map(|m| MinorUnits(m.0.saturating_abs())),
        None => sum(discounts),
    }
    .filter(|m| m.0 != 0);
    let tip = MinorUnits::sum([
        money.opt(&|| "tip".into(), o.tip).unwrap_or_default(),
        money
            .opt(&|| "driverTip".into(), o.driver_tip)
            .unwrap_or_default(),
    ]);
    let (fee_total, tax_total) = (sum(fees), sum(taxes));
    let expected = subtotal
        .and_then(|s| MinorUnits::sum([s, fee_total.unwrap_or_default(), tip.unwrap_or_default()]))
        .and_then(|s| s.checked_sub(discount_total.unwrap_or_default()));
    if tip.is_none() || fee_total.is_none() || tax_total.is_none() {
        money.warn("amounts add up beyond the representable range; sums left out".into());
    }
    let paid = money.opt(
        &|| "payment.amount".into(),
        o.payment.as_ref().and_then(|p| p.amount),
    );
    let total = paid.or(expected).unwrap_or_else(|| {
        money.warn("total: no payment.amount, and the order's amounts do not add up; recorded as 0".into());
        MinorUnits(0)
    });
    if let Some(expected) = expected.filter(|e| *e != total) {
        money.warn(format!(
            "payment.amount {} differs from items - discounts + fees + tips ({})",
            total.0, expected.0
        ));
    }
    let totals = Totals {
        subtotal,
        discount_total,
        fee_total: fee_total.filter(|m| m.0 != 0),
        tax_total: tax_total.filter(|m| m.0 != 0),
        tip: tip.filter(|m| m.0 != 0),
        total,
    };
    (totals, paid)
}

fn fulfilment(o: &wire::Order) -> Fulfilment {
    let address = o.delivery_address.as_ref().map(|a| {
        let point = a
            .coordinates
            .as_ref()
            .map(|c| c.coordinates.as_slice())
            .unwrap_or_default();
        Address {
            street: text(&a.street),
            city: text(&a.city),
            postal_code: text(&a.postal_code),
            area: text(&a.area),
            country: text(&a.country),
            notes: text(&a.extra_address_info),
            longitude: point.first().copied(),
            latitude: point.get(1).copied(),
        }
    });
    let courier = o.courier.as_ref().map(|c| Courier {
        name: text(&Some(format!(
            "{} {}",
            c.first_name.as_deref().unwrap_or(""),
            c.last_name.as_deref().unwrap_or("")
        ))),
        phone: text(&c.phone_number),
        delivered_by: text(&c.delivery_by),
    });
    Fulfilment {
        pickup_at: ts(&o.pickup_time),
        deliver_at: ts(&o.delivery_time),
        asap: o.delivery_is_asap,
        address,
        courier,
    }
}

/// Everything Deliverect sends that the canonical order has no field for, kept as text.
fn attributes(o: &wire::Order, digits: u32) -> Attributes {
    let payment = o.payment.as_ref();
    let mut attributes = Attributes::new();
    put(&mut attributes, "by", text(&o.by));
    put(&mut attributes, "pos", o.pos);
    put(&mut attributes, "date", o.date.as_ref());
    put(&mut attributes, "tags", Some(o.tags.join(",")));
    put(&mut attributes, "pos_id", text(&o.pos_id));
    put(&mut attributes, "recent", o.recent);
    put(&mut attributes, "account", text(&o.account));
    put(&mut attributes, "brand_id", text(&o.brand_id));
    put(&mut attributes, "channel", o.channel);
    put(&mut attributes, "channel_link", text(&o.channel_link));
    put(&mut attributes, "channel_order_id", text(&o.channel_order_id));
    put(
        &mut attributes,
        "channel_order_raw_id",
        text(&o.channel_order_raw_id),
    );
    put(
        &mut attributes,
        "channel_order_history_raw_ids",
        Some(o.channel_order_history_raw_ids.join(",")),
    );
    put(&mut attributes, "timezone", text(&o.timezone));
    put(&mut attributes, "resolved_by", text(&o.resolved_by));
    put(&mut attributes, "pos_receipt_id", text(&o.pos_receipt_id));
    put(&mut attributes, "pos_location_id", text(&o.pos_location_id));
    put(&mut attributes, "number_of_customers", o.number_of_customers);
    put(
        &mut attributes,
        "include_cutlery",
        o.packaging.as_ref().and_then(|p| p.include_cutlery),
    );
    put(&mut attributes, "decimal_digits", Some(digits));
    put(&mut attributes, "tip", o.tip.filter(|t| *t != 0));
    put(&mut attributes, "driver_tip", o.driver_tip.filter(|t| *t != 0));
    put(&mut attributes, "payment.rebate", payment.and_then(|p| p.rebate));
    put(
        &mut attributes,
        "payment.commission_type",
        payment.and_then(|p| text(&p.commission_type)),
    );
    if let Some(c) = &o.customer {
        put(&mut attributes, "customer.company_name", text(&c.company_name));
        put(&mut attributes, "customer.tin", text(&c.tin));
        put(
            &mut attributes,
            "customer.phone_access_code",
            text(&c.phone_access_code),
        );
    }
    for (n, d) in o.discounts.iter().enumerate() {
        put(
            &mut attributes,
            format!("discounts[{n}].provider"),
            text(&d.provider),
        );
        put(&mut attributes, format!("discounts[{n}].value"), d.value);
    }
    put_list(&mut attributes, "status_history", &o.status_history);
    put_list(
        &mut attributes,
        "courier_update_history",
        &o.courier_update_history,
    );
    put_list(&mut attributes, "capacity_usages", &o.capacity_usages);
    put_list(&mut attributes, "rating", &o.rating);
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_amounts_warning_names_its_place_in_the_body() {
        let mut body = ordergate_testkit::payload("deliverect/new_order.json");
        body["decimalDigits"] = 3.into();
        body["items"][0]["subItems"][1]["subItems"][0]["price"] = 55.into();
        let wire: wire::Order = serde_json::from_value(body).unwrap();
        let (_, warnings) = order(&wire, "EUR".parse().unwrap());
        let want = "items[0].subItems[1].subItems[0].price has more decimals than EUR allows; rounded";
        assert!(warnings.iter().any(|w| w == want), "{warnings:?}");
    }

    #[test]
    fn every_documented_status_code_maps_and_others_are_unknown() {
        for (code, want) in [
            (10, OrderStatus::Placed),
            (20, OrderStatus::Accepted),
            (40, OrderStatus::Accepted),
            (50, OrderStatus::Preparing),
            (60, OrderStatus::Ready),
            (70, OrderStatus::Ready),
            (80, OrderStatus::InDelivery),
            (85, OrderStatus::InDelivery),
            (89, OrderStatus::InDelivery),
            (90, OrderStatus::Completed),
            (95, OrderStatus::Completed),
            (100, OrderStatus::Cancelled),
            (110, OrderStatus::Cancelled),
            (120, OrderStatus::Failed),
            (1, OrderStatus::Unknown),
            (4, OrderStatus::Unknown),
            (999, OrderStatus::Unknown),
        ] {
            assert_eq!(status(code).0, want, "code {code}");
        }
        // Within one canonical status the later code wins.
        assert!(status(110).1 > status(100).1 && status(70).1 > status(60).1 && status(95).1 > status(90).1);
    }

    #[test]
    fn decimal_digits_rescale_to_the_currency() {
        let mut m = Money::new(2, "JPY".parse().unwrap());
        assert_eq!(m.minor(&|| "x".into(), 150_000), Some(MinorUnits(1500)));
        assert_eq!(
            m.minor(&|| "x".into(), 150),
            Some(MinorUnits(2)),
            "1.50 JPY rounds half-even to 2"
        );
        assert_eq!(
            m.minor(&|| "x".into(), 250),
            Some(MinorUnits(2)),
            "2.50 JPY rounds half-even to 2"
        );
        assert_eq!(m.converter.warnings.len(), 2);
        let mut m = Money::new(2, "KWD".parse().unwrap());
        assert_eq!(m.minor(&|| "x".into(), 650), Some(MinorUnits(6500)));
        assert_eq!(
            m.minor(&|| "x".into(), i64::MAX),
            None,
            "out of range: left empty"
        );
        let mut m = Money::new(2, "EUR".parse().unwrap());
        assert_eq!(m.minor(&|| "x".into(), -50), Some(MinorUnits(-50)));
    }
}
