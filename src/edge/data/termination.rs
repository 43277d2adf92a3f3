//! `POST /api/subscriptions/{id}/terminate` with Nomos `TerminateSubscription`; answers Nomos
//! `TerminateSubscriptionResponse {reason, intended_end_at}`. End dates are exclusive midnights
//! in Europe/Berlin: the last day of supply is the day before.
//!
//! * Every reason leaves the grid operator [`GRID_NOTICE_WORKING_DAYS`] working days (Monday to
//!   Friday; public holidays are not counted out) to deregister the meter, and supply cannot
//!   end before it starts.
//! * `ORDINARY` also respects the plan's notice period (`plan_tariffs.notice_period_days`, else
//!   [`DEFAULT_NOTICE_DAYS`]); without `intended_end_at` the earliest possible date is taken.
//! * `MOVE_OUT` needs `intended_end_at`.
//! * `WITHDRAWAL` (Widerruf) is possible up to the 14th day after signing up (the Berlin
//!   calendar day of `created_at` plus 14); supply ends as early as possible.
//!
//! A contract that already ends can only be terminated to an earlier date. Refusals are 409
//! (`invalid_termination_date`, `withdrawal_not_allowed`) or 422 (`ended_subscription`), with a
//! message in the customer's language.

use jiff::civil::{Date, Weekday};
use jiff::{Timestamp, ToSpan};
use rusqlite::TransactionBehavior;
use serde::Deserialize;

use super::account::{bad_field, berlin_iso, ended, field_error, has_ended, iso};
use super::params::YEARS;
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError};
use crate::edge::auth::sessions;
use crate::edge::documents::format::{self, Locale};
use crate::edge::store::account;
use crate::edge::store::audit::{self, Actor, AuditEvent, Changes};
use crate::edge::store::calendar::{day_start, local_date};
use crate::edge::store::customers::TerminationReason;
use crate::edge::store::subscription_of;
use crate::edge::store::tariffs::plan_tariff;

/// Working days the grid operator gets between the termination and the end of supply.
pub const GRID_NOTICE_WORKING_DAYS: i64 = 3;
/// The notice of a plan without a stored tariff: a month, as German law allows at most.
pub const DEFAULT_NOTICE_DAYS: i64 = 30;
/// Days after signing up in which a contract can be withdrawn from.
pub const WITHDRAWAL_DAYS: i64 = 14;
/// How far ahead an end date may be.
const MAX_AHEAD_DAYS: i64 = 3 * 366;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Termination {
    reason: TerminationReason,
    #[serde(default)]
    intended_end_at: Option<String>,
}

pub fn terminate(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    call.req.require_same_origin_json()?;
    let me = sessions::require(call)?;
    let body: Termination = call.req.json()?;
    let requested = match (&body.intended_end_at, body.reason) {
        (Some(_), TerminationReason::Withdrawal) => {
            return Err(bad_field(
                "invalid_value",
                "intended_end_at",
                "A withdrawal takes no date: supply ends as early as the grid operator allows.",
            ));
        }
        (Some(text), _) => Some(parse_end(text)?),
        (None, TerminationReason::MoveOut) => {
            return Err(bad_field(
                "invalid_type",
                "intended_end_at",
                "A move-out needs `intended_end_at`: the midnight (Europe/Berlin) supply ends.",
            ));
        }
        (None, _) => None,
    };
    let locale = Locale::from_tag(&me.customer.locale);
    let now = call.now;
    // Checked and stored in one write transaction: a concurrent termination cannot slip
    // between the check against the current end and the write.
    let tx = call
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let subscription =
        subscription_of(&tx, &me.customer.id, id)?.ok_or_else(ApiError::not_found)?;
    if has_ended(&subscription, now) {
        return Err(ended(locale));
    }
    let notice_days = plan_tariff(&tx, &subscription.plan_slug)?
        .map_or(DEFAULT_NOTICE_DAYS, |t| t.notice_period_days);
    let date = |at: i64| local_date(at).map_err(|_| ApiError::internal());
    let contract = Contract {
        created: date(subscription.created_at)?,
        start: subscription.start_at.map(date).transpose()?,
        end: subscription.end_at.map(date).transpose()?,
    };
    let today = date(now)?;
    let end = end_date(body.reason, requested, today, notice_days, &contract)
        .map_err(|refusal| refusal.error(locale))?;
    let end_at = day_start(end).map_err(|_| ApiError::internal())?;

    let mut changes = Changes::new();
    changes.field(
        "termination_reason",
        subscription
            .termination_reason
            .map(TerminationReason::as_str),
        body.reason.as_str(),
    );
    changes.field(
        "terminated_at",
        subscription.terminated_at.map(iso),
        iso(now),
    );
    changes.field(
        "end_at",
        subscription.end_at.map(berlin_iso),
        berlin_iso(end_at),
    );
    account::terminate(&tx, &subscription.id, body.reason, end_at, now)?;
    audit::record(
        &tx,
        &AuditEvent {
            occurred_at: now,
            customer_id: &me.customer.id,
            subscription_id: Some(&subscription.id),
            actor: Actor::Customer,
            action: "subscription.terminate",
            changes,
        },
    )?;
    tx.commit()?;
    Ok(Answer::json(
        200,
        serde_json::json!({
            "reason": body.reason.as_str(),
            "intended_end_at": berlin_iso(end_at),
        }),
    ))
}

