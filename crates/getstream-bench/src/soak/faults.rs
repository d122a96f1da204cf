//! The fault injector: through the admin API, in turn, 5xx and 429 answers,
//! dropped connections and delays on the routes the clients use, failures of
//! the next jobs, and now and then a clear of every fault.
//!
//! Every injected answer carries [`FAULT_MARKER`] in its body, so a client can
//! tell it from the emulator's own. No delay is put on the task route: its
//! latency is what the soak measures. No fault touches the setup routes
//! (creating users and channels).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Ctx;
use super::ledger::bump;
use super::raw::FAULT_MARKER;

/// The error `type` of an injected job failure.
pub const INJECTED_FAILURE: &str = "SoakInjectedFailure";

/// Routes that may drop a connection (a client there may see no answer).
pub const DROPPING_ROUTES: [&str; 2] = ["/api/v2/tasks/", "/api/v2/users/delete"];

/// One step of the schedule: a fault body for `POST /_emulator/faults`, or
/// a job-failure body for `POST /_emulator/job-failures`, or a clear.
enum Step {
    Fault(Value),
    FailJobs(Value),
    Clear,
}

fn marked(status: u16) -> Value {
    json!({
        "code": 0,
        "message": "injected by the soak",
        "StatusCode": status,
        FAULT_MARKER: true
    })
}

fn respond(route: &str, status: u16, times: u32, retry_after: Option<&str>) -> Step {
    let mut fault = json!({
        "route": route,
        "action": "respond",
        "status": status,
        "body": marked(status),
        "times": times,
    });
    if let Some(after) = retry_after {
        fault["retry_after"] = after.into();
    }
    Step::Fault(fault)
}

fn schedule() -> Vec<Step> {
    const TASK: &str = "GET /api/v2/tasks/{id}";
    const EXPORT: &str = "POST /api/v2/chat/export_channels";
    const DOWNLOAD: &str = "GET /_emulator/exports/{file}";
    vec![
        respond(TASK, 503, 3, Some("1")),
        respond(EXPORT, 500, 2, None),
        Step::Fault(json!({"route": TASK, "action": "drop", "times": 2})),
        Step::FailJobs(json!({"job": "export_channels", "count": 1,
            "error": {"type": INJECTED_FAILURE, "description": "injected by the soak"}})),
        Step::Fault(json!({"route": EXPORT, "action": "delay", "delay_ms": 300, "times": 3})),
        respond(TASK, 429, 2, Some("1")),
        respond(DOWNLOAD, 502, 1, None),
        Step::Fault(json!({"route": DOWNLOAD, "action": "delay", "delay_ms": 200, "times": 2})),
        respond("POST /api/v2/export/users", 503, 1, Some("1")),
        Step::Fault(json!({"route": "POST /api/v2/users/delete", "action": "drop", "times": 1})),
        Step::FailJobs(json!({"job": "delete_users", "count": 1,
            "error": {"type": INJECTED_FAILURE, "description": "injected by the soak"}})),
        respond(TASK, 500, 2, None),
        Step::Fault(
            json!({"route": "POST /api/v2/chat/channels/delete", "action": "delay", "delay_ms": 250, "times": 2}),
        ),
        Step::Clear,
    ]
}

/// Injects the schedule's next step every `every`, round and round, until
/// the load ends; then clears every fault (the final check runs clean).
pub async fn inject(ctx: Arc<Ctx>, every: Duration) {
    let steps = schedule();
    let mut i = 0usize;
    while ctx.running() {
        tokio::time::sleep(every).await;
        if !ctx.running() {
            break;
        }
        let c = &ctx.ledger.counters;
        let done = match &steps[i % steps.len()] {
            Step::Fault(f) => ctx
                .admin
                .post("/_emulator/faults", f.clone())
                .await
                .map(|_| bump(&c.faults)),
            Step::FailJobs(f) => ctx
                .admin
                .post("/_emulator/job-failures", f.clone())
                .await
                .map(|_| {
                    c.job_failures.fetch_add(
                        f["count"].as_u64().unwrap_or(1),
                        std::sync::atomic::Ordering::Relaxed,
                    );
                }),
            Step::Clear => ctx
                .admin
                .clear_faults()
                .await
                .map(|()| bump(&c.fault_clears)),
        };
        if let Err(e) = done {
            bump(&c.admin_errors);
            ctx.ledger
                .violation(format!("the admin API refused a step: {e}"));
        }
        i += 1;
    }
    if let Err(e) = ctx.admin.clear_faults().await {
        ctx.ledger
            .violation(format!("clearing the faults at the end failed: {e}"));
    }
}
