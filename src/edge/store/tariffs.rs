//! A plan's price components (net of VAT) and the market prices all plans share.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, WithDbPath};

/// The bidding zone of the stored day-ahead prices.
pub const MARKET_ZONE: &str = "DE-LU";

/// Net price components of a plan; see `plan_tariffs` in the schema for the units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanTariff {
    pub markup_mct_per_kwh: i64,
    pub base_price_ct_per_month: i64,
    pub grid_fee_mct_per_kwh: i64,
    pub grid_base_ct_per_month: i64,
    pub levies_mct_per_kwh: i64,
    pub electricity_tax_mct_per_kwh: i64,
    pub concession_fee_mct_per_kwh: i64,
    pub vat_basis_points: i64,
    pub notice_period_days: i64,
}

pub fn plan_tariff(conn: &Connection, plan_slug: &str) -> Result<Option<PlanTariff>> {
    conn.prepare_cached(
        "SELECT markup_mct_per_kwh, base_price_ct_per_month, grid_fee_mct_per_kwh,
                grid_base_ct_per_month, levies_mct_per_kwh, electricity_tax_mct_per_kwh,
                concession_fee_mct_per_kwh, vat_basis_points, notice_period_days
         FROM plan_tariffs WHERE plan_slug = ?1",
    )
    .and_then(|mut stmt| {
        stmt.query_row([plan_slug], |r| {
            Ok(PlanTariff {
                markup_mct_per_kwh: r.get(0)?,
                base_price_ct_per_month: r.get(1)?,
                grid_fee_mct_per_kwh: r.get(2)?,
                grid_base_ct_per_month: r.get(3)?,
                levies_mct_per_kwh: r.get(4)?,
                electricity_tax_mct_per_kwh: r.get(5)?,
                concession_fee_mct_per_kwh: r.get(6)?,
                vat_basis_points: r.get(7)?,
                notice_period_days: r.get(8)?,
            })
        })
        .optional()
    })
    .with_db_path(conn)
}

/// Stores the plan's tariff unless it has one already; returns the tariff in force.
pub fn insert_tariff_if_missing(
    conn: &Connection,
    plan_slug: &str,
    tariff: &PlanTariff,
) -> Result<PlanTariff> {
    conn.execute(
        "INSERT INTO plan_tariffs (plan_slug, markup_mct_per_kwh, base_price_ct_per_month,
             grid_fee_mct_per_kwh, grid_base_ct_per_month, levies_mct_per_kwh,
             electricity_tax_mct_per_kwh, concession_fee_mct_per_kwh, vat_basis_points,
             notice_period_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (plan_slug) DO NOTHING",
        params![
            plan_slug,
            tariff.markup_mct_per_kwh,
            tariff.base_price_ct_per_month,
            tariff.grid_fee_mct_per_kwh,
            tariff.grid_base_ct_per_month,
            tariff.levies_mct_per_kwh,
            tariff.electricity_tax_mct_per_kwh,
            tariff.concession_fee_mct_per_kwh,
            tariff.vat_basis_points,
            tariff.notice_period_days,
        ],
    )
    .with_db_path(conn)?;
    Ok(plan_tariff(conn, plan_slug)?.unwrap_or(*tariff))
}
