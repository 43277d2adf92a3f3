//! The `X-Nomos-Signature` header: `t=<unix seconds>,v1=<hex>`, where v1 is HMAC-SHA-256 with
//! the organization's signing secret over `"<t>." + raw body`. A delivery counts only when t is
//! within five minutes of now and a v1 matches, compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const HEADER: &str = "x-nomos-signature";

/// How far the signed time may be from now, either way: an old delivery cannot be replayed.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Signed times longer than this are not unix seconds of this era.
const MAX_TIME_DIGITS: usize = 12;

/// What the HMAC is keyed with when there is no key: as long as a real one (`whsec_` + 64 hex).
const NO_KEY: [u8; 70] = [0; 70];

type Digest = [u8; 32];

/// The parts of a signature header: the signed time as sent, and every v1 signature (a sender
/// rolling its secret may send one per secret). Other schemes are ignored.
#[derive(Debug, PartialEq, Eq)]
struct Signature<'a> {
    time: &'a str,
    v1: Vec<Digest>,
}

fn parse(header: &str) -> Option<Signature<'_>> {
    let mut time = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => time = Some(value),
            Some(("v1", value)) => v1.push(from_hex(value)?.try_into().ok()?),
            _ => {}
        }
    }
    let time = time.filter(|t| {
        !t.is_empty() && t.len() <= MAX_TIME_DIGITS && t.bytes().all(|b| b.is_ascii_digit())
    })?;
    (!v1.is_empty()).then_some(Signature { time, v1 })
}

/// HMAC-SHA-256 of `"<time>." + body` with `key`.
pub fn sign(key: &[u8], time: &str, body: &[u8]) -> Digest {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(time.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Whether `header` signs `body` with `key` at a time close to `now`. Without a key (an unknown
/// organization, or one without a secret) the same work is done and the answer is no, so the
/// answer's timing hardly tells the cases apart.
pub fn verify(key: Option<&[u8]>, header: Option<&str>, body: &[u8], now: i64) -> bool {
    let Some(signature) = header.and_then(parse) else {
        return false;
    };
    let fresh = signature
        .time
        .parse::<i64>()
        .is_ok_and(|t| (t - now).abs() <= TOLERANCE_SECONDS);
    let expected = sign(key.unwrap_or(&NO_KEY), signature.time, body);
    let matches = signature
        .v1
        .iter()
        .fold(0u8, |any, v1| any | v1.ct_eq(&expected).unwrap_u8());
    fresh && key.is_some() && matches == 1
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"whsec_test";
    const NOW: i64 = 1_780_000_000;

    fn header(time: i64, body: &[u8]) -> String {
        format!("t={time},v1={}", hex(&sign(KEY, &time.to_string(), body)))
    }

    #[test]
    fn a_fresh_signature_of_the_body_verifies() {
        let body = br#"{"id":"evt_1"}"#;
        assert!(verify(Some(KEY), Some(&header(NOW, body)), body, NOW));
        assert!(verify(Some(KEY), Some(&header(NOW - 300, body)), body, NOW));
        assert!(verify(Some(KEY), Some(&header(NOW + 300, body)), body, NOW));
        // Order, spaces and other schemes do not matter; one matching v1 of several does.
        let v1 = hex(&sign(KEY, &NOW.to_string(), body));
        let other = hex(&[7; 32]);
        let loose = format!("v0=abc, v1={other}, v1={v1}, t={NOW}");
        assert!(verify(Some(KEY), Some(&loose), body, NOW));
    }

    #[test]
    fn anything_else_does_not() {
        let body = br#"{"id":"evt_1"}"#;
        let good = header(NOW, body);
        assert!(!verify(Some(KEY), Some(&good), br#"{"id":"evt_2"}"#, NOW));
        assert!(!verify(Some(b"whsec_other"), Some(&good), body, NOW));
        assert!(!verify(None, Some(&good), body, NOW));
        assert!(!verify(Some(KEY), None, body, NOW));
        assert!(!verify(
            Some(KEY),
            Some(&header(NOW - 301, body)),
            body,
            NOW
        ));
        assert!(!verify(
            Some(KEY),
            Some(&header(NOW + 301, body)),
            body,
            NOW
        ));
        let v1 = hex(&sign(KEY, &NOW.to_string(), body));
        for header in [
            format!("v1={v1}"),
            format!("t={NOW}"),
            format!("t=+{NOW},v1={v1}"),
            format!("t={NOW},v1={}", &v1[..62]),
            format!("t={NOW},v1={v1}00"),
            format!("t={NOW},v1=zz{}", &v1[2..]),
            String::new(),
        ] {
            assert!(!verify(Some(KEY), Some(&header), body, NOW), "{header}");
        }
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(from_hex("000fff"), Some(vec![0, 15, 255]));
        assert_eq!(from_hex("0f0"), None);
        assert_eq!(from_hex("é0"), None);
    }
}
