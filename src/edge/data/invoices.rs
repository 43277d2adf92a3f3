//! `GET /api/invoices` (cursor pages, filters, search on the invoice number), `GET
//! /api/invoices/{id}` with the consumption and cost breakdown of its period, and `GET
//! /api/invoices/{id}/file`, the invoice as a branded PDF in the customer's language. Items have
//! the Nomos `InvoiceUnion` shapes (`usage` only on usage invoices, `voids` only on a Storno) plus
//! `due_at` and the linked invoices (`voided_by`, `voids_invoice`).

use jiff::{Timestamp, ToSpan};
use rusqlite::types::Value;
use serde_json::{Value as Json, json};
use tiny_http::Method;

use super::pagination::{self, FieldKind, FilterField, list_json, query_params};
use crate::config::TenantConfig;
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError};
use crate::edge::auth::sessions;
use crate::edge::data::params::invalid;
use crate::edge::documents::Rgb;
use crate::edge::documents::format::Locale;
use crate::edge::documents::invoice::{
    Bar, Branding, Consumption, InvoiceDocument, InvoiceKind, InvoiceRef, Line, Recipient,
    Resolution, render,
};
use crate::edge::sites::PlanSite;
use crate::edge::store::billing::{
    self, InvoiceLineRecord, InvoiceRecord, LinkedInvoice, UsageBucket,
};
use crate::edge::store::calendar::{day_start, local_date};
use crate::edge::store::customers::{MeterType, SubscriptionRecord};
use crate::edge::store::listing::{After, Comparison, Condition};
use crate::edge::store::{CustomerRecord, subscription_of};

const FIELDS: &[FilterField] = &[
    FilterField {
        name: "subscription",
        column: "i.subscription_id",
        kind: FieldKind::Id,
    },
    FilterField {
        name: "status",
        column: "i.status",
        kind: FieldKind::Enum(&["open", "paid", "voided", "uncollectible"]),
    },
    FilterField {
        name: "type",
        column: "i.type",
        kind: FieldKind::Enum(&["usage", "prepayment", "void"]),
    },
    FilterField {
        name: "period_start",
        column: "i.period_start",
        kind: FieldKind::Instant,
    },
    FilterField {
        name: "period_end",
        column: "i.period_end",
        kind: FieldKind::Instant,
    },
];
const SEARCH: &str = "search";
const MAX_SEARCH: usize = 64;
/// Periods up to this long are broken down by day, longer ones by month.
const DAILY_UP_TO_DAYS: i64 = 62;

pub fn route(call: &mut Call, segments: &[&str]) -> Option<Result<Answer, ApiError>> {
    let answer = match segments {
        ["invoices"] => get(call, list),
        ["invoices", id] => get(call, |call| show(call, id)),
        ["invoices", id, "file"] => get(call, |call| file(call, id)),
        _ => return None,
    };
    Some(answer)
}

