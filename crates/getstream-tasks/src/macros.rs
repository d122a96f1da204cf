//! The answer types that the async operations and their blocking mirror share
//! field for field: written once here, instantiated in each module with its
//! own client type (and the `TaskHandle` in scope there).

/// Defines `TaskStarted<T>`, holding a `$client` to build its `TaskHandle<T>`
/// (the `TaskHandle` in scope where the macro is invoked).
macro_rules! task_started {
    ($(#[$doc:meta])* $client:ty) => {
        $(#[$doc])*
        #[derive(::serde::Serialize)]
        #[non_exhaustive]
        pub struct TaskStarted<T> {
            /// The id of the task that was started.
            pub task_id: String,
            /// The server's time for the request, e.g. `"1.2ms"`.
            pub duration: String,
            /// Any other field of the response, as sent.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
            #[serde(skip)]
            client: $client,
            #[serde(skip)]
            marker: ::std::marker::PhantomData<fn() -> T>,
            /// The job's channels or users, whose pushed events wake its waits.
            #[serde(skip)]
            pub(crate) entities: $crate::events::Entities,
        }

        impl<T> Clone for TaskStarted<T> {
            fn clone(&self) -> Self {
                TaskStarted {
                    task_id: self.task_id.clone(),
                    duration: self.duration.clone(),
                    extra: self.extra.clone(),
                    client: self.client.clone(),
                    marker: ::std::marker::PhantomData,
                    entities: self.entities.clone(),
                }
            }
        }

        impl<T> ::std::fmt::Debug for TaskStarted<T> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("TaskStarted")
                    .field("task_id", &self.task_id)
                    .field("duration", &self.duration)
                    .field("extra", &self.extra)
                    .finish_non_exhaustive()
            }
        }

        impl<T> TaskStarted<T> {
            /// A handle on the started task, to read its status or wait for its result.
            pub fn handle(&self) -> TaskHandle<T> {
                TaskHandle::new(&self.client, self.task_id.clone())
                    .with_entities(self.entities.clone())
            }

            /// The handle, consuming the response.
            pub fn into_handle(self) -> TaskHandle<T> {
                TaskHandle::new(&self.client, self.task_id).with_entities(self.entities)
            }
        }
    };
}

/// Defines `DeleteChannelsResponse`, holding a `$client` to build the
/// `TaskHandle` of a hard delete's task.
macro_rules! delete_channels_response {
    ($(#[$doc:meta])* $client:ty) => {
        $(#[$doc])*
        #[derive(Clone, ::serde::Serialize)]
        #[non_exhaustive]
        pub struct DeleteChannelsResponse {
            /// The task removing the channels, when the server started one (hard delete).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub task_id: Option<String>,
            /// The immediate outcome per cid.
            pub result: ::std::collections::BTreeMap<String, $crate::ItemResult>,
            /// The server's time for the request.
            pub duration: String,
            /// Any other field of the response, as sent.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
            #[serde(skip)]
            client: $client,
            /// The cids, whose `channel.deleted` events wake the task's waits.
            #[serde(skip)]
            pub(crate) entities: $crate::events::Entities,
        }

        impl ::std::fmt::Debug for DeleteChannelsResponse {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("DeleteChannelsResponse")
                    .field("task_id", &self.task_id)
                    .field("result", &self.result)
                    .field("duration", &self.duration)
                    .field("extra", &self.extra)
                    .finish_non_exhaustive()
            }
        }

        impl DeleteChannelsResponse {
            /// A handle on the background task, when one was started (hard delete); its
            /// wait resolves to the per-cid [`DeleteChannelsResult`](crate::DeleteChannelsResult).
            pub fn task(&self) -> Option<TaskHandle<$crate::DeleteChannelsResult>> {
                self.task_id
                    .as_ref()
                    .map(|id| {
                        TaskHandle::new(&self.client, id.clone())
                            .with_entities(self.entities.clone())
                    })
            }
        }
    };
}

/// Defines `ChannelBatchUpdateResponse`, holding a `$client` to build the
/// `TaskHandle` of the batch's task (whose id the answer may omit).
macro_rules! channel_batch_update_response {
    ($(#[$doc:meta])* $client:ty) => {
        $(#[$doc])*
        #[derive(Clone, ::serde::Serialize)]
        #[non_exhaustive]
        pub struct ChannelBatchUpdateResponse {
            /// The batch's task; Stream's schema marks it optional.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub task_id: Option<String>,
            /// The server's time for the request.
            pub duration: String,
            /// Any other field of the response, as sent.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
            #[serde(skip)]
            client: $client,
        }

        impl ::std::fmt::Debug for ChannelBatchUpdateResponse {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("ChannelBatchUpdateResponse")
                    .field("task_id", &self.task_id)
                    .field("duration", &self.duration)
                    .field("extra", &self.extra)
                    .finish_non_exhaustive()
            }
        }

        impl ChannelBatchUpdateResponse {
            /// A handle on the batch's task, when the answer named one; its wait
            /// resolves to the [`ChannelBatchUpdateResult`](crate::ChannelBatchUpdateResult)
            /// and a pushed `channel_batch_update.completed` event wakes it.
            pub fn task(&self) -> Option<TaskHandle<$crate::ChannelBatchUpdateResult>> {
                self.task_id
                    .as_ref()
                    .map(|id| TaskHandle::new(&self.client, id.clone()))
            }
        }
    };
}

/// Defines `UpdateUsersResponse`, holding a `$client` to build the `TaskHandle`
/// of a membership deletion the call started.
macro_rules! update_users_response {
    ($(#[$doc:meta])* $client:ty) => {
        $(#[$doc])*
        #[derive(Clone, ::serde::Serialize)]
        #[non_exhaustive]
        pub struct UpdateUsersResponse {
            /// The users as they now are, by id.
            pub users: ::std::collections::BTreeMap<String, $crate::User>,
            /// The task removing memberships, when the call started one.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub membership_deletion_task_id: Option<String>,
            /// The server's time for the request.
            pub duration: String,
            /// Any other field of the response, as sent.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
            #[serde(skip)]
            client: $client,
        }

        impl ::std::fmt::Debug for UpdateUsersResponse {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("UpdateUsersResponse")
                    .field("users", &self.users)
                    .field("membership_deletion_task_id", &self.membership_deletion_task_id)
                    .field("duration", &self.duration)
                    .field("extra", &self.extra)
                    .finish_non_exhaustive()
            }
        }

        impl UpdateUsersResponse {
            /// A handle on the task that removes the memberships the update ended
            /// (e.g. in the channels of a team the users left), when it started
            /// one; its wait resolves to the
            /// [`MembershipDeletionResult`](crate::MembershipDeletionResult).
            pub fn membership_deletion_task(
                &self,
            ) -> Option<TaskHandle<$crate::MembershipDeletionResult>> {
                self.membership_deletion_task_id
                    .as_ref()
                    .map(|id| TaskHandle::new(&self.client, id.clone()))
            }
        }
    };
}
