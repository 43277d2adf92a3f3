//! Not yet routed.

use rusqlite::Connection;

use super::Edge;
use super::api::{Answer, ApiError, ApiRequest};

pub fn receive(
    _edge: &Edge,
    _conn: &mut Connection,
    _req: &ApiRequest,
    _org: &str,
    _now: i64,
) -> Result<Answer, ApiError> {
    Err(ApiError::not_found())
}
