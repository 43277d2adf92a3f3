//! `GET /api/subscriptions/{id}/usage?resolution&start&end`: consumption in the shape of the
//! Nomos usage answer, over Berlin days `[start, end)` (end exclusive, as Nomos). Smart meters
//! are summed in SQL (hours and longer from the store's hourly totals, with the Berlin bounds of
//! days, weeks and months computed here); analog meters have one value per month. A point
//! is `final` when every value in it is final and its interval is over, else `preliminary`.
//! Intervals follow the Berlin calendar (a day has 23, 24 or 25 hours; weeks start on Monday);
//! the first and last interval are cut at `start` and `end`. Intervals without any value are
//! left out, and only the subscription's own supply period counts (a meter can change hands).
//!
//! `resolution=auto` (the default) takes the finest resolution that gives at most
//! [`AUTO_MAX_POINTS`] intervals: one day in quarter-hours, up to four days in hours, up to
//! 100 days in days, then weeks, then months; analog meters always in months.
//!
//! Defaults as Nomos: smart meters yesterday (start) to today (end); analog meters the last
//! twelve months (not before the supply start) through the current month.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::Serialize;
use tiny_http::Method;

use super::energy::{self, kwh};
use super::params::{Params, invalid};
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError};
use crate::edge::store::calendar::{QUARTER_HOUR, day_start, days_since_epoch, local_date};
use crate::edge::store::customers::MeterType;
use crate::edge::store::energy::{
    EnergySubscription, UsageSum, usage_hours, usage_in_buckets, usage_months, usage_quarter_hours,
};

/// `auto` picks the finest resolution with at most this many intervals.
pub const AUTO_MAX_POINTS: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    QuarterHour,
    Hour,
    Day,
    Week,
    Month,
}

impl Resolution {
    const FINEST_FIRST: [Resolution; 5] = [
        Resolution::QuarterHour,
        Resolution::Hour,
        Resolution::Day,
        Resolution::Week,
        Resolution::Month,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::QuarterHour => "15min",
            Resolution::Hour => "hour",
            Resolution::Day => "day",
            Resolution::Week => "week",
            Resolution::Month => "month",
        }
    }

    /// The longest period one request may ask for at this resolution, in days.
    fn max_days(self) -> i64 {
        match self {
            Resolution::QuarterHour => 31,
            Resolution::Hour => 92,
            Resolution::Day => 1_096,
            Resolution::Week | Resolution::Month => 3_660,
        }
    }
}

pub fn route(call: &mut Call, segments: &[&str]) -> Option<Result<Answer, ApiError>> {
    match segments {
        ["subscriptions", id, "usage"] => Some(match call.req.method {
            Method::Get => usage(call, id),
            _ => Err(ApiError::method_not_allowed()),
        }),
        _ => None,
    }
}

fn usage(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    let customer = energy::signed_in_customer(call)?;
    let params = Params::parse(&call.req.query, &["resolution", "start", "end"])?;
    let mut options: Vec<(&str, Option<Resolution>)> = vec![("auto", None)];
    options.extend(Resolution::FINEST_FIRST.map(|r| (r.as_str(), Some(r))));
    let requested = params.choice("resolution", &options)?.flatten();
    let start = params.date("start")?;
    let end = params.date("end")?;
    let subscription = energy::subscription(call, &customer, id)?;

    let today = energy::berlin_now(call.now)?.date();
    let (start, end) = period(&subscription, start, end, today).map_err(|_| date_range_error())?;
    let days = days_since_epoch(end) - days_since_epoch(start);
    if days < 1 {
        return Err(invalid("too_small", "end", "must be after `start`"));
    }
    let resolution = match (subscription.meter_type, requested) {
        (MeterType::Analog, None | Some(Resolution::Month)) => Resolution::Month,
        (MeterType::Analog, Some(_)) => {
            return Err(invalid(
                "invalid_value",
                "resolution",
                "must be `month` or `auto` for an analog meter: it is read monthly",
            ));
        }
        (MeterType::Smart, Some(resolution)) => resolution,
        (MeterType::Smart, None) => auto_resolution(start, end).map_err(|_| date_range_error())?,
    };
    if days > resolution.max_days() {
        return Err(invalid(
            "too_big",
            "end",
            &format!(
                "must be at most {} days after `start` at resolution {}",
                resolution.max_days(),
                resolution.as_str()
            ),
        ));
    }

    let points = match subscription.meter_type {
        MeterType::Smart => smart_points(call, &subscription, resolution, start, end)?,
        MeterType::Analog => analog_points(call, &subscription, start, end)?,
    };
    let data = points
        .iter()
        .map(|p| Point {
            start: p.start_at,
            usage: kwh(p.energy_wh),
            kind: if p.is_final { "final" } else { "preliminary" },
        })
        .collect();
    Answer::json_from(
        200,
        &UsageAnswer {
            object: "usage",
            meter_type: subscription.meter_type.as_str(),
            resolution: resolution.as_str(),
            data,
        },
    )
}

