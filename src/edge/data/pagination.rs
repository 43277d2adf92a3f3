//! The Nomos list parameters: `limit` (1–100, default 10), an opaque `cursor`, and
//! `filter[field][operator]=value` conditions on the fields a list allows. Answers are
//! `{object: "list", items, has_more, next_page}` with `next_page` the cursor of the next page.
//!
//! A cursor is the position after the last item (its sort key and id) with an HMAC of the
//! server secret over that position, the list, the customer and the filters: a changed byte, a
//! cursor of another customer or list, or one reused with other filters is refused with 400.

use rusqlite::types::Value;
use serde_json::{Value as Json, json};
use subtle::ConstantTimeEq;

use crate::edge::api::ApiError;
use crate::edge::auth::secret::{Purpose, ServerSecret};
use crate::edge::data::params::{Params, invalid};
use crate::edge::store::listing::{After, Comparison, Condition, Page};

pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 100;
/// Bytes of the HMAC kept in a cursor.
const TAG_LEN: usize = 16;

/// What a filter's value is.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    /// An id: `eq`, `neq`, `in`, `nin` (comma-separated).
    Id,
    /// One of fixed values: `eq`, `neq`, `in`, `nin`.
    Enum(&'static [&'static str]),
    /// An instant (RFC 3339) or a date (`YYYY-MM-DD`, midnight in Berlin): `eq`, `gt`, `gte`,
    /// `lt`, `lte`.
    Instant,
}

impl FieldKind {
    fn operators(self) -> &'static [(&'static str, Comparison)] {
        match self {
            FieldKind::Id | FieldKind::Enum(_) => &[
                ("eq", Comparison::Eq),
                ("neq", Comparison::Ne),
                ("in", Comparison::In),
                ("nin", Comparison::NotIn),
            ],
            FieldKind::Instant => &[
                ("eq", Comparison::Eq),
                ("gt", Comparison::Gt),
                ("gte", Comparison::Ge),
                ("lt", Comparison::Lt),
                ("lte", Comparison::Le),
            ],
        }
    }
}

/// A field a list can be filtered by, and the store column it compares.
#[derive(Debug, Clone, Copy)]
pub struct FilterField {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: FieldKind,
}

/// A list request, parsed and checked.
#[derive(Debug)]
pub struct ListRequest {
    pub conditions: Vec<Condition>,
    pub page: Page,
    /// What a cursor of this list is bound to.
    scope: String,
}

/// The query string of a list; any parameter but `limit`, `cursor`, the filters and `extra` is
/// refused.
pub fn query_params(
    query: &str,
    fields: &[FilterField],
    extra: &[&str],
) -> Result<Params, ApiError> {
    let names = parameter_names(fields, extra);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    Params::parse(query, &names)
}

fn parameter_names(fields: &[FilterField], extra: &[&str]) -> Vec<String> {
    let mut names = vec!["limit".to_owned(), "cursor".to_owned()];
    for field in fields {
        for (op, _) in field.kind.operators() {
            names.push(format!("filter[{}][{op}]", field.name));
        }
    }
    names.extend(extra.iter().map(|e| (*e).to_owned()));
    names
}

/// Parses `limit`, the filters and the cursor of the list `list` for `customer_id`; `extra`
/// names further parameters (e.g. `search`) that narrow the list and so bind its cursors.
pub fn parse(
    secret: &ServerSecret,
    list: &str,
    customer_id: &str,
    params: &Params,
    fields: &[FilterField],
    extra: &[&str],
) -> Result<ListRequest, ApiError> {
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => {
            let limit: i64 = text
                .trim()
                .parse()
                .map_err(|_| invalid("invalid_type", "limit", "must be a whole number"))?;
            if limit < 1 {
                return Err(invalid("too_small", "limit", "must be at least 1"));
            }
            if limit > MAX_LIMIT as i64 {
                return Err(invalid("too_big", "limit", "must be at most 100"));
            }
            limit as usize
        }
    };
    let mut conditions = Vec::new();
    let mut scope = vec![list.to_owned(), customer_id.to_owned()];
    for field in fields {
        for (op, comparison) in field.kind.operators() {
            let name = format!("filter[{}][{op}]", field.name);
            if let Some(text) = params.get(&name) {
                conditions.push(Condition {
                    column: field.column,
                    comparison: *comparison,
                    values: filter_values(&name, field.kind, *comparison, text)?,
                });
                scope.push(format!("{name}={text}"));
            }
        }
    }
    for name in extra {
        if let Some(text) = params.get(name) {
            scope.push(format!("{name}={text}"));
        }
    }
    let mut request = ListRequest {
        conditions,
        page: Page { after: None, limit },
        scope: scope.join("\n"),
    };
    if let Some(cursor) = params.get("cursor").filter(|c| !c.is_empty()) {
        request.page.after = Some(request.open(secret, cursor)?);
    }
    Ok(request)
}