fn get(
    call: &mut Call,
    handler: impl FnOnce(&mut Call) -> Result<Answer, ApiError>,
) -> Result<Answer, ApiError> {
    match call.req.method {
        Method::Get => handler(call),
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn list(call: &mut Call) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    let customer = &me.customer.id;
    let params = query_params(&call.req.query, FIELDS, &[SEARCH])?;
    let secret = &call.edge.secret;
    let mut request = pagination::parse(secret, "invoices", customer, &params, FIELDS, &[SEARCH])?;
    if let Some(search) = params.get(SEARCH).map(str::trim).filter(|s| !s.is_empty()) {
        if search.chars().count() > MAX_SEARCH {
            return Err(invalid("too_big", SEARCH, "must be at most 64 characters"));
        }
        request.conditions.push(Condition {
            column: "i.invoice_number",
            comparison: Comparison::Contains,
            values: vec![Value::Text(search.to_owned())],
        });
    }
    let rows = billing::invoices_of(call.conn, customer, &request.conditions, &request.page)?;
    let (rows, next_page) = request.page_of(secret, rows, |last| After {
        key: last.created_at,
        id: last.id.clone(),
    });
    let items = rows.iter().map(invoice_json).collect();
    Ok(Answer::json(200, list_json(items, next_page)))
}

fn show(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    let (invoice, subscription) = find(call, &me.customer, id)?;
    let lines = billing::invoice_lines(call.conn, &invoice.id)?;
    let payments = billing::invoice_payments(call.conn, &invoice.id)?;
    let mut body = invoice_json(&invoice);
    body["net"] = euros(invoice.net_ct);
    body["vat"] = euros(invoice.vat_ct);
    body["vat_rate"] = json!(invoice.vat_basis_points as f64 / 100.0);
    body["lines"] = lines.iter().map(line_json).collect();
    body["payments"] = payments
        .iter()
        .map(|p| {
            json!({
                "status": p.status,
                "amount": euros(p.amount_ct),
                "attempted_at": iso(p.attempted_at),
                "failure_code": p.failure_code,
            })
        })
        .collect();
    body["consumption"] = match period_usage(call, &invoice, &subscription)? {
        Some(usage) => consumption_json(&invoice, &lines, &usage),
        None => Json::Null,
    };
    Ok(Answer::json(200, body))
}

fn file(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    let (invoice, subscription) = find(call, &me.customer, id)?;
    let lines = billing::invoice_lines(call.conn, &invoice.id)?;
    let usage = period_usage(call, &invoice, &subscription)?;
    let locale = Locale::from_tag(&me.customer.locale);
    let doc = document(
        &call.visit.site,
        &me.customer,
        &subscription,
        &invoice,
        &lines,
        usage,
    );
    let pdf = render(&doc).map_err(|e| {
        crate::edge::log(&format!("invoice PDF {}: {e}", invoice.id));
        ApiError::internal()
    })?;
    let name = match (locale, doc.kind) {
        (Locale::De, InvoiceKind::Void) => "Stornorechnung",
        (Locale::De, _) => "Rechnung",
        (Locale::En, InvoiceKind::Void) => "Cancellation-invoice",
        (Locale::En, _) => "Invoice",
    };
    let number: String = invoice
        .number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    Ok(Answer::file(
        "application/pdf",
        pdf,
        &format!("{name}-{number}.pdf"),
    ))
}

/// The customer's invoice and its subscription, or 404.
fn find(
    call: &mut Call,
    customer: &CustomerRecord,
    id: &str,
) -> Result<(InvoiceRecord, SubscriptionRecord), ApiError> {
    let invoice =
        billing::invoice_of(call.conn, &customer.id, id)?.ok_or_else(ApiError::not_found)?;
    let subscription = subscription_of(call.conn, &customer.id, &invoice.subscription_id)?
        .ok_or_else(ApiError::not_found)?;
    Ok((invoice, subscription))
}

/// The metered consumption of the invoice's period: per Berlin day for smart meters (per
/// month for long periods), the monthly totals for analog meters. None for a Storno.
fn period_usage(
    call: &mut Call,
    invoice: &InvoiceRecord,
    subscription: &SubscriptionRecord,
) -> Result<Option<(Resolution, Vec<UsageBucket>)>, ApiError> {
    if invoice.invoice_type == "void" {
        return Ok(None);
    }
    let (start, end) = (invoice.period_start, invoice.period_end);
    let meter = &subscription.meter.id;
    if subscription.meter.meter_type == MeterType::Analog {
        let months = billing::monthly_usage(call.conn, meter, start, end)?;
        return Ok(Some((Resolution::Month, months)));
    }
    let daily = end - start <= DAILY_UP_TO_DAYS * 86_400;
    let resolution = if daily {
        Resolution::Day
    } else {
        Resolution::Month
    };
    let bounds = buckets(start, end, daily).map_err(|e| {
        crate::edge::log(&format!("invoice {} period: {e}", invoice.id));
        ApiError::internal()
    })?;
    Ok(Some((
        resolution,
        billing::metered_usage(call.conn, meter, &bounds)?,
    )))
}

/// `[start, end)` cut at Berlin midnights (days) or month starts.
fn buckets(start: i64, end: i64, daily: bool) -> Result<Vec<(i64, i64)>, jiff::Error> {
    let mut date = local_date(start)?;
    if !daily {
        date = date.first_of_month();
    }
    let mut out = Vec::new();
    loop {
        let from = day_start(date)?;
        if from >= end {
            return Ok(out);
        }
        date = if daily {
            date.tomorrow()?
        } else {
            date.checked_add(1.month())?
        };
        out.push((from.max(start), day_start(date)?.min(end)));
    }
}

fn iso(at: i64) -> Json {
    Timestamp::from_second(at).map_or(Json::Null, |t| json!(t.to_string()))
}

fn euros(ct: i64) -> Json {
    json!(ct as f64 / 100.0)
}

fn kwh(wh: i64) -> Json {
    json!(wh as f64 / 1000.0)
}

fn linked_json(linked: &Option<LinkedInvoice>) -> Json {
    match linked {
        Some(l) => json!({
            "id": l.id,
            "invoice_number": l.number,
            "issued_at": l.issued_at.map_or(Json::Null, iso),
        }),
        None => Json::Null,
    }
}

/// Nomos `InvoiceUnion` with `due_at`, `voided_by` and (on a Storno) `voids_invoice`.
fn invoice_json(i: &InvoiceRecord) -> Json {
    let mut item = json!({
        "object": "invoice",
        "id": i.id,
        "customer": i.customer_id,
        "subscription": i.subscription_id,
        "invoice_number": i.number,
        "month": i.month,
        "year": i.year,
        "period_start": iso(i.period_start),
        "period_end": iso(i.period_end),
        "period_number": i.period_number,
        "status": i.status,
        "issued_at": i.issued_at.map_or(Json::Null, iso),
        "paid_at": i.paid_at.map_or(Json::Null, iso),
        "due_at": i.due_at.map_or(Json::Null, iso),
        "type": i.invoice_type,
        "total": euros(i.total_ct),
        "voided_by": linked_json(&i.voided_by),
    });
    if i.invoice_type == "usage" {
        item["usage"] = kwh(i.usage_wh.unwrap_or(0));
    }
    if let Some(original) = &i.voids {
        item["voids"] = json!(original.id);
        item["voids_invoice"] = linked_json(&i.voids);
    }
    item
}

/// The Nomos price component a line belongs to.
fn price_component(component: &str) -> Option<&'static str> {
    match component {
        "energy" | "markup" | "base_price" => Some("electricity"),
        "grid_fee" | "grid_base" => Some("grid"),
        "levies" | "electricity_tax" | "concession_fee" => Some("levies"),
        _ => None,
    }
}

