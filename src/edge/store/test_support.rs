//! Fixtures for the store's tests: a database in a temporary folder, the example tenants of the
//! repository, and their demo data.

use jiff::Timestamp;
use rusqlite::Connection;
use tempfile::TempDir;

use super::demo::{DemoPlan, DemoSummary, seed_demo};
use super::{Store, TenantOrganization, TenantPlan, sync_tenants};

/// A migrated database in a temporary folder (deleted with the `TempDir`).
pub fn temp_store() -> (TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = Store::open(&dir.path().join("edge.db"))
        .unwrap()
        .connect()
        .unwrap();
    (dir, conn)
}

/// The organizations and plans of `tenants/*.yaml`.
pub fn example_tenants() -> Vec<TenantOrganization> {
    let org = |id: &str, name: &str, plans: &[(&str, &str)]| TenantOrganization {
        id: id.to_owned(),
        name: name.to_owned(),
        plans: plans
            .iter()
            .map(|(slug, name)| TenantPlan {
                slug: (*slug).to_owned(),
                name: (*name).to_owned(),
            })
            .collect(),
    };
    vec![
        org(
            "lumio",
            "Lumio Energie GmbH",
            &[
                ("lumio", "Lumio Dynamisch"),
                ("lumio-business", "Lumio Business"),
            ],
        ),
        org(
            "nordwatt",
            "Nordwatt Stadtwerke",
            &[("nordwatt", "Nordwatt Strom Flex")],
        ),
        org("solva", "Solva Power Ltd", &[("solva", "Solva Smart")]),
    ]
}

/// The example plans as the demo generator sees them (Solva is English-only).
pub fn example_demo_plans() -> Vec<DemoPlan> {
    let plan = |org: &str, slug: &str, locales: &[&str], default: &str| DemoPlan {
        org_id: org.to_owned(),
        slug: slug.to_owned(),
        locales: locales.iter().map(|l| (*l).to_owned()).collect(),
        default_locale: default.to_owned(),
    };
    vec![
        plan("lumio", "lumio", &["de", "en"], "de"),
        plan("lumio", "lumio-business", &["de", "en"], "de"),
        plan("nordwatt", "nordwatt", &["de", "en"], "de"),
        plan("solva", "solva", &["en"], "en"),
    ]
}

pub const DEMO_SEED: u64 = 20_260_527;

pub fn at(rfc3339: &str) -> Timestamp {
    rfc3339.parse().unwrap()
}

/// A database with the example tenants and the demo data of every example plan as of `now`.
pub fn seeded_store(now: &str) -> (TempDir, Connection, DemoSummary) {
    seeded_plans(&example_demo_plans(), now)
}

/// The same with only the `lumio` plan's demo data: quicker, for checks that need one portal.
pub fn seeded_lumio(now: &str) -> (TempDir, Connection, DemoSummary) {
    seeded_plans(&example_demo_plans()[..1], now)
}

fn seeded_plans(plans: &[DemoPlan], now: &str) -> (TempDir, Connection, DemoSummary) {
    let (dir, mut conn) = temp_store();
    sync_tenants(&conn, &example_tenants()).unwrap();
    let summary = seed_demo(&mut conn, plans, DEMO_SEED, at(now)).unwrap();
    (dir, conn, summary)
}
