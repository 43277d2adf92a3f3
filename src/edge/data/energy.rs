//! What the price, usage and dashboard answers share: the signed-in customer's subscription (or
//! 404), the price of a slot with its components, when day-ahead prices become public, and the
//! units of the answers (ct/kWh, kWh, EUR, RFC 3339 instants).

use jiff::civil::Date;
use jiff::{Timestamp, Zoned};
use serde::Serialize;

use crate::edge::Call;
use crate::edge::api::ApiError;
use crate::edge::auth::sessions;
use crate::edge::store::calendar::{berlin, day_start};
use crate::edge::store::energy::{self, EnergySubscription};
use crate::edge::store::tariffs::PlanTariff;

/// The day-ahead auction's results for a day are public from 13:00 Europe/Berlin the day before
/// (EPEX publishes around 12:45); until then tomorrow's prices are unknown even if stored.
pub const PUBLICATION_HOUR: i8 = 13;

/// The signed-in customer's id, or 401.
pub fn signed_in_customer(call: &mut Call) -> Result<String, ApiError> {
    Ok(sessions::require(call)?.customer.id)
}

/// The customer's subscription `id`; another customer's or portal's id is 404.
pub fn subscription(
    call: &Call,
    customer_id: &str,
    id: &str,
) -> Result<EnergySubscription, ApiError> {
    energy::energy_subscription(call.conn, customer_id, id)?.ok_or_else(ApiError::not_found)
}

/// `now` on the Berlin clock.
pub fn berlin_now(now: i64) -> Result<Zoned, ApiError> {
    Ok(Timestamp::from_second(now)
        .map_err(|_| ApiError::internal())?
        .to_zoned(berlin().clone()))
}

/// Midnight starting `date` in Berlin, for dates the API accepted.
pub fn midnight(date: Date) -> Result<i64, ApiError> {
    day_start(date).map_err(|_| ApiError::internal())
}

/// Prices of slots starting before this instant are public at `now`: the end of tomorrow from
/// 13:00 on, else the end of today.
pub fn published_until(now: &Zoned) -> Result<i64, ApiError> {
    let today = now.date();
    let last_public = if now.hour() >= PUBLICATION_HOUR {
        today.tomorrow()
    } else {
        Ok(today)
    };
    last_public
        .and_then(|d| d.tomorrow())
        .map_err(|_| ApiError::internal())
        .and_then(midnight)
}

/// One slot's gross price in millicents per kWh: every component with VAT, and their sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotPrice {
    /// Day-ahead price plus the plan's markup.
    pub electricity: Option<i64>,
    /// The grid operator's working price.
    pub grid: Option<i64>,
    /// Levies, electricity tax and concession fee.
    pub levies: Option<i64>,
    /// `None` when any component is unknown.
    pub total: Option<i64>,
}

impl SlotPrice {
    /// `market` is the day-ahead price (net, mct/kWh), `None` where not (yet) known. Each
    /// component is rounded to whole millicents with VAT, and the total is their sum, so the
    /// components always add up to it.
    pub fn new(tariff: Option<&PlanTariff>, market: Option<i64>) -> SlotPrice {
        let Some(t) = tariff else {
            return SlotPrice {
                electricity: None,
                grid: None,
                levies: None,
                total: None,
            };
        };
        let gross = |net: i64| with_vat(net, t.vat_basis_points);
        let electricity = market.map(|m| gross(m + t.markup_mct_per_kwh));
        let grid = gross(t.grid_fee_mct_per_kwh);
        let levies = gross(
            t.levies_mct_per_kwh + t.electricity_tax_mct_per_kwh + t.concession_fee_mct_per_kwh,
        );
        SlotPrice {
            electricity,
            grid: Some(grid),
            levies: Some(levies),
            total: electricity.map(|e| e + grid + levies),
        }
    }
}

/// A price item of the Nomos `Price` answer.
#[derive(Debug, Clone, Serialize)]
pub struct PriceItem {
    #[serde(serialize_with = "serialize_iso")]
    pub timestamp: i64,
    pub amount: Option<f64>,
    pub components: [PriceComponent; 3],
}

#[derive(Debug, Clone, Serialize)]
pub struct PriceComponent {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub amount: Option<f64>,
}

