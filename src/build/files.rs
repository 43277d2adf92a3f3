//! A file of a bundle, held in memory with its content hash until it is written.

use std::sync::Arc;

use sha2::{Digest, Sha256};

pub type ContentHash = [u8; 32];

#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Path inside the slug's bundle, '/'-separated, no leading slash.
    pub path: String,
    /// Shared, so one theme asset serves every bundle without copies.
    pub content: Arc<Vec<u8>>,
    pub hash: ContentHash,
}

impl OutputFile {
    pub fn new(path: impl Into<String>, content: Vec<u8>) -> Self {
        let hash = Sha256::digest(&content).into();
        Self::with_hash(path, content, hash)
    }

    /// A file whose content hash is known already (`sha256_pairs` hashes many at once).
    pub fn with_hash(path: impl Into<String>, content: Vec<u8>, hash: ContentHash) -> Self {
        OutputFile {
            path: path.into(),
            content: Arc::new(content),
            hash,
        }
    }

    /// The same content under another path (shared assets keep their computed hash).
    pub fn at(&self, path: impl Into<String>) -> Self {
        OutputFile {
            path: path.into(),
            ..self.clone()
        }
    }

    pub fn hash_hex(&self) -> String {
        hex(&self.hash)
    }
}

/// Lower-case hex digits; by table, as every file of every bundle needs its hash in hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
        .map(char::from)
        .collect()
}

/// The short content hash used in asset file names.
pub fn short_hash(hash: &ContentHash) -> String {
    hex(&hash[..5])
}

/// `dir/name.ext` → `dir/name.<hash>.ext`.
pub fn hashed_name(path: &str, hash: &ContentHash) -> String {
    let (dir, file) = path.rsplit_once('/').map_or(("", path), |(d, f)| (d, f));
    let hashed = match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.{}.{ext}", short_hash(hash)),
        _ => format!("{file}.{}", short_hash(hash)),
    };
    if dir.is_empty() {
        hashed
    } else {
        format!("{dir}/{hashed}")
    }
}

/// Hash over many named parts, e.g. every module of a script folder.
pub fn combined_hash<'a>(parts: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> ContentHash {
    let mut hasher = Sha256::new();
    for (name, bytes) in parts {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn hashed_names_keep_folder_and_extension() {
        let hash = [0xab; 32];
        assert_eq!(
            hashed_name("icons/search.svg", &hash),
            "icons/search.ababababab.svg"
        );
        assert_eq!(hashed_name("app.css", &hash), "app.ababababab.css");
        assert_eq!(hashed_name(".env", &hash), ".env.ababababab");
    }
}
