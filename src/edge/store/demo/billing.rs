//! The demo's invoices: smart meters are billed monthly on their quarter-hour consumption and
//! market prices; analog meters pay monthly advances and get a yearly settlement. Numbered in
//! the order they were issued, so invoices added by a later start continue the numbering. Where
//! the cast asks for it, one invoice is voided by a Storno and replaced, one direct debit bounces.

use jiff::ToSpan;

use super::cast::{DemoContract, Period};
use super::rng::SplitMix64;
use super::series::{Horizon, MeterSeries};
use crate::edge::store::calendar::{day_start, local_date};
use crate::edge::store::customers::MeterType;
use crate::edge::store::tariffs::PlanTariff;

const DAY: i64 = 86_400;
const HOUR: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceKind {
    Usage,
    Prepayment,
    Void,
}

impl InvoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Usage => "usage",
            InvoiceKind::Prepayment => "prepayment",
            InvoiceKind::Void => "void",
        }
    }
}

/// How the invoice's money moves, on its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    /// Collected by direct debit.
    Debited { at: i64 },
    /// The direct debit came back unpaid.
    Bounced { at: i64, code: &'static str },
    /// A credit paid out to the customer.
    Refunded { at: i64 },
}

impl Payment {
    pub fn at(self) -> i64 {
        match self {
            Payment::Debited { at } | Payment::Bounced { at, .. } | Payment::Refunded { at } => at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub component: &'static str,
    pub quantity_milli: i64,
    pub unit: &'static str,
    pub unit_price_mct: i64,
    pub amount_ct: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoInvoice {
    pub id: String,
    pub number: String,
    pub kind: InvoiceKind,
    pub year: i16,
    pub month: i8,
    pub period_start: i64,
    pub period_end: i64,
    pub period_number: i64,
    pub usage_wh: Option<i64>,
    pub lines: Vec<InvoiceLine>,
    pub net_ct: i64,
    pub vat_ct: i64,
    pub total_ct: i64,
    pub vat_basis_points: i64,
    pub voids: Option<String>,
    pub issued_at: i64,
    pub due_at: i64,
    pub payment: Payment,
    /// When a Storno voided this invoice.
    pub voided_at: Option<i64>,
}

impl DemoInvoice {
    /// The Nomos status as of `now`.
    pub fn status(&self, now: i64) -> &'static str {
        if self.voided_at.is_some_and(|at| at <= now) {
            return "voided";
        }
        match self.payment {
            Payment::Debited { at } | Payment::Refunded { at } if at <= now => "paid",
            _ => "open",
        }
    }

    /// When the money moved, if it has by `now` (a voided invoice keeps its payment date).
    pub fn paid_at(&self, now: i64) -> Option<i64> {
        match self.payment {
            Payment::Debited { at } | Payment::Refunded { at } if at <= now => Some(at),
            _ => None,
        }
    }
}

/// Consumption billed by a usage invoice.
#[derive(Debug, Clone, Copy)]
struct Consumption {
    usage_wh: i64,
    /// Σ energy × market price, in Wh × mct/kWh.
    market_cost: i128,
    /// Months of base prices, in thousandths.
    months_milli: i64,
}

impl Consumption {
    /// The same consumption measured `percent` % of the true value (a wrong preliminary reading).
    fn scaled(self, percent: i64) -> Self {
        Consumption {
            usage_wh: div_round(i128::from(self.usage_wh) * i128::from(percent), 100),
            market_cost: self.market_cost * i128::from(percent) / 100,
            ..self
        }
    }
}

/// Everything the contract has been invoiced by `now`, in the order of issue.
pub fn invoices(
    contract: &DemoContract,
    tariff: &PlanTariff,
    horizon: &Horizon,
    series: &MeterSeries,
    now: i64,
) -> Result<Vec<DemoInvoice>, jiff::Error> {
    let billing = Billing {
        contract,
        tariff,
        horizon,
        series,
        now,
    };
    let mut invoices = match contract.meter.meter_type {
        MeterType::Smart => billing.monthly_usage_invoices()?,
        MeterType::Analog => billing.prepayments_and_settlements()?,
    };
    invoices.retain(|i| i.issued_at <= now);
    // Stable: a Storno and its replacement, issued together, keep their order.
    invoices.sort_by_key(|i| i.issued_at);
    for (sequence, invoice) in invoices.iter_mut().enumerate() {
        invoice.number = format!("{}-{:03}", contract.number, sequence + 1);
    }
    Ok(invoices)
}

struct Billing<'a> {
    contract: &'a DemoContract,
    tariff: &'a PlanTariff,
    horizon: &'a Horizon,
    series: &'a MeterSeries,
    now: i64,
}

impl Billing<'_> {
    fn consumption(&self, period: Period) -> Result<Consumption, jiff::Error> {
        let slots = self.horizon.range(period.start, period.end);
        Ok(Consumption {
            usage_wh: self.series.energy_wh(slots.clone()),
            market_cost: self.series.market_cost(self.horizon, slots),
            months_milli: months_milli(period.start, period.end)?,
        })
    }

