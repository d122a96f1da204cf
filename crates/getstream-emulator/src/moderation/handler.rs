//! `POST /api/v2/moderation/bulk_image_moderation`: checks `csv_file` and starts the task.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::job::{BulkImageJob, work};
use super::policy::parse_http;
use crate::handlers::starter::JobStarter;
use crate::http::error::{ApiError, duration};
use crate::http::extract::ApiJson;
use crate::jobs::job::JobKind;
use crate::state::EmulatorState;

/// The longest `csv_file` accepted.
pub(crate) const MAX_CSV_URL_LEN: usize = 2048;

/// The request body.
#[derive(Debug, Deserialize)]
pub(crate) struct BulkImageModerationRequest {
    csv_file: Option<String>,
}

/// `POST /api/v2/moderation/bulk_image_moderation`: `201 {task_id, duration}`. A missing or
/// empty `csv_file`, one longer than [`MAX_CSV_URL_LEN`], or one that is not an absolute
/// http(s) URL is a 400 and starts nothing. Whether the emulator may fetch it is the task's
/// to say (it fails then), as Stream's would fail on a URL it cannot read.
pub(crate) async fn bulk_image_moderation(
    State(state): State<EmulatorState>,
    jobs: JobStarter,
    ApiJson(req): ApiJson<BulkImageModerationRequest>,
) -> Result<Response, ApiError> {
    let csv_file = req.csv_file.unwrap_or_default().trim().to_owned();
    if csv_file.is_empty() {
        return Err(ApiError::field("csv_file", "is required"));
    }
    if csv_file.len() > MAX_CSV_URL_LEN {
        return Err(ApiError::field(
            "csv_file",
            format!("is longer than {MAX_CSV_URL_LEN} characters"),
        ));
    }
    parse_http(&csv_file).map_err(|e| ApiError::field("csv_file", e.to_string()))?;
    let task_id = jobs.submit_work(
        JobKind::BulkImageModeration,
        1,
        BulkImageJob { csv_file },
        |job| work(state, job),
    )?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "task_id": task_id, "duration": duration() })),
    )
        .into_response())
}
