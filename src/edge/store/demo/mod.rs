//! Demo data for `portalgen serve --demo`: per plan slug six customers in typical situations,
//! two years of invoices, meter readings and orders, 15-minute market prices and consumption.
//! Deterministic from a seed and anchored to the first seeding: seeding again (on a later
//! start) rolls the time series and invoices forward to `now` without duplicating anything.

mod billing;
mod cast;
mod load;
mod people;
mod prices;
mod readings;
mod rng;
mod series;
#[cfg(test)]
mod tests;
mod write;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use rusqlite::{Connection, TransactionBehavior};

use self::cast::{Anchor, DemoContract, DemoCustomer, Role};
use self::rng::SplitMix64;
use self::series::{Horizon, MeterSeries};
use super::calendar::{QUARTER_HOUR, day_start, local_date};
use super::customers::{MeterType, SubscriptionStatus};
use super::tariffs::{PlanTariff, insert_tariff_if_missing};
use super::{Result, StoreError, db_path};

/// Days of market prices kept before today.
const PRICE_HISTORY_DAYS: i64 = 60;
/// Day-ahead results for tomorrow are published around 12:45 Europe/Berlin.
const PUBLICATION_HOUR: i8 = 13;

/// A plan slug to seed.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    pub org_id: String,
    pub slug: String,
    pub locales: Vec<String>,
    pub default_locale: String,
}

/// What to sign in with, per portal: for the start-up banner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub portals: Vec<DemoPortal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPortal {
    pub slug: String,
    pub sign_ins: Vec<DemoSignIn>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSignIn {
    pub email: String,
    /// One line, e.g. "analog meter, smart meter installation scheduled".
    pub description: String,
}

