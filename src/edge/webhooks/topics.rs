//! The event envelope `{id, topic, timestamp, context}` and the 19 topics. The context carries
//! ids only ("fetch the resource for current state"); the store holds the resources, so each
//! topic is applied as the state change it announces, at the event's time (`store::lifecycle`).
//! An envelope may also carry the resource itself as `data` (its Nomos shape): it is read only to
//! store an invoice the store does not have yet, which ids alone cannot describe.

use jiff::Timestamp;
use rusqlite::Connection;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::edge::api::{ApiError, FieldError};
use crate::edge::store::lifecycle::{
    self, InvoiceEvent, NewInvoice, OrderEvent, Outcome, SubscriptionEvent,
};

/// Event ids and topics longer than this are not Nomos's.
const MAX_NAME_LEN: usize = 64;

/// One delivered event.
#[derive(Debug)]
pub struct Event {
    pub id: String,
    pub topic: String,
    /// When it happened, in unix seconds; never after it was received.
    pub at: i64,
    context: Context,
    data: Option<Value>,
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    topic: String,
    timestamp: String,
    context: Context,
    #[serde(default)]
    data: Option<Value>,
}

/// The ids an event names. Fields Nomos may add are ignored.
#[derive(Debug, Deserialize)]
struct Context {
    subscription: Option<String>,
    invoice: Option<String>,
    meter_order: Option<String>,
}

impl Event {
    /// The event in a (verified) body; 400 when it is not an event.
    pub fn parse(body: &[u8], now: i64) -> Result<Event, ApiError> {
        let mut json = serde_json::Deserializer::from_slice(body);
        let envelope: Envelope = deserialize(&mut json, "")?;
        json.end()
            .map_err(|_| ApiError::bad_request("The body is not a Nomos event."))?;
        if !is_name(&envelope.id) {
            return Err(invalid("invalid_format", "id", "must be an event id"));
        }
        if !is_name(&envelope.topic) {
            return Err(invalid("invalid_format", "topic", "must be a topic name"));
        }
        let at: Timestamp = envelope.timestamp.parse().map_err(|_| {
            invalid(
                "invalid_format",
                "timestamp",
                "must be an RFC 3339 date-time",
            )
        })?;
        Ok(Event {
            id: envelope.id,
            topic: envelope.topic,
            at: at.as_second().min(now),
            context: envelope.context,
            data: envelope.data,
        })
    }
}

fn is_name(text: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[derive(Debug, Clone, Copy)]
enum Topic {
    Subscription(SubscriptionEvent),
    Invoice(InvoiceEvent),
    MeterOrder(OrderEvent),
}

fn topic(name: &str) -> Option<Topic> {
    let subscription = SubscriptionEvent::ALL
        .into_iter()
        .find(|e| e.topic() == name)
        .map(Topic::Subscription);
    let invoice = || {
        InvoiceEvent::ALL
            .into_iter()
            .find(|e| e.topic() == name)
            .map(Topic::Invoice)
    };
    let meter_order = || {
        OrderEvent::ALL
            .into_iter()
            .find(|e| e.topic() == name)
            .map(Topic::MeterOrder)
    };
    subscription.or_else(invoice).or_else(meter_order)
}

/// Applies the event to the organization's data; None for a topic this receiver does not know.
pub fn apply(conn: &Connection, org: &str, event: &Event) -> Result<Option<Outcome>, ApiError> {
    let Some(topic) = topic(&event.topic) else {
        return Ok(None);
    };
    let context = &event.context;
    let subscription = context.subscription.as_deref();
    let outcome = match topic {
        Topic::Subscription(e) => {
            let id = required(subscription, "subscription")?;
            lifecycle::apply_subscription(conn, org, id, e, event.at)?
        }
        Topic::Invoice(e) => {
            let id = required(context.invoice.as_deref(), "invoice")?;
            match lifecycle::apply_invoice(conn, org, id, subscription, e, event.at)? {
                Outcome::NotFound if e == InvoiceEvent::Created => match &event.data {
                    Some(data) => {
                        let invoice = new_invoice(data, id, subscription)?;
                        lifecycle::create_invoice(conn, org, &invoice, event.at)?
                    }
                    None => Outcome::NotFound,
                },
                outcome => outcome,
            }
        }
        Topic::MeterOrder(e) => {
            let id = required(context.meter_order.as_deref(), "meter_order")?;
            lifecycle::apply_meter_order(conn, org, id, subscription, e, event.at)?
        }
    };
    Ok(Some(outcome))
}

fn required<'a>(id: Option<&'a str>, field: &str) -> Result<&'a str, ApiError> {
    id.filter(|id| !id.is_empty())
        .ok_or_else(|| invalid("invalid_type", &format!("context.{field}"), "Required"))
}