/// `intended_end_at`: an RFC 3339 instant that is midnight in Berlin, or a `YYYY-MM-DD` date
/// (its Berlin midnight).
fn parse_end(text: &str) -> Result<Date, ApiError> {
    let refused = || {
        bad_field(
            "invalid_format",
            "intended_end_at",
            "`intended_end_at` must be a midnight in Europe/Berlin, e.g. 2026-12-31T00:00:00+01:00.",
        )
    };
    let text = text.trim();
    let date = match text.parse::<Timestamp>() {
        Ok(at) => {
            let at = at.as_second();
            let date = local_date(at).map_err(|_| refused())?;
            if day_start(date).map_err(|_| refused())? != at {
                return Err(refused());
            }
            date
        }
        Err(_) if text.len() == 10 => text.parse::<Date>().map_err(|_| refused())?,
        Err(_) => return Err(refused()),
    };
    if !YEARS.contains(&date.year()) {
        return Err(refused());
    }
    Ok(date)
}

/// The dates of a contract the rules look at, as Berlin calendar dates.
#[derive(Debug, Clone, Copy)]
struct Contract {
    /// Signed up.
    created: Date,
    /// First day of supply.
    start: Option<Date>,
    /// Exclusive end already scheduled.
    end: Option<Date>,
}

/// Why a termination is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Earlier than notice periods allow; the earliest possible end.
    TooEarly(Date),
    /// Further ahead than [`MAX_AHEAD_DAYS`]; the latest accepted end.
    TooLate(Date),
    /// The contract already ends then or earlier.
    AlreadyEnds(Date),
    /// The withdrawal period ended on this day.
    WithdrawalOver(Date),
}

/// The exclusive end date of a termination received `today`, or why it is refused.
fn end_date(
    reason: TerminationReason,
    requested: Option<Date>,
    today: Date,
    notice_days: i64,
    contract: &Contract,
) -> Result<Date, Refusal> {
    let date_error = |_| Refusal::TooLate(today);
    let mut earliest = add_working_days(today, GRID_NOTICE_WORKING_DAYS).map_err(date_error)?;
    if let Some(start) = contract.start {
        earliest = earliest.max(start);
    }
    match reason {
        TerminationReason::Ordinary => {
            let notice = today.checked_add(notice_days.days()).map_err(date_error)?;
            earliest = earliest.max(notice);
        }
        TerminationReason::Withdrawal => {
            let last_day = contract
                .created
                .checked_add(WITHDRAWAL_DAYS.days())
                .map_err(date_error)?;
            if today > last_day {
                return Err(Refusal::WithdrawalOver(last_day));
            }
        }
        TerminationReason::MoveOut => {}
    }
    let end = requested.unwrap_or(earliest);
    if end < earliest {
        return Err(Refusal::TooEarly(earliest));
    }
    let latest = today
        .checked_add(MAX_AHEAD_DAYS.days())
        .map_err(date_error)?;
    if end > latest {
        return Err(Refusal::TooLate(latest));
    }
    match contract.end {
        Some(current) if current <= end => Err(Refusal::AlreadyEnds(current)),
        _ => Ok(end),
    }
}