impl PriceItem {
    pub fn new(start_at: i64, price: SlotPrice) -> PriceItem {
        let component = |kind, amount: Option<i64>| PriceComponent {
            kind,
            amount: amount.map(ct_per_kwh),
        };
        PriceItem {
            timestamp: start_at,
            amount: price.total.map(ct_per_kwh),
            components: [
                component("electricity", price.electricity),
                component("grid", price.grid),
                component("levies", price.levies),
            ],
        }
    }
}

/// `net` plus VAT, rounded half away from zero (day-ahead prices can be negative).
pub fn with_vat(net: i64, vat_basis_points: i64) -> i64 {
    div_round(net * (10_000 + vat_basis_points), 10_000)
}

/// `a / b` rounded half away from zero, for `b > 0`.
pub fn div_round(a: i64, b: i64) -> i64 {
    let half = b / 2;
    if a >= 0 {
        (a + half) / b
    } else {
        (a - half) / b
    }
}

/// Millicents per kWh as ct/kWh.
pub fn ct_per_kwh(mct: i64) -> f64 {
    mct as f64 / 1000.0
}

/// Watt-hours as kWh.
pub fn kwh(wh: i64) -> f64 {
    wh as f64 / 1000.0
}

/// Cents as euros.
pub fn euros(ct: i64) -> f64 {
    ct as f64 / 100.0
}

/// A unix time as RFC 3339 in UTC, e.g. `2026-03-28T23:00:00Z`.
pub fn iso(unix: i64) -> String {
    Timestamp::from_second(unix)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// [`iso`] for serde, written straight into the output.
pub fn serialize_iso<S: serde::Serializer>(unix: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    match Timestamp::from_second(*unix) {
        Ok(at) => serializer.collect_str(&at),
        Err(_) => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff() -> PlanTariff {
        PlanTariff {
            markup_mct_per_kwh: 2000,
            base_price_ct_per_month: 990,
            grid_fee_mct_per_kwh: 9000,
            grid_base_ct_per_month: 800,
            levies_mct_per_kwh: 2946,
            electricity_tax_mct_per_kwh: 2050,
            concession_fee_mct_per_kwh: 1590,
            vat_basis_points: 1900,
            notice_period_days: 30,
        }
    }

    #[test]
    fn components_carry_vat_and_add_up_to_the_total() {
        let price = SlotPrice::new(Some(&tariff()), Some(8_765));
        assert_eq!(
            price.electricity,
            Some(12_810),
            "(8,765 + 2,000) × 1.19 = 12,810.35"
        );
        assert_eq!(price.grid, Some(10_710));
        assert_eq!(price.levies, Some(7_837), "6,586 × 1.19 = 7,837.34");
        assert_eq!(price.total, Some(12_810 + 10_710 + 7_837));
    }

    #[test]
    fn negative_market_prices_round_away_from_zero() {
        let price = SlotPrice::new(Some(&tariff()), Some(-4_505));
        assert_eq!(price.electricity, Some(-2_981), "-2,505 × 1.19 = -2,980.95");
        assert_eq!(with_vat(-5, 1000), -6, "-5.5 rounds to -6");
        assert_eq!(with_vat(5, 1000), 6);
    }

    #[test]
    fn unknown_parts_make_the_total_unknown() {
        let no_market = SlotPrice::new(Some(&tariff()), None);
        assert_eq!(no_market.electricity, None);
        assert_eq!(no_market.total, None);
        assert!(no_market.grid.is_some());
        let no_tariff = SlotPrice::new(None, Some(1_000));
        assert_eq!(no_tariff.total, None);
        assert_eq!(no_tariff.grid, None);
    }

    #[test]
    fn tomorrow_is_public_from_13_00_berlin() {
        // 2026-05-28 12:59:59 and 13:00:00 CEST.
        let before = berlin_now(1_779_965_999).unwrap();
        let after = berlin_now(1_779_966_000).unwrap();
        let tomorrow_start = 1_779_919_200 + 86_400;
        assert_eq!(published_until(&before).unwrap(), tomorrow_start);
        assert_eq!(published_until(&after).unwrap(), tomorrow_start + 86_400);
    }
}