fn line_json(line: &InvoiceLineRecord) -> Json {
    json!({
        "component": line.component,
        "price_component": price_component(&line.component),
        "quantity": line.quantity_milli as f64 / 1000.0,
        "unit": line.unit,
        "unit_price": line.unit_price_mct as f64 / 100_000.0,
        "amount": euros(line.amount_ct),
    })
}

/// Usage of the period (metered, in the shape of the Nomos usage series, and billed on a usage
/// invoice) and the cost per price component, net and with VAT.
fn consumption_json(
    invoice: &InvoiceRecord,
    lines: &[InvoiceLineRecord],
    (resolution, buckets): &(Resolution, Vec<UsageBucket>),
) -> Json {
    let metered: i64 = buckets.iter().map(|b| b.energy_wh).sum();
    let billed = invoice.usage_wh.filter(|_| invoice.invoice_type == "usage");
    let costs: Vec<Json> = ["electricity", "grid", "levies"]
        .into_iter()
        .filter_map(|component| {
            let amounts: Vec<i64> = lines
                .iter()
                .filter(|l| price_component(&l.component) == Some(component))
                .map(|l| l.amount_ct)
                .collect();
            if amounts.is_empty() {
                return None;
            }
            let net: i64 = amounts.iter().sum();
            let gross = net + (net * invoice.vat_basis_points + 5_000).div_euclid(10_000);
            let per_kwh = billed
                .filter(|wh| *wh > 0)
                .map(|wh| (gross as f64 * 1e6 / wh as f64).round() / 1000.0);
            Some(json!({
                "component": component,
                "net": euros(net),
                "gross": euros(gross),
                "gross_ct_per_kwh": per_kwh,
            }))
        })
        .collect();
    json!({
        "start": iso(invoice.period_start),
        "end": iso(invoice.period_end),
        "usage": kwh(metered),
        "billed_usage": billed.map(kwh),
        "type": finality(!buckets.is_empty() && buckets.iter().all(|b| b.is_final)),
        "resolution": match resolution {
            Resolution::Day => "day",
            Resolution::Month => "month",
        },
        "data": buckets.iter().map(|b| json!({
            "start": iso(b.start_at),
            "end": iso(b.end_at),
            "usage": kwh(b.energy_wh),
            "type": finality(b.is_final),
        })).collect::<Vec<_>>(),
        "costs": costs,
    })
}

/// `final` or `preliminary`, as the Nomos usage series marks its values.
fn finality(is_final: bool) -> &'static str {
    if is_final { "final" } else { "preliminary" }
}

