//! SHA-256 of many files at once. The manifest needs the hash of every file, a gigabyte for a
//! thousand bundles. With the CPU's SHA extensions one message waits on each round's result;
//! two messages interleaved finish in little more than the time of one. Without them, or on
//! other CPUs, `sha2` hashes the files one by one.

use sha2::{Digest, Sha256};

use super::files::ContentHash;

/// The SHA-256 of each of `messages`, in order.
pub fn digest_all(messages: &[&[u8]]) -> Vec<ContentHash> {
    #[cfg(target_arch = "x86_64")]
    if shani::available() {
        let mut hashes = Vec::with_capacity(messages.len());
        let mut pairs = messages.chunks_exact(2);
        for pair in pairs.by_ref() {
            // SAFETY: the CPU has the instructions `shani` uses.
            let (a, b) = unsafe { shani::digest_pair(pair[0], pair[1]) };
            hashes.extend([a, b]);
        }
        hashes.extend(pairs.remainder().iter().map(|m| digest(m)));
        return hashes;
    }
    messages.iter().map(|m| digest(m)).collect()
}

fn digest(message: &[u8]) -> ContentHash {
    Sha256::digest(message).into()
}

#[cfg(target_arch = "x86_64")]
mod shani {
    use std::arch::x86_64::*;

    use sha2::digest::generic_array::GenericArray;

    use super::ContentHash;

