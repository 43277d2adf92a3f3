//! Not yet routed.

use crate::edge::Call;
use crate::edge::api::{Answer, ApiError};

pub fn route(_call: &mut Call, _segments: &[&str]) -> Option<Result<Answer, ApiError>> {
    None
}