/// The tenant's name, colours, logo and contact for its documents.
fn branding(site: &PlanSite) -> Branding {
    let tenant: &TenantConfig = &site.tenant;
    let config = &tenant.config;
    let colors = &config.brand.colors;
    let color = |css: Option<&String>, fallback: Rgb| {
        css.and_then(|c| Rgb::from_css(c)).unwrap_or(fallback)
    };
    let logo = &config.brand.logo;
    let logo_svg = logo
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
        .then(|| std::fs::read_to_string(tenant.asset_path(logo)).ok())
        .flatten();
    let support = &config.support;
    let contact = std::iter::once(support.email.clone())
        .chain(support.phone.clone())
        .chain(support.url.clone())
        .collect();
    Branding {
        org_name: config.organization.name.clone(),
        plan_name: site.plan_name.clone(),
        primary: color(Some(&colors.primary), Rgb(0x1f, 0x4e, 0x8c)),
        on_primary: color(colors.on_primary.as_ref(), Rgb::WHITE),
        accent: colors.accent.as_deref().and_then(Rgb::from_css),
        text: color(colors.text.as_ref(), Rgb(0x1a, 0x1f, 0x2b)),
        muted: color(colors.muted.as_ref(), Rgb(0x5f, 0x6b, 0x7a)),
        logo_svg,
        contact,
        imprint: config.legal.imprint.clone(),
    }
}

fn document(
    site: &PlanSite,
    customer: &CustomerRecord,
    subscription: &SubscriptionRecord,
    invoice: &InvoiceRecord,
    lines: &[InvoiceLineRecord],
    usage: Option<(Resolution, Vec<UsageBucket>)>,
) -> InvoiceDocument {
    let billing = &subscription.billing_address;
    let supply = &subscription.address;
    let reference = |l: &Option<LinkedInvoice>| {
        l.as_ref().map(|l| InvoiceRef {
            number: l.number.clone(),
            issued_at: l.issued_at,
        })
    };
    InvoiceDocument {
        locale: Locale::from_tag(&customer.locale),
        brand: branding(site),
        kind: match invoice.invoice_type.as_str() {
            "prepayment" => InvoiceKind::Prepayment,
            "void" => InvoiceKind::Void,
            _ => InvoiceKind::Usage,
        },
        status: invoice.status.clone(),
        number: invoice.number.clone(),
        issued_at: invoice.issued_at.unwrap_or(invoice.created_at),
        due_at: invoice.due_at,
        paid_at: invoice.paid_at,
        year: invoice.year,
        month: invoice.month,
        period_start: invoice.period_start,
        period_end: invoice.period_end,
        recipient: Recipient {
            company_name: customer.company_name.clone(),
            person: format!("{} {}", customer.first_name, customer.last_name),
            street: format!("{} {}", billing.street, billing.house_number),
            city: format!("{} {}", billing.zip, billing.city),
        },
        contract_number: subscription.number.clone(),
        meter_number: subscription.meter.number.clone(),
        analog_meter: subscription.meter.meter_type == MeterType::Analog,
        supply_address: format!(
            "{} {}, {} {}",
            supply.street, supply.house_number, supply.zip, supply.city
        ),
        lines: lines
            .iter()
            .map(|l| Line {
                component: l.component.clone(),
                quantity_milli: l.quantity_milli,
                unit: l.unit.clone(),
                unit_price_mct: l.unit_price_mct,
                amount_ct: l.amount_ct,
            })
            .collect(),
        net_ct: invoice.net_ct,
        vat_ct: invoice.vat_ct,
        total_ct: invoice.total_ct,
        vat_basis_points: invoice.vat_basis_points,
        usage_wh: invoice.usage_wh,
        consumption: usage.map(|(resolution, buckets)| Consumption {
            resolution,
            bars: buckets
                .iter()
                .map(|b| Bar {
                    start_at: b.start_at,
                    energy_wh: b.energy_wh,
                    is_final: b.is_final,
                })
                .collect(),
        }),
        iban_masked: crate::edge::store::nomos::mask_iban(&subscription.payment_method.iban),
        account_holder: subscription.payment_method.account_holder.clone(),
        voids: reference(&invoice.voids),
        voided_by: reference(&invoice.voided_by),
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn periods_are_cut_at_berlin_days_and_months() {
        let march = day_start(date(2026, 3, 1)).unwrap();
        let april = day_start(date(2026, 4, 1)).unwrap();
        let days = buckets(march, april, true).unwrap();
        assert_eq!(days.len(), 31);
        let dst = days[28];
        assert_eq!(dst.1 - dst.0, 23 * 3600, "29 March has 23 hours");
        assert_eq!(days[0].0, march);
        assert_eq!(days[30].1, april);

        let from = day_start(date(2025, 3, 15)).unwrap();
        let months = buckets(from, day_start(date(2026, 3, 1)).unwrap(), false).unwrap();
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].0, from, "clipped to the period");
        assert_eq!(months[1].0, day_start(date(2025, 4, 1)).unwrap());
    }
}
