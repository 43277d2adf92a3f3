//! Ids in the Nomos form: a type prefix, an underscore and 24 lowercase base-36 characters
//! (`cus_mi4f0oda6x9m7gcsvjk0ole1`).

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const ID_CHARS: usize = 24;

/// `<prefix>_` followed by one character per byte (only the byte's value modulo 36 counts).
pub fn encode_id(prefix: &str, bytes: [u8; ID_CHARS]) -> String {
    let mut id = String::with_capacity(prefix.len() + 1 + ID_CHARS);
    id.push_str(prefix);
    id.push('_');
    id.extend(bytes.iter().map(|b| ALPHABET[*b as usize % 36] as char));
    id
}

/// A new random id, e.g. `random_id("mr")` for a meter reading. About 124 bits of randomness.
pub fn random_id(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; ID_CHARS];
    // Rejection sampling keeps every character equally likely: 252 = 7 × 36.
    let mut filled = 0;
    let mut buffer = [0u8; 32];
    while filled < ID_CHARS {
        getrandom::fill(&mut buffer)?;
        for b in buffer.iter().filter(|b| **b < 252) {
            if filled < ID_CHARS {
                bytes[filled] = *b;
                filled += 1;
            }
        }
    }
    Ok(encode_id(prefix, bytes))
}

/// The `pln_…` id of a plan slug: derived from the slug, so it is the same on every machine
/// and after every restart.
pub fn plan_id(slug: &str) -> String {
    let digest = Sha256::digest(format!("portalgen plan {slug}").as_bytes());
    let mut bytes = [0u8; ID_CHARS];
    bytes.copy_from_slice(&digest[..ID_CHARS]);
    encode_id("pln", bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_nomos_id(id: &str, prefix: &str) -> bool {
        id.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|rest| {
                rest.len() == ID_CHARS
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            })
    }

    #[test]
    fn random_ids_have_the_nomos_form_and_differ() {
        let a = random_id("mr").unwrap();
        let b = random_id("mr").unwrap();
        assert!(is_nomos_id(&a, "mr"), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn plan_ids_are_stable_per_slug() {
        assert_eq!(plan_id("lumio"), plan_id("lumio"));
        assert_ne!(plan_id("lumio"), plan_id("lumio-business"));
        assert!(is_nomos_id(&plan_id("lumio"), "pln"));
    }
}
