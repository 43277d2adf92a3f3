//! The demo's consumption in 15-minute steps: a standard load profile (household like the BDEW
//! H0, or a small business like G0) scaled to the estimated yearly usage, with seasons, day-to-day
//! variation, noise and the odd appliance spike. A pure function of the meter's seed and the
//! quarter-hour.

use jiff::civil::{Date, Weekday};

use super::prices::season;
use super::rng::unit_hash;
use crate::edge::store::calendar::{Slot, days_since_epoch};

/// Relative consumption per hour of the day (the value holds at half past the hour).
type HourlyShape = [f64; 24];

const HOUSEHOLD_WEEKDAY: HourlyShape = [
    0.50, 0.42, 0.38, 0.36, 0.36, 0.42, 0.68, 0.98, 0.98, 0.85, 0.82, 0.88, 1.02, 0.98, 0.88, 0.84,
    0.92, 1.12, 1.42, 1.62, 1.58, 1.40, 1.10, 0.72,
];
const HOUSEHOLD_WEEKEND: HourlyShape = [
    0.58, 0.48, 0.42, 0.38, 0.37, 0.38, 0.45, 0.62, 0.92, 1.12, 1.22, 1.32, 1.38, 1.22, 1.06, 1.00,
    1.02, 1.15, 1.38, 1.50, 1.45, 1.30, 1.08, 0.78,
];
const BUSINESS_WEEKDAY: HourlyShape = [
    0.35, 0.33, 0.33, 0.33, 0.34, 0.40, 0.70, 1.30, 1.75, 1.85, 1.85, 1.80, 1.60, 1.75, 1.80, 1.75,
    1.60, 1.25, 0.85, 0.60, 0.50, 0.45, 0.40, 0.37,
];
const BUSINESS_WEEKEND: HourlyShape = [
    0.38, 0.37, 0.37, 0.37, 0.37, 0.38, 0.40, 0.42, 0.45, 0.48, 0.50, 0.50, 0.48, 0.46, 0.45, 0.44,
    0.43, 0.42, 0.41, 0.40, 0.40, 0.39, 0.39, 0.38,
];

/// Quarter-hours in an average year.
const SLOTS_PER_YEAR: f64 = 365.25 * 96.0;

const DAY_FACTOR: u64 = 1;
const SLOT_NOISE: u64 = 2;
const SPIKE: u64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadShape {
    Household,
    Business,
}

impl LoadShape {
    fn shapes(self) -> (&'static HourlyShape, &'static HourlyShape) {
        match self {
            LoadShape::Household => (&HOUSEHOLD_WEEKDAY, &HOUSEHOLD_WEEKEND),
            LoadShape::Business => (&BUSINESS_WEEKDAY, &BUSINESS_WEEKEND),
        }
    }

    /// How much colder months use more (heating pumps, light).
    fn seasonality(self) -> f64 {
        match self {
            LoadShape::Household => 0.22,
            LoadShape::Business => 0.10,
        }
    }

    /// Day-to-day variation around the profile: ± this share.
    fn day_variation(self) -> f64 {
        match self {
            LoadShape::Household => 0.2,
            LoadShape::Business => 0.1,
        }
    }

    /// Appliance spikes (kettle, oven, washing machine): the chance per quarter-hour and their
    /// average size in mean quarter-hours. Their energy is taken from the smooth profile, so the
    /// yearly total stays the estimate.
    fn spikes(self) -> (f64, f64) {
        match self {
            LoadShape::Household => (0.04, 3.0),
            LoadShape::Business => (0.0, 0.0),
        }
    }
}

/// One meter's consumption pattern.
#[derive(Debug, Clone, Copy)]
pub struct LoadProfile {
    shape: LoadShape,
    seed: u64,
    mean_slot_wh: f64,
    /// Divides the hourly shapes so that an average week averages 1.
    week_mean: f64,
}

impl LoadProfile {
    pub fn new(shape: LoadShape, annual_kwh: i64, seed: u64) -> Self {
        let (weekday, weekend) = shape.shapes();
        let day_mean =
            |hourly: &HourlyShape| (0..96).map(|q| interpolate(hourly, q * 15)).sum::<f64>() / 96.0;
        LoadProfile {
            shape,
            seed,
            mean_slot_wh: annual_kwh as f64 * 1000.0 / SLOTS_PER_YEAR,
            week_mean: (5.0 * day_mean(weekday) + 2.0 * day_mean(weekend)) / 7.0,
        }
    }

    pub fn day(&self, date: Date) -> LoadDay {
        let day = days_since_epoch(date);
        let variation = self.shape.day_variation();
        let (weekday, weekend) = self.shape.shapes();
        let is_weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        LoadDay {
            profile: *self,
            day,
            hourly: if is_weekend { weekend } else { weekday },
            factor: (1.0 + self.shape.seasonality() * season(date))
                * (1.0 - variation
                    + 2.0 * variation * unit_hash(&[self.seed, DAY_FACTOR, day as u64])),
        }
    }
}

