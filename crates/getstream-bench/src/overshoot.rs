//! Bench 3: how far past its deadline a wait returns when the server never answers.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::emu::Target;
use crate::{BoxError, measure};

/// `runs` waits with `timeout` on `task_id`, whose status requests hang (the caller
/// injects the fault); one after another.
pub async fn run(
    target: &Target,
    task_id: &str,
    timeout: Duration,
    runs: u32,
) -> Result<Value, BoxError> {
    let client = getstream_tasks::Client::builder(&target.api_key, &target.api_secret)
        .base_url(&target.base_url)
        .build()?;
    let mut overshoots = Vec::new();
    let mut timeouts = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let result = client.wait_for_task(task_id).timeout(timeout).await;
        let elapsed = t0.elapsed();
        if matches!(&result, Err(getstream_tasks::Error::Transport(e)) if e.is_timeout()) {
            timeouts += 1;
        }
        overshoots.push((elapsed.as_secs_f64() - timeout.as_secs_f64()) * 1e3);
    }
    let mut sorted = overshoots.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(json!({
        "impl": "ours",
        "runs": runs,
        "timeout_errors": timeouts,
        "overshoot_ms": overshoots,
        "median_ms": measure::quantile(&sorted, 0.5),
        "max_ms": sorted.last().copied().unwrap_or(f64::NAN),
    }))
}
