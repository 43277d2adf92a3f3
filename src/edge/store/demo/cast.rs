//! The demo's customers: six per plan slug, each showing the portal in another situation. Their
//! dates are fixed relative to the anchor (the instant of the first seeding), so a later start
//! finds the same customers and only the time series move on.

use jiff::civil::Date;
use jiff::{Span, ToSpan};

use super::DemoPlan;
use super::load::{LoadProfile, LoadShape};
use super::people::{self, PostalAddress};
use super::rng::{SplitMix64, fnv1a};
use crate::edge::store::calendar::{day_start, local_date};
use crate::edge::store::customers::{CustomerType, MeterType, TerminationReason};

/// What a demo customer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A smart-meter home and an analog-meter second flat; a Storno pair and a failed payment.
    TwoContracts,
    /// An analog meter with a smart meter installation scheduled.
    AnalogWithOrder,
    /// Moved out: the contract has ended.
    Ended,
    /// A company on a business load profile.
    Company,
    /// Terminated, supply ends in the coming months.
    EndingSoon,
    /// Signed up a few days ago; supply starts next month; withdrawal still possible.
    NewContract,
}

pub const ROLES: [Role; 6] = [
    Role::TwoContracts,
    Role::AnalogWithOrder,
    Role::Ended,
    Role::Company,
    Role::EndingSoon,
    Role::NewContract,
];

/// The oldest contract started this many months before the anchor's month: two years of
/// invoices and then some.
const OLDEST_CONTRACT_MONTHS: i64 = 26;

/// The instant the demo data is anchored to, as Berlin dates.
#[derive(Debug, Clone, Copy)]
pub struct Anchor {
    pub at: i64,
    pub date: Date,
    /// The first day of the anchor's month.
    pub month: Date,
}

impl Anchor {
    pub fn new(at: i64) -> Result<Self, jiff::Error> {
        let date = local_date(at)?;
        Ok(Anchor {
            at,
            date,
            month: date.first_of_month(),
        })
    }

    /// The first of the month `months` after (or before) the anchor's month.
    pub fn month_offset(&self, months: i64) -> Result<Date, jiff::Error> {
        self.month.checked_add(Span::new().try_months(months)?)
    }

    /// The first day any demo contract supplies: the horizon of the time series starts there.
    pub fn first_supply_day(&self) -> Result<Date, jiff::Error> {
        self.month_offset(-OLDEST_CONTRACT_MONTHS)
    }
}

#[derive(Debug, Clone)]
pub struct DemoCustomer {
    pub role: Role,
    pub id: String,
    pub customer_type: CustomerType,
    pub first_name: String,
    pub last_name: String,
    pub company_name: Option<String>,
    pub vat_id: Option<String>,
    pub email: String,
    pub locale: String,
    pub created_at: i64,
    pub payment_method: DemoPaymentMethod,
    pub contracts: Vec<DemoContract>,
}

#[derive(Debug, Clone)]
pub struct DemoPaymentMethod {
    pub id: String,
    pub iban: String,
    pub account_holder: String,
}

#[derive(Debug, Clone)]
pub struct DemoAddress {
    pub id: String,
    pub postal: PostalAddress,
}

#[derive(Debug, Clone)]
pub struct DemoMeter {
    pub id: String,
    pub number: String,
    pub meter_type: MeterType,
    pub melo: String,
    pub malo: String,
    /// The count when supply started.
    pub initial_reading_wh: i64,
}

