//! The SQL of list endpoints: filter conditions on columns the caller picked from a fixed set,
//! and keyset pagination (newest first) on a sort key and the id, so a page never repeats or
//! skips a row even while rows are added.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

use super::{Result, WithDbPath};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    In,
    NotIn,
    Gt,
    Ge,
    Lt,
    Le,
    /// A case-insensitive substring (ASCII), for free-text search.
    Contains,
}

/// `column <comparison> values`. The column is a fixed SQL expression, never client input.
#[derive(Debug, Clone)]
pub struct Condition {
    pub column: &'static str,
    pub comparison: Comparison,
    pub values: Vec<Value>,
}

/// Where a page starts: after the row with this sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    pub key: i64,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub after: Option<After>,
    /// Rows to return; the query asks for one more to know whether another page follows.
    pub limit: usize,
}

/// ` AND …` for every condition, their values appended to `params`.
pub fn conditions_sql(conditions: &[Condition], params: &mut Vec<Value>) -> String {
    let mut sql = String::new();
    for condition in conditions {
        let column = condition.column;
        let first = condition.values.first().cloned().unwrap_or(Value::Null);
        match condition.comparison {
            Comparison::In | Comparison::NotIn => {
                let marks = vec!["?"; condition.values.len().max(1)].join(", ");
                let not = if condition.comparison == Comparison::NotIn {
                    "NOT "
                } else {
                    ""
                };
                sql.push_str(&format!(" AND {column} {not}IN ({marks})"));
                if condition.values.is_empty() {
                    params.push(Value::Null);
                }
                params.extend(condition.values.iter().cloned());
            }
            Comparison::Contains => {
                sql.push_str(&format!(" AND {column} LIKE ? ESCAPE '\\'"));
                let text = match first {
                    Value::Text(text) => text,
                    _ => String::new(),
                };
                params.push(Value::Text(format!("%{}%", escape_like(&text))));
            }
            other => {
                let op = match other {
                    Comparison::Eq => "=",
                    Comparison::Ne => "<>",
                    Comparison::Gt => ">",
                    Comparison::Ge => ">=",
                    Comparison::Lt => "<",
                    _ => "<=",
                };
                sql.push_str(&format!(" AND {column} {op} ?"));
                params.push(first);
            }
        }
    }
    sql
}

/// How a customer's list is read: what it selects (`SELECT columns FROM …`, up to where the
/// `WHERE` goes), the column naming the customer, and the sort key and id, newest first.
pub struct ListQuery<'a> {
    pub select: &'a str,
    pub owner: &'a str,
    pub sort_key: &'a str,
    pub sort_id: &'a str,
}

/// A page of the customer's rows matching every condition, newest first; up to `page.limit + 1`
/// rows, so the caller sees whether more follow.
pub fn customer_page<T>(
    conn: &Connection,
    list: &ListQuery,
    customer_id: &str,
    conditions: &[Condition],
    page: &Page,
    row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut params = vec![Value::Text(customer_id.to_owned())];
    let filters = conditions_sql(conditions, &mut params);
    let keyset = keyset_sql(list.sort_key, list.sort_id, page, &mut params);
    params.push(Value::Integer(page.limit as i64 + 1));
    let sql = format!(
        "{} WHERE {} = ?{filters}{keyset} ORDER BY {} DESC, {} DESC LIMIT ?",
        list.select, list.owner, list.sort_key, list.sort_id
    );
    conn.prepare_cached(&sql)
        .and_then(|mut stmt| stmt.query_map(params_from_iter(params), row)?.collect())
        .with_db_path(conn)
}

/// ` AND (key, id) < (…)` for a page after another, newest first.
pub fn keyset_sql(key: &str, id: &str, page: &Page, params: &mut Vec<Value>) -> String {
    match &page.after {
        Some(after) => {
            params.push(Value::Integer(after.key));
            params.push(Value::Text(after.id.clone()));
            format!(" AND ({key}, {id}) < (?, ?)")
        }
        None => String::new(),
    }
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_become_bound_parameters() {
        let mut params = Vec::new();
        let sql = conditions_sql(
            &[
                Condition {
                    column: "i.status",
                    comparison: Comparison::In,
                    values: vec![Value::Text("open".into()), Value::Text("paid".into())],
                },
                Condition {
                    column: "i.invoice_number",
                    comparison: Comparison::Contains,
                    values: vec![Value::Text("50%_".into())],
                },
                Condition {
                    column: "i.period_start",
                    comparison: Comparison::Ge,
                    values: vec![Value::Integer(7)],
                },
            ],
            &mut params,
        );
        assert_eq!(
            sql,
            " AND i.status IN (?, ?) AND i.invoice_number LIKE ? ESCAPE '\\' AND i.period_start >= ?"
        );
        assert_eq!(params[2], Value::Text("%50\\%\\_%".into()));
        assert_eq!(params.len(), 4);
    }
}