    fn id(&self, purpose: &str) -> String {
        SplitMix64::keyed(self.contract.seed, &format!("invoice/{purpose}")).id("inv")
    }

    fn monthly_usage_invoices(&self) -> Result<Vec<DemoInvoice>, jiff::Error> {
        let mut invoices = Vec::new();
        for (month, period) in self.contract.months(self.now)? {
            if period.end > self.now {
                break;
            }
            let issued_at = period.end + 2 * DAY + 6 * HOUR;
            let consumption = self.consumption(period)?;
            let debit = Payment::Debited {
                at: issued_at + 7 * DAY,
            };
            let purpose = format!("usage/{}", period.number);
            if self.contract.storno_month == Some(month) {
                let voided_at = issued_at + 14 * DAY;
                let original = DemoInvoice {
                    voided_at: Some(voided_at),
                    ..self.usage_invoice(
                        self.id(&purpose),
                        period,
                        consumption.scaled(106),
                        issued_at,
                        debit,
                    )?
                };
                invoices.push(self.storno(&original, voided_at));
                invoices.push(original);
                invoices.push(self.usage_invoice(
                    self.id(&format!("{purpose}/corrected")),
                    period,
                    consumption,
                    voided_at,
                    Payment::Debited {
                        at: voided_at + 7 * DAY,
                    },
                )?);
            } else {
                let payment = if self.contract.failed_payment_month == Some(month) {
                    Payment::Bounced {
                        at: issued_at + 7 * DAY,
                        code: "insufficient_funds",
                    }
                } else {
                    debit
                };
                invoices.push(self.usage_invoice(
                    self.id(&purpose),
                    period,
                    consumption,
                    issued_at,
                    payment,
                )?);
            }
        }
        Ok(invoices)
    }

