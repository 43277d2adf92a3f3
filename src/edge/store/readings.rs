//! Meter readings: a customer's list, the latest reading of a meter, storing a new one, and the
//! monthly totals of an analog meter (`usage_monthly`) recomputed from its readings.
//!
//! Between two readings the meter's count is interpolated along a household load profile (more
//! consumption per day in winter than in summer), so the consumption between them is spread over
//! the calendar months. A month covered by readings from its first to its last day is final
//! (`source = 'reading'`); a month the latest reading ends inside is preliminary: the part up to
//! the reading plus the rest of the month at the rate of the latest interval.

use jiff::ToSpan;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::calendar::{day_start, local_date};
use super::listing::{Condition, ListQuery, Page, customer_page};
use super::{Result, WithDbPath};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingRecord {
    pub id: String,
    pub customer_id: String,
    pub subscription_id: String,
    pub meter_id: String,
    /// The meter's cumulative count.
    pub value_wh: i64,
    /// Start of the day in Europe/Berlin.
    pub read_at: i64,
    /// `customer_report`, `grid_reading` or `grid_estimation`.
    pub reading_type: String,
    pub message: Option<String>,
    pub created_at: i64,
}

/// The list's sort key: the latest reading first, the id breaking ties.
pub const SORT_KEY: &str = "r.read_at";
pub const SORT_ID: &str = "r.id";

const READING_COLUMNS: &str = "r.id, r.customer_id, r.subscription_id, r.meter_id, r.value_wh, \
     r.read_at, r.type, r.message, r.created_at FROM meter_readings r";

fn reading_from_row(row: &Row<'_>) -> rusqlite::Result<ReadingRecord> {
    Ok(ReadingRecord {
        id: row.get(0)?,
        customer_id: row.get(1)?,
        subscription_id: row.get(2)?,
        meter_id: row.get(3)?,
        value_wh: row.get(4)?,
        read_at: row.get(5)?,
        reading_type: row.get(6)?,
        message: row.get(7)?,
        created_at: row.get(8)?,
    })
}

/// A page of the customer's readings, latest first; up to `page.limit + 1` rows.
pub fn readings_of(
    conn: &Connection,
    customer_id: &str,
    conditions: &[Condition],
    page: &Page,
) -> Result<Vec<ReadingRecord>> {
    let list = ListQuery {
        select: &format!("SELECT {READING_COLUMNS}"),
        owner: "r.customer_id",
        sort_key: SORT_KEY,
        sort_id: SORT_ID,
    };
    customer_page(conn, &list, customer_id, conditions, page, reading_from_row)
}

/// The meter's reading with the latest day, of any subscription and type.
pub fn latest_reading(conn: &Connection, meter_id: &str) -> Result<Option<ReadingRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {READING_COLUMNS} WHERE r.meter_id = ?1 ORDER BY r.read_at DESC LIMIT 1"
    ))
    .and_then(|mut stmt| stmt.query_row([meter_id], reading_from_row).optional())
    .with_db_path(conn)
}

/// Whether the meter has a reading for the day starting at `read_at`.
pub fn has_reading_on(conn: &Connection, meter_id: &str, read_at: i64) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM meter_readings WHERE meter_id = ?1 AND read_at = ?2")
        .and_then(|mut stmt| stmt.exists(params![meter_id, read_at]))
        .with_db_path(conn)
}

pub fn insert_reading(conn: &Connection, reading: &ReadingRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meter_readings (id, subscription_id, customer_id, meter_id, value_wh,
             read_at, type, message, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            reading.id,
            reading.subscription_id,
            reading.customer_id,
            reading.meter_id,
            reading.value_wh,
            reading.read_at,
            reading.reading_type,
            reading.message,
            reading.created_at
        ])
    })
    .with_db_path(conn)?;
    Ok(())
}

/// Relative consumption per second in each calendar month (January first), after the shape of
/// the BDEW household profile H0.
const MONTH_WEIGHTS: [i128; 12] = [118, 112, 104, 96, 92, 88, 88, 89, 93, 101, 110, 117];

/// One month of supply: `[start, end)`, clipped to the supply period.
#[derive(Debug, Clone, Copy)]
struct Month {
    start: i64,
    end: i64,
    weight: i128,
}