/// One day of a meter's consumption.
#[derive(Debug, Clone, Copy)]
pub struct LoadDay {
    profile: LoadProfile,
    day: i64,
    hourly: &'static HourlyShape,
    /// Season and this day's variation.
    factor: f64,
}

impl LoadDay {
    /// The energy of one quarter-hour in Wh.
    pub fn quarter_hour_wh(&self, slot: Slot) -> i64 {
        let p = &self.profile;
        let key = |stream| unit_hash(&[p.seed, stream, self.day as u64, slot.start_at as u64]);
        let (chance, size) = p.shape.spikes();
        let smooth_share = 1.0 - chance * size;
        let noise = 0.7 + 0.6 * key(SLOT_NOISE);
        let shape = interpolate(self.hourly, slot.minute_of_day) / p.week_mean;
        let spike_roll = key(SPIKE);
        let spike = if spike_roll < chance {
            // Uniform in [0.5, 1.5) × size: the roll is uniform below `chance`.
            size * (0.5 + spike_roll / chance)
        } else {
            0.0
        };
        let wh = p.mean_slot_wh * (smooth_share * shape * self.factor * noise + spike);
        wh.round().max(0.0) as i64
    }
}

/// The shape's value at the middle of the quarter-hour starting at `minute`, interpolated
/// linearly between the half-hours where the hourly values hold.
fn interpolate(hourly: &HourlyShape, minute: u16) -> f64 {
    let hours = (f64::from(minute) + 7.5) / 60.0 - 0.5;
    let below = hours.floor();
    let t = hours - below;
    let at = |h: f64| hourly[(h as i64).rem_euclid(24) as usize];
    at(below) * (1.0 - t) + at(below + 1.0) * t
}

#[cfg(test)]
mod tests {
    use jiff::ToSpan;
    use jiff::civil::date;

    use super::*;
    use crate::edge::store::calendar::quarter_hours;

    fn year_2026(profile: &LoadProfile) -> Vec<(Date, Slot, i64)> {
        let mut usage = Vec::new();
        let mut day = date(2026, 1, 1);
        while day.year() == 2026 {
            let load_day = profile.day(day);
            for slot in quarter_hours(day).unwrap() {
                usage.push((day, slot, load_day.quarter_hour_wh(slot)));
            }
            day = day.checked_add(1.day()).unwrap();
        }
        usage
    }

    fn mean_at(usage: &[(Date, Slot, i64)], keep: impl Fn(&(Date, Slot, i64)) -> bool) -> f64 {
        let kept: Vec<i64> = usage.iter().filter(|u| keep(u)).map(|u| u.2).collect();
        kept.iter().sum::<i64>() as f64 / kept.len() as f64
    }

    #[test]
    fn a_year_adds_up_to_the_estimated_usage() {
        for (shape, annual_kwh) in [(LoadShape::Household, 3200), (LoadShape::Business, 12_000)] {
            let usage = year_2026(&LoadProfile::new(shape, annual_kwh, 99));
            let total_kwh = usage.iter().map(|u| u.2).sum::<i64>() as f64 / 1000.0;
            let deviation = (total_kwh - annual_kwh as f64).abs() / annual_kwh as f64;
            assert!(
                deviation < 0.05,
                "{shape:?}: {total_kwh} kWh for {annual_kwh}"
            );
            assert!(usage.iter().all(|u| u.2 >= 0));
        }
    }

    #[test]
    fn households_peak_in_the_evening_and_use_more_in_winter() {
        let usage = year_2026(&LoadProfile::new(LoadShape::Household, 3200, 5));
        let evening = mean_at(&usage, |u| (1080..1260).contains(&u.1.minute_of_day));
        let night = mean_at(&usage, |u| (120..300).contains(&u.1.minute_of_day));
        assert!(evening > 2.5 * night, "evening {evening} night {night}");
        let january = mean_at(&usage, |u| u.0.month() == 1);
        let july = mean_at(&usage, |u| u.0.month() == 7);
        assert!(january > 1.3 * july, "january {january} july {july}");
    }

    #[test]
    fn businesses_use_weekday_office_hours() {
        let usage = year_2026(&LoadProfile::new(LoadShape::Business, 12_000, 5));
        let weekend = |d: Date| matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
        let office = |u: &(Date, Slot, i64)| (540..960).contains(&u.1.minute_of_day);
        let weekday_office = mean_at(&usage, |u| office(u) && !weekend(u.0));
        let weekend_office = mean_at(&usage, |u| office(u) && weekend(u.0));
        assert!(weekday_office > 3.0 * weekend_office);
    }

    #[test]
    fn the_shape_interpolates_between_half_hours() {
        let flat_then_step: HourlyShape = std::array::from_fn(|h| if h < 12 { 1.0 } else { 2.0 });
        assert_eq!(interpolate(&flat_then_step, 5 * 60), 1.0);
        // 11:30–11:45 is centred at 11:37.5, an eighth of the way from 11:30 to 12:30.
        assert!((interpolate(&flat_then_step, 11 * 60 + 30) - 1.125).abs() < 1e-9);
        assert_eq!(interpolate(&flat_then_step, 13 * 60), 2.0);
    }
}