    fn prepayments_and_settlements(&self) -> Result<Vec<DemoInvoice>, jiff::Error> {
        let Some(advance_ct) = self.contract.monthly_prepayment_ct else {
            return Ok(Vec::new());
        };
        let vat = self.tariff.vat_basis_points;
        let advance_net = div_round(i128::from(advance_ct) * 10_000, i128::from(10_000 + vat));
        let mut invoices = Vec::new();
        let months = self.contract.months(self.now)?;
        for (month, period) in &months {
            // Issued a few days before the month, collected at its start.
            let issued_at =
                (day_start(*month)? - 5 * DAY + 6 * HOUR).max(self.contract.created_at + HOUR);
            let due_at = day_start(*month)?.max(issued_at) + 2 * DAY;
            invoices.push(DemoInvoice {
                lines: vec![InvoiceLine {
                    component: "prepayment",
                    quantity_milli: 1000,
                    unit: "month",
                    unit_price_mct: advance_net * 1000,
                    amount_ct: advance_net,
                }],
                ..self.invoice(
                    self.id(&format!("prepayment/{}", period.number)),
                    InvoiceKind::Prepayment,
                    *period,
                    advance_net,
                    issued_at,
                    Payment::Debited { at: due_at },
                )?
            });
        }
        // A settlement after every twelve months of supply, and after the last one.
        for year in months.chunks(12) {
            let (Some(first), Some(last)) = (year.first(), year.last()) else {
                continue;
            };
            let period = Period {
                start: first.1.start,
                end: last.1.end,
                number: last.1.number,
            };
            let supply_ended = self.contract.supply()?.1 == Some(period.end);
            if period.end > self.now || (year.len() < 12 && !supply_ended) {
                continue;
            }
            let issued_at = period.end + 10 * DAY + 6 * HOUR;
            let mut lines = usage_lines(self.tariff, self.consumption(period)?);
            let advances = year.len() as i64;
            lines.push(InvoiceLine {
                component: "prepayments_credited",
                quantity_milli: advances * 1000,
                unit: "month",
                unit_price_mct: -advance_net * 1000,
                amount_ct: -advances * advance_net,
            });
            let net = lines.iter().map(|l| l.amount_ct).sum();
            let due_at = issued_at + 14 * DAY;
            let payment = if net < 0 {
                Payment::Refunded { at: due_at }
            } else {
                Payment::Debited { at: due_at }
            };
            invoices.push(DemoInvoice {
                usage_wh: Some(self.consumption(period)?.usage_wh),
                lines,
                ..self.invoice(
                    self.id(&format!("settlement/{}", period.number)),
                    InvoiceKind::Usage,
                    period,
                    net,
                    issued_at,
                    payment,
                )?
            });
        }
        Ok(invoices)
    }

    fn usage_invoice(
        &self,
        id: String,
        period: Period,
        consumption: Consumption,
        issued_at: i64,
        payment: Payment,
    ) -> Result<DemoInvoice, jiff::Error> {
        let lines = usage_lines(self.tariff, consumption);
        let net = lines.iter().map(|l| l.amount_ct).sum();
        Ok(DemoInvoice {
            usage_wh: Some(consumption.usage_wh),
            lines,
            ..self.invoice(id, InvoiceKind::Usage, period, net, issued_at, payment)?
        })
    }

    /// An invoice without lines, its VAT computed from the net amount, due when it is paid.
    fn invoice(
        &self,
        id: String,
        kind: InvoiceKind,
        period: Period,
        net_ct: i64,
        issued_at: i64,
        payment: Payment,
    ) -> Result<DemoInvoice, jiff::Error> {
        let vat_basis_points = self.tariff.vat_basis_points;
        let vat_ct = div_round(i128::from(net_ct) * i128::from(vat_basis_points), 10_000);
        // The month the period ends in (its last second's day).
        let last_day = local_date(period.end - 1)?;
        Ok(DemoInvoice {
            id,
            number: String::new(),
            kind,
            year: last_day.year(),
            month: last_day.month(),
            period_start: period.start,
            period_end: period.end,
            period_number: period.number,
            usage_wh: None,
            lines: Vec::new(),
            net_ct,
            vat_ct,
            total_ct: net_ct + vat_ct,
            vat_basis_points,
            voids: None,
            issued_at,
            due_at: payment.at(),
            payment,
            voided_at: None,
        })
    }

    /// The Storno document reversing `original` in full.
    fn storno(&self, original: &DemoInvoice, issued_at: i64) -> DemoInvoice {
        let due_at = issued_at + 2 * DAY;
        DemoInvoice {
            id: self.id(&format!("void/{}", original.period_number)),
            kind: InvoiceKind::Void,
            usage_wh: None,
            lines: vec![InvoiceLine {
                component: "reversal",
                quantity_milli: 1000,
                unit: "piece",
                unit_price_mct: -original.net_ct * 1000,
                amount_ct: -original.net_ct,
            }],
            net_ct: -original.net_ct,
            vat_ct: -original.vat_ct,
            total_ct: -original.total_ct,
            voids: Some(original.id.clone()),
            issued_at,
            due_at,
            payment: Payment::Refunded { at: due_at },
            voided_at: None,
            ..original.clone()
        }
    }
}

