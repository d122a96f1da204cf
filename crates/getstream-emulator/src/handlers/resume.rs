//! Rebuilding a job's work from its stored input, to resume it after a restart.

use serde::de::DeserializeOwned;

use super::blocklists::{ImportBlockListJob, import_work};
use super::channel_batch_job::{ChannelBatchJob, batch_work};
use super::channels::HardDeleteChannels;
use super::exports::{ExportChannelsJob, ExportUsersJob};
use super::memberships::{MembershipDeletionJob, membership_work};
use super::starter::{export_work, status_work};
use super::user_jobs::{ActivationJob, DeleteUsersJob};
use crate::jobs::job::JobKind;
use crate::jobs::pool::Work;
use crate::persist::JobSpec;
use crate::state::EmulatorState;

fn input<J: DeserializeOwned>(job: &JobSpec) -> Result<J, String> {
    J::deserialize(&job.request).map_err(|e| format!("its stored input does not read: {e}"))
}

/// The work of a stored job, as its handler built it.
///
/// # Errors
/// The stored input does not read as this kind's (written by another version).
pub(crate) fn work(state: &EmulatorState, job: &JobSpec) -> Result<Work, String> {
    Ok(match job.kind {
        JobKind::DeleteChannels => status_work(input::<HardDeleteChannels>(job)?),
        JobKind::ExportChannels => export_work(state.clone(), input::<ExportChannelsJob>(job)?),
        JobKind::ExportUsers => export_work(state.clone(), input::<ExportUsersJob>(job)?),
        JobKind::DeleteUsers => status_work(input::<DeleteUsersJob>(job)?),
        JobKind::DeactivateUsers | JobKind::ReactivateUsers => {
            status_work(input::<ActivationJob>(job)?)
        }
        JobKind::ImportBlockList => import_work(input::<ImportBlockListJob>(job)?),
        JobKind::MembershipDeletion => membership_work(input::<MembershipDeletionJob>(job)?),
        JobKind::ChannelBatchUpdate => batch_work(input::<ChannelBatchJob>(job)?),
        JobKind::BulkImageModeration => crate::moderation::job::work(state.clone(), input(job)?),
        JobKind::DeleteCall => crate::video::delete_call_work(input(job)?),
        JobKind::DeleteFeeds | JobKind::DeleteFeedUserData | JobKind::ExportFeedUserData => {
            crate::feeds::resume(state, job)?
        }
    })
}
