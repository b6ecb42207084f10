//! Waiting for something that happens in the background.

/// Polls `read` every 50 ms until it yields a value, or `None` after
/// `timeout`. Tests wait for conditions this way, never for a fixed time.
pub async fn poll_until<T>(
    timeout: std::time::Duration,
    mut read: impl AsyncFnMut() -> Option<T>,
) -> Option<T> {
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = read().await {
            return Some(value);
        }
        if started.elapsed() >= timeout {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// [`poll_until`], failing the test after `timeout`.
pub async fn eventually<T>(
    timeout: std::time::Duration,
    what: &str,
    read: impl AsyncFnMut() -> Option<T>,
) -> T {
    match poll_until(timeout, read).await {
        Some(value) => value,
        None => panic!("timed out waiting for {what}"),
    }
}
