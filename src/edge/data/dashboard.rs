//! `GET /api/subscriptions/{id}/dashboard` (ours, not Nomos): everything the portal's start page
//! shows in one call, from a handful of indexed queries on prepared statements.
//!
//! * `contract`: status, supply dates, termination.
//! * `prices`: today's quarter-hours and tomorrow's once published (13:00 Berlin), items as in
//!   the prices endpoint (`null` while the subscription is not active). Each day has its
//!   `cheapest_window`: the two consecutive hours (eight quarter-hours) with the lowest mean
//!   price — today from the current quarter-hour to midnight, tomorrow over the whole day — the
//!   earliest of equally cheap ones, `null` without two hours of known prices left. Grid fees
//!   and levies are flat, so it is also the window of the cheapest market prices.
//! * `consumption` (smart meters): today, this month and the same stretch of last month, all up
//!   to the latest measured quarter-hour (`measured_until`) so both months cover equally much;
//!   the same day and time a month earlier, clamped to the end of a shorter month. Analog meters
//!   only have `latest_month`.
//! * `next_bill`: smart meters are billed per calendar month: the running month, with the gross
//!   amount so far and that amount extrapolated to the whole month (energy pro rata, base prices
//!   in full), dated the day the month ends. Analog meters pay a fixed monthly advance: the next
//!   month not invoiced yet, dated its first day (when it is collected). `null` for a
//!   subscription that is not active or ends before that bill.
//! * `latest_invoice` (the last one issued) and `open_meter_order` (neither activated nor
//!   cancelled), or `null`.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::{Value, json};
use tiny_http::Method;

use super::energy::{self, PriceItem, SlotPrice, ct_per_kwh, euros, iso, kwh};
use super::params::Params;
use super::prices::{PriceResolution, slot_prices};
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError};
use crate::edge::store::calendar::QUARTER_HOUR;
use crate::edge::store::customers::{MeterType, SubscriptionStatus};
use crate::edge::store::dashboard::{
    LatestInvoice, MeterOrderRow, latest_invoice, open_meter_order, prepaid_until,
};
use crate::edge::store::energy::{
    EnergySubscription, latest_month, market_quarter_hours, measured_until, month_to_date,
    usage_total,
};

/// Length of the cheapest window, in quarter-hours.
const WINDOW_SLOTS: usize = 8;

pub fn route(call: &mut Call, segments: &[&str]) -> Option<Result<Answer, ApiError>> {
    match segments {
        ["subscriptions", id, "dashboard"] => Some(match call.req.method {
            Method::Get => dashboard(call, id),
            _ => Err(ApiError::method_not_allowed()),
        }),
        _ => None,
    }
}

/// The Berlin calendar around `now`, as instants.
struct Days {
    now: i64,
    today: Date,
    today_start: i64,
    tomorrow: Date,
    tomorrow_start: i64,
    day_after_start: i64,
    month_start: i64,
    next_month_start: i64,
    previous_month_start: i64,
    /// Tomorrow's prices are public from here on.
    publication_at: i64,
    published_until: i64,
}

impl Days {
    fn new(now: i64) -> Result<Days, ApiError> {
        let local = energy::berlin_now(now)?;
        let internal = |_| ApiError::internal();
        let today = local.date();
        let tomorrow = today.tomorrow().map_err(internal)?;
        let month = today.first_of_month();
        let publication = local
            .with()
            .time(jiff::civil::time(energy::PUBLICATION_HOUR, 0, 0, 0))
            .build()
            .map_err(internal)?;
        Ok(Days {
            now,
            today,
            today_start: energy::midnight(today)?,
            tomorrow,
            tomorrow_start: energy::midnight(tomorrow)?,
            day_after_start: energy::midnight(tomorrow.tomorrow().map_err(internal)?)?,
            month_start: energy::midnight(month)?,
            next_month_start: energy::midnight(month.checked_add(1.month()).map_err(internal)?)?,
            previous_month_start: energy::midnight(
                month.checked_sub(1.month()).map_err(internal)?,
            )?,
            publication_at: publication.timestamp().as_second(),
            published_until: energy::published_until(&local)?,
        })
    }
}