/// A Nomos invoice (usage, prepayment or void) as `data` describes it.
#[derive(Deserialize)]
struct InvoiceSnapshot {
    id: String,
    subscription: String,
    invoice_number: String,
    #[serde(rename = "type")]
    invoice_type: String,
    status: String,
    month: i64,
    year: i64,
    period_start: Timestamp,
    period_end: Timestamp,
    period_number: i64,
    /// kWh; usage invoices only.
    #[serde(default)]
    usage: Option<f64>,
    /// Euros, gross.
    total: f64,
    #[serde(default)]
    voids: Option<String>,
    #[serde(default)]
    issued_at: Option<Timestamp>,
    #[serde(default)]
    paid_at: Option<Timestamp>,
}

/// Largest amount in euros an invoice may have either way.
const MAX_TOTAL_EUROS: f64 = 1e9;

fn new_invoice(data: &Value, id: &str, subscription: Option<&str>) -> Result<NewInvoice, ApiError> {
    let snapshot: InvoiceSnapshot = deserialize(data, "data")?;
    let bad =
        |field: &str, message: &str| invalid("invalid_value", &format!("data.{field}"), message);
    if snapshot.id != id {
        return Err(bad("id", "must be the context's invoice"));
    }
    if subscription.is_some_and(|s| s != snapshot.subscription) {
        return Err(bad("subscription", "must be the context's subscription"));
    }
    if !matches!(
        snapshot.invoice_type.as_str(),
        "usage" | "prepayment" | "void"
    ) {
        return Err(bad("type", "must be usage, prepayment or void"));
    }
    if !matches!(
        snapshot.status.as_str(),
        "open" | "paid" | "voided" | "uncollectible"
    ) {
        return Err(bad("status", "must be open, paid, voided or uncollectible"));
    }
    if !(1..=12).contains(&snapshot.month) {
        return Err(bad("month", "must be 1 to 12"));
    }
    if snapshot.period_end <= snapshot.period_start {
        return Err(bad("period_end", "must be after period_start"));
    }
    if !(snapshot.total.is_finite() && snapshot.total.abs() < MAX_TOTAL_EUROS) {
        return Err(bad("total", "must be an amount in euros"));
    }
    let usage_wh = match (snapshot.invoice_type.as_str(), snapshot.usage) {
        ("usage", Some(kwh)) if kwh.is_finite() && (0.0..MAX_TOTAL_EUROS).contains(&kwh) => {
            Some((kwh * 1000.0).round() as i64)
        }
        ("usage", _) => return Err(bad("usage", "a usage invoice needs its usage in kWh")),
        _ => None,
    };
    let voids = match (snapshot.invoice_type.as_str(), snapshot.voids) {
        ("void", Some(voids)) => Some(voids),
        ("void", None) => return Err(bad("voids", "a void invoice names the invoice it voids")),
        _ => None,
    };
    Ok(NewInvoice {
        id: snapshot.id,
        subscription_id: snapshot.subscription,
        number: snapshot.invoice_number,
        invoice_type: snapshot.invoice_type,
        status: snapshot.status,
        year: snapshot.year,
        month: snapshot.month,
        period_start: snapshot.period_start.as_second(),
        period_end: snapshot.period_end.as_second(),
        period_number: snapshot.period_number,
        usage_wh,
        total_ct: (snapshot.total * 100.0).round() as i64,
        voids,
        issued_at: snapshot.issued_at.map(|t| t.as_second()),
        paid_at: snapshot.paid_at.map(|t| t.as_second()),
    })
}

