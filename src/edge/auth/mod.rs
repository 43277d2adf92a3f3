//! Signing in: codes by e-mail, sessions in cookies, single sign-on links from the retailer's
//! backend, per-client limits, and the server secret all of them are keyed with.

pub mod codes;
pub mod limits;
pub mod secret;
pub mod sessions;
pub mod sso;

use crate::edge::api::{ApiError, FieldError};

/// The address as stored and compared: trimmed, lower-case; `None` when it is no address.
pub fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let plausible = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if plausible {
        Ok(email)
    } else {
        let mut error = ApiError::bad_request("The request body is not valid.");
        error.errors.push(FieldError {
            code: "invalid_format",
            field: Some("email".into()),
            message: "Enter an e-mail address like name@example.com.".into(),
        });
        Err(error)
    }
}