fn dashboard(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    let customer = energy::signed_in_customer(call)?;
    Params::parse(&call.req.query, &[])?;
    let subscription = energy::subscription(call, &customer, id)?;
    let days = Days::new(call.now)?;
    let active = subscription.status == SubscriptionStatus::Active;

    let (today, tomorrow) = if active {
        day_prices(call, &subscription, &days)?
    } else {
        (None, None)
    };
    let cheapest_today = today
        .as_deref()
        .and_then(|slots| cheapest_window(slots, days.now));
    let cheapest_tomorrow = tomorrow
        .as_deref()
        .and_then(|slots| cheapest_window(slots, days.now));
    let consumption = match subscription.meter_type {
        MeterType::Smart => smart_consumption(call, &subscription, &days)?,
        MeterType::Analog => analog_consumption(call, &subscription, &days)?,
    };
    let next_bill = if active {
        next_bill(
            call,
            &subscription,
            &days,
            consumption.month_to_date.as_ref(),
        )?
    } else {
        None
    };
    let invoice = latest_invoice(call.conn, &subscription.id, days.now)?;
    let order = open_meter_order(call.conn, &subscription.id)?;

    let items = |slots: Option<Slots>| {
        slots.map(|slots| {
            slots
                .into_iter()
                .map(|(at, price)| PriceItem::new(at, price))
                .collect()
        })
    };
    let answer = Dashboard {
        object: "dashboard",
        subscription: &subscription.id,
        generated_at: iso(days.now),
        contract: json!({
            "status": subscription.status.as_str(),
            "meter_type": subscription.meter_type.as_str(),
            "start_at": subscription.start_at.map(iso),
            "end_at": subscription.end_at.map(iso),
            "terminated_at": subscription.terminated_at.map(iso),
            "termination_reason": subscription.termination_reason.map(|r| r.as_str()),
        }),
        prices: Prices {
            unit: "ct/kWh",
            currency: "EUR",
            resolution: PriceResolution::QuarterHour.as_str(),
            today: Today {
                date: days.today.to_string(),
                items: items(today),
                cheapest_window: cheapest_today,
            },
            tomorrow: Tomorrow {
                date: days.tomorrow.to_string(),
                published: days.now >= days.publication_at,
                published_at: iso(days.publication_at),
                items: items(tomorrow),
                cheapest_window: cheapest_tomorrow,
            },
        },
        consumption: consumption.json,
        next_bill,
        latest_invoice: invoice.as_ref().map(invoice_json),
        open_meter_order: order.as_ref().map(meter_order_json),
    };
    // Serialized straight to bytes: the two days' items are most of the answer.
    Answer::json_from(200, &answer)
}

#[derive(Serialize)]
struct Dashboard<'a> {
    object: &'static str,
    subscription: &'a str,
    generated_at: String,
    contract: Value,
    prices: Prices,
    consumption: Value,
    next_bill: Option<Value>,
    latest_invoice: Option<Value>,
    open_meter_order: Option<Value>,
}

#[derive(Serialize)]
struct Prices {
    unit: &'static str,
    currency: &'static str,
    resolution: &'static str,
    today: Today,
    tomorrow: Tomorrow,
}

#[derive(Serialize)]
struct Today {
    date: String,
    items: Option<Vec<PriceItem>>,
    cheapest_window: Option<Value>,
}

#[derive(Serialize)]
struct Tomorrow {
    date: String,
    published: bool,
    published_at: String,
    items: Option<Vec<PriceItem>>,
    cheapest_window: Option<Value>,
}

type Slots = Vec<(i64, SlotPrice)>;

