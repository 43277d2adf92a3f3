//! `GET /api/subscriptions/{id}/prices?start&end[&resolution]`: the customer's price per
//! quarter-hour (or hour) over Berlin days `start` through `end` (inclusive, as Nomos), in the
//! shape of the Nomos `Price`. Each item has the gross components electricity (day-ahead price
//! plus the plan's markup), grid and levies (levies, electricity tax, concession fee) and their
//! sum; VAT is included in each. A slot whose day-ahead price is not known — not stored, or
//! tomorrow before 13:00 — has `null` electricity and total. A subscription that is not active
//! has `items: null`.

use serde::Serialize;
use tiny_http::Method;

use super::energy::{self, PriceItem, SlotPrice};
use super::params::{Params, invalid};
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError};
use crate::edge::store::calendar::{QUARTER_HOUR, days_since_epoch};
use crate::edge::store::customers::SubscriptionStatus;
use crate::edge::store::energy::{MarketSlot, market_hours, market_quarter_hours};
use crate::edge::store::tariffs::PlanTariff;

/// The longest period one request may ask for, in days.
const MAX_DAYS: i64 = 31;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceResolution {
    QuarterHour,
    Hour,
}

impl PriceResolution {
    pub const OPTIONS: [(&'static str, PriceResolution); 2] = [
        ("15min", PriceResolution::QuarterHour),
        ("hour", PriceResolution::Hour),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PriceResolution::QuarterHour => "15min",
            PriceResolution::Hour => "hour",
        }
    }

    fn seconds(self) -> i64 {
        match self {
            PriceResolution::QuarterHour => QUARTER_HOUR,
            PriceResolution::Hour => 3600,
        }
    }

    fn reference(self) -> &'static str {
        match self {
            PriceResolution::QuarterHour => "EPEX Day-Ahead DE-LU 15min",
            PriceResolution::Hour => "EPEX Day-Ahead DE-LU 15min, hourly mean",
        }
    }
}

pub fn route(call: &mut Call, segments: &[&str]) -> Option<Result<Answer, ApiError>> {
    match segments {
        ["subscriptions", id, "prices"] => Some(match call.req.method {
            Method::Get => prices(call, id),
            _ => Err(ApiError::method_not_allowed()),
        }),
        _ => None,
    }
}

fn prices(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    let customer = energy::signed_in_customer(call)?;
    let params = Params::parse(&call.req.query, &["start", "end", "resolution"])?;
    let start = params.required_date("start")?;
    let end = params.required_date("end")?;
    let resolution = params
        .choice("resolution", &PriceResolution::OPTIONS)?
        .unwrap_or(PriceResolution::QuarterHour);
    let days = days_since_epoch(end) - days_since_epoch(start) + 1;
    if days < 1 {
        return Err(invalid("too_small", "end", "must not be before `start`"));
    }
    if days > MAX_DAYS {
        return Err(invalid(
            "too_big",
            "end",
            &format!("must be at most {} days after `start`", MAX_DAYS - 1),
        ));
    }
    let subscription = energy::subscription(call, &customer, id)?;
    let items = if subscription.status == SubscriptionStatus::Active {
        let published_until = energy::published_until(&energy::berlin_now(call.now)?)?;
        let from = energy::midnight(start)?;
        let to = energy::midnight(end.tomorrow().map_err(|_| ApiError::internal())?)?;
        Some(price_items(
            call,
            subscription.tariff.as_ref(),
            (from, to),
            resolution,
            published_until,
        )?)
    } else {
        None
    };
    Answer::json_from(
        200,
        &PriceAnswer {
            object: "price",
            subscription: &subscription.id,
            period: Period {
                start: start.to_string(),
                end: end.to_string(),
            },
            unit: "ct/kWh",
            currency: "EUR",
            resolution: resolution.as_str(),
            reference: resolution.reference(),
            items,
        },
    )
}

/// The Nomos `Price`.
#[derive(Serialize)]
struct PriceAnswer<'a> {
    object: &'static str,
    subscription: &'a str,
    period: Period,
    unit: &'static str,
    currency: &'static str,
    resolution: &'static str,
    reference: &'static str,
    items: Option<Vec<PriceItem>>,
}

#[derive(Serialize)]
struct Period {
    start: String,
    end: String,
}

/// One item per slot of `[from, to)`; day-ahead prices from `published_until` on count as
/// unknown.
pub fn price_items(
    call: &Call,
    tariff: Option<&PlanTariff>,
    (from, to): (i64, i64),
    resolution: PriceResolution,
    published_until: i64,
) -> Result<Vec<PriceItem>, ApiError> {
    let known_to = to.min(published_until);
    let market = if known_to <= from {
        Vec::new()
    } else {
        match resolution {
            PriceResolution::QuarterHour => market_quarter_hours(call.conn, from, known_to)?,
            PriceResolution::Hour => market_hours(call.conn, from, known_to)?,
        }
    };
    Ok(slot_prices(tariff, &market, from, to, resolution)
        .map(|(start_at, price)| PriceItem::new(start_at, price))
        .collect())
}

/// Every slot of `[from, to)` with its price; `market` holds the known slots in order. An hour
/// is known only with all four of its quarter-hours, and costs their mean.
pub fn slot_prices<'a>(
    tariff: Option<&'a PlanTariff>,
    market: &'a [MarketSlot],
    from: i64,
    to: i64,
    resolution: PriceResolution,
) -> impl Iterator<Item = (i64, SlotPrice)> + 'a {
    let step = resolution.seconds();
    let quarters = step / QUARTER_HOUR;
    let mut known = market.iter().peekable();
    (from..to).step_by(step as usize).map(move |start_at| {
        while known.next_if(|m| m.start_at < start_at).is_some() {}
        let price = known
            .next_if(|m| m.start_at == start_at)
            .filter(|m| m.quarters == quarters)
            .map(|m| energy::div_round(m.sum_mct_per_kwh, quarters));
        (start_at, SlotPrice::new(tariff, price))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(start_at: i64, sum: i64, quarters: i64) -> MarketSlot {
        MarketSlot {
            start_at,
            sum_mct_per_kwh: sum,
            quarters,
        }
    }

    fn tariff() -> PlanTariff {
        PlanTariff {
            markup_mct_per_kwh: 0,
            base_price_ct_per_month: 0,
            grid_fee_mct_per_kwh: 0,
            grid_base_ct_per_month: 0,
            levies_mct_per_kwh: 0,
            electricity_tax_mct_per_kwh: 0,
            concession_fee_mct_per_kwh: 0,
            vat_basis_points: 0,
            notice_period_days: 14,
        }
    }

    #[test]
    fn gaps_in_the_market_prices_are_unknown_slots() {
        let market = [slot(0, 100, 1), slot(1800, 300, 1)];
        let t = tariff();
        let totals: Vec<_> = slot_prices(Some(&t), &market, 0, 3600, PriceResolution::QuarterHour)
            .map(|(at, p)| (at, p.total))
            .collect();
        assert_eq!(
            totals,
            vec![(0, Some(100)), (900, None), (1800, Some(300)), (2700, None)]
        );
    }

    #[test]
    fn an_hour_is_the_mean_of_four_known_quarters() {
        let market = [slot(0, 1001, 4), slot(3600, 300, 3)];
        let t = tariff();
        let totals: Vec<_> = slot_prices(Some(&t), &market, 0, 3 * 3600, PriceResolution::Hour)
            .map(|(_, p)| p.total)
            .collect();
        assert_eq!(totals, vec![Some(250), None, None]);
    }
}
