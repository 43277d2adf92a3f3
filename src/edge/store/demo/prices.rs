//! The demo's day-ahead price curve (bidding zone DE-LU, 15-minute products): a pure function of
//! the seed and the quarter-hour, shaped like the market — a night trough, morning and evening
//! peaks, a midday solar dip that turns negative on sunny summer weekends, cheaper weekends and
//! windy days, dearer winters.

use jiff::civil::{Date, Weekday};

use super::rng::unit_hash;
use crate::edge::store::calendar::{Slot, days_since_epoch};

/// Stream ids for the day's weather, so wind and sun are independent.
const WIND: u64 = 1;
const SUN: u64 = 2;
const SLOT_NOISE: u64 = 3;

/// What moves one day's prices.
#[derive(Debug, Clone, Copy)]
pub struct PriceDay {
    seed: u64,
    /// +1 in mid-January, -1 in mid-July.
    season: f64,
    /// 0 calm … 1 stormy; weather regimes last a few days.
    wind: f64,
    /// 0 overcast … 1 clear sky.
    sun: f64,
    weekend: bool,
}

impl PriceDay {
    pub fn new(seed: u64, date: Date) -> Self {
        let day = days_since_epoch(date);
        PriceDay {
            seed,
            season: season(date),
            wind: 0.75 * smooth_noise(seed, WIND, day, 4)
                + 0.25 * unit_hash(&[seed, WIND, day as u64]),
            sun: 0.6 * smooth_noise(seed, SUN, day, 2) + 0.4 * unit_hash(&[seed, SUN, day as u64]),
            weekend: matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
    }

    /// The price of one quarter-hour of the day in EUR/MWh.
    pub fn eur_per_mwh(&self, slot: Slot) -> f64 {
        let hour = f64::from(slot.minute_of_day) / 60.0 + 0.125;
        let level = (105.0 + 25.0 * self.season) * (1.0 - 0.4 * self.wind);
        let (morning, evening) = if self.weekend {
            (12.0, 42.0)
        } else {
            (34.0, 60.0)
        };
        let daily_shape = morning * bump(hour, 7.75, 1.4)
            + evening * (1.0 + 0.2 * self.season) * bump(hour, 19.0, 1.9)
            - 22.0 * bump(hour, 3.5, 2.3);
        // Solar output: strong in summer, a little in winter; weekends have less demand to absorb it.
        let solar_potential = 0.12 + 0.88 * (1.0 - self.season) / 2.0;
        let weekend_solar = if self.weekend { 1.35 } else { 1.0 };
        let solar = 95.0
            * solar_potential
            * (0.25 + 0.75 * self.sun)
            * weekend_solar
            * bump(hour, 13.0, 2.4);
        let weekend_discount = if self.weekend { 12.0 } else { 0.0 };
        let noise = 10.0 * (unit_hash(&[self.seed, SLOT_NOISE, slot.start_at as u64]) - 0.5);
        (level + daily_shape - solar - weekend_discount + noise).clamp(-200.0, 500.0)
    }

    /// The price in the store's unit, millicents per kWh (= EUR/MWh × 100), at EPEX's
    /// resolution of 0.01 EUR/MWh.
    pub fn mct_per_kwh(&self, slot: Slot) -> i64 {
        (self.eur_per_mwh(slot) * 100.0).round() as i64
    }
}

/// +1 in mid-January, -1 in mid-July.
pub fn season(date: Date) -> f64 {
    let angle = 2.0 * std::f64::consts::PI * (f64::from(date.day_of_year()) - 15.0) / 365.25;
    angle.cos()
}

/// A bell curve around `center` hours, 1 at its peak.
fn bump(hour: f64, center: f64, width: f64) -> f64 {
    let distance = hour - center;
    (-(distance * distance) / (2.0 * width * width)).exp()
}

/// Value noise over days in `[0, 1)`: random at every `period`-th day, smoothly interpolated
/// between, so the weather drifts over several days instead of jumping daily.
fn smooth_noise(seed: u64, stream: u64, day: i64, period: i64) -> f64 {
    let cell = day.div_euclid(period);
    let t = day.rem_euclid(period) as f64 / period as f64;
    let from = unit_hash(&[seed, stream, cell as u64]);
    let to = unit_hash(&[seed, stream, (cell + 1) as u64]);
    from + (to - from) * t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use jiff::ToSpan;
    use jiff::civil::date;

    use super::*;
    use crate::edge::store::calendar::quarter_hours;

    /// Every quarter-hour price of the year 2026 with its date.
    fn year_2026(seed: u64) -> Vec<(Date, Slot, f64)> {
        let mut prices = Vec::new();
        let mut day = date(2026, 1, 1);
        while day.year() == 2026 {
            let price_day = PriceDay::new(seed, day);
            for slot in quarter_hours(day).unwrap() {
                prices.push((day, slot, price_day.eur_per_mwh(slot)));
            }
            day = day.checked_add(1.day()).unwrap();
        }
        prices
    }

    fn mean(values: impl Iterator<Item = f64>) -> f64 {
        let (sum, count) = values.fold((0.0, 0), |(s, n), v| (s + v, n + 1));
        sum / f64::from(count)
    }

    #[test]
    fn the_curve_has_the_shape_of_the_day_ahead_market() {
        let prices = year_2026(42);
        let all = mean(prices.iter().map(|p| p.2));
        assert!((60.0..120.0).contains(&all), "yearly mean {all}");
        let share_in_range = prices
            .iter()
            .filter(|p| (0.0..=250.0).contains(&p.2))
            .count() as f64
            / prices.len() as f64;
        assert!(share_in_range > 0.9, "{share_in_range}");

        let at = |from: u16, to: u16| {
            mean(
                prices
                    .iter()
                    .filter(|p| (from..to).contains(&p.1.minute_of_day))
                    .map(|p| p.2),
            )
        };
        let (night, morning, midday, evening) =
            (at(120, 300), at(420, 540), at(720, 900), at(1080, 1260));
        assert!(
            evening > midday && evening > night,
            "{night} {morning} {midday} {evening}"
        );
        assert!(morning > night && morning > midday);

        let month = |m: i8| mean(prices.iter().filter(|p| p.0.month() == m).map(|p| p.2));
        assert!(
            month(1) > month(7) + 20.0,
            "winter {} summer {}",
            month(1),
            month(7)
        );

        let weekend = |w: bool| {
            mean(
                prices
                    .iter()
                    .filter(|p| matches!(p.0.weekday(), Weekday::Saturday | Weekday::Sunday) == w)
                    .map(|p| p.2),
            )
        };
        assert!(weekend(true) < weekend(false));
    }

    #[test]
    fn sunny_summer_weekends_have_negative_middays() {
        let prices = year_2026(42);
        let negative_weekend_middays = prices
            .iter()
            .filter(|(day, slot, price)| {
                *price < 0.0
                    && (5..=8).contains(&day.month())
                    && matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
                    && (660..900).contains(&slot.minute_of_day)
            })
            .count();
        assert!(negative_weekend_middays > 20, "{negative_weekend_middays}");
        let negative_in_january = prices
            .iter()
            .filter(|p| p.0.month() == 1 && p.2 < 0.0)
            .count();
        assert_eq!(negative_in_january, 0);
    }

    #[test]
    fn prices_are_a_pure_function_of_seed_and_slot() {
        let day = date(2026, 3, 29);
        let slots = quarter_hours(day).unwrap();
        let a: Vec<i64> = slots
            .iter()
            .map(|s| PriceDay::new(7, day).mct_per_kwh(*s))
            .collect();
        let b: Vec<i64> = slots
            .iter()
            .map(|s| PriceDay::new(7, day).mct_per_kwh(*s))
            .collect();
        let c: Vec<i64> = slots
            .iter()
            .map(|s| PriceDay::new(8, day).mct_per_kwh(*s))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 92);
    }
}
