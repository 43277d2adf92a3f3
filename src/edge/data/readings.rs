//! `GET /api/meter-readings` (the customer's readings, latest first, in cursor pages, filterable
//! by subscription, type and creation time) and `POST /api/meter-readings {subscription, value,
//! timestamp, message?}`: a reading the customer took, checked for plausibility against the
//! meter's latest reading. A rejected reading answers 422 with a hint in the customer's language
//! that the portal shows next to the form. An accepted one is stored and, for an analog meter,
//! recomputes the monthly consumption the usage views show.

use jiff::Timestamp;
use rusqlite::TransactionBehavior;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use tiny_http::Method;

use super::pagination::{self, FieldKind, FilterField, list_json, query_params};
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError, FieldError};
use crate::edge::auth::sessions;
use crate::edge::documents::format::{self, Locale};
use crate::edge::store::calendar::{day_start, days_since_epoch, local_date};
use crate::edge::store::customers::{MeterType, SubscriptionStatus};
use crate::edge::store::ids::random_id;
use crate::edge::store::listing::After;
use crate::edge::store::readings::{self, ReadingRecord};
use crate::edge::store::subscription_of;

const FIELDS: &[FilterField] = &[
    FilterField {
        name: "subscription",
        column: "r.subscription_id",
        kind: FieldKind::Id,
    },
    FilterField {
        name: "type",
        column: "r.type",
        kind: FieldKind::Enum(&["customer_report", "grid_reading", "grid_estimation"]),
    },
    FilterField {
        name: "created_at",
        column: "r.created_at",
        kind: FieldKind::Instant,
    },
];

/// More than a household connection can draw in a day (about 44 kW around the clock).
const MAX_WH_PER_DAY: i64 = 1_050_000;
/// How far ahead of the server's clock a reading's time may be (a phone's clock drifts).
const CLOCK_SKEW: i64 = 300;
const MAX_MESSAGE: usize = 500;
/// Larger counts do not exist on electricity meters (and would not fit the store).
const MAX_VALUE_KWH: f64 = 1e9;

pub fn route(call: &mut Call, segments: &[&str]) -> Option<Result<Answer, ApiError>> {
    if segments != ["meter-readings"] {
        return None;
    }
    Some(match call.req.method {
        Method::Get => list(call),
        Method::Post => create(call),
        _ => Err(ApiError::method_not_allowed()),
    })
}

