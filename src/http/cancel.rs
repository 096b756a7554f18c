//! Signals as the HTTP layer sees them: a first one starts no new attempt and ends waits, a
//! second one drops the attempts in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Signals: a first one (soft) starts no new attempt and ends waits; a second one (hard) also
/// drops attempts in flight. The first signal's number decides the exit code (128 + n).
///
/// Two tokens: `soft` is a child of `hard`, so a hard cancel is a soft one too.
#[derive(Debug, Clone)]
pub struct Cancel {
    soft: CancellationToken,
    hard: CancellationToken,
    signal: Arc<AtomicI32>,
}

impl Default for Cancel {
    fn default() -> Self {
        let hard = CancellationToken::new();
        Cancel {
            soft: hard.child_token(),
            hard,
            signal: Arc::default(),
        }
    }
}

impl Cancel {
    /// The first signal (`sig` is its number); later calls keep the first number.
    pub fn cancel(&self, sig: i32) {
        let _ = self
            .signal
            .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
        self.soft.cancel();
    }

    /// Drops the requests in flight too.
    pub fn cancel_hard(&self) {
        self.hard.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.soft.is_cancelled()
    }

    /// The number of the first signal, if one came.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }

    /// Resolves once a soft cancel (or more) has happened.
    pub async fn cancelled(&self) {
        self.soft.cancelled().await
    }

    /// Resolves once a hard cancel has happened.
    pub async fn hard(&self) {
        self.hard.cancelled().await
    }

    /// Sleeps for `d`, or less if cancelled. Returns false when cancelled.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.is_cancelled(),
            _ = self.cancelled() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_keeps_the_first_signal() {
        let c = Cancel::default();
        assert_eq!(c.signal(), None);
        assert!(c.sleep(Duration::from_millis(1)).await);
        c.cancel(15);
        c.cancel(2);
        assert_eq!(c.signal(), Some(15));
        assert!(c.is_cancelled());
        let not_hard = tokio::time::timeout(Duration::from_millis(5), c.hard()).await;
        assert!(not_hard.is_err(), "a first signal is not a hard cancel");
        assert!(!c.sleep(Duration::from_secs(60)).await);
        c.cancel_hard();
        c.hard().await;
    }

    #[tokio::test]
    async fn a_hard_cancel_alone_is_a_soft_one_too() {
        let c = Cancel::default();
        c.cancel_hard();
        assert!(c.is_cancelled());
        c.cancelled().await;
        assert_eq!(c.signal(), None);
    }
}
