//! Many devices at once, a bounded number in flight.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Runs `task(item)` for every item, at most `limit` at a time, each on the
/// runtime's worker threads, and returns the outputs in the items' order.
/// A task that panics yields `Err` with the panic's message.
pub async fn run_concurrently<T, R, F, Fut>(
    items: Vec<T>,
    limit: usize,
    task: F,
) -> Vec<anyhow::Result<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = anyhow::Result<R>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let mut set = JoinSet::new();
    let count = items.len();
    for (index, item) in items.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        let future = task(item);
        set.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            (index, future.await)
        });
    }
    let mut outputs: Vec<Option<anyhow::Result<R>>> = (0..count).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((index, output)) => outputs[index] = Some(output),
            Err(e) => {
                // The index is lost with the task; fill the first gap.
                if let Some(slot) = outputs.iter_mut().find(|slot| slot.is_none()) {
                    *slot = Some(Err(anyhow::anyhow!("device task failed: {e}")));
                }
            }
        }
    }
    outputs
        .into_iter()
        .map(|output| output.unwrap_or_else(|| Err(anyhow::anyhow!("device task lost"))))
        .collect()
}