/// Today's quarter-hour prices, and tomorrow's once published, from one range query.
fn day_prices(
    call: &Call,
    subscription: &EnergySubscription,
    days: &Days,
) -> Result<(Option<Slots>, Option<Slots>), ApiError> {
    let known_to = days.day_after_start.min(days.published_until);
    let market = market_quarter_hours(call.conn, days.today_start, known_to)?;
    let tariff = subscription.tariff.as_ref();
    let slots = |from, to| {
        slot_prices(tariff, &market, from, to, PriceResolution::QuarterHour).collect::<Slots>()
    };
    let today = slots(days.today_start, days.tomorrow_start);
    let tomorrow = (days.published_until > days.tomorrow_start)
        .then(|| slots(days.tomorrow_start, days.day_after_start));
    Ok((Some(today), tomorrow))
}

/// The cheapest [`WINDOW_SLOTS`] consecutive known quarter-hours of a day from the one holding
/// `now` on; the earliest of equally cheap windows.
fn cheapest_window(day: &[(i64, SlotPrice)], now: i64) -> Option<Value> {
    let current = now - now.rem_euclid(QUARTER_HOUR);
    let ahead = &day[day.partition_point(|(at, _)| *at < current)..];
    let best = ahead
        .windows(WINDOW_SLOTS)
        .filter_map(|window| {
            let sum: Option<i64> = window.iter().map(|(_, p)| p.total).sum();
            sum.map(|sum| (window[0].0, sum))
        })
        .min_by_key(|(start, sum)| (*sum, *start))?;
    let known: Vec<i64> = day.iter().filter_map(|(_, p)| p.total).collect();
    let day_average = energy::div_round(known.iter().sum(), known.len() as i64);
    let (start, sum) = best;
    Some(json!({
        "start": iso(start),
        "end": iso(start + WINDOW_SLOTS as i64 * QUARTER_HOUR),
        "duration_minutes": WINDOW_SLOTS as i64 * QUARTER_HOUR / 60,
        "average_amount": ct_per_kwh(energy::div_round(sum, WINDOW_SLOTS as i64)),
        "day_average_amount": ct_per_kwh(day_average),
        "unit": "ct/kWh",
    }))
}

/// The running month of a smart meter, for the next bill.
struct MonthToDate {
    /// The month's part within the supply period, `[start, cutoff)`.
    start: i64,
    cutoff: i64,
    energy_wh: i64,
    /// Σ energy × day-ahead price in Wh × mct/kWh; `None` if a price is missing.
    market_cost: Option<i64>,
}

struct Consumption {
    json: Value,
    month_to_date: Option<MonthToDate>,
}

fn smart_consumption(
    call: &Call,
    subscription: &EnergySubscription,
    days: &Days,
) -> Result<Consumption, ApiError> {
    let Some((supply_from, supply_to)) = subscription.supply() else {
        return Ok(Consumption {
            json: consumption_json(MeterType::Smart),
            month_to_date: None,
        });
    };
    let meter = subscription.meter_key;
    let start = days.month_start.max(supply_from);
    let until = days.now.min(supply_to);
    let measured = measured_until(call.conn, meter, start, until)?;
    let cutoff = measured.unwrap_or(start).max(start);
    let month = month_to_date(call.conn, meter, start, days.today_start, cutoff)?;

    // The same stretch of last month, if the supply covered it all.
    let last_start = days.previous_month_start;
    let last_cutoff = energy::berlin_now(cutoff)?
        .checked_sub(1.month())
        .map_err(|_| ApiError::internal())?
        .timestamp()
        .as_second()
        .min(days.month_start);
    let last = if supply_from <= last_start {
        Some(usage_total(call.conn, meter, last_start, last_cutoff)?)
    } else {
        None
    };
    let change = last
        .filter(|wh| *wh > 0)
        .map(|wh| ((month.energy_wh - wh) as f64 / wh as f64 * 1000.0).round() / 10.0);

    let mut json = consumption_json(MeterType::Smart);
    json["measured_until"] = json!(measured.map(iso));
    json["today"] = json!({
        "start": iso(days.today_start),
        "usage": kwh(month.today_wh),
    });
    json["this_month"] = json!({
        "start": iso(start),
        "end": iso(cutoff),
        "usage": kwh(month.energy_wh),
    });
    json["last_month_same_period"] = json!(last.map(|wh| json!({
        "start": iso(last_start),
        "end": iso(last_cutoff),
        "usage": kwh(wh),
    })));
    json["change_percent"] = json!(change);
    Ok(Consumption {
        json,
        month_to_date: Some(MonthToDate {
            start,
            cutoff,
            energy_wh: month.energy_wh,
            market_cost: (month.unpriced == 0).then_some(month.market_cost),
        }),
    })
}

