//! The edge's notion of now. Tests move time forward without waiting: when the environment
//! variable `PORTALGEN_CLOCK_FILE` names a file, "now" is the unix time written in it (read on
//! every call), so expiry rules are tested against the running binary.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub const CLOCK_FILE_ENV: &str = "PORTALGEN_CLOCK_FILE";

#[derive(Debug, Clone, Default)]
pub struct Clock {
    file: Option<PathBuf>,
}

impl Clock {
    pub fn from_env() -> Clock {
        Clock {
            file: std::env::var_os(CLOCK_FILE_ENV).map(PathBuf::from),
        }
    }

    /// Unix seconds.
    pub fn now(&self) -> i64 {
        let fixed = self.file.as_ref().and_then(|file| {
            std::fs::read_to_string(file)
                .ok()
                .and_then(|text| text.trim().parse::<i64>().ok())
        });
        fixed.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
    }

    pub fn timestamp(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_second(self.now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
}
