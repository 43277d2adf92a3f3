//! An organization's webhook signing secret: `whsec_` and 64 hex digits, shown once when made.
//! The HMAC key is the secret exactly as shown. Checking a signature needs the secret itself, so
//! the store keeps it sealed with the server secret (which lives outside the database): XORed
//! with HMAC-SHA-256(server secret, org ‖ nonce), a fresh random nonce per secret, plus a check
//! tag that tells a wrong server secret from a wrong signature.

use std::io;

use subtle::ConstantTimeEq;

use super::signature::{from_hex, hex};
use crate::edge::auth::secret::{Purpose, ServerSecret, random_token};
use crate::edge::store::webhooks::SealedSecret;

pub const PREFIX: &str = "whsec_";

const SECRET_LEN: usize = 32;
const NONCE_BYTES: usize = 16;

/// A new random secret for `org`: as shown to the operator, and sealed for the store.
pub fn create(server: &ServerSecret, org: &str) -> io::Result<(String, SealedSecret)> {
    let bytes: [u8; SECRET_LEN] = from_hex(&random_token(SECRET_LEN)?)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| io::Error::other("no random secret"))?;
    let nonce = random_token(NONCE_BYTES)?;
    let shown = format!("{PREFIX}{}", hex(&bytes));
    let sealed = SealedSecret {
        sealed: xor(&bytes, &key_stream(server, org, &nonce)),
        check_tag: check_tag(server, org, &nonce, &shown).to_vec(),
        nonce,
    };
    Ok((shown, sealed))
}

/// The secret as shown when it was made; None when `sealed` was not sealed for `org` with this
/// server secret.
pub fn unseal(server: &ServerSecret, org: &str, sealed: &SealedSecret) -> Option<String> {
    if sealed.sealed.len() != SECRET_LEN {
        return None;
    }
    let bytes = xor(&sealed.sealed, &key_stream(server, org, &sealed.nonce));
    let shown = format!("{PREFIX}{}", hex(&bytes));
    let tag = check_tag(server, org, &sealed.nonce, &shown);
    bool::from(tag.ct_eq(sealed.check_tag.as_slice())).then_some(shown)
}

fn key_stream(server: &ServerSecret, org: &str, nonce: &str) -> [u8; SECRET_LEN] {
    server.hash(Purpose::WebhookSecret, &[org, nonce])
}

fn check_tag(server: &ServerSecret, org: &str, nonce: &str, shown: &str) -> [u8; SECRET_LEN] {
    server.hash(Purpose::WebhookSecret, &[org, nonce, shown])
}

fn xor(a: &[u8], b: &[u8; SECRET_LEN]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(dir: &tempfile::TempDir, name: &str) -> ServerSecret {
        ServerSecret::load_or_create(&dir.path().join(name)).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_org_and_server_secret() {
        let dir = tempfile::tempdir().unwrap();
        let server_secret = server(&dir, "secret.key");
        let (shown, sealed) = create(&server_secret, "lumio").unwrap();
        assert!(shown.starts_with(PREFIX) && shown.len() == PREFIX.len() + 64);
        assert!(!hex(&sealed.sealed).contains(&shown[PREFIX.len()..]));
        assert_eq!(
            unseal(&server_secret, "lumio", &sealed),
            Some(shown.clone())
        );
        assert_eq!(unseal(&server_secret, "nordwatt", &sealed), None);
        assert_eq!(unseal(&server(&dir, "other.key"), "lumio", &sealed), None);
        let mut tampered = sealed.clone();
        tampered.sealed[0] ^= 1;
        assert_eq!(unseal(&server_secret, "lumio", &tampered), None);
        let (again, _) = create(&server_secret, "lumio").unwrap();
        assert_ne!(again, shown, "every secret is new");
    }
}
