//! The MemoryDepot's contract.

use std::sync::Arc;

use scep::{Depot, MemoryDepot};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serials_are_unique_under_concurrency_and_never_1() {
    let depot = Arc::new(MemoryDepot::new(crate::support::ca_identity("depot test")));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let depot = depot.clone();
            tokio::spawn(async move { depot.next_serial().await.unwrap() })
        })
        .collect();
    let mut serials = Vec::new();
    for task in tasks {
        serials.push(task.await.unwrap());
    }
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), 200);
    assert!(!serials.contains(&vec![1]));
    assert!(
        serials.iter().all(|s| s[0] & 0x80 == 0),
        "serials stay positive"
    );
}