fn list(call: &mut Call) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    let customer = &me.customer.id;
    let params = query_params(&call.req.query, FIELDS, &[])?;
    let secret = &call.edge.secret;
    let request = pagination::parse(secret, "meter-readings", customer, &params, FIELDS, &[])?;
    let rows = readings::readings_of(call.conn, customer, &request.conditions, &request.page)?;
    let (rows, next_page) = request.page_of(secret, rows, |last| After {
        key: last.read_at,
        id: last.id.clone(),
    });
    let items = rows.iter().map(reading_json).collect();
    Ok(Answer::json(200, list_json(items, next_page)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReading {
    subscription: String,
    /// The meter's count in kWh.
    value: f64,
    /// When it was read (RFC 3339); stored as the start of that day in Berlin.
    timestamp: String,
    #[serde(default)]
    message: Option<String>,
}

fn create(call: &mut Call) -> Result<Answer, ApiError> {
    call.req.require_same_origin_json()?;
    let me = sessions::require(call)?;
    let body: NewReading = call.req.json()?;
    // Stored in watt-hours: a positive value below half a watt-hour counts as 0.
    let value_wh = (body.value * 1000.0).round();
    if !value_wh.is_finite() || value_wh < 1.0 {
        return Err(bad_field(
            "too_small",
            "value",
            "The value must be greater than 0.",
        ));
    }
    if body.value > MAX_VALUE_KWH {
        return Err(bad_field(
            "too_big",
            "value",
            "The value is too large for a meter.",
        ));
    }
    let value_wh = value_wh as i64;
    if body
        .message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_MESSAGE)
    {
        return Err(bad_field(
            "too_big",
            "message",
            "The message must be at most 500 characters.",
        ));
    }
    let taken_at = body
        .timestamp
        .parse::<Timestamp>()
        .map_err(|_| {
            bad_field(
                "invalid_format",
                "timestamp",
                "The timestamp must be an RFC 3339 time, e.g. 2026-05-28T08:00:00Z.",
            )
        })?
        .as_second();
    let subscription = subscription_of(call.conn, &me.customer.id, &body.subscription)?
        .ok_or_else(ApiError::not_found)?;
    let hints = Hints(Locale::from_tag(&me.customer.locale));
    let now = call.now;
    if subscription.status == SubscriptionStatus::Ended
        || subscription.end_at.is_some_and(|end| end <= now)
    {
        return Err(rejected(
            "ended_subscription",
            "subscription",
            hints.ended(),
        ));
    }
    if taken_at > now + CLOCK_SKEW {
        return Err(rejected(
            "implausible_meter_reading",
            "timestamp",
            hints.future(),
        ));
    }
    let read_at = start_of_day(taken_at)?;
    let supply_start = subscription.start_at.unwrap_or(i64::MAX);
    if read_at < supply_start {
        let hint = hints.before_supply(subscription.start_at);
        return Err(rejected("out_of_period_meter_reading", "timestamp", hint));
    }

    let meter = &subscription.meter;
    let tx = call
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    if readings::has_reading_on(&tx, &meter.id, read_at)? {
        return Err(rejected(
            "duplicate_meter_reading",
            "timestamp",
            hints.duplicate(read_at),
        ));
    }
    let last = readings::latest_reading(&tx, &meter.id)?;
    if let Some(last) = &last {
        check_against(last, read_at, value_wh, &hints)?;
    }
    let reading = ReadingRecord {
        id: random_id("mr").map_err(|e| {
            crate::edge::log(&format!("no randomness for an id: {e}"));
            ApiError::internal()
        })?,
        customer_id: me.customer.id.clone(),
        subscription_id: subscription.id.clone(),
        meter_id: meter.id.clone(),
        value_wh,
        read_at,
        reading_type: "customer_report".to_owned(),
        message: body.message.filter(|m| !m.trim().is_empty()),
        created_at: now,
    };
    readings::insert_reading(&tx, &reading)?;
    if let (Some(last), MeterType::Analog) = (&last, meter.meter_type) {
        let supply = (supply_start, subscription.end_at);
        readings::recompute_monthly_usage(&tx, &meter.id, supply, last.read_at, read_at)?;
    }
    tx.commit()?;
    Ok(Answer::json(200, reading_json(&reading)))
}

/// The plausibility rules against the meter's latest reading.
fn check_against(
    last: &ReadingRecord,
    read_at: i64,
    value_wh: i64,
    hints: &Hints,
) -> Result<(), ApiError> {
    if read_at < last.read_at {
        return Err(rejected(
            "implausible_meter_reading",
            "timestamp",
            hints.before_last(last),
        ));
    }
    if value_wh < last.value_wh {
        return Err(rejected(
            "implausible_meter_reading",
            "value",
            hints.below_last(last),
        ));
    }
    let days = calendar_days(last.read_at, read_at)?.max(1);
    let consumed = value_wh - last.value_wh;
    if consumed > MAX_WH_PER_DAY * days {
        return Err(rejected(
            "implausible_meter_reading",
            "value",
            hints.too_much(consumed, days),
        ));
    }
    Ok(())
}

fn start_of_day(at: i64) -> Result<i64, ApiError> {
    local_date(at).and_then(day_start).map_err(|_| {
        bad_field(
            "invalid_format",
            "timestamp",
            "The timestamp is out of range.",
        )
    })
}

/// Berlin calendar days from `from` to `to`.
fn calendar_days(from: i64, to: i64) -> Result<i64, ApiError> {
    let day = |at| {
        local_date(at)
            .map(days_since_epoch)
            .map_err(|_| ApiError::internal())
    };
    Ok(day(to)? - day(from)?)
}

fn bad_field(code: &'static str, field: &str, message: &str) -> ApiError {
    let mut error = ApiError::bad_request(message);
    error.errors.push(FieldError {
        code,
        field: Some(field.to_owned()),
        message: message.to_owned(),
    });
    error
}

/// 422: the reading breaks a rule; `hint` is the message the portal shows the customer.
fn rejected(code: &'static str, field: &str, hint: String) -> ApiError {
    let mut error = ApiError::new(422, "UNPROCESSABLE_ENTITY", hint.clone());
    error.errors.push(FieldError {
        code,
        field: Some(field.to_owned()),
        message: hint,
    });
    error
}

fn reading_json(r: &ReadingRecord) -> Json {
    let iso = |at: i64| Timestamp::from_second(at).map_or(Json::Null, |t| json!(t.to_string()));
    json!({
        "object": "meter_reading",
        "id": r.id,
        "customer": r.customer_id,
        "subscription": r.subscription_id,
        "meter": r.meter_id,
        "value": r.value_wh as f64 / 1000.0,
        "timestamp": iso(r.read_at),
        "type": r.reading_type,
        "message": r.message,
        "created_at": iso(r.created_at),
    })
}

/// The hints of rejected readings, in the customer's language.
struct Hints(Locale);

impl Hints {
    fn kwh(&self, wh: i64) -> String {
        format::kwh(wh, 0, self.0)
    }

    fn date(&self, at: i64) -> String {
        format::date(at, self.0)
    }

    fn ended(&self) -> String {
        match self.0 {
            Locale::De => {
                "Dieser Vertrag ist beendet. Zählerstände können nicht mehr gemeldet werden."
                    .to_owned()
            }
            Locale::En => {
                "This contract has ended. Meter readings can no longer be submitted.".to_owned()
            }
        }
    }

    fn future(&self) -> String {
        match self.0 {
            Locale::De => "Das Ablesedatum liegt in der Zukunft. Bitte geben Sie den Tag an, an dem Sie den Zähler abgelesen haben.".to_owned(),
            Locale::En => "The reading date is in the future. Please enter the day you read the meter.".to_owned(),
        }
    }

    fn before_supply(&self, start: Option<i64>) -> String {
        match (self.0, start) {
            (Locale::De, Some(start)) => format!(
                "Das Ablesedatum liegt vor dem Lieferbeginn am {}.",
                self.date(start)
            ),
            (Locale::En, Some(start)) => format!(
                "The reading date is before your supply started on {}.",
                self.date(start)
            ),
            (Locale::De, None) => "Die Belieferung hat noch nicht begonnen.".to_owned(),
            (Locale::En, None) => "Your supply has not started yet.".to_owned(),
        }
    }

    fn duplicate(&self, day: i64) -> String {
        match self.0 {
            Locale::De => format!(
                "Für den {} liegt bereits ein Zählerstand vor. Pro Tag ist ein Zählerstand möglich.",
                self.date(day)
            ),
            Locale::En => format!(
                "There is already a meter reading for {}. One reading per day is possible.",
                self.date(day)
            ),
        }
    }

    fn before_last(&self, last: &ReadingRecord) -> String {
        let (value, day) = (self.kwh(last.value_wh), self.date(last.read_at));
        match self.0 {
            Locale::De => format!(
                "Es gibt bereits einen neueren Zählerstand ({value} am {day}). Bitte geben Sie einen Stand ab diesem Tag an."
            ),
            Locale::En => format!(
                "There is already a later reading ({value} on {day}). Please enter a reading from that day on."
            ),
        }
    }

    fn below_last(&self, last: &ReadingRecord) -> String {
        let (value, day) = (self.kwh(last.value_wh), self.date(last.read_at));
        match self.0 {
            Locale::De => format!(
                "Der Zählerstand ist niedriger als der letzte Stand von {value} am {day}. Bitte prüfen Sie die Ziffern vor dem Komma."
            ),
            Locale::En => format!(
                "The reading is lower than the last one, {value} on {day}. Please check the digits before the decimal point."
            ),
        }
    }

    fn too_much(&self, consumed: i64, days: i64) -> String {
        let amount = self.kwh(consumed);
        match (self.0, days) {
            (Locale::De, 1) => format!(
                "Das wären {amount} an einem Tag, mehr als ein Anschluss liefern kann (höchstens 1.050 kWh pro Tag). Bitte prüfen Sie den Zählerstand."
            ),
            (Locale::De, _) => format!(
                "Das wären {amount} in {days} Tagen, mehr als ein Anschluss liefern kann (höchstens 1.050 kWh pro Tag). Bitte prüfen Sie den Zählerstand."
            ),
            (Locale::En, 1) => format!(
                "That would be {amount} in one day, more than a connection can supply (at most 1,050 kWh a day). Please check the reading."
            ),
            (Locale::En, _) => format!(
                "That would be {amount} in {days} days, more than a connection can supply (at most 1,050 kWh a day). Please check the reading."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn last() -> ReadingRecord {
        ReadingRecord {
            id: "mr_1".to_owned(),
            customer_id: "cus_1".to_owned(),
            subscription_id: "sub_1".to_owned(),
            meter_id: "mtr_1".to_owned(),
            value_wh: 60_000_000,
            read_at: day_start(date(2026, 3, 1)).unwrap(),
            reading_type: "grid_reading".to_owned(),
            message: None,
            created_at: 0,
        }
    }

    fn code(result: Result<(), ApiError>) -> Option<(u16, &'static str, String)> {
        result.err().map(|e| {
            let field = e.errors[0].field.clone().unwrap_or_default();
            (e.status, e.errors[0].code, field)
        })
    }

    #[test]
    fn readings_are_checked_against_the_last_one() {
        let hints = Hints(Locale::De);
        let may = day_start(date(2026, 5, 1)).unwrap();
        // 61 days after 1 March: up to 64,050 kWh are possible.
        assert_eq!(code(check_against(&last(), may, 60_500_000, &hints)), None);
        assert_eq!(
            code(check_against(&last(), may, 60_000_000, &hints)),
            None,
            "unchanged"
        );
        assert_eq!(
            code(check_against(&last(), may, 59_999_000, &hints)),
            Some((422, "implausible_meter_reading", "value".to_owned()))
        );
        assert_eq!(
            code(check_against(&last(), may, 60_000_000 + 64_050_001, &hints)),
            Some((422, "implausible_meter_reading", "value".to_owned()))
        );
        assert_eq!(
            code(check_against(&last(), may, 60_000_000 + 64_050_000, &hints)),
            None
        );
        let february = day_start(date(2026, 2, 20)).unwrap();
        assert_eq!(
            code(check_against(&last(), february, 60_500_000, &hints)),
            Some((422, "implausible_meter_reading", "timestamp".to_owned()))
        );
    }

    #[test]
    fn hints_speak_the_customers_language() {
        let de = Hints(Locale::De).below_last(&last());
        assert!(de.contains("60.000 kWh am 01.03.2026"), "{de}");
        let en = Hints(Locale::En).too_much(2_000_000, 1);
        assert!(en.contains("2,000 kWh in one day"), "{en}");
        assert!(
            Hints(Locale::De)
                .too_much(5_000_000, 3)
                .contains("in 3 Tagen")
        );
    }
}
