//! Calendar arithmetic in Europe/Berlin, where the portal's days, months and quarter-hours live.
//! The store keeps instants as unix seconds; a Berlin day has 92, 96 or 100 quarter-hours.

use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// Length of a price or usage slot in seconds.
pub const QUARTER_HOUR: i64 = 900;

static BERLIN: LazyLock<TimeZone> = LazyLock::new(|| {
    TimeZone::get("Europe/Berlin").expect("the bundled tz database has Europe/Berlin")
});

pub fn berlin() -> &'static TimeZone {
    &BERLIN
}

/// One quarter-hour of a Berlin day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start_at: i64,
    /// Local clock time in minutes after midnight: the hour repeated in October appears twice,
    /// the hour skipped in March not at all.
    pub minute_of_day: u16,
}

/// 00:00 of `date` in Berlin (DST changes happen at 02:00 and 03:00, so midnight always exists).
pub fn day_start(date: Date) -> Result<i64, jiff::Error> {
    Ok(zoned_midnight(date)?.timestamp().as_second())
}

/// The day as `[start, end)` in unix seconds: 23, 24 or 25 hours.
pub fn day_bounds(date: Date) -> Result<(i64, i64), jiff::Error> {
    Ok((day_start(date)?, day_start(date.tomorrow()?)?))
}

/// The Berlin date an instant falls on.
pub fn local_date(at: i64) -> Result<Date, jiff::Error> {
    Ok(Timestamp::from_second(at)?.to_zoned(BERLIN.clone()).date())
}

/// The quarter-hours of a Berlin day in order.
pub fn quarter_hours(date: Date) -> Result<Vec<Slot>, jiff::Error> {
    let (start, end) = day_bounds(date)?;
    (start..end)
        .step_by(QUARTER_HOUR as usize)
        .map(|start_at| {
            let offset = BERLIN.to_offset(Timestamp::from_second(start_at)?);
            let local_seconds = (start_at + i64::from(offset.seconds())).rem_euclid(86_400);
            Ok(Slot {
                start_at,
                minute_of_day: (local_seconds / 60) as u16,
            })
        })
        .collect()
}

/// Days since 1970-01-01 (proleptic Gregorian): a day index for day-by-day series.
pub fn days_since_epoch(date: Date) -> i64 {
    // Howard Hinnant's days_from_civil, with years starting in March.
    let (month, day) = (i64::from(date.month()), i64::from(date.day()));
    let year = i64::from(date.year()) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn zoned_midnight(date: Date) -> Result<Zoned, jiff::Error> {
    date.to_zoned(BERLIN.clone())
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn dst_days_have_92_and_100_quarter_hours() {
        assert_eq!(quarter_hours(date(2026, 3, 29)).unwrap().len(), 92);
        assert_eq!(quarter_hours(date(2026, 10, 25)).unwrap().len(), 100);
        assert_eq!(quarter_hours(date(2026, 6, 1)).unwrap().len(), 96);
    }

    #[test]
    fn slots_carry_the_local_clock_time() {
        let spring = quarter_hours(date(2026, 3, 29)).unwrap();
        let minutes: Vec<u16> = spring.iter().map(|s| s.minute_of_day).collect();
        assert_eq!(&minutes[7..9], &[105, 180], "01:45 is followed by 03:00");
        let autumn = quarter_hours(date(2026, 10, 25)).unwrap();
        let twice_two = autumn.iter().filter(|s| s.minute_of_day == 120).count();
        assert_eq!(twice_two, 2, "02:00 happens twice");
        assert_eq!(autumn[0].start_at, 1_792_879_200, "2026-10-24T22:00:00Z");
    }

    #[test]
    fn day_numbers_count_from_1970() {
        assert_eq!(days_since_epoch(date(1970, 1, 1)), 0);
        assert_eq!(days_since_epoch(date(1969, 12, 31)), -1);
        assert_eq!(days_since_epoch(date(2026, 3, 1)), 20_513);
        assert_eq!(days_since_epoch(date(2024, 2, 29)), 19_782);
    }

    #[test]
    fn local_dates_follow_berlin_midnight() {
        // 2026-01-01T23:30:00Z is already 2 January in Berlin.
        assert_eq!(local_date(1_767_310_200).unwrap(), date(2026, 1, 2));
        assert_eq!(day_start(date(2026, 7, 1)).unwrap(), 1_782_856_800);
    }
}
