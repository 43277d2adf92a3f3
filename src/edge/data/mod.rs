//! The signed-in customer's data under `/api/`, in the shapes of the Nomos API: subscriptions and
//! account changes, prices, usage, the dashboard, invoices with their PDFs, meter readings, meter
//! orders and products. Every handler answers only for the signed-in customer on the requesting
//! portal: another customer's or another portal's id is 404, never 403.

pub mod account;
pub mod dashboard;
pub mod energy;
pub mod iban;
pub mod invoices;
pub mod orders;
pub mod pagination;
pub mod params;
pub mod prices;
pub mod readings;
pub mod termination;
pub mod usage;

use super::Call;
use super::api::{Answer, ApiError};

/// Answers a data request; `None` when no data route has this path. `segments` are the path's
/// parts after `/api/`, e.g. `["subscriptions", "sub_123", "usage"]`.
pub fn route(call: &mut Call, segments: &[&str]) -> Option<Result<Answer, ApiError>> {
    account::route(call, segments)
        .or_else(|| prices::route(call, segments))
        .or_else(|| usage::route(call, segments))
        .or_else(|| dashboard::route(call, segments))
        .or_else(|| invoices::route(call, segments))
        .or_else(|| readings::route(call, segments))
        .or_else(|| orders::route(call, segments))
}