#[derive(Debug, Clone)]
pub struct DemoContract {
    /// Seeds the contract's random streams (consumption noise, invoice ids).
    pub seed: u64,
    pub id: String,
    pub number: String,
    pub address: DemoAddress,
    /// `None`: bills go to the supply address.
    pub billing_address: Option<DemoAddress>,
    pub meter: DemoMeter,
    pub load: LoadProfile,
    pub estimated_usage_kwh: i64,
    pub monthly_prepayment_ct: Option<i64>,
    pub start: Date,
    /// Exclusive: the first day without supply.
    pub end: Option<Date>,
    pub terminated_at: Option<i64>,
    pub termination_reason: Option<TerminationReason>,
    pub created_at: i64,
    pub metadata: Option<&'static str>,
    pub products: Vec<DemoProduct>,
    pub meter_order: Option<DemoMeterOrder>,
    /// The month whose invoice's direct debit bounces.
    pub failed_payment_month: Option<Date>,
    /// The month whose invoice is voided by a Storno and replaced.
    pub storno_month: Option<Date>,
}

/// A stretch of supply: a calendar month (partial at the start or end of supply) or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: i64,
    pub end: i64,
    /// 1-based, counting months of supply.
    pub number: i64,
}

impl DemoContract {
    /// Supply as `[start, end)` in unix seconds.
    pub fn supply(&self) -> Result<(i64, Option<i64>), jiff::Error> {
        Ok((day_start(self.start)?, self.end.map(day_start).transpose()?))
    }

    /// The calendar months of supply that start by a month after `now`, with their first day.
    pub fn months(&self, now: i64) -> Result<Vec<(Date, Period)>, jiff::Error> {
        let (start, end) = self.supply()?;
        let mut months = Vec::new();
        let mut month = self.start.first_of_month();
        loop {
            let month_start = day_start(month)?;
            // Advance payments are issued before their month starts.
            if end.is_some_and(|end| month_start >= end) || month_start > now + 31 * 86_400 {
                return Ok(months);
            }
            let next = month.checked_add(1.month())?;
            let next_start = day_start(next)?;
            months.push((
                month,
                Period {
                    start: start.max(month_start),
                    end: end.map_or(next_start, |end| end.min(next_start)),
                    number: months.len() as i64 + 1,
                },
            ));
            month = next;
        }
    }
}

#[derive(Debug, Clone)]
pub struct DemoProduct {
    pub id: String,
    pub code: &'static str,
    pub name: &'static str,
    pub price_ct_per_month: i64,
}

#[derive(Debug, Clone)]
pub struct DemoMeterOrder {
    pub id: String,
    pub provider: &'static str,
    /// The timeline: event and when, in order.
    pub events: Vec<(&'static str, i64)>,
    pub appointment_at: Option<i64>,
    pub blocked_reason: Option<&'static str>,
    pub cancelled_reason: Option<&'static str>,
}

/// The six customers of one plan slug.
pub fn cast(seed: u64, plan: &DemoPlan, anchor: &Anchor) -> Result<Vec<DemoCustomer>, jiff::Error> {
    let mut names = SplitMix64::keyed(seed, &format!("{}/names", plan.slug));
    let first_names = shuffled(people::FIRST_NAMES, &mut names);
    let last_names = shuffled(people::LAST_NAMES, &mut names);
    ROLES
        .iter()
        .enumerate()
        .map(|(i, role)| {
            // Anna Schmidt is on every portal: an easy first sign-in.
            let (first, last) = match role {
                Role::TwoContracts => ("Anna", "Schmidt"),
                _ => (first_names[i], last_names[i]),
            };
            customer(seed, plan, anchor, *role, first, last)
        })
        .collect()
}

fn shuffled<'a>(items: &[&'a str], rng: &mut SplitMix64) -> Vec<&'a str> {
    let mut items = items.to_vec();
    for i in (1..items.len()).rev() {
        items.swap(i, rng.range(0, i as i64) as usize);
    }
    items
}

/// The locale a customer of the plan speaks: the new customer prefers English where offered.
fn locale(plan: &DemoPlan, role: Role) -> String {
    let offered = |l: &str| plan.locales.iter().any(|p| p == l);
    let wanted = if role == Role::NewContract && offered("en") {
        "en"
    } else {
        plan.default_locale.as_str()
    };
    match wanted {
        "de" | "en" => wanted.to_owned(),
        _ => "en".to_owned(),
    }
}