/// The lines of a usage invoice: market price and markup, the plan's and the grid's monthly
/// base prices, grid fee, levies and taxes.
fn usage_lines(tariff: &PlanTariff, consumption: Consumption) -> Vec<InvoiceLine> {
    let usage = consumption.usage_wh;
    let per_kwh = |component, unit_price_mct: i64| InvoiceLine {
        component,
        quantity_milli: usage,
        unit: "kWh",
        unit_price_mct,
        amount_ct: div_round(i128::from(usage) * i128::from(unit_price_mct), 1_000_000),
    };
    let per_month = |component, price_ct: i64| InvoiceLine {
        component,
        quantity_milli: consumption.months_milli,
        unit: "month",
        unit_price_mct: price_ct * 1000,
        amount_ct: div_round(
            i128::from(price_ct) * i128::from(consumption.months_milli),
            1000,
        ),
    };
    vec![
        InvoiceLine {
            // The consumption-weighted average market price.
            unit_price_mct: if usage > 0 {
                div_round(consumption.market_cost, i128::from(usage))
            } else {
                0
            },
            amount_ct: div_round(consumption.market_cost, 1_000_000),
            ..per_kwh("energy", 0)
        },
        per_kwh("markup", tariff.markup_mct_per_kwh),
        per_month("base_price", tariff.base_price_ct_per_month),
        per_kwh("grid_fee", tariff.grid_fee_mct_per_kwh),
        per_month("grid_base", tariff.grid_base_ct_per_month),
        per_kwh("levies", tariff.levies_mct_per_kwh),
        per_kwh("electricity_tax", tariff.electricity_tax_mct_per_kwh),
        per_kwh("concession_fee", tariff.concession_fee_mct_per_kwh),
    ]
}

/// Thousandths of calendar months in `[from, to)`, each month counted by its share of seconds.
fn months_milli(from: i64, to: i64) -> Result<i64, jiff::Error> {
    let mut month = local_date(from)?.first_of_month();
    let mut total = 0;
    loop {
        let start = day_start(month)?;
        if start >= to {
            return Ok(total);
        }
        let next = month.checked_add(1.month())?;
        let end = day_start(next)?;
        let overlap = end.min(to) - start.max(from);
        total += div_round(i128::from(overlap) * 1000, i128::from(end - start));
        month = next;
    }
}

/// `numerator / denominator` rounded half away from zero (commercial rounding); `denominator`
/// is positive.
fn div_round(numerator: i128, denominator: i128) -> i64 {
    let quotient = (2 * numerator.abs() + denominator) / (2 * denominator);
    (numerator.signum() * quotient) as i64
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn rounding_is_commercial() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(-14, 10), -1);
        assert_eq!(div_round(0, 7), 0);
    }

    #[test]
    fn months_are_prorated_by_their_length() {
        let day = |y, m, d| day_start(date(y, m, d)).unwrap();
        assert_eq!(
            months_milli(day(2026, 3, 1), day(2026, 4, 1)).unwrap(),
            1000
        );
        assert_eq!(
            months_milli(day(2026, 3, 1), day(2027, 3, 1)).unwrap(),
            12_000
        );
        assert_eq!(
            months_milli(day(2026, 4, 16), day(2026, 5, 1)).unwrap(),
            500
        );
    }

    #[test]
    fn usage_lines_add_the_components() {
        let tariff = PlanTariff {
            markup_mct_per_kwh: 2000,
            base_price_ct_per_month: 1000,
            grid_fee_mct_per_kwh: 9000,
            grid_base_ct_per_month: 900,
            levies_mct_per_kwh: 2946,
            electricity_tax_mct_per_kwh: 2050,
            concession_fee_mct_per_kwh: 1590,
            vat_basis_points: 1900,
            notice_period_days: 30,
        };
        // 250 kWh at an average 9 ct/kWh market price, one month.
        let lines = usage_lines(
            &tariff,
            Consumption {
                usage_wh: 250_000,
                market_cost: 250_000 * 9000,
                months_milli: 1000,
            },
        );
        let amounts: Vec<i64> = lines.iter().map(|l| l.amount_ct).collect();
        assert_eq!(amounts, vec![2250, 500, 1000, 2250, 900, 737, 513, 398]);
        assert_eq!(lines[0].unit_price_mct, 9000);
    }
}