fn filter_values(
    name: &str,
    kind: FieldKind,
    comparison: Comparison,
    text: &str,
) -> Result<Vec<Value>, ApiError> {
    let many = matches!(comparison, Comparison::In | Comparison::NotIn);
    let parts: Vec<&str> = if many {
        text.split(',').map(str::trim).collect()
    } else {
        vec![text.trim()]
    };
    parts
        .into_iter()
        .map(|part| match kind {
            FieldKind::Id => {
                if part.is_empty() || part.len() > 64 {
                    Err(invalid("invalid_value", name, "must be an id"))
                } else {
                    Ok(Value::Text(part.to_owned()))
                }
            }
            FieldKind::Enum(allowed) => {
                if allowed.contains(&part) {
                    Ok(Value::Text(part.to_owned()))
                } else {
                    Err(invalid(
                        "invalid_value",
                        name,
                        &format!("must be one of {}", allowed.join(", ")),
                    ))
                }
            }
            FieldKind::Instant => instant(part).map(Value::Integer).ok_or_else(|| {
                invalid(
                    "invalid_format",
                    name,
                    "must be a date (2026-03-01) or an RFC 3339 time (2026-03-01T00:00:00Z)",
                )
            }),
        })
        .collect()
}

/// Unix seconds of an RFC 3339 time, or of midnight in Berlin starting a `YYYY-MM-DD` date.
fn instant(text: &str) -> Option<i64> {
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Some(at.as_second());
    }
    let date: jiff::civil::Date = text.parse().ok().filter(|_| text.len() == 10)?;
    crate::edge::store::calendar::day_start(date).ok()
}

impl ListRequest {
    /// Cuts the rows fetched for a page (one more than its limit, which tells whether more
    /// follow) to the page, with the cursor of the next page when there is one.
    pub fn page_of<T>(
        &self,
        secret: &ServerSecret,
        mut rows: Vec<T>,
        position: impl Fn(&T) -> After,
    ) -> (Vec<T>, Option<String>) {
        let more = rows.len() > self.page.limit;
        rows.truncate(self.page.limit);
        let next_page = rows
            .last()
            .filter(|_| more)
            .map(|last| self.cursor_after(secret, &position(last)));
        (rows, next_page)
    }

    /// The cursor of the page after `last`.
    fn cursor_after(&self, secret: &ServerSecret, last: &After) -> String {
        let position = format!("{}.{}", last.key, last.id);
        let mut bytes = position.clone().into_bytes();
        bytes.extend_from_slice(&self.tag(secret, &position));
        base64url::encode(&bytes)
    }

    fn open(&self, secret: &ServerSecret, cursor: &str) -> Result<After, ApiError> {
        let refused = || {
            invalid(
                "invalid_format",
                "cursor",
                "is not a cursor of this list: use the next_page of the previous answer with the same filters",
            )
        };
        let bytes = base64url::decode(cursor).ok_or_else(refused)?;
        let split = bytes.len().checked_sub(TAG_LEN).ok_or_else(refused)?;
        let (position, tag) = bytes.split_at(split);
        let position = std::str::from_utf8(position).map_err(|_| refused())?;
        if !bool::from(self.tag(secret, position).ct_eq(tag)) {
            return Err(refused());
        }
        let (key, id) = position.split_once('.').ok_or_else(refused)?;
        Ok(After {
            key: key.parse().map_err(|_| refused())?,
            id: id.to_owned(),
        })
    }

    fn tag(&self, secret: &ServerSecret, position: &str) -> [u8; TAG_LEN] {
        let hash = secret.hash(Purpose::ListCursor, &[&self.scope, position]);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&hash[..TAG_LEN]);
        tag
    }
}

/// The list answer: the page's items, whether more follow and the cursor to fetch them.
pub fn list_json(items: Vec<Json>, next_page: Option<String>) -> Json {
    json!({
        "object": "list",
        "items": items,
        "has_more": next_page.is_some(),
        "next_page": next_page,
    })
}

