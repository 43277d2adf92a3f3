//! The demo's time series over its whole horizon, computed once per seeding and shared by every
//! plan: the quarter-hours with their market prices, and per meter its consumption with running
//! totals, so stored usage, readings and invoices all add up to the same numbers.

use std::ops::Range;

use jiff::ToSpan;
use jiff::civil::Date;

use super::load::LoadProfile;
use super::prices::PriceDay;
use crate::edge::store::calendar::{Slot, quarter_hours};

/// Every quarter-hour from the first day of the demo through the last, with its price.
#[derive(Debug)]
pub struct Horizon {
    /// Each day with the index of its first slot.
    days: Vec<(Date, usize)>,
    slots: Vec<Slot>,
    prices_mct: Vec<i64>,
}

impl Horizon {
    /// The days `first..=last` (Europe/Berlin).
    pub fn new(seed: u64, first: Date, last: Date) -> Result<Self, jiff::Error> {
        let mut horizon = Horizon {
            days: Vec::new(),
            slots: Vec::new(),
            prices_mct: Vec::new(),
        };
        let mut day = first;
        while day <= last {
            horizon.days.push((day, horizon.slots.len()));
            let prices = PriceDay::new(seed, day);
            for slot in quarter_hours(day)? {
                horizon.slots.push(slot);
                horizon.prices_mct.push(prices.mct_per_kwh(slot));
            }
            day = day.checked_add(1.day())?;
        }
        Ok(horizon)
    }

    /// The index of the first slot starting at or after `at` (clamped to the horizon).
    pub fn index(&self, at: i64) -> usize {
        self.slots.partition_point(|s| s.start_at < at)
    }

    /// The slots in `[from, to)`.
    pub fn range(&self, from: i64, to: i64) -> Range<usize> {
        let start = self.index(from);
        start..self.index(to).max(start)
    }

    pub fn slot(&self, index: usize) -> Slot {
        self.slots[index]
    }

    pub fn price_mct(&self, index: usize) -> i64 {
        self.prices_mct[index]
    }

    /// The days whose slots overlap `range`, each with its slot indexes inside `range`.
    fn days_in(&self, range: Range<usize>) -> impl Iterator<Item = (Date, Range<usize>)> + '_ {
        self.days
            .iter()
            .enumerate()
            .filter_map(move |(i, (date, first))| {
                let next = self.days.get(i + 1).map_or(self.slots.len(), |d| d.1);
                let slots = (*first).max(range.start)..next.min(range.end);
                (slots.start < slots.end).then_some((*date, slots))
            })
    }
}

/// One meter's consumption per slot of the horizon, zero outside its supply period.
#[derive(Debug)]
pub struct MeterSeries {
    wh: Vec<i64>,
    /// `running[i]` is the energy of the slots before `i`.
    running: Vec<i64>,
}

impl MeterSeries {
    /// Consumption in `[from, to)` following `profile`.
    pub fn new(horizon: &Horizon, profile: &LoadProfile, from: i64, to: i64) -> Self {
        let mut wh = vec![0; horizon.slots.len()];
        for (date, slots) in horizon.days_in(horizon.range(from, to)) {
            let day = profile.day(date);
            for i in slots {
                wh[i] = day.quarter_hour_wh(horizon.slots[i]);
            }
        }
        let mut running = Vec::with_capacity(wh.len() + 1);
        running.push(0);
        for energy in &wh {
            running.push(running.last().copied().unwrap_or(0) + energy);
        }
        MeterSeries { wh, running }
    }

    pub fn wh(&self, index: usize) -> i64 {
        self.wh[index]
    }

    /// Energy in the slots `range`.
    pub fn energy_wh(&self, range: Range<usize>) -> i64 {
        self.running[range.end] - self.running[range.start]
    }

    /// Σ energy × market price over `range`, in Wh × mct/kWh (divide by 10⁶ for cents).
    pub fn market_cost(&self, horizon: &Horizon, range: Range<usize>) -> i128 {
        range
            .map(|i| i128::from(self.wh[i]) * i128::from(horizon.prices_mct[i]))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::edge::store::calendar::day_start;
    use crate::edge::store::demo::load::LoadShape;

    #[test]
    fn the_horizon_covers_dst_days_slot_by_slot() {
        let horizon = Horizon::new(1, date(2026, 3, 28), date(2026, 3, 30)).unwrap();
        assert_eq!(horizon.slots.len(), 96 + 92 + 96);
        let sunday = horizon.range(
            day_start(date(2026, 3, 29)).unwrap(),
            day_start(date(2026, 3, 30)).unwrap(),
        );
        assert_eq!(sunday, 96..188);
        let days: Vec<_> = horizon.days_in(100..200).collect();
        assert_eq!(
            days,
            vec![(date(2026, 3, 29), 100..188), (date(2026, 3, 30), 188..200)]
        );
    }

    #[test]
    fn running_totals_match_the_slots() {
        let horizon = Horizon::new(1, date(2026, 1, 1), date(2026, 1, 31)).unwrap();
        let profile = LoadProfile::new(LoadShape::Household, 3000, 4);
        let from = day_start(date(2026, 1, 10)).unwrap();
        let to = day_start(date(2026, 1, 20)).unwrap();
        let series = MeterSeries::new(&horizon, &profile, from, to);
        let inside = horizon.range(from, to);
        let sum: i64 = inside.clone().map(|i| series.wh(i)).sum();
        assert_eq!(series.energy_wh(inside.clone()), sum);
        assert_eq!(
            series.energy_wh(0..horizon.slots.len()),
            sum,
            "zero outside"
        );
        assert!(sum > 0);
    }
}
