//! Calls of Stream's API that the `stream-chat` SDK offers next to the jobs but the emulator
//! does not serve: each answers Stream's error envelope at once (501, code 17, naming the
//! call) after authenticating, rather than a "no route" 404. `docs/js-sdk-shapes.md` lists
//! them.

use crate::error::ApiError;
use crate::extract::Authed;

/// `POST /users/restore` (`restoreUsers`).
pub(crate) async fn restore_users(Authed(_): Authed) -> ApiError {
    ApiError::not_supported("restoreUsers (POST /users/restore)")
}

/// `POST /channels/{type}/{id}/truncate` (`channel.truncate`).
pub(crate) async fn truncate_channel(Authed(_): Authed) -> ApiError {
    ApiError::not_supported("channel.truncate (POST /channels/{type}/{id}/truncate)")
}

/// `GET /users/{id}/export` (`exportUser`).
pub(crate) async fn export_user(Authed(_): Authed) -> ApiError {
    ApiError::not_supported("exportUser (GET /users/{id}/export)")
}