/// The Nomos usage answer.
#[derive(Serialize)]
struct UsageAnswer {
    object: &'static str,
    meter_type: &'static str,
    resolution: &'static str,
    data: Vec<Point>,
}

#[derive(Serialize)]
struct Point {
    #[serde(serialize_with = "energy::serialize_iso")]
    start: i64,
    usage: f64,
    #[serde(rename = "type")]
    kind: &'static str,
}

fn date_range_error() -> ApiError {
    invalid(
        "invalid_format",
        "start",
        "is outside the supported calendar",
    )
}

/// The requested days with the defaults filled in.
fn period(
    subscription: &EnergySubscription,
    start: Option<Date>,
    end: Option<Date>,
    today: Date,
) -> Result<(Date, Date), jiff::Error> {
    match subscription.meter_type {
        MeterType::Smart => {
            let end = match (start, end) {
                (_, Some(end)) => end,
                (Some(start), None) if start >= today => start.tomorrow()?,
                _ => today,
            };
            Ok((start.map_or_else(|| end.yesterday(), Ok)?, end))
        }
        MeterType::Analog => {
            let end = match end {
                Some(end) => end,
                None => today.first_of_month().checked_add(1.month())?,
            };
            let start = match start {
                Some(start) => start,
                None => {
                    let year_ago = end.checked_sub(12.months())?;
                    let supply_start = subscription.start_at.map(local_date).transpose()?;
                    supply_start.map_or(year_ago, |s| s.max(year_ago))
                }
            };
            Ok((start, end))
        }
    }
}

/// The finest resolution with at most [`AUTO_MAX_POINTS`] intervals in `[start, end)`.
fn auto_resolution(start: Date, end: Date) -> Result<Resolution, jiff::Error> {
    let days = days_since_epoch(end) - days_since_epoch(start);
    for resolution in Resolution::FINEST_FIRST {
        // A day has at most 25 hours.
        let points = match resolution {
            Resolution::QuarterHour => days * 100,
            Resolution::Hour => days * 25,
            Resolution::Day => days,
            Resolution::Week | Resolution::Month => {
                if days > resolution.max_days() {
                    continue;
                }
                bucket_starts(resolution, start, end)?.len() as i64
            }
        };
        if points <= AUTO_MAX_POINTS {
            return Ok(resolution);
        }
    }
    Ok(Resolution::Month)
}

/// The first day of every interval of `[start, end)` at a calendar resolution: `start`, then
/// every following day, Monday or 1st of a month before `end`.
fn bucket_starts(resolution: Resolution, start: Date, end: Date) -> Result<Vec<Date>, jiff::Error> {
    let mut starts = vec![start];
    let mut date = start;
    loop {
        date = match resolution {
            Resolution::Week => {
                let to_monday = 7 - i64::from(date.weekday().to_monday_zero_offset());
                date.checked_add(to_monday.days())?
            }
            Resolution::Month => date.first_of_month().checked_add(1.month())?,
            _ => date.tomorrow()?,
        };
        if date >= end {
            return Ok(starts);
        }
        starts.push(date);
    }
}

/// The edges of the calendar intervals of `[start, end)` as instants: n + 1 for n intervals.
fn bucket_bounds(resolution: Resolution, start: Date, end: Date) -> Result<Vec<i64>, jiff::Error> {
    let mut bounds = bucket_starts(resolution, start, end)?
        .into_iter()
        .map(day_start)
        .collect::<Result<Vec<i64>, _>>()?;
    bounds.push(day_start(end)?);
    Ok(bounds)
}

