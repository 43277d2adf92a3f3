//! The server secret and what is made with it: random codes and tokens from the OS, and keyed
//! hashes, so that the database alone reveals no code, session, link or key.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::edge::store::auth::SecretHash;

const SECRET_LEN: usize = 32;

/// What a hash is of: the same secret value never hashes alike for two purposes.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    LoginCode,
    Session,
    MagicLink,
    ApiKey,
    /// The tag that makes a list's page cursor tamper-evident.
    ListCursor,
    /// The key stream and check tag that seal an organization's webhook signing secret.
    WebhookSecret,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::LoginCode => b"login-code",
            Purpose::Session => b"session",
            Purpose::MagicLink => b"magic-link",
            Purpose::ApiKey => b"api-key",
            Purpose::ListCursor => b"list-cursor",
            Purpose::WebhookSecret => b"webhook-secret",
        }
    }
}

pub struct ServerSecret {
    key: [u8; SECRET_LEN],
}

impl ServerSecret {
    /// Reads the secret from `file`, creating it (readable by the owner only) on first start.
    pub fn load_or_create(file: &Path) -> io::Result<ServerSecret> {
        match fs::read(file) {
            Ok(bytes) => {
                let key: [u8; SECRET_LEN] = decode_hex(bytes.trim_ascii())
                    .and_then(|k| k.try_into().ok())
                    .ok_or_else(|| {
                        io::Error::other(format!(
                            "{}: expected {} hex-encoded random bytes",
                            file.display(),
                            SECRET_LEN
                        ))
                    })?;
                Ok(ServerSecret { key })
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let mut key = [0u8; SECRET_LEN];
                fill_random(&mut key)?;
                write_private(file, format!("{}\n", hex(&key)).as_bytes())?;
                Ok(ServerSecret { key })
            }
            Err(err) => Err(io::Error::other(format!("{}: {err}", file.display()))),
        }
    }

    /// HMAC-SHA-256 over the purpose and the parts, each length-prefixed.
    pub fn hash(&self, purpose: Purpose, parts: &[&str]) -> SecretHash {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(purpose.label());
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether `stored` is the hash of `parts`, compared in constant time.
    pub fn matches(&self, purpose: Purpose, parts: &[&str], stored: &[u8]) -> bool {
        self.hash(purpose, parts).ct_eq(stored).into()
    }
}

/// A uniformly random six-digit code.
pub fn six_digit_code() -> io::Result<String> {
    // Rejection sampling: the largest multiple of 10^6 below 2^32 keeps every code equally likely.
    const LIMIT: u32 = u32::MAX - (u32::MAX % 1_000_000);
    loop {
        let mut bytes = [0u8; 4];
        fill_random(&mut bytes)?;
        let n = u32::from_le_bytes(bytes);
        if n < LIMIT {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

/// `bytes` random bytes, hex-encoded.
pub fn random_token(bytes: usize) -> io::Result<String> {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf)?;
    Ok(hex(&buf))
}

fn fill_random(buf: &mut [u8]) -> io::Result<()> {
    getrandom::fill(buf).map_err(|e| io::Error::other(format!("no randomness from the OS: {e}")))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// Writes a new file only its owner can read.
fn write_private(file: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options
        .open(file)
        .map_err(|e| io::Error::other(format!("{}: {e}", PathBuf::from(file).display())))?;
    out.write_all(bytes)?;
    out.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::BTreeSet<String> =
            (0..50).map(|_| six_digit_code().unwrap()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(codes.len() > 45);
    }

    #[test]
    fn the_secret_persists_and_keys_the_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret.key");
        let first = ServerSecret::load_or_create(&file).unwrap();
        let again = ServerSecret::load_or_create(&file).unwrap();
        let hash = first.hash(Purpose::LoginCode, &["lumio", "a@b.c", "123456"]);
        assert!(again.matches(Purpose::LoginCode, &["lumio", "a@b.c", "123456"], &hash));
        assert!(!again.matches(Purpose::Session, &["lumio", "a@b.c", "123456"], &hash));
        assert!(!again.matches(Purpose::LoginCode, &["lumio", "a@b.c1", "23456"], &hash));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
