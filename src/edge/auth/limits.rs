//! Per-client limits (by IP address), kept in memory: a client that hammers the sign-in
//! endpoints is slowed down whatever addresses or tokens it tries. Per-address limits live in
//! the store (see `codes`), so they hold across restarts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::edge::api::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    RequestCode,
    VerifyCode,
    UseMagicLink,
}

impl Action {
    /// At most this many per client within `WINDOW` seconds.
    fn allowed(self) -> usize {
        match self {
            Action::RequestCode => 10,
            Action::VerifyCode => 30,
            Action::UseMagicLink => 30,
        }
    }
}

const WINDOW: i64 = 600;
/// Above this many tracked clients, windows that ran out are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct ClientLimits {
    recent: Mutex<HashMap<(String, Action), VecDeque<i64>>>,
}

impl ClientLimits {
    /// Counts one `action` of `client` at `now`, or refuses it with the seconds to wait.
    pub fn check(&self, client: &str, action: Action, now: i64) -> Result<(), ApiError> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() > PRUNE_ABOVE {
            recent.retain(|_, times| times.back().is_some_and(|t| now - t < WINDOW));
        }
        let times = recent.entry((client.to_owned(), action)).or_default();
        while times.front().is_some_and(|t| now - t >= WINDOW) {
            times.pop_front();
        }
        if times.len() >= action.allowed() {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(ApiError::too_many_requests((oldest + WINDOW - now) as u64));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_refused_until_its_window_moves_on() {
        let limits = ClientLimits::default();
        for i in 0..10 {
            limits
                .check("10.0.0.1", Action::RequestCode, 1000 + i)
                .unwrap();
        }
        let refused = limits
            .check("10.0.0.1", Action::RequestCode, 1010)
            .unwrap_err();
        assert_eq!(refused.status, 429);
        assert_eq!(refused.retry_after, Some(590));
        limits.check("10.0.0.2", Action::RequestCode, 1010).unwrap();
        limits.check("10.0.0.1", Action::VerifyCode, 1010).unwrap();
        limits.check("10.0.0.1", Action::RequestCode, 1600).unwrap();
    }
}
