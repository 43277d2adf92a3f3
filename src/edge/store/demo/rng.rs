//! Deterministic randomness for the demo data. Every generator draws from a stream keyed by the
//! seed and what it generates ("lumio/customer/2/iban"), so a value never depends on the order
//! in which other values were generated.

use crate::edge::store::ids;

/// The splitmix64 generator (Steele, Lea, Flood 2014): tiny, fast, good enough for demo data.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A stream for one purpose, e.g. `SplitMix64::keyed(seed, "lumio/customer/2")`.
    pub fn keyed(seed: u64, key: &str) -> Self {
        SplitMix64 {
            state: mix(seed ^ fnv1a(key.as_bytes())),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        unit_from(self.next_u64())
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// `count` decimal digits.
    pub fn digits(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| char::from(b'0' + (self.next_u64() % 10) as u8))
            .collect()
    }

    /// `count` characters of `0-9A-Z`.
    pub fn upper_alphanumeric(&mut self, count: usize) -> String {
        const CHARS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        (0..count).map(|_| char::from(*self.pick(CHARS))).collect()
    }

    /// A Nomos-style id (`cus_…`) from this stream.
    pub fn id(&mut self, prefix: &str) -> String {
        let mut bytes = [0u8; 24];
        for b in &mut bytes {
            *b = (self.next_u64() % 36) as u8;
        }
        ids::encode_id(prefix, bytes)
    }
}

/// The splitmix64 output function: a well-mixed 64-bit hash of `x`.
pub fn mix(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hash of several numbers, uniform in `[0, 1)`: noise that is a pure function of its inputs.
pub fn unit_hash(parts: &[u64]) -> f64 {
    unit_from(parts.iter().fold(0x2545_f491_4f6c_dd1d, |h, p| mix(h ^ p)))
}

/// A key's stable 64-bit hash (FNV-1a), to derive per-purpose seeds.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn unit_from(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_keyed() {
        let a: Vec<u64> = {
            let mut r = SplitMix64::keyed(7, "x");
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = SplitMix64::keyed(7, "x");
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(
            SplitMix64::keyed(7, "x").next_u64(),
            SplitMix64::keyed(7, "y").next_u64()
        );
        assert_ne!(
            SplitMix64::keyed(7, "x").next_u64(),
            SplitMix64::keyed(8, "x").next_u64()
        );
    }

    #[test]
    fn unit_values_stay_in_range_and_spread() {
        let mut r = SplitMix64::keyed(1, "unit");
        let values: Vec<f64> = (0..10_000).map(|_| r.unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        let mut r = SplitMix64::keyed(1, "range");
        assert!(
            (0..1000)
                .map(|_| r.range(3, 5))
                .all(|v| (3..=5).contains(&v))
        );
    }
}