fn analog_consumption(
    call: &Call,
    subscription: &EnergySubscription,
    days: &Days,
) -> Result<Consumption, ApiError> {
    let latest = latest_month(call.conn, subscription.meter_key, days.now)?;
    let mut json = consumption_json(MeterType::Analog);
    json["latest_month"] = json!(latest.map(|m| json!({
        "start": iso(m.start_at),
        "usage": kwh(m.energy_wh),
        "type": if m.is_final { "final" } else { "preliminary" },
    })));
    Ok(Consumption {
        json,
        month_to_date: None,
    })
}

/// Every consumption field, unknown.
fn consumption_json(meter_type: MeterType) -> Value {
    json!({
        "meter_type": meter_type.as_str(),
        "measured_until": null,
        "today": null,
        "this_month": null,
        "last_month_same_period": null,
        "change_percent": null,
        "latest_month": null,
    })
}

fn next_bill(
    call: &Call,
    subscription: &EnergySubscription,
    days: &Days,
    month: Option<&MonthToDate>,
) -> Result<Option<Value>, ApiError> {
    let supply_to = subscription.end_at.unwrap_or(i64::MAX);
    match subscription.meter_type {
        MeterType::Analog => {
            let Some(advance_ct) = subscription.monthly_prepayment_ct else {
                return Ok(None);
            };
            let invoiced_until = prepaid_until(call.conn, &subscription.id, days.now)?;
            let start = invoiced_until
                .unwrap_or(days.month_start)
                .max(days.month_start);
            if supply_to <= start {
                return Ok(None);
            }
            let start_local = energy::berlin_now(start)?;
            let end = start_local
                .checked_add(1.month())
                .map_err(|_| ApiError::internal())?
                .timestamp()
                .as_second();
            Ok(Some(json!({
                "type": "prepayment",
                "date": start_local.date().to_string(),
                "period_start": iso(start),
                "period_end": iso(end.min(supply_to)),
                "amount": euros(advance_ct),
                "amount_to_date": null,
                "estimated": false,
            })))
        }
        MeterType::Smart => {
            let Some(month) = month else {
                return Ok(None);
            };
            let period_end = days.next_month_start.min(supply_to);
            let (to_date, projected) = match subscription.tariff.as_ref() {
                Some(tariff) => usage_bill_amounts(tariff, month, days, period_end),
                None => (None, None),
            };
            Ok(Some(json!({
                "type": "usage",
                "date": energy::berlin_now(period_end)?.date().to_string(),
                "period_start": iso(month.start),
                "period_end": iso(period_end),
                "amount": projected.map(euros),
                "amount_to_date": to_date.map(euros),
                "estimated": true,
            })))
        }
    }
}

/// The gross cents of the running month so far and extrapolated to its end (`None` without
/// all market prices).
fn usage_bill_amounts(
    tariff: &crate::edge::store::tariffs::PlanTariff,
    month: &MonthToDate,
    days: &Days,
    period_end: i64,
) -> (Option<i64>, Option<i64>) {
    let Some(market_cost) = month.market_cost else {
        return (None, None);
    };
    let per_kwh = tariff.markup_mct_per_kwh
        + tariff.grid_fee_mct_per_kwh
        + tariff.levies_mct_per_kwh
        + tariff.electricity_tax_mct_per_kwh
        + tariff.concession_fee_mct_per_kwh;
    // Wh × mct/kWh: 10⁶ of them make a cent.
    let energy = i128::from(market_cost) + i128::from(month.energy_wh) * i128::from(per_kwh);
    let base_per_month = i128::from(tariff.base_price_ct_per_month + tariff.grid_base_ct_per_month);
    let month_length = i128::from(days.next_month_start - days.month_start);
    let elapsed = i128::from(month.cutoff - month.start);
    let period = i128::from(period_end - month.start);
    let gross = |net_micro_ct: i128| {
        let net_ct = div_round_wide(net_micro_ct, 1_000_000);
        energy::with_vat(net_ct as i64, tariff.vat_basis_points)
    };
    let base = |seconds: i128| base_per_month * 1_000_000 * seconds / month_length;
    let to_date = gross(energy + base(elapsed));
    let projected = (elapsed > 0).then(|| gross(energy * period / elapsed + base(period)));
    (Some(to_date), projected)
}

