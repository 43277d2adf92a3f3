//! The demo's meter readings and the monthly totals of analog meters. Readings fall on the first
//! day of a month (or the first and last day of supply) and count the meter's consumption since
//! its initial reading, so they agree with the stored usage and the invoices.

use super::cast::DemoContract;
use super::rng::SplitMix64;
use super::series::{Horizon, MeterSeries};
use crate::edge::store::customers::MeterType;

const HOUR: i64 = 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReading {
    pub id: String,
    pub value_wh: i64,
    /// Start of the day in Europe/Berlin.
    pub read_at: i64,
    pub reading_type: &'static str,
    pub created_at: i64,
}

/// One month of an analog meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthlyTotal {
    pub start_at: i64,
    pub energy_wh: i64,
    /// Covered by a reading; otherwise an estimate.
    pub from_reading: bool,
}

/// The readings known by `now`. Smart meters report every month start; analog meters are read by
/// the grid operator at move-in and yearly (every other year it only estimates), and customers
/// report every quarter in between. Supply's end gets a final reading.
pub fn readings(
    contract: &DemoContract,
    horizon: &Horizon,
    series: &MeterSeries,
    now: i64,
) -> Result<Vec<DemoReading>, jiff::Error> {
    let (start, end) = contract.supply()?;
    let mut due: Vec<(i64, &'static str)> = Vec::new();
    for (index, (_, month)) in contract.months(now)?.iter().enumerate() {
        let reading_type = match (contract.meter.meter_type, index) {
            (_, 0) | (MeterType::Smart, _) => Some("grid_reading"),
            (MeterType::Analog, i) if i % 24 == 0 => Some("grid_reading"),
            (MeterType::Analog, i) if i % 12 == 0 => Some("grid_estimation"),
            (MeterType::Analog, i) if i % 3 == 0 => Some("customer_report"),
            _ => None,
        };
        if let Some(reading_type) = reading_type {
            due.push((month.start, reading_type));
        }
    }
    if let Some(end) = end {
        due.push((end, "grid_reading"));
    }
    Ok(due
        .into_iter()
        .map(|(read_at, reading_type)| {
            // Customers report in the evening; the grid operator's data arrives two days later.
            let created_at = match reading_type {
                "customer_report" => read_at + 19 * HOUR,
                _ => read_at + 2 * 24 * HOUR + 8 * HOUR,
            };
            DemoReading {
                id: SplitMix64::keyed(contract.seed, &format!("reading/{read_at}")).id("mr"),
                value_wh: contract.meter.initial_reading_wh
                    + series.energy_wh(horizon.range(start, read_at)),
                read_at,
                reading_type,
                created_at,
            }
        })
        .filter(|r| r.created_at <= now)
        .collect())
}

/// The analog meter's consumption per completed month; months up to the latest reading are
/// final, later ones estimated.
pub fn monthly_totals(
    contract: &DemoContract,
    horizon: &Horizon,
    series: &MeterSeries,
    latest_reading_at: Option<i64>,
    now: i64,
) -> Result<Vec<MonthlyTotal>, jiff::Error> {
    Ok(contract
        .months(now)?
        .iter()
        .filter(|(_, month)| month.end <= now)
        .map(|(_, month)| MonthlyTotal {
            start_at: month.start,
            energy_wh: series.energy_wh(horizon.range(month.start, month.end)),
            from_reading: latest_reading_at.is_some_and(|at| month.end <= at),
        })
        .collect())
}