/// `T` from `input`; 400 naming the offending field (under `prefix`) otherwise.
fn deserialize<'de, T, D>(input: D, prefix: &str) -> Result<T, ApiError>
where
    T: DeserializeOwned,
    D: serde::Deserializer<'de>,
{
    serde_path_to_error::deserialize(input).map_err(|err| {
        let path = err.path().to_string();
        let field = match (prefix, path.as_str()) {
            (_, ".") => prefix.to_owned(),
            ("", path) => path.to_owned(),
            (prefix, path) => format!("{prefix}.{path}"),
        };
        let mut error = ApiError::bad_request("The body is not a Nomos event.");
        error.errors.push(FieldError {
            code: "invalid_type",
            field: (!field.is_empty()).then_some(field),
            message: err.into_inner().to_string(),
        });
        error
    })
}

fn invalid(code: &'static str, field: &str, message: &str) -> ApiError {
    let mut error = ApiError::bad_request("The body is not a Nomos event.");
    error.errors.push(FieldError {
        code,
        field: Some(field.to_owned()),
        message: message.to_owned(),
    });
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000;

    #[test]
    fn the_nineteen_topics_are_known() {
        let names = [
            "subscription.created",
            "subscription.confirmed",
            "subscription.activated",
            "subscription.ended",
            "subscription.terminated",
            "invoice.created",
            "invoice.paid",
            "invoice.payment_failed",
            "invoice.voided",
            "invoice.uncollectible",
            "meter_order.created",
            "meter_order.placed",
            "meter_order.check_submitted",
            "meter_order.check_reviewed",
            "meter_order.scheduled",
            "meter_order.installed",
            "meter_order.activated",
            "meter_order.blocked",
            "meter_order.cancelled",
        ];
        for name in names {
            assert!(topic(name).is_some(), "{name}");
        }
        assert!(topic("invoice.finalized").is_none());
    }

    #[test]
    fn an_envelope_parses_with_fields_nomos_may_add() {
        let body = br#"{"id":"evt_mi4f0oda6x9m7gcsvjk0ole1","topic":"invoice.paid",
            "timestamp":"2026-05-28T20:00:00Z","api_version":"2026-05-27.curie",
            "context":{"invoice":"inv_1","subscription":"sub_1","lead":"lead_1"}}"#;
        let event = Event::parse(body, NOW).unwrap();
        assert_eq!(event.id, "evt_mi4f0oda6x9m7gcsvjk0ole1");
        assert_eq!(event.at, NOW - 1600);
        assert_eq!(event.context.invoice.as_deref(), Some("inv_1"));
        // A time after the delivery counts as the delivery's.
        let future = br#"{"id":"evt_2","topic":"invoice.paid","timestamp":"2027-01-01T00:00:00Z","context":{}}"#;
        assert_eq!(Event::parse(future, NOW).unwrap().at, NOW);
    }

    #[test]
    fn what_is_not_an_event_names_the_field() {
        for (body, field) in [
            (&br#"{"topic":"invoice.paid","timestamp":"2026-05-28T20:00:00Z","context":{}}"#[..], None),
            (br#"{"id":"evt 1","topic":"invoice.paid","timestamp":"2026-05-28T20:00:00Z","context":{}}"#, Some("id")),
            (br#"{"id":"evt_1","topic":"invoice.paid","timestamp":"yesterday","context":{}}"#, Some("timestamp")),
            (br#"{"id":"evt_1","topic":"invoice.paid","timestamp":"2026-05-28T20:00:00Z","context":{"invoice":7}}"#, Some("context.invoice")),
            (b"not json", None),
        ] {
            let error = Event::parse(body, NOW).unwrap_err();
            assert_eq!(error.status, 400);
            assert_eq!(error.errors[0].field.as_deref(), field);
        }
    }
}