/// The supply months overlapping `[from, to)` (at least the one containing `from`).
fn months(from: i64, to: i64, supply: (i64, Option<i64>)) -> Result<Vec<Month>, jiff::Error> {
    let mut month = local_date(from)?.first_of_month();
    let mut out = Vec::new();
    loop {
        let start = day_start(month)?;
        if start >= to.max(from + 1) {
            return Ok(out);
        }
        let next = month.checked_add(1.month())?;
        let end = day_start(next)?;
        let clipped = Month {
            start: start.max(supply.0),
            end: supply.1.map_or(end, |e| e.min(end)),
            weight: MONTH_WEIGHTS[month.month() as usize - 1],
        };
        if clipped.start < clipped.end {
            out.push(clipped);
        }
        month = next;
    }
}

/// The profile's weight of `[from, to)`: Σ month weight × seconds.
fn profile_weight(from: i64, to: i64) -> Result<i128, jiff::Error> {
    if to <= from {
        return Ok(0);
    }
    Ok(months(from, to, (i64::MIN, None))?
        .iter()
        .map(|m| m.weight * i128::from(m.end.min(to) - m.start.max(from)))
        .sum())
}

/// The meter's count along the readings, interpolated by the profile.
struct Interpolation {
    /// (read_at, value_wh), by day.
    readings: Vec<(i64, i64)>,
}

impl Interpolation {
    fn first(&self) -> i64 {
        self.readings[0].0
    }

    fn last(&self) -> i64 {
        self.readings[self.readings.len() - 1].0
    }

    /// The count at `at`, which lies between the first and the last reading.
    fn value_at(&self, at: i64) -> Result<i64, jiff::Error> {
        let next = self
            .readings
            .iter()
            .position(|(t, _)| *t >= at)
            .unwrap_or(self.readings.len() - 1);
        let (tb, vb) = self.readings[next];
        if next == 0 || tb == at {
            return Ok(vb);
        }
        let (ta, va) = self.readings[next - 1];
        let share = profile_weight(ta, at)?;
        let whole = profile_weight(ta, tb)?;
        Ok(va + div_round(i128::from(vb - va) * share, whole))
    }

    /// Consumption per unit of profile weight in the interval ending (or starting) at the
    /// latest (or earliest) reading, for the parts of a month outside the readings.
    fn rate(&self, latest: bool) -> Result<(i64, i128), jiff::Error> {
        let n = self.readings.len();
        let ((ta, va), (tb, vb)) = if latest {
            (self.readings[n - 2], self.readings[n - 1])
        } else {
            (self.readings[0], self.readings[1])
        };
        Ok((vb - va, profile_weight(ta, tb)?))
    }

    fn extrapolate(&self, latest: bool, from: i64, to: i64) -> Result<i64, jiff::Error> {
        let (energy, weight) = self.rate(latest)?;
        Ok(div_round(
            i128::from(energy) * profile_weight(from, to)?,
            weight,
        ))
    }
}

/// Recomputes the analog meter's monthly totals of the months a new latest reading at `to`
/// changes: those from the month of the previous latest reading `from` on.
pub fn recompute_monthly_usage(
    conn: &Connection,
    meter_id: &str,
    supply: (i64, Option<i64>),
    from: i64,
    to: i64,
) -> Result<()> {
    let dates = |e: jiff::Error| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
    let affected = months(from, to, supply).map_err(dates).with_db_path(conn)?;
    let Some(first) = affected.first() else {
        return Ok(());
    };
    let readings: Vec<(i64, i64)> = conn
        .prepare_cached(
            "SELECT read_at, value_wh FROM meter_readings
             WHERE meter_id = ?1 AND read_at <= ?3 AND read_at >= COALESCE(
                 (SELECT MAX(read_at) FROM meter_readings WHERE meter_id = ?1 AND read_at <= ?2),
                 ?2)
             ORDER BY read_at",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![meter_id, first.start, to], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect()
        })
        .with_db_path(conn)?;
    if readings.len() < 2 {
        return Ok(());
    }
    let line = Interpolation { readings };
    let mut upsert = conn
        .prepare_cached(
            "INSERT INTO usage_monthly (meter_key, start_at, energy_wh, is_final, source)
             SELECT meter_key, ?2, ?3, ?4, 'reading' FROM meters WHERE id = ?1
             ON CONFLICT (meter_key, start_at) DO UPDATE SET
                 energy_wh = excluded.energy_wh, is_final = excluded.is_final,
                 source = excluded.source",
        )
        .with_db_path(conn)?;
    for month in &affected {
        let energy = month_energy(&line, month)
            .map_err(dates)
            .with_db_path(conn)?;
        let is_final = month.start >= line.first() && month.end <= line.last();
        upsert
            .execute(params![meter_id, month.start, energy.max(0), is_final])
            .with_db_path(conn)?;
    }
    Ok(())
}

