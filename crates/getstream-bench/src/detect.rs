//! Bench 4: detection latency (task completion -> wait returns) vs requests made,
//! per poll policy, over tasks completing at various times.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use getstream_tasks::PollPolicy;
use serde_json::{Value, json};

use crate::emu::{Admin, Target};
use crate::{BoxError, measure};

/// A poll policy under test.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Label in the table.
    pub name: String,
    /// Applies the policy to a wait.
    pub apply: fn(getstream_tasks::WaitForTask) -> getstream_tasks::WaitForTask,
}

/// The policies measured.
pub fn policies() -> Vec<Policy> {
    vec![
        Policy {
            name: "fixed 1 s (default)".into(),
            apply: |w| w,
        },
        Policy {
            name: "fixed 250 ms".into(),
            apply: |w| w.interval(Duration::from_millis(250)),
        },
        Policy {
            name: "backoff 1 s ×2, cap 30 s".into(),
            apply: |w| {
                w.policy(PollPolicy::backoff(
                    Duration::from_secs(1),
                    2.0,
                    Duration::from_secs(30),
                ))
            },
        },
        Policy {
            name: "backoff 250 ms ×1.5, cap 4 s".into(),
            apply: |w| {
                w.policy(PollPolicy::backoff(
                    Duration::from_millis(250),
                    1.5,
                    Duration::from_secs(4),
                ))
            },
        },
    ]
}

/// For each completion time in `completions` (repeated `reps` times), one scripted
/// task, and for each policy one wait started when the task is created. All run at once.
pub async fn run(target: &Target, completions: &[Duration], reps: u32) -> Result<Value, BoxError> {
    let admin = Admin::new(&target.base_url)?;
    let client = getstream_tasks::Client::builder(&target.api_key, &target.api_secret)
        .base_url(&target.base_url)
        .build()?;
    let policies = policies();
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let mut waits = Vec::new();
    for rep in 0..reps {
        for (ci, &complete_after) in completions.iter().enumerate() {
            let id = format!("detect-{run_id}-{rep}-{ci}");
            admin
                .script_task(
                    &id,
                    &[("running", complete_after), ("completed", Duration::ZERO)],
                    json!({}),
                )
                .await?;
            // The script's clock starts when the server creates the task, which is
            // before this instant by at most one round trip (~0.1 ms on loopback).
            let completes_at = Instant::now() + complete_after;
            for (pi, policy) in policies.iter().enumerate() {
                let polls = Arc::new(AtomicU32::new(0));
                let counter = polls.clone();
                let wait = (policy.apply)(
                    client
                        .wait_for_task(id.clone())
                        .timeout(complete_after + Duration::from_secs(120)),
                )
                .on_poll(move |_| {
                    counter.fetch_add(1, Ordering::Relaxed);
                });
                waits.push(tokio::spawn(async move {
                    let result = wait.await;
                    let done = Instant::now();
                    (
                        pi,
                        ci,
                        result.is_ok(),
                        done.saturating_duration_since(completes_at),
                        polls.load(Ordering::Relaxed),
                    )
                }));
            }
        }
    }
    // rows[policy][completion] = (latencies ms, polls)
    let mut rows = vec![vec![(Vec::new(), Vec::new()); completions.len()]; policies.len()];
    let mut failures = 0;
    for w in waits {
        let (pi, ci, ok, latency, polls) = w.await?;
        if !ok {
            failures += 1;
        }
        rows[pi][ci].0.push(latency.as_secs_f64() * 1e3);
        rows[pi][ci].1.push(f64::from(polls));
    }
    let mut out = Vec::new();
    for (pi, policy) in policies.iter().enumerate() {
        let mut per = Vec::new();
        let (mut all_lat, mut all_polls) = (Vec::new(), 0.0);
        for (ci, c) in completions.iter().enumerate() {
            let (lat, polls) = &rows[pi][ci];
            let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
            per.push(json!({
                "complete_after_s": c.as_secs_f64(),
                "latency_ms_mean": mean(lat),
                "polls_mean": mean(polls),
            }));
            all_lat.extend(lat.iter().copied());
            all_polls += polls.iter().sum::<f64>();
        }
        all_lat.sort_by(f64::total_cmp);
        let count = all_lat.len().max(1) as f64;
        out.push(json!({
            "policy": policy.name,
            "per_completion": per,
            "latency_ms_mean": all_lat.iter().sum::<f64>() / count,
            "latency_ms_p50": measure::quantile(&all_lat, 0.5),
            "latency_ms_max": all_lat.last().copied().unwrap_or(f64::NAN),
            "polls_mean": all_polls / count,
        }));
    }
    Ok(json!({"failures": failures, "policies": out}))
}
