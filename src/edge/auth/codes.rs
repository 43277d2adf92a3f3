//! Sign-in by e-mailed code (NIST SP 800-63B out-of-band authenticator, OWASP ASVS 5.0): six
//! random digits, valid ten minutes, single use, five wrong tries, a new code replaces the old.
//! Every answer is the same for known and unknown addresses; only a known customer gets mail.

use serde::Deserialize;
use serde_json::json;

use super::limits::Action;
use super::secret::{Purpose, six_digit_code};
use super::{normalize_email, sessions};
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError, FieldError};
use crate::edge::mail::login_code_mail;
use crate::edge::store::{auth as store, customers};

pub const CODE_VALID_SECONDS: i64 = 600;
pub const MAX_WRONG_TRIES: i64 = 5;
pub const RESEND_AFTER_SECONDS: i64 = 60;
pub const CODES_PER_HOUR: usize = 5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeSubmission {
    email: String,
    code: String,
}

/// `POST /api/auth/code {email}`.
pub fn request_code(call: &mut Call) -> Result<Answer, ApiError> {
    call.req.require_same_origin_json()?;
    let body: CodeRequest = call.req.json()?;
    let email = normalize_email(&body.email)?;
    let (slug, now) = (call.visit.site.slug.as_str(), call.now);
    call.edge
        .limits
        .check(&call.client(), Action::RequestCode, now)?;

    let recent = store::code_requests_since(call.conn, slug, &email, now - 3600)?;
    if let Some(last) = recent.last().filter(|t| now - **t < RESEND_AFTER_SECONDS) {
        return Err(ApiError::too_many_requests(
            (last + RESEND_AFTER_SECONDS - now) as u64,
        ));
    }
    if recent.len() >= CODES_PER_HOUR {
        return Err(ApiError::too_many_requests((recent[0] + 3600 - now) as u64));
    }
    store::record_code_request(call.conn, slug, &email, now)?;

    if let Some(customer) = customers::customer_by_email(call.conn, slug, &email)? {
        let code = six_digit_code().map_err(|_| ApiError::internal())?;
        let hash = call
            .edge
            .secret
            .hash(Purpose::LoginCode, &[slug, &email, &code]);
        store::issue_code(
            call.conn,
            slug,
            &email,
            &hash,
            now,
            now + CODE_VALID_SECONDS,
        )?;
        let mail = login_code_mail(
            &call.visit.site,
            &call.edge.mail_from,
            &customer.email,
            &customer.locale,
            &code,
            CODE_VALID_SECONDS / 60,
        )
        .map_err(|d| {
            crate::edge::log(&format!("sign-in mail not rendered: {}", d.message));
            ApiError::internal()
        })?;
        call.edge.mailer.send(mail);
    }
    Ok(Answer::json(
        202,
        json!({
            "object": "login_code_request",
            "email": email,
            "expires_in": CODE_VALID_SECONDS,
            "resend_after": RESEND_AFTER_SECONDS,
        }),
    ))
}

/// `POST /api/auth/verify {email, code}`: a session on success.
pub fn verify_code(call: &mut Call) -> Result<Answer, ApiError> {
    call.req.require_same_origin_json()?;
    let body: CodeSubmission = call.req.json()?;
    let email = normalize_email(&body.email)?;
    let code = body.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        let mut error = ApiError::bad_request("The request body is not valid.");
        error.errors.push(FieldError {
            code: "invalid_format",
            field: Some("code".into()),
            message: "The code has six digits.".into(),
        });
        return Err(error);
    }
    let (slug, now) = (call.visit.site.slug.clone(), call.now);
    call.edge
        .limits
        .check(&call.client(), Action::VerifyCode, now)?;
    let customer = customers::customer_by_email(call.conn, &slug, &email)?;
    let secret = &call.edge.secret;
    let accepted = store::verify_code(call.conn, &slug, &email, now, MAX_WRONG_TRIES, |stored| {
        secret.matches(Purpose::LoginCode, &[&slug, &email, code], stored)
    })?;
    match customer.filter(|_| accepted) {
        Some(customer) => sessions::sign_in(call, &customer.id),
        None => Err(ApiError::unauthorized(
            "This code is not valid. It may be mistyped, expired or already used. Request a new code.",
        )),
    }
}
