//! Organizations and plans, mirrored from the tenant configs on every start.

use rusqlite::{Connection, params};

use super::{Result, WithDbPath, ids};

/// One tenant file: the organization and its plans.
#[derive(Debug, Clone)]
pub struct TenantOrganization {
    /// The tenant file's name (`tenants/<id>.yaml`).
    pub id: String,
    pub name: String,
    pub plans: Vec<TenantPlan>,
}

#[derive(Debug, Clone)]
pub struct TenantPlan {
    pub slug: String,
    pub name: String,
}

/// Inserts or updates every organization and plan in one transaction. Nothing is deleted: a
/// plan that left the configs keeps its customers (the server no longer routes to it).
pub fn sync_tenants(conn: &Connection, organizations: &[TenantOrganization]) -> Result<()> {
    let tx = conn.unchecked_transaction().with_db_path(conn)?;
    {
        let mut upsert_org = tx
            .prepare(
                "INSERT INTO organizations (id, name) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            )
            .with_db_path(conn)?;
        let mut upsert_plan = tx
            .prepare(
                "INSERT INTO plans (slug, id, org_id, name) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (slug) DO UPDATE SET org_id = excluded.org_id, name = excluded.name",
            )
            .with_db_path(conn)?;
        for org in organizations {
            upsert_org
                .execute(params![org.id, org.name])
                .with_db_path(conn)?;
            for plan in &org.plans {
                upsert_plan
                    .execute(params![
                        plan.slug,
                        ids::plan_id(&plan.slug),
                        org.id,
                        plan.name
                    ])
                    .with_db_path(conn)?;
            }
        }
    }
    tx.commit().with_db_path(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::test_support::{example_tenants, temp_store};

    #[test]
    fn sync_upserts_and_keeps_removed_plans() {
        let (_dir, conn) = temp_store();
        let mut tenants = example_tenants();
        sync_tenants(&conn, &tenants).unwrap();
        tenants[0].name = "Lumio Energie AG".to_owned();
        tenants[0].plans.pop();
        sync_tenants(&conn, &tenants).unwrap();

        let org_name: String = conn
            .query_row(
                "SELECT name FROM organizations WHERE id = 'lumio'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(org_name, "Lumio Energie AG");
        let plans: i64 = conn
            .query_row("SELECT count(*) FROM plans", [], |r| r.get(0))
            .unwrap();
        assert_eq!(plans, 4);
        let plan_id: String = conn
            .query_row("SELECT id FROM plans WHERE slug = 'solva'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(plan_id, ids::plan_id("solva"));
    }
}