/// `hour:minute` Berlin time on `date`.
fn at(date: Date, hour: i64, minute: i64) -> Result<i64, jiff::Error> {
    Ok(day_start(date)? + hour * 3600 + minute * 60)
}

fn days_before(date: Date, days: i64) -> Result<Date, jiff::Error> {
    date.checked_sub(days.days())
}

fn customer(
    seed: u64,
    plan: &DemoPlan,
    anchor: &Anchor,
    role: Role,
    first_name: &str,
    last_name: &str,
) -> Result<DemoCustomer, jiff::Error> {
    let key = format!("{}/{role:?}", plan.slug);
    let mut rng = SplitMix64::keyed(seed, &key);
    let (customer_type, company_name, vat_id) = match role {
        Role::Company => (
            CustomerType::Company,
            Some(people::company_name(&mut rng, last_name)),
            Some(people::vat_id(&mut rng)),
        ),
        _ => (CustomerType::Person, None, None),
    };
    let account_holder = company_name
        .clone()
        .unwrap_or_else(|| format!("{first_name} {last_name}"));
    let home = DemoAddress {
        id: rng.id("adr"),
        postal: people::address(&mut rng),
    };
    let contract = |name: &str, address: DemoAddress| ContractDraft {
        key: format!("{key}/{name}"),
        seed,
        address,
    };
    let contracts = match role {
        Role::TwoContracts => {
            let second = DemoAddress {
                id: rng.id("adr"),
                postal: people::address(&mut rng),
            };
            let start = anchor.month_offset(-OLDEST_CONTRACT_MONTHS)?;
            let second_start = anchor.month_offset(-14)?;
            let second_draft = contract("second", second);
            vec![
                DemoContract {
                    metadata: Some(r#"{"channel":"website","campaign":"spring-switch"}"#),
                    products: vec![product(&mut rng, "green_plus")],
                    failed_payment_month: Some(anchor.month_offset(-2)?),
                    storno_month: Some(anchor.month_offset(-5)?),
                    ..contract("home", home.clone()).smart(
                        LoadShape::Household,
                        3200,
                        start,
                        at(days_before(start, 35)?, 19, 42)?,
                        Some("metrify"),
                    )?
                },
                DemoContract {
                    billing_address: Some(home),
                    meter_order: Some(cancelled_order(&second_draft.key, seed, anchor)?),
                    ..second_draft.analog(
                        1200,
                        second_start,
                        at(days_before(second_start, 21)?, 8, 5)?,
                    )
                },
            ]
        }
        Role::AnalogWithOrder => {
            let start = anchor.month_offset(-25)?;
            let draft = contract("home", home);
            vec![DemoContract {
                meter_order: Some(scheduled_order(&draft.key, seed, anchor)?),
                ..draft.analog(2500, start, at(days_before(start, 24)?, 12, 30)?)
            }]
        }
        Role::Ended => {
            let start = anchor.month_offset(-20)?;
            let end = anchor.month_offset(-1)?;
            vec![DemoContract {
                end: Some(end),
                terminated_at: Some(at(days_before(end, 45)?, 16, 5)?),
                termination_reason: Some(TerminationReason::MoveOut),
                ..contract("home", home).smart(
                    LoadShape::Household,
                    2800,
                    start,
                    at(days_before(start, 30)?, 21, 15)?,
                    Some("energy-metering"),
                )?
            }]
        }
        Role::Company => {
            let start = anchor.month_offset(-23)?.checked_add(14.days())?;
            vec![DemoContract {
                billing_address: Some(DemoAddress {
                    id: rng.id("adr"),
                    postal: people::address(&mut rng),
                }),
                metadata: Some(r#"{"crm_account":"B-20931"}"#),
                products: vec![product(&mut rng, "ev_charging")],
                ..contract("shop", home).smart(
                    LoadShape::Business,
                    12_000,
                    start,
                    at(days_before(start, 28)?, 10, 20)?,
                    Some("inexogy"),
                )?
            }]
        }
        Role::EndingSoon => {
            let start = anchor.month_offset(-16)?;
            vec![DemoContract {
                end: Some(anchor.month_offset(2)?),
                terminated_at: Some(anchor.at - 10 * 86_400),
                termination_reason: Some(TerminationReason::Ordinary),
                ..contract("home", home).smart(
                    LoadShape::Household,
                    4200,
                    start,
                    at(days_before(start, 40)?, 18, 0)?,
                    None,
                )?
            }]
        }
        Role::NewContract => {
            let start = anchor.month_offset(1)?;
            let created_at = anchor.at - 5 * 86_400;
            let draft = contract("home", home);
            vec![DemoContract {
                meter_order: Some(blocked_order(&draft.key, seed, created_at)),
                ..draft.analog(1800, start, created_at)
            }]
        }
    };
    let created_at = contracts
        .iter()
        .map(|c| c.created_at)
        .min()
        .unwrap_or(anchor.at);
    Ok(DemoCustomer {
        role,
        id: rng.id("cus"),
        customer_type,
        first_name: first_name.to_owned(),
        last_name: last_name.to_owned(),
        company_name,
        vat_id,
        email: people::email(first_name, last_name, &plan.slug),
        locale: locale(plan, role),
        created_at,
        payment_method: DemoPaymentMethod {
            id: rng.id("pm"),
            iban: people::iban(&mut rng),
            account_holder,
        },
        contracts,
    })
}

/// What every contract of a customer starts from.
struct ContractDraft {
    key: String,
    seed: u64,
    address: DemoAddress,
}

impl ContractDraft {
    fn base(
        self,
        meter_type: MeterType,
        load: LoadShape,
        estimated_usage_kwh: i64,
        start: Date,
        created_at: i64,
    ) -> DemoContract {
        let mut rng = SplitMix64::keyed(self.seed, &self.key);
        let zip = self.address.postal.zip.clone();
        let contract_seed = self.seed ^ fnv1a(self.key.as_bytes());
        DemoContract {
            id: rng.id("sub"),
            number: rng.upper_alphanumeric(8),
            meter: DemoMeter {
                id: rng.id("mtr"),
                number: people::meter_number(&mut rng),
                meter_type,
                melo: people::melo(&mut rng, &zip),
                malo: people::malo(&mut rng),
                initial_reading_wh: rng.range(8_000, 60_000) * 1000,
            },
            load: LoadProfile::new(load, estimated_usage_kwh, contract_seed),
            seed: contract_seed,
            address: self.address,
            billing_address: None,
            estimated_usage_kwh,
            monthly_prepayment_ct: None,
            start,
            end: None,
            terminated_at: None,
            termination_reason: None,
            created_at,
            metadata: None,
            products: Vec::new(),
            meter_order: None,
            failed_payment_month: None,
            storno_month: None,
        }
    }

    /// A smart-meter contract; with a provider, the meter came through an order that was
    /// activated just before supply started.
    fn smart(
        self,
        load: LoadShape,
        estimated_usage_kwh: i64,
        start: Date,
        created_at: i64,
        provider: Option<&'static str>,
    ) -> Result<DemoContract, jiff::Error> {
        let (key, seed) = (self.key.clone(), self.seed);
        let mut contract = self.base(
            MeterType::Smart,
            load,
            estimated_usage_kwh,
            start,
            created_at,
        );
        if let Some(provider) = provider {
            contract.meter_order = Some(activated_order(&key, seed, provider, start, created_at)?);
        }
        Ok(contract)
    }

    /// An analog-meter contract paying monthly advances: about 34 ct per estimated kWh and
    /// 22 EUR of monthly base prices, in whole euros.
    fn analog(self, estimated_usage_kwh: i64, start: Date, created_at: i64) -> DemoContract {
        let mut contract = self.base(
            MeterType::Analog,
            LoadShape::Household,
            estimated_usage_kwh,
            start,
            created_at,
        );
        let advance_ct = estimated_usage_kwh * 34 / 12 + 2200;
        contract.monthly_prepayment_ct = Some(advance_ct.div_euclid(100) * 100);
        contract
    }
}

fn product(rng: &mut SplitMix64, code: &'static str) -> DemoProduct {
    let (name, price_ct_per_month) = match code {
        "green_plus" => ("Ökostrom Plus", 190),
        _ => ("Autostrom-Option", 490),
    };
    DemoProduct {
        id: rng.id("prd"),
        code,
        name,
        price_ct_per_month,
    }
}

fn order_id(key: &str, seed: u64) -> String {
    SplitMix64::keyed(seed, &format!("{key}/meter_order")).id("prdo")
}

/// Every milestone from order to activation, the installation a few days before supply.
fn activated_order(
    key: &str,
    seed: u64,
    provider: &'static str,
    start: Date,
    created_at: i64,
) -> Result<DemoMeterOrder, jiff::Error> {
    let day = 86_400;
    let appointment_at = at(days_before(start, 4)?, 9, 0)?;
    Ok(DemoMeterOrder {
        id: order_id(key, seed),
        provider,
        events: vec![
            ("created", created_at + 3600),
            ("placed", created_at + 2 * day),
            ("check_submitted", created_at + 6 * day),
            ("check_reviewed", created_at + 9 * day),
            ("scheduled", created_at + 12 * day),
            ("installed", appointment_at + 2 * 3600),
            ("activated", appointment_at + day),
        ],
        appointment_at: Some(appointment_at),
        blocked_reason: None,
        cancelled_reason: None,
    })
}

/// Open: the installation is scheduled for twelve days after the anchor.
fn scheduled_order(key: &str, seed: u64, anchor: &Anchor) -> Result<DemoMeterOrder, jiff::Error> {
    let day = 86_400;
    let created_at = at(days_before(anchor.date, 30)?, 14, 10)?;
    Ok(DemoMeterOrder {
        id: order_id(key, seed),
        provider: "energy-metering",
        events: vec![
            ("created", created_at),
            ("placed", created_at + 3 * day),
            ("check_submitted", created_at + 9 * day),
            ("check_reviewed", created_at + 14 * day),
            ("scheduled", created_at + 21 * day),
        ],
        appointment_at: Some(at(anchor.date.checked_add(12.days())?, 8, 0)?),
        blocked_reason: None,
        cancelled_reason: None,
    })
}

/// Blocked while the grid operator registration was pending, then cancelled by the customer.
fn cancelled_order(key: &str, seed: u64, anchor: &Anchor) -> Result<DemoMeterOrder, jiff::Error> {
    let day = 86_400;
    let created_at = at(days_before(anchor.date, 120)?, 11, 45)?;
    Ok(DemoMeterOrder {
        id: order_id(key, seed),
        provider: "metrify",
        events: vec![
            ("created", created_at),
            ("placed", created_at + 3 * day),
            ("blocked", created_at + 10 * day),
            ("cancelled", created_at + 40 * day),
        ],
        appointment_at: None,
        blocked_reason: None,
        cancelled_reason: Some("customer_request"),
    })
}

/// Just ordered with the signup, blocked until the smart meter check is done.
fn blocked_order(key: &str, seed: u64, created_at: i64) -> DemoMeterOrder {
    DemoMeterOrder {
        id: order_id(key, seed),
        provider: "metrify",
        events: vec![
            ("created", created_at + 600),
            ("blocked", created_at + 86_400),
        ],
        appointment_at: None,
        blocked_reason: Some("check_missing"),
        cancelled_reason: None,
    }
}