/// The month's consumption: read where readings cover it, extrapolated where they do not.
fn month_energy(line: &Interpolation, month: &Month) -> Result<i64, jiff::Error> {
    let covered_from = month.start.max(line.first());
    let covered_to = month.end.min(line.last());
    let mut energy = 0;
    if covered_from < covered_to {
        energy += line.value_at(covered_to)? - line.value_at(covered_from)?;
    }
    if month.start < line.first() {
        energy += line.extrapolate(false, month.start, line.first().min(month.end))?;
    }
    if month.end > line.last() {
        energy += line.extrapolate(true, line.last().max(month.start), month.end)?;
    }
    Ok(energy)
}

/// `numerator / denominator` rounded half away from zero; 0 for a zero denominator.
fn div_round(numerator: i128, denominator: i128) -> i64 {
    if denominator == 0 {
        return 0;
    }
    let quotient = (2 * numerator.abs() + denominator.abs()) / (2 * denominator.abs());
    (numerator.signum() * denominator.signum() * quotient) as i64
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::edge::store::customers::MeterType;
    use crate::edge::store::test_support::seeded_lumio;
    use crate::edge::store::{customer_by_email, subscriptions_of};

    const NOW: &str = "2026-05-28T20:26:40Z";

    fn monthly(conn: &Connection, meter_id: &str) -> Vec<(i64, i64, bool, String)> {
        conn.prepare(
            "SELECT u.start_at, u.energy_wh, u.is_final, u.source FROM usage_monthly u
             JOIN meters m ON m.meter_key = u.meter_key WHERE m.id = ?1 ORDER BY u.start_at",
        )
        .unwrap()
        .query_map([meter_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    #[test]
    fn a_new_reading_spreads_its_consumption_over_the_months() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let anna = customer_by_email(&conn, "lumio", "anna.schmidt@lumio.example.com")
            .unwrap()
            .unwrap();
        let analog = subscriptions_of(&conn, &anna.id)
            .unwrap()
            .into_iter()
            .find(|s| s.meter.meter_type == MeterType::Analog)
            .unwrap();
        let meter = &analog.meter.id;
        let last = latest_reading(&conn, meter).unwrap().unwrap();
        let before = monthly(&conn, meter);
        let read_at = day_start(date(2026, 5, 28)).unwrap();
        assert!(last.read_at < read_at);
        let consumed = 250_000;
        insert_reading(
            &conn,
            &ReadingRecord {
                id: "mr_test".to_owned(),
                customer_id: anna.id.clone(),
                subscription_id: analog.id.clone(),
                meter_id: meter.clone(),
                value_wh: last.value_wh + consumed,
                read_at,
                reading_type: "customer_report".to_owned(),
                message: None,
                created_at: read_at + 3600,
            },
        )
        .unwrap();
        let supply = (analog.start_at.unwrap(), analog.end_at);
        recompute_monthly_usage(&conn, meter, supply, last.read_at, read_at).unwrap();
        let after = monthly(&conn, meter);

        let untouched: Vec<_> = before.iter().filter(|m| m.0 < last.read_at).collect();
        assert!(
            untouched.iter().all(|m| after.contains(m)),
            "earlier months stay"
        );
        let may = day_start(date(2026, 5, 1)).unwrap();
        let (full, partial): (Vec<_>, Vec<_>) = after
            .into_iter()
            .filter(|m| m.0 >= last.read_at)
            .partition(|m| m.0 < may);
        assert!(!full.is_empty());
        assert!(full.iter().all(|m| m.2 && m.3 == "reading"), "{full:?}");
        assert_eq!(partial.len(), 1, "May, which the reading ends inside");
        assert!(!partial[0].2, "May is preliminary");
        // Up to the reading, the months add up to exactly the consumption read.
        let tail = Interpolation {
            readings: vec![(last.read_at, 0), (read_at, consumed)],
        }
        .extrapolate(true, read_at, day_start(date(2026, 6, 1)).unwrap())
        .unwrap();
        assert!(tail > 0);
        assert_eq!(
            full.iter().map(|m| m.1).sum::<i64>() + partial[0].1 - tail,
            consumed
        );
    }

    #[test]
    fn winter_days_weigh_more_than_summer_days() {
        let january = profile_weight(
            day_start(date(2026, 1, 1)).unwrap(),
            day_start(date(2026, 1, 2)).unwrap(),
        )
        .unwrap();
        let july = profile_weight(
            day_start(date(2026, 7, 1)).unwrap(),
            day_start(date(2026, 7, 2)).unwrap(),
        )
        .unwrap();
        assert!(january > july);
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(7, 0), 0);
    }
}
