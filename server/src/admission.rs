//! Admission of computations: synchronous requests and batch jobs share one memory budget. Each computation
//! reserves its tile budget (`memory_budget_mib`) from the total (`memory_total_mib`, by default `worker_slots`
//! computations' worth) before it reads anything, and gives it back when it ends. Beyond the budget, synchronous
//! requests wait in a bounded queue and are answered `503 InfrastructureBusy` with `Retry-After` past it; batch
//! jobs wait as `queued`, and starting more than `job_queue_max` of them at once is answered the same way.
//! Downloads are streamed in small buffers and need no reservation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The shared budget and the synchronous queue.
pub(crate) struct Admission {
    memory_mib: Arc<Semaphore>,
    per_computation_mib: u32,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// The budget is fully used and the queue is full: come back later.
#[derive(Debug)]
pub(crate) struct Busy {
    /// Seconds after which a retry is sensible.
    pub(crate) retry_after: u64,
}

/// A computation's reservation; released when dropped.
pub(crate) struct Reservation {
    _permit: OwnedSemaphorePermit,
}

/// Counts a waiting request for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    /// A budget of `total_mib` for computations of `per_computation_mib` each (at least one computation fits),
    /// with at most `max_waiting` synchronous requests waiting.
    pub(crate) fn new(total_mib: usize, per_computation_mib: usize, max_waiting: usize) -> Admission {
        let per = per_computation_mib.clamp(1, u32::MAX as usize);
        let total = total_mib.max(per).min(Semaphore::MAX_PERMITS);
        Admission {
            memory_mib: Arc::new(Semaphore::new(total)),
            per_computation_mib: per as u32,
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// Waits for a reservation, unless `max_waiting` requests already wait.
    ///
    /// # Errors
    /// [`Busy`] when the queue is full.
    pub(crate) async fn admit_sync(&self) -> Result<Reservation, Busy> {
        if let Ok(p) = self.memory_mib.clone().try_acquire_many_owned(self.per_computation_mib) {
            return Ok(Reservation { _permit: p });
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy { retry_after: 5 });
        }
        let _waiting = Waiting(&self.waiting);
        self.admit().await.ok_or(Busy { retry_after: 5 })
    }

    /// Waits for a reservation (batch jobs, which wait as `queued`); `None` only if the budget was closed.
    pub(crate) async fn admit(&self) -> Option<Reservation> {
        self.memory_mib
            .clone()
            .acquire_many_owned(self.per_computation_mib)
            .await
            .ok()
            .map(|p| Reservation { _permit: p })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_queue_answers_busy() {
        let a = Arc::new(Admission::new(512, 256, 1));
        let r1 = a.admit_sync().await.unwrap();
        let _r2 = a.admit_sync().await.unwrap();
        // the third waits (queue of one), the fourth is refused
        let waiter = {
            let a = a.clone();
            tokio::spawn(async move { a.admit_sync().await.is_ok() })
        };
        while a.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(a.admit_sync().await.is_err());
        drop(r1);
        assert!(waiter.await.unwrap());
    }
}