    const INITIAL: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];

    static K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    pub fn available() -> bool {
        is_x86_feature_detected!("sha")
            && is_x86_feature_detected!("sse2")
            && is_x86_feature_detected!("ssse3")
            && is_x86_feature_detected!("sse4.1")
    }

    /// A message as SHA-256 reads it: its whole 64-byte blocks, then the last bytes with the
    /// padding and the length (one or two blocks).
    struct Padded<'m> {
        whole: &'m [[u8; 64]],
        tail: [[u8; 64]; 2],
        tail_blocks: usize,
    }

    impl<'m> Padded<'m> {
        fn new(message: &'m [u8]) -> Self {
            let (whole, rest) = message.as_chunks::<64>();
            let mut tail = [[0; 64]; 2];
            let bytes = tail.as_flattened_mut();
            bytes[..rest.len()].copy_from_slice(rest);
            bytes[rest.len()] = 0x80;
            let tail_blocks = if rest.len() < 56 { 1 } else { 2 };
            let bits = (message.len() as u64).wrapping_mul(8);
            bytes[tail_blocks * 64 - 8..tail_blocks * 64].copy_from_slice(&bits.to_be_bytes());
            Padded {
                whole,
                tail,
                tail_blocks,
            }
        }

        fn len(&self) -> usize {
            self.whole.len() + self.tail_blocks
        }

        fn blocks(&self) -> impl Iterator<Item = &[u8; 64]> {
            self.whole.iter().chain(&self.tail[..self.tail_blocks])
        }
    }

    /// The SHA-256 of `a` and of `b`, their blocks hashed side by side.
    ///
    /// # Safety
    /// The CPU must have the instructions `available` checks for.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub unsafe fn digest_pair(a: &[u8], b: &[u8]) -> (ContentHash, ContentHash) {
        let (a, b) = (Padded::new(a), Padded::new(b));
        let (mut state_a, mut state_b) = (INITIAL, INITIAL);
        let (mut blocks_a, mut blocks_b) = (a.blocks(), b.blocks());
        let side_by_side = a.len().min(b.len());
        // SAFETY: the caller guarantees the CPU features.
        unsafe {
            compress_pair(
                &mut state_a,
                blocks_a.by_ref().take(side_by_side),
                &mut state_b,
                blocks_b.by_ref().take(side_by_side),
            );
        }
        // What is left of the longer one, alone.
        for (state, rest) in [(&mut state_a, blocks_a), (&mut state_b, blocks_b)] {
            for block in rest {
                sha2::compress256(state, &[*GenericArray::from_slice(block)]);
            }
        }
        (to_bytes(&state_a), to_bytes(&state_b))
    }

    fn to_bytes(state: &[u32; 8]) -> ContentHash {
        let mut hash = [0; 32];
        for (bytes, word) in hash.chunks_exact_mut(4).zip(state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        hash
    }

    /// Four rounds of each message: `wa`, `wb` are their next four schedule words.
    macro_rules! rounds {
        ($abef_a:ident, $cdgh_a:ident, $abef_b:ident, $cdgh_b:ident, $wa:expr, $wb:expr, $i:expr) => {{
            let k = _mm_loadu_si128(K.as_ptr().add(4 * $i).cast());
            let ta = _mm_add_epi32($wa, k);
            let tb = _mm_add_epi32($wb, k);
            $cdgh_a = _mm_sha256rnds2_epu32($cdgh_a, $abef_a, ta);
            $cdgh_b = _mm_sha256rnds2_epu32($cdgh_b, $abef_b, tb);
            $abef_a = _mm_sha256rnds2_epu32($abef_a, $cdgh_a, _mm_shuffle_epi32(ta, 0x0E));
            $abef_b = _mm_sha256rnds2_epu32($abef_b, $cdgh_b, _mm_shuffle_epi32(tb, 0x0E));
        }};
    }

    /// The next four schedule words into `w0`, from the last sixteen (`w0` oldest).
    macro_rules! schedule {
        ($w0:ident, $w1:ident, $w2:ident, $w3:ident) => {
            $w0 = _mm_sha256msg2_epu32(
                _mm_add_epi32(_mm_sha256msg1_epu32($w0, $w1), _mm_alignr_epi8($w3, $w2, 4)),
                $w3,
            )
        };
    }

    /// Compresses the blocks of two messages into their states, one block of each at a time:
    /// the Intel SHA extensions' sequence for one message, twice, interleaved.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn compress_pair<'b>(
        state_a: &mut [u32; 8],
        blocks_a: impl Iterator<Item = &'b [u8; 64]>,
        state_b: &mut [u32; 8],
        blocks_b: impl Iterator<Item = &'b [u8; 64]>,
    ) {
        let mask = _mm_set_epi64x(0x0C0D_0E0F_0809_0A0B, 0x0405_0607_0001_0203);
        let (mut abef_a, mut cdgh_a) = load(state_a);
        let (mut abef_b, mut cdgh_b) = load(state_b);
        for (block_a, block_b) in blocks_a.zip(blocks_b) {
            let saved = (abef_a, cdgh_a, abef_b, cdgh_b);
            let (pa, pb) = (block_a.as_ptr().cast::<__m128i>(), block_b.as_ptr().cast());
            // SAFETY: each block is 64 readable bytes; unaligned loads.
            let (mut a0, mut a1, mut a2, mut a3, mut b0, mut b1, mut b2, mut b3) = unsafe {
                (
                    _mm_shuffle_epi8(_mm_loadu_si128(pa), mask),
                    _mm_shuffle_epi8(_mm_loadu_si128(pa.add(1)), mask),
                    _mm_shuffle_epi8(_mm_loadu_si128(pa.add(2)), mask),
                    _mm_shuffle_epi8(_mm_loadu_si128(pa.add(3)), mask),
                    _mm_shuffle_epi8(_mm_loadu_si128(pb), mask),
                    _mm_shuffle_epi8(_mm_loadu_si128(pb.add(1)), mask),
                    _mm_shuffle_epi8(_mm_loadu_si128(pb.add(2)), mask),
                    _mm_shuffle_epi8(_mm_loadu_si128(pb.add(3)), mask),
                )
            };
            // SAFETY: `K` has 64 words, `rounds!` reads words 4i..4i+4 for i < 16.
            unsafe {
                rounds!(abef_a, cdgh_a, abef_b, cdgh_b, a0, b0, 0);
                rounds!(abef_a, cdgh_a, abef_b, cdgh_b, a1, b1, 1);
                rounds!(abef_a, cdgh_a, abef_b, cdgh_b, a2, b2, 2);
                rounds!(abef_a, cdgh_a, abef_b, cdgh_b, a3, b3, 3);
                for i in 1..4 {
                    schedule!(a0, a1, a2, a3);
                    schedule!(b0, b1, b2, b3);
                    rounds!(abef_a, cdgh_a, abef_b, cdgh_b, a0, b0, 4 * i);
                    schedule!(a1, a2, a3, a0);
                    schedule!(b1, b2, b3, b0);
                    rounds!(abef_a, cdgh_a, abef_b, cdgh_b, a1, b1, 4 * i + 1);
                    schedule!(a2, a3, a0, a1);
                    schedule!(b2, b3, b0, b1);
                    rounds!(abef_a, cdgh_a, abef_b, cdgh_b, a2, b2, 4 * i + 2);
                    schedule!(a3, a0, a1, a2);
                    schedule!(b3, b0, b1, b2);
                    rounds!(abef_a, cdgh_a, abef_b, cdgh_b, a3, b3, 4 * i + 3);
                }
            }
            abef_a = _mm_add_epi32(abef_a, saved.0);
            cdgh_a = _mm_add_epi32(cdgh_a, saved.1);
            abef_b = _mm_add_epi32(abef_b, saved.2);
            cdgh_b = _mm_add_epi32(cdgh_b, saved.3);
        }
        store(state_a, abef_a, cdgh_a);
        store(state_b, abef_b, cdgh_b);
    }

    /// The state words in the order the round instructions take them.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn load(state: &[u32; 8]) -> (__m128i, __m128i) {
        let p = state.as_ptr().cast::<__m128i>();
        // SAFETY: the state is 32 readable bytes; unaligned loads.
        let (dcba, efgh) = unsafe { (_mm_loadu_si128(p), _mm_loadu_si128(p.add(1))) };
        let cdab = _mm_shuffle_epi32(dcba, 0xB1);
        let efgh = _mm_shuffle_epi32(efgh, 0x1B);
        (
            _mm_alignr_epi8(cdab, efgh, 8),
            _mm_blend_epi16(efgh, cdab, 0xF0),
        )
    }

    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn store(state: &mut [u32; 8], abef: __m128i, cdgh: __m128i) {
        let feba = _mm_shuffle_epi32(abef, 0x1B);
        let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
        let p = state.as_mut_ptr().cast::<__m128i>();
        // SAFETY: the state is 32 writable bytes; unaligned stores.
        unsafe {
            _mm_storeu_si128(p, _mm_blend_epi16(feba, dchg, 0xF0));
            _mm_storeu_si128(p.add(1), _mm_alignr_epi8(dchg, feba, 8));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_and_pairing_matches_sha2() {
        let bytes: Vec<u8> = (0..3000u32).map(|i| (i * 31 % 251) as u8).collect();
        // Lengths around the padding's edges (55, 56, 64) and pairs of unequal length.
        let lengths = [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 2999, 3000];
        let messages: Vec<&[u8]> = lengths
            .iter()
            .flat_map(|a| lengths.iter().flat_map(move |b| [*a, *b]))
            .map(|len| &bytes[..len])
            .collect();
        let expected: Vec<ContentHash> = messages.iter().map(|m| digest(m)).collect();
        assert_eq!(digest_all(&messages), expected);
        assert_eq!(digest_all(&messages[..3]), expected[..3]);
    }
}