/// The day `n` working days (Monday to Friday) after `day`.
fn add_working_days(mut day: Date, n: i64) -> Result<Date, jiff::Error> {
    let mut left = n;
    while left > 0 {
        day = day.tomorrow()?;
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    Ok(day)
}

impl Refusal {
    fn error(self, locale: Locale) -> ApiError {
        let day = |date: Date| {
            day_start(date)
                .map(|at| format::date(at, locale))
                .unwrap_or_else(|_| date.to_string())
        };
        let (code, message) = match (self, locale) {
            (Refusal::TooEarly(date), Locale::De) => (
                "invalid_termination_date",
                format!(
                    "So früh ist eine Kündigung nicht möglich: Die Belieferung kann frühestens zum {} enden.",
                    day(date)
                ),
            ),
            (Refusal::TooEarly(date), Locale::En) => (
                "invalid_termination_date",
                format!(
                    "The contract cannot end that early: the earliest possible end of supply is {}.",
                    day(date)
                ),
            ),
            (Refusal::TooLate(date), Locale::De) => (
                "invalid_termination_date",
                format!(
                    "Das Vertragsende darf höchstens bis zum {} in der Zukunft liegen.",
                    day(date)
                ),
            ),
            (Refusal::TooLate(date), Locale::En) => (
                "invalid_termination_date",
                format!("The end of supply can be at most {} ahead.", day(date)),
            ),
            (Refusal::AlreadyEnds(date), Locale::De) => (
                "invalid_termination_date",
                format!(
                    "Der Vertrag endet bereits zum {}. Eine weitere Kündigung ist nur zu einem früheren Termin möglich.",
                    day(date)
                ),
            ),
            (Refusal::AlreadyEnds(date), Locale::En) => (
                "invalid_termination_date",
                format!(
                    "The contract already ends on {}. Another termination is only possible to an earlier date.",
                    day(date)
                ),
            ),
            (Refusal::WithdrawalOver(date), Locale::De) => (
                "withdrawal_not_allowed",
                format!(
                    "Die Widerrufsfrist von 14 Tagen ist am {} abgelaufen. Sie können den Vertrag ordentlich kündigen.",
                    day(date)
                ),
            ),
            (Refusal::WithdrawalOver(date), Locale::En) => (
                "withdrawal_not_allowed",
                format!(
                    "The 14-day withdrawal period ended on {}. You can terminate the contract with notice instead.",
                    day(date)
                ),
            ),
        };
        let field = match self {
            Refusal::WithdrawalOver(_) => "reason",
            _ => "intended_end_at",
        };
        field_error(409, code, field, &message)
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn contract(created: Date, start: Option<Date>) -> Contract {
        Contract {
            created,
            start,
            end: None,
        }
    }

    #[test]
    fn the_grid_operator_gets_working_days() {
        // Thursday 28 May 2026: Friday, Monday, Tuesday.
        assert_eq!(
            add_working_days(date(2026, 5, 28), 3).unwrap(),
            date(2026, 6, 2)
        );
        assert_eq!(
            add_working_days(date(2026, 5, 25), 3).unwrap(),
            date(2026, 5, 28)
        );
    }

    #[test]
    fn ordinary_terminations_respect_the_notice_period() {
        let today = date(2026, 5, 28);
        let running = contract(date(2024, 1, 1), Some(date(2024, 2, 1)));
        let end = |requested| end_date(TerminationReason::Ordinary, requested, today, 30, &running);
        assert_eq!(end(None), Ok(date(2026, 6, 27)), "today plus 30 days");
        assert_eq!(end(Some(date(2026, 7, 1))), Ok(date(2026, 7, 1)));
        assert_eq!(
            end(Some(date(2026, 6, 26))),
            Err(Refusal::TooEarly(date(2026, 6, 27)))
        );
        assert_eq!(
            end(Some(date(2026, 5, 1))),
            Err(Refusal::TooEarly(date(2026, 6, 27))),
            "in the past"
        );
        assert!(matches!(
            end(Some(date(2030, 1, 1))),
            Err(Refusal::TooLate(_))
        ));

        let ending = Contract {
            end: Some(date(2026, 8, 1)),
            ..running
        };
        assert_eq!(
            end_date(TerminationReason::Ordinary, None, today, 30, &ending),
            Ok(date(2026, 6, 27)),
            "earlier than the scheduled end"
        );
        assert_eq!(
            end_date(
                TerminationReason::Ordinary,
                Some(date(2026, 8, 1)),
                today,
                30,
                &ending
            ),
            Err(Refusal::AlreadyEnds(date(2026, 8, 1)))
        );
    }

    #[test]
    fn move_outs_need_only_the_grid_operators_notice() {
        let today = date(2026, 5, 28);
        let running = contract(date(2024, 1, 1), Some(date(2024, 2, 1)));
        let end = |requested| {
            end_date(
                TerminationReason::MoveOut,
                Some(requested),
                today,
                30,
                &running,
            )
        };
        assert_eq!(end(date(2026, 6, 2)), Ok(date(2026, 6, 2)));
        assert_eq!(
            end(date(2026, 6, 1)),
            Err(Refusal::TooEarly(date(2026, 6, 2)))
        );
        // Supply cannot end before it starts.
        let pending = contract(date(2026, 5, 20), Some(date(2026, 7, 1)));
        assert_eq!(
            end_date(
                TerminationReason::MoveOut,
                Some(date(2026, 6, 15)),
                today,
                30,
                &pending
            ),
            Err(Refusal::TooEarly(date(2026, 7, 1)))
        );
    }

    #[test]
    fn withdrawal_is_possible_for_14_days_after_signing_up() {
        let signed = date(2026, 5, 20);
        let pending = contract(signed, Some(date(2026, 7, 1)));
        let withdraw = |today| end_date(TerminationReason::Withdrawal, None, today, 30, &pending);
        assert_eq!(
            withdraw(date(2026, 5, 28)),
            Ok(date(2026, 7, 1)),
            "before supply starts: none at all"
        );
        assert_eq!(
            withdraw(date(2026, 6, 3)),
            Ok(date(2026, 7, 1)),
            "the 14th day"
        );
        assert_eq!(
            withdraw(date(2026, 6, 4)),
            Err(Refusal::WithdrawalOver(date(2026, 6, 3)))
        );
        let supplied = contract(signed, Some(date(2026, 5, 21)));
        assert_eq!(
            end_date(
                TerminationReason::Withdrawal,
                None,
                date(2026, 5, 28),
                30,
                &supplied
            ),
            Ok(date(2026, 6, 2))
        );
    }

    #[test]
    fn end_dates_are_berlin_midnights() {
        assert_eq!(
            parse_end("2026-12-31T00:00:00+01:00").unwrap(),
            date(2026, 12, 31)
        );
        assert_eq!(
            parse_end("2026-06-30T22:00:00Z").unwrap(),
            date(2026, 7, 1),
            "summer time"
        );
        assert_eq!(parse_end("2026-07-01").unwrap(), date(2026, 7, 1));
        for bad in [
            "2026-07-01T00:00:00Z",
            "2026-07-01T12:00:00+02:00",
            "tomorrow",
            "2026-02-30",
            "9999-01-01",
        ] {
            let error = parse_end(bad).unwrap_err();
            assert_eq!(error.status, 400, "{bad}");
            assert_eq!(error.errors[0].code, "invalid_format", "{bad}");
        }
    }

    #[test]
    fn refusals_speak_the_customers_language() {
        let error = Refusal::WithdrawalOver(date(2026, 6, 3)).error(Locale::De);
        assert_eq!((error.status, error.code), (409, "CONFLICT"));
        assert_eq!(error.errors[0].code, "withdrawal_not_allowed");
        assert!(error.message.contains("03.06.2026"), "{}", error.message);
        let error = Refusal::TooEarly(date(2026, 6, 27)).error(Locale::En);
        assert_eq!(error.errors[0].code, "invalid_termination_date");
    }
}