fn div_round_wide(a: i128, b: i128) -> i128 {
    if a >= 0 {
        (a + b / 2) / b
    } else {
        (a - b / 2) / b
    }
}

/// The latest invoice in the fields of the Nomos invoice objects, plus its due date and the
/// state of its direct debit.
fn invoice_json(invoice: &LatestInvoice) -> Value {
    let mut json = json!({
        "object": "invoice",
        "id": invoice.id,
        "customer": invoice.customer_id,
        "subscription": invoice.subscription_id,
        "invoice_number": invoice.invoice_number,
        "type": invoice.invoice_type,
        "status": invoice.status,
        "month": invoice.month,
        "year": invoice.year,
        "period_start": iso(invoice.period_start),
        "period_end": iso(invoice.period_end),
        "period_number": invoice.period_number,
        "issued_at": iso(invoice.issued_at),
        "due_at": invoice.due_at.map(iso),
        "paid_at": invoice.paid_at.map(iso),
        "total": euros(invoice.total_ct),
        "payment_status": invoice.payment_status,
    });
    if let Some(wh) = invoice.usage_wh {
        json["usage"] = json!(kwh(wh));
    }
    if let Some(voids) = &invoice.voids {
        json["voids"] = json!(voids);
    }
    json
}

/// Nomos `MeterOrder`.
fn meter_order_json(order: &MeterOrderRow) -> Value {
    json!({
        "object": "meter_order",
        "id": order.id,
        "subscription": order.subscription_id,
        "customer": order.customer_id,
        "provider": order.provider,
        "status": order.status,
        "created_at": iso(order.created_at),
        "installed_at": order.installed_at.map(iso),
        "activated_at": order.activated_at.map(iso),
        "cancelled_at": order.cancelled_at.map(iso),
        "cancelled_reason": order.cancelled_reason,
        "blocked_at": order.blocked_at.map(iso),
        "blocked_reason": order.blocked_reason,
        "appointment_at": order.appointment_at.map(iso),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn priced(totals: &[Option<i64>]) -> Vec<(i64, SlotPrice)> {
        totals
            .iter()
            .enumerate()
            .map(|(i, total)| {
                (
                    i as i64 * QUARTER_HOUR,
                    SlotPrice {
                        electricity: *total,
                        grid: Some(0),
                        levies: Some(0),
                        total: *total,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn the_cheapest_window_starts_now_or_later_and_skips_unknown_prices() {
        let mut totals = vec![Some(100); 24];
        totals[0] = Some(1); // already over at `now` below
        totals[10] = Some(5);
        totals[11] = None; // any window over it is unknown
        totals[14..22].fill(Some(50));
        let today = priced(&totals);
        let window = cheapest_window(&today, 2 * QUARTER_HOUR + 7).unwrap();
        assert_eq!(window["start"], iso(14 * QUARTER_HOUR));
        assert_eq!(window["end"], iso(22 * QUARTER_HOUR));
        assert_eq!(window["average_amount"], 0.05);
        assert_eq!(window["duration_minutes"], 120);
    }

    #[test]
    fn ties_go_to_the_earliest_window_and_short_rests_have_none() {
        let today = priced(&[Some(7); 12]);
        let window = cheapest_window(&today, 0).unwrap();
        assert_eq!(window["start"], iso(0));
        assert!(
            cheapest_window(&today, 5 * QUARTER_HOUR).is_none(),
            "7 slots left"
        );
    }
}
