//! Signals as the HTTP layer sees them: a first one starts no new attempt and ends waits, a
//! second one drops the attempts in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Signals: a first one (soft) starts no new attempt and ends waits; a second one (hard) also
/// drops attempts in flight. The first signal's number decides the exit code (128 + n).
#[derive(Debug, Default, Clone)]
pub struct Cancel {
    inner: Arc<CancelState>,
}

#[derive(Debug, Default)]
struct CancelState {
    soft: AtomicBool,
    hard: AtomicBool,
    signal: AtomicI32,
    notify: Notify,
}

impl Cancel {
    /// The first signal (`sig` is its number); later calls keep the first number.
    pub fn cancel(&self, sig: i32) {
        let _ = self
            .inner
            .signal
            .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
        self.inner.soft.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// Drops the requests in flight too.
    pub fn cancel_hard(&self) {
        self.inner.hard.store(true, Ordering::SeqCst);
        self.inner.soft.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.soft.load(Ordering::SeqCst)
    }

    pub fn is_hard(&self) -> bool {
        self.inner.hard.load(Ordering::SeqCst)
    }

    /// The number of the first signal, if one came.
    pub fn signal(&self) -> Option<i32> {
        match self.inner.signal.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }

    /// Resolves once a soft cancel (or more) has happened.
    pub async fn cancelled(&self) {
        loop {
            let n = self.inner.notify.notified();
            if self.is_cancelled() {
                return;
            }
            n.await;
        }
    }

    /// Resolves once a hard cancel has happened.
    pub async fn hard(&self) {
        loop {
            let n = self.inner.notify.notified();
            if self.is_hard() {
                return;
            }
            n.await;
        }
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
        assert!(c.is_cancelled() && !c.is_hard());
        assert!(!c.sleep(Duration::from_secs(60)).await);
        c.cancel_hard();
        c.hard().await;
    }
}