fn smart_points(
    call: &Call,
    subscription: &EnergySubscription,
    resolution: Resolution,
    start: Date,
    end: Date,
) -> Result<Vec<UsageSum>, ApiError> {
    let (from, to) = (energy::midnight(start)?, energy::midnight(end)?);
    let Some((supply_from, supply_to)) = subscription.supply() else {
        return Ok(Vec::new());
    };
    let (query_from, query_to) = (from.max(supply_from), to.min(supply_to));
    if query_from >= query_to {
        return Ok(Vec::new());
    }
    let meter = subscription.meter_key;
    let bounds = match resolution {
        Resolution::QuarterHour | Resolution::Hour => Vec::new(),
        _ => bucket_bounds(resolution, start, end).map_err(|_| date_range_error())?,
    };
    let mut points = match resolution {
        Resolution::QuarterHour => usage_quarter_hours(call.conn, meter, query_from, query_to)?,
        Resolution::Hour => usage_hours(call.conn, meter, query_from, query_to)?,
        _ => usage_in_buckets(call.conn, meter, &bounds, query_from, query_to)?,
    };
    // A point is final only once its whole interval is over.
    for point in &mut points {
        let interval_end = match resolution {
            Resolution::QuarterHour => point.start_at + QUARTER_HOUR,
            Resolution::Hour => point.start_at + 3600,
            _ => {
                bounds[bounds
                    .partition_point(|b| *b <= point.start_at)
                    .min(bounds.len() - 1)]
            }
        };
        point.is_final &= interval_end <= call.now;
    }
    Ok(points)
}

/// An analog meter's months that start in `[start, end)`; a period starting mid-month includes
/// that month.
fn analog_points(
    call: &Call,
    subscription: &EnergySubscription,
    start: Date,
    end: Date,
) -> Result<Vec<UsageSum>, ApiError> {
    let Some((supply_from, supply_to)) = subscription.supply() else {
        return Ok(Vec::new());
    };
    let from = energy::midnight(start.first_of_month())?.max(supply_from);
    let to = energy::midnight(end)?.min(supply_to);
    if from >= to {
        return Ok(Vec::new());
    }
    Ok(usage_months(call.conn, subscription.meter_key, from, to)?)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn auto_picks_the_finest_resolution_with_at_most_100_points() {
        let at = |from, to| auto_resolution(from, to).unwrap();
        assert_eq!(
            at(date(2026, 10, 25), date(2026, 10, 26)),
            Resolution::QuarterHour
        );
        assert_eq!(at(date(2026, 5, 1), date(2026, 5, 3)), Resolution::Hour);
        assert_eq!(at(date(2026, 5, 1), date(2026, 5, 5)), Resolution::Hour);
        assert_eq!(at(date(2026, 5, 1), date(2026, 5, 8)), Resolution::Day);
        assert_eq!(at(date(2026, 1, 1), date(2026, 4, 1)), Resolution::Day);
        assert_eq!(at(date(2026, 1, 1), date(2027, 1, 1)), Resolution::Week);
        assert_eq!(at(date(2024, 1, 1), date(2027, 1, 1)), Resolution::Month);
    }

    #[test]
    fn calendar_intervals_start_on_days_mondays_and_firsts() {
        // 2026-03-25 is a Wednesday.
        let weeks = bucket_starts(Resolution::Week, date(2026, 3, 25), date(2026, 4, 9)).unwrap();
        assert_eq!(
            weeks,
            vec![date(2026, 3, 25), date(2026, 3, 30), date(2026, 4, 6)]
        );
        let months = bucket_starts(Resolution::Month, date(2026, 1, 15), date(2026, 3, 1)).unwrap();
        assert_eq!(months, vec![date(2026, 1, 15), date(2026, 2, 1)]);
        let days = bucket_starts(Resolution::Day, date(2026, 3, 28), date(2026, 3, 30)).unwrap();
        assert_eq!(days, vec![date(2026, 3, 28), date(2026, 3, 29)]);
    }

    #[test]
    fn dst_days_last_23_and_25_hours() {
        let lengths = |resolution, from, to| {
            let bounds = bucket_bounds(resolution, from, to).unwrap();
            bounds
                .windows(2)
                .map(|w| (w[1] - w[0]) / 3600)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            lengths(Resolution::Day, date(2026, 3, 28), date(2026, 3, 31)),
            vec![24, 23, 24]
        );
        assert_eq!(
            lengths(Resolution::Day, date(2026, 10, 25), date(2026, 10, 26)),
            vec![25]
        );
        assert_eq!(
            lengths(Resolution::Week, date(2026, 10, 19), date(2026, 11, 2)),
            vec![7 * 24 + 1, 7 * 24]
        );
    }
}