/// URL-safe base64 without padding (RFC 4648 §5), so a cursor needs no escaping in a query.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    pub fn decode(text: &str) -> Option<Vec<u8>> {
        if text.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        for chunk in text.as_bytes().chunks(4) {
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                let v = ALPHABET.iter().position(|a| a == c)? as u32;
                n |= v << (18 - 6 * i);
            }
            for i in 0..chunk.len() - 1 {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[FilterField] = &[
        FilterField {
            name: "status",
            column: "i.status",
            kind: FieldKind::Enum(&["open", "paid"]),
        },
        FilterField {
            name: "period_start",
            column: "i.period_start",
            kind: FieldKind::Instant,
        },
    ];

    fn secret() -> ServerSecret {
        let dir = tempfile::tempdir().unwrap();
        ServerSecret::load_or_create(&dir.path().join("secret")).unwrap()
    }

    fn request(
        secret: &ServerSecret,
        customer: &str,
        query: &str,
    ) -> Result<ListRequest, ApiError> {
        let params = query_params(query, FIELDS, &["search"])?;
        parse(secret, "invoices", customer, &params, FIELDS, &["search"])
    }

    fn code(error: ApiError) -> (&'static str, String) {
        let field = &error.errors[0];
        (field.code, field.field.clone().unwrap_or_default())
    }

    #[test]
    fn base64url_round_trips() {
        for len in 0..10 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            let text = base64url::encode(&bytes);
            assert!(!text.contains(['+', '/', '=']));
            assert_eq!(base64url::decode(&text), Some(bytes));
        }
        assert_eq!(base64url::encode(b"Man"), "TWFu");
        assert_eq!(base64url::decode("a"), None);
        assert_eq!(base64url::decode("a*=="), None);
    }

    #[test]
    fn limits_and_filters_are_checked() {
        let secret = secret();
        let list = request(&secret, "cus_a", "").unwrap();
        assert_eq!(list.page.limit, 10);
        assert!(list.conditions.is_empty());
        assert_eq!(
            code(request(&secret, "cus_a", "limit=0").unwrap_err()).0,
            "too_small"
        );
        assert_eq!(
            code(request(&secret, "cus_a", "limit=101").unwrap_err()).0,
            "too_big"
        );
        assert_eq!(
            code(request(&secret, "cus_a", "limit=ten").unwrap_err()).0,
            "invalid_type"
        );
        let list = request(
            &secret,
            "cus_a",
            "filter%5Bstatus%5D%5Bin%5D=open,paid&filter[period_start][gte]=2026-03-01",
        )
        .unwrap();
        assert_eq!(list.conditions.len(), 2);
        assert_eq!(list.conditions[0].comparison, Comparison::In);
        assert_eq!(
            list.conditions[1].values,
            vec![Value::Integer(1_772_319_600)]
        );
        let wrong = request(&secret, "cus_a", "filter[status][eq]=late").unwrap_err();
        assert_eq!(
            code(wrong),
            ("invalid_value", "filter[status][eq]".to_owned())
        );
        let date = request(&secret, "cus_a", "filter[period_start][lt]=yesterday").unwrap_err();
        assert_eq!(code(date).0, "invalid_format");
        let op = request(&secret, "cus_a", "filter[status][gte]=open").unwrap_err();
        assert_eq!(code(op).0, "unrecognized_keys");
    }

    #[test]
    fn cursors_are_bound_to_list_customer_and_filters() {
        let secret = secret();
        let query = "filter[status][eq]=paid&search=H7";
        let list = request(&secret, "cus_a", query).unwrap();
        let last = After {
            key: 1_780_000_000,
            id: "inv_abc".to_owned(),
        };
        let cursor = list.cursor_after(&secret, &last);
        let next = request(&secret, "cus_a", &format!("{query}&cursor={cursor}")).unwrap();
        assert_eq!(next.page.after, Some(last));

        let mut tampered = cursor.clone().into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        for query in [
            format!("{query}&cursor={tampered}"),
            format!("filter[status][eq]=open&search=H7&cursor={cursor}"),
            format!("{query}&cursor=not-a-cursor"),
        ] {
            let error = request(&secret, "cus_a", &query).unwrap_err();
            assert_eq!(
                code(error),
                ("invalid_format", "cursor".to_owned()),
                "{query}"
            );
        }
        let other = request(&secret, "cus_b", &format!("{query}&cursor={cursor}"));
        assert!(other.is_err(), "another customer's cursor");
    }
}