/// Seeds (or rolls forward) the demo data of `plans` in one transaction. The plans must have
/// been synced with [`super::sync_tenants`]. A database seeded with another seed is refused.
pub fn seed_demo(
    conn: &mut Connection,
    plans: &[DemoPlan],
    seed: u64,
    now: Timestamp,
) -> Result<DemoSummary> {
    let path = db_path(conn);
    let sqlite = |source| StoreError::Sqlite {
        path: path.clone(),
        source,
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    let now = now.as_second();
    let dates = |e| write::date_error(&tx, e);
    let anchor = Anchor::new(write::anchor(&tx, seed, now)?).map_err(dates)?;
    let prices = PriceWindow::new(now).map_err(dates)?;
    let first_day = anchor.first_supply_day().map_err(dates)?.min(prices.first);
    let horizon = Horizon::new(seed, first_day, prices.last).map_err(dates)?;
    let (start, end) = prices.bounds().map_err(dates)?;
    write::market_prices(&tx, &horizon, horizon.range(start, end))?;

    let mut summary = DemoSummary::default();
    for plan in plans {
        write::require_plan(&tx, plan)?;
        let tariff = insert_tariff_if_missing(&tx, &plan.slug, &demo_tariff(seed, &plan.slug))?;
        let customers = cast::cast(seed, plan, &anchor).map_err(dates)?;
        for customer in &customers {
            write::customer(&tx, plan, customer)?;
            for contract in &customer.contracts {
                seed_contract(&tx, plan, customer, contract, &tariff, &horizon, now)?;
            }
        }
        summary.portals.push(DemoPortal {
            slug: plan.slug.clone(),
            sign_ins: customers
                .iter()
                .map(|c| sign_in(plan, c, now))
                .collect::<Result<_, _>>()
                .map_err(dates)?,
        });
    }
    tx.commit().map_err(sqlite)?;
    Ok(summary)
}

/// The days of stored market prices: the last 60 days, today, and tomorrow once published.
struct PriceWindow {
    first: Date,
    last: Date,
}

impl PriceWindow {
    fn new(now: i64) -> Result<Self, jiff::Error> {
        let local = Timestamp::from_second(now)?.to_zoned(super::calendar::berlin().clone());
        let today = local.date();
        Ok(PriceWindow {
            first: today.checked_sub(PRICE_HISTORY_DAYS.days())?,
            last: if local.hour() >= PUBLICATION_HOUR {
                today.tomorrow()?
            } else {
                today
            },
        })
    }

    /// The window as `[start, end)` in unix seconds.
    fn bounds(&self) -> Result<(i64, i64), jiff::Error> {
        Ok((day_start(self.first)?, day_start(self.last.tomorrow()?)?))
    }
}

fn seed_contract(
    tx: &Connection,
    plan: &DemoPlan,
    customer: &DemoCustomer,
    contract: &DemoContract,
    tariff: &PlanTariff,
    horizon: &Horizon,
    now: i64,
) -> Result<()> {
    let dates = |e| write::date_error(tx, e);
    let meter_key = write::contract(tx, plan, customer, contract, now)?;
    let (start, end) = contract.supply().map_err(dates)?;
    // Consumption up to the last complete quarter-hour.
    let measured_until = end
        .unwrap_or(i64::MAX)
        .min(now - now.rem_euclid(QUARTER_HOUR));
    let series = MeterSeries::new(horizon, &contract.load, start, measured_until);
    let readings = readings::readings(contract, horizon, &series, now).map_err(dates)?;
    match contract.meter.meter_type {
        MeterType::Smart => write::smart_usage(
            tx,
            meter_key,
            horizon,
            &series,
            horizon.range(start, measured_until),
            final_before(now).map_err(dates)?,
        )?,
        MeterType::Analog => {
            let latest_reading_at = readings.iter().map(|r| r.read_at).max();
            let totals =
                readings::monthly_totals(contract, horizon, &series, latest_reading_at, now)
                    .map_err(dates)?;
            write::analog_usage(tx, meter_key, &totals)?;
        }
    }
    write::readings(tx, customer, contract, &readings)?;
    let invoices = billing::invoices(contract, tariff, horizon, &series, now).map_err(dates)?;
    write::invoices(tx, customer, contract, &invoices, now)
}

/// Smart meter values turn final by the 8th working day of the next month; the demo takes the
/// 12th calendar day. Returns the instant before which every value is final.
fn final_before(now: i64) -> Result<i64, jiff::Error> {
    let today = local_date(now)?;
    let month = today.first_of_month();
    day_start(if today.day() >= 12 {
        month
    } else {
        month.checked_sub(1.month())?
    })
}

/// A plan's price components, near German levels of 2026.
fn demo_tariff(seed: u64, slug: &str) -> PlanTariff {
    let mut rng = SplitMix64::keyed(seed, &format!("{slug}/tariff"));
    PlanTariff {
        markup_mct_per_kwh: rng.range(15, 25) * 100,
        base_price_ct_per_month: rng.range(8, 13) * 100 + 90,
        grid_fee_mct_per_kwh: rng.range(75, 110) * 100,
        grid_base_ct_per_month: rng.range(700, 1200),
        // KWKG, offshore grid and §19 StromNEV levies.
        levies_mct_per_kwh: 2946,
        electricity_tax_mct_per_kwh: 2050,
        concession_fee_mct_per_kwh: *rng.pick(&[1320, 1590, 1790, 1990]),
        vat_basis_points: 1900,
        notice_period_days: *rng.pick(&[14, 30]),
    }
}

fn sign_in(plan: &DemoPlan, customer: &DemoCustomer, now: i64) -> Result<DemoSignIn, jiff::Error> {
    let contract = &customer.contracts[0];
    let status = status_at(contract, now)?;
    let mut description = match customer.role {
        Role::TwoContracts => {
            "two contracts (smart and analog meter), a Storno pair, a failed payment".to_owned()
        }
        Role::AnalogWithOrder => "analog meter, smart meter installation scheduled".to_owned(),
        Role::Ended => "contract ended (moved out)".to_owned(),
        Role::Company => "company, smart meter, business load profile".to_owned(),
        Role::EndingSoon => {
            let last_day = contract.end.map(|end| end.yesterday()).transpose()?;
            let last_day = last_day.map(|d| d.to_string()).unwrap_or_default();
            match status {
                SubscriptionStatus::Ended => {
                    format!("contract terminated, supply ended {last_day}")
                }
                _ => format!("contract terminated, last day of supply {last_day}"),
            }
        }
        Role::NewContract => match status {
            SubscriptionStatus::Pending => format!(
                "new contract, supply starts {}, withdrawal possible",
                contract.start
            ),
            _ => format!("new contract, supplied since {}", contract.start),
        },
    };
    if customer.locale != plan.default_locale {
        description.push_str(&format!(" ({})", customer.locale));
    }
    Ok(DemoSignIn {
        email: customer.email.clone(),
        description,
    })
}

fn status_at(contract: &DemoContract, now: i64) -> Result<SubscriptionStatus, jiff::Error> {
    let (start, end) = contract.supply()?;
    Ok(if end.is_some_and(|end| end <= now) {
        SubscriptionStatus::Ended
    } else if start <= now {
        SubscriptionStatus::Active
    } else {
        SubscriptionStatus::Pending
    })
}
