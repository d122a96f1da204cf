//! The blocking mirror of the video operations (delete a call).

use serde::Serialize;
use serde_json::{Map, Value};

use super::ops::TaskHandle;
use crate::blocking::Client;
use crate::error::Result;
use crate::ops::{Call, DeleteCallRequest, DeleteCallResult};

impl Client {
    /// The video operations (delete a call); see [`crate::Client::video`].
    pub fn video(&self) -> Video {
        Video {
            client: self.clone(),
        }
    }
}

/// Blocking video operations, from [`Client::video`].
#[derive(Debug, Clone)]
pub struct Video {
    client: Client,
}

impl Video {
    /// Deletes a call; see [`crate::Video::delete_call`].
    ///
    /// # Errors
    ///
    /// As [`crate::Video::delete_call`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn delete_call(&self, request: DeleteCallRequest) -> Result<DeleteCallResponse> {
        let video = self.client.async_client().video();
        let answer = self
            .client
            .run(async move { video.delete_call(request).await })?;
        Ok(DeleteCallResponse {
            task: answer
                .task_id
                .as_ref()
                .map(|id| TaskHandle::new(&self.client, id.clone())),
            call: answer.call,
            task_id: answer.task_id,
            duration: answer.duration,
            extra: answer.extra,
        })
    }
}

/// What delete call answered; see [`crate::DeleteCallResponse`].
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DeleteCallResponse {
    /// The call, marked deleted.
    pub call: Call,
    /// The task removing the call (hard delete only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// The server's time for the request.
    pub duration: String,
    /// Any other field of the response, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// A handle on the task, when one was started (hard delete).
    #[serde(skip)]
    pub task: Option<TaskHandle<DeleteCallResult>>,
}
