//! An independent Rust client for [Stream](https://getstream.io)'s asynchronous
//! tasks and the server-side calls around them. It is not Stream's official crate
//! (`getstream` on crates.io, video): the two can be used side by side, and this one
//! waits on any task id, whichever crate started the task.
//!
//! Batch jobs — hard-deleting channels, exporting channels or users, deleting
//! users — answer at once with a `task_id` and run in the background. This crate
//! waits on such a task for you: it returns the completed [`Task`], or a typed
//! error saying whether the task failed, the wait ran out of time, or the status
//! request itself failed.
//! The HTTP dialect it speaks is written up in the repository's `docs/stream-wire.md`.
//!
//! # Waiting on a task
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_support::serve(&["running", "completed"]).await;
//! use getstream_tasks::{Client, Error};
//!
//! let client = Client::builder("api-key", "api-secret")
//! #   .base_url(server.as_str())
//!     .build()?;
//! let task_id = "2f3c7b6e-task";
//! match client.wait_for_task(task_id).await {
//!     Ok(task) => {
//!         // task.status == TaskStatus::Completed
//!         println!("done: {:?}", task.result);
//!     }
//!     Err(Error::Task(e)) => {
//!         // the task ended with status "failed"
//!         println!("task {} failed: {}", e.task_id(), e.description());
//!     }
//!     Err(Error::Transport(e)) if e.is_timeout() => {
//!         // the wait elapsed; the task may still be running on the server:
//!         // wait again on the same id to resume
//!     }
//!     Err(other) => return Err(other.into()),
//! }
//! # Ok(()) }
//! # use getstream_test_support as doc_support;
//! ```
//!
//! | task outcome | what you get |
//! |---|---|
//! | `completed` | `Ok(Task)`, the result in [`Task::result`] |
//! | `failed` | [`Error::Task`]: `task_id()`, `error_type()`, `description()`, `stack_trace()`, `version()` |
//! | deadline passed | [`Error::Transport`] with `is_timeout()`, the last status seen, polls, elapsed time |
//! | the status request failed for good (401, 404, …) | [`Error::Api`] with `status_code()`, `code()`, `message()` |
//!
//! # Starting a task and waiting for its typed result
//!
//! The operations that start tasks check their arguments (1..=100 cids, each
//! `type:id`; 1..=25 user ids to export; no empty ids) before sending, and
//! give a [`TaskHandle`] whose `wait()` — the same builder, with the same
//! knobs — decodes the completed task's result:
//!
//! | operation | answers | `handle.wait()` gives |
//! |---|---|---|
//! | `client.chat().export_channels(..)` | [`TaskStarted`] | [`ExportResult`] (`url`) |
//! | `client.chat().delete_channels(..)` | [`DeleteChannelsResponse`] (per-cid `result`; a task only for a hard delete) | [`DeleteChannelsResult`] |
//! | `client.export_users(..)` | [`TaskStarted`] | [`ExportResult`] |
//! | `client.delete_users(..)` | [`TaskStarted`] | [`DeleteUsersResult`] |
//! | `client.deactivate_users(..)`, `client.reactivate_users(..)` | [`TaskStarted`] | `serde_json::Value` (undocumented shape) |
//! | `client.chat().channel_batch_update(..)` | [`ChannelBatchUpdateResponse`] (`task()`: an `Option`, Stream's schema makes `task_id` optional) | [`ChannelBatchUpdateResult`] (`success_channels_count`, `failed_channels`) |
//! | `client.import_block_list(..)` | [`TaskStarted`] | [`BlockListImportResult`] (`added`, `skipped`, `total`) |
//! | `client.upsert_users(..)`, `client.update_users_partial(..)` | [`UpdateUsersResponse`] (the users; `membership_deletion_task()`: an `Option`) | [`MembershipDeletionResult`] |
//! | `client.feeds().delete_feed(..)`, `client.feeds().delete_feeds(..)` (1..=100 [`FeedId`]s) | [`TaskStarted`] | [`DeleteFeedsResult`] (`deleted_feeds`, `deleted_activities`, `purged_activities`) |
//! | `client.feeds().delete_user_data(user, hard)` | [`TaskStarted`] | [`DeleteFeedUserDataResult`] (feeds, activities, follows, comments, reactions removed) |
//! | `client.feeds().export_user_data(user)` | [`TaskStarted`] | [`FeedUserExportResult`] (`url`, counts) |
//! | `client.moderation().bulk_image_moderation(csv_url)` | [`TaskStarted`] | [`BulkImageModerationResult`] (`url` of the results CSV, `total`, `flagged`, `failed`) |
//! | `client.video().delete_call(..)` | [`DeleteCallResponse`] (the [`Call`]; `task`: an `Option`, only for a hard delete) | [`DeleteCallResult`] (`cid`, `deleted.{sessions,recordings,members}`) |
//!
//! This runs against the crate's local emulator (`getstream-emulator`), as your
//! tests can:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use getstream_emulator::{Emulator, EmulatorConfig, Pace, SeedSpec};
//! # let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant())).await?;
//! # let seed = SeedSpec { users: 2, channels: 2, messages: 3 };
//! # emulator.state().seed(emulator.api_key(), seed)?;
//! # let (api_key, api_secret) = (emulator.api_key(), emulator.api_secret());
//! use std::time::Duration;
//! use getstream_tasks::{Client, DeleteChannelsRequest, ExportChannelsRequest};
//!
//! let client = Client::builder(api_key, api_secret)
//! #   .base_url(emulator.base_url())
//!     .build()?;
//!
//! // Export two channels, then wait for the download link.
//! let started = client
//!     .chat()
//!     .export_channels(ExportChannelsRequest::new(["messaging:seed-1", "messaging:seed-2"]))
//!     .await?;
//! println!("export task {}", started.task_id);
//! let export = started
//!     .handle()
//!     .wait()
//!     .interval(Duration::from_millis(200))
//!     .timeout(Duration::from_secs(120))
//!     .await?;
//! assert!(!export.url.is_empty());
//!
//! // Hard-delete a channel: the per-cid result comes at once, the removal
//! // runs in a task.
//! let deleted = client
//!     .chat()
//!     .delete_channels(DeleteChannelsRequest::new(["messaging:seed-1"]).hard_delete(true))
//!     .await?;
//! if let Some(task) = deleted.task() {
//!     let result = task.wait().await?;
//!     assert!(result.get("messaging:seed-1").unwrap().is_ok());
//! }
//! # emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! A failed task is an [`Error::Task`] as above; a completed task whose result
//! does not have the expected shape is an [`Error::Decode`] (read the raw
//! [`Task`] with `handle.get()`). To resume a wait later, keep the id and
//! rebuild the handle: `TaskHandle::<ExportResult>::new(&client, id)`. The
//! `blocking` client (feature `blocking`) has the same operations, finished by `.send()`:
//! `client.chat().export_channels(req)?.handle().wait().send()?`.
//!
//! # The calls around the jobs
//!
//! The undo and the clean-ups next to the jobs answer at once (no task), with
//! the same checks before any request:
//!
//! | call | answers |
//! |---|---|
//! | `client.deactivate_user(DeactivateUserRequest::new(id))`, `client.reactivate_user(..)` | [`UserResponse`] (the [`User`] as it now is) |
//! | `client.export_user(id)` | [`ExportUserResponse`] (the user and their [`Message`]s) |
//! | `client.restore_users(RestoreUsersRequest::new(ids))` | [`RestoreUsersResponse`]; undoes soft deletes (a hard-deleted user is an [`Error::Api`]) |
//! | `client.chat().truncate_channel(TruncateChannelRequest::new(cid))` | [`TruncateChannelResponse`] (the [`Channel`], and the system message left) |
//! | `client.delete_user(DeleteUserRequest::new(id))` | a [`TaskStarted`] like `delete_users` (v2 deletes users in batches) |
//! | `client.create_block_list(..)`, `get_block_list(name)`, `update_block_list(name, ..)`, `delete_block_list(name)`, `list_block_lists(team)` | [`BlockListResponse`] (the [`BlockList`]), [`BlockListsResponse`] |
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use getstream_emulator::{Emulator, EmulatorConfig, Pace, SeedSpec};
//! # let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant())).await?;
//! # let seed = SeedSpec { users: 2, channels: 1, messages: 3 };
//! # emulator.state().seed(emulator.api_key(), seed)?;
//! # let (api_key, api_secret) = (emulator.api_key(), emulator.api_secret());
//! use getstream_tasks::{Client, DeleteUserRequest, RestoreUsersRequest, TruncateChannelRequest};
//!
//! let client = Client::builder(api_key, api_secret)
//! #   .base_url(emulator.base_url())
//!     .build()?;
//!
//! // Soft-delete a user (a task), then undo it.
//! client.delete_user(DeleteUserRequest::new("user-1")).await?.handle().wait().await?;
//! assert!(client.export_user("user-1").await?.user.unwrap().is_deleted());
//! client.restore_users(RestoreUsersRequest::new(["user-1"])).await?;
//! assert!(!client.export_user("user-1").await?.user.unwrap().is_deleted());
//!
//! // Empty a channel for good, leaving a note.
//! let truncated = client
//!     .chat()
//!     .truncate_channel(
//!         TruncateChannelRequest::new("messaging:seed-1")
//!             .hard_delete(true)
//!             .message("History cleared", "user-2"),
//!     )
//!     .await?;
//! assert!(truncated.channel.unwrap().truncated_at.is_some());
//! # emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Defaults and knobs
//!
//! Polls every second for up to 60 seconds. Override either:
//!
//! ```no_run
//! # async fn demo(client: getstream_tasks::Client) -> getstream_tasks::Result<()> {
//! use std::time::Duration;
//! let task = client
//!     .wait_for_task("task-id")
//!     .interval(Duration::from_secs(5))
//!     .timeout(Duration::from_secs(600))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! The deadline is a promise: every sleep and every HTTP request is capped by
//! the time left, so a server that stops answering cannot hold you past it.
//! The final poll is sent [`LAST_POLL_BUDGET`] (100 ms) before the deadline,
//! so a prompt answer is still seen; the timeout error comes at the deadline
//! itself — never before it, and never after it, even if the server stalls.
//! Transient poll errors (connection refused or reset, 5xx, 429) are retried
//! inside the deadline, honouring `Retry-After` and `X-RateLimit-Reset`;
//! `.abort_on_error(true)` restores the official SDKs' behaviour of giving up on
//! the first error.
//!
//! # Poll policies
//!
//! A [`PollPolicy`] says how long to sleep between polls: a fixed interval
//! (the default, 1 s), an exponential backoff (initial delay, factor, cap),
//! optionally with jitter from a seedable random source, or the
//! [`long_running`](PollPolicy::long_running) preset (every 5 s; every 30 s
//! with push on) for hard deletes and exports. Set one per wait with `.policy(..)` (`.interval(d)` is
//! shorthand for a fixed one), or for every wait of a client with
//! [`ClientBuilder::poll_policy`] and [`ClientBuilder::wait_timeout`]. The
//! server's hints (`Retry-After`, a spent `X-RateLimit-Remaining` until
//! `X-RateLimit-Reset`) always win over the policy, clamped to the time left.
//!
//! What the client believes of those headers: Stream's rate-limit windows
//! last a minute, so no single answer holds requests back for more than
//! 60 s — a `Retry-After` or a reset further away (a proxy's bug, a hostile
//! server) counts as 60 s, and the first such answer is logged as a warning,
//! once per client. A window of `X-RateLimit-Limit: 0` is taken as spent
//! until its reset (so at most 60 s), never as "no request ever"; what
//! remains never counts as more than the limit. [`ApiError::retry_after`]
//! and [`ApiError::rate_limit`] still report what the server sent.
//! Invalid knobs (a zero delay, a factor below 1 or NaN, a jitter outside
//! `0..=1`) are an [`Error::InvalidArgument`] before any request.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_support::serve(&["waiting", "running", "running", "running", "completed"]).await;
//! # tokio::time::pause();
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use getstream_tasks::{Client, PollPolicy};
//!
//! let client = Client::builder("api-key", "api-secret")
//! #   .base_url(server.as_str())
//!     .poll_policy(PollPolicy::backoff(Duration::from_secs(1), 2.0, Duration::from_secs(30)))
//!     .wait_timeout(Duration::from_secs(300))
//!     .build()?;
//! let polled_at = Arc::new(Mutex::new(Vec::new()));
//! let log = polled_at.clone();
//! client
//!     .wait_for_task("task-id")
//!     .on_poll(move |seen| log.lock().unwrap().push(seen.elapsed().as_secs()))
//!     .await?;
//! // Delays 1, 1, 2, 4 s: the poll times double.
//! assert_eq!(*polled_at.lock().unwrap(), [0, 1, 2, 4, 8]);
//! # Ok(()) }
//! # use getstream_test_support as doc_support;
//! ```
//!
//! # Progress
//!
//! `.on_poll(|seen| ..)` calls back after every poll; [`Client::watch_task`]
//! (or `wait.watch()` on any wait, typed ones included) gives a
//! [`Stream`](futures_util::Stream) of [`WatchEvent`]s instead: one
//! [`WatchEvent::Polled`] per poll (status or transient error, poll number,
//! elapsed time, the task as seen, when the next poll comes), then
//! [`WatchEvent::Finished`] with exactly what awaiting the wait returns.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_support::serve(&["waiting", "running", "completed"]).await;
//! # let client = getstream_tasks::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
//! # tokio::time::pause();
//! use futures::StreamExt;
//! use getstream_tasks::WatchEvent;
//!
//! let mut events = client.watch_task("task-id");
//! while let Some(event) = events.next().await {
//!     match event {
//!         WatchEvent::Polled(seen) => {
//!             let status = seen.status().map_or("no answer".into(), |s| s.to_string());
//!             eprintln!("[{:>5.1}s] poll {}: {status}", seen.elapsed().as_secs_f64(), seen.poll());
//!         }
//!         WatchEvent::Finished(outcome) => println!("done: {:?}", outcome?.result),
//!     }
//! }
//! # Ok(()) }
//! # use getstream_test_support as doc_support;
//! ```
//!
//! # Cancellation and resuming
//!
//! Dropping a wait future (or a [`WatchTask`] stream) cancels it: the request
//! in flight is abandoned with its connection, and no request follows — so
//! `tokio::time::timeout` or `tokio::select!` just work. To stop a wait from
//! elsewhere (a Ctrl-C handler, another thread, the `blocking` client), give
//! it a [`CancellationToken`] with `.cancel_on(token)`: it ends with
//! [`Error::Cancelled`], never a timeout. A wait that timed out tells how to
//! continue — its error carries the task id and the last status seen — and
//! waiting again on the same id resumes:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_support::serve(&["running", "running", "running", "completed"]).await;
//! # let client = getstream_tasks::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
//! # tokio::time::pause();
//! use std::time::Duration;
//! use getstream_tasks::Error;
//!
//! let task = match client.wait_for_task("task-id").timeout(Duration::from_secs(1)).await {
//!     Err(Error::Transport(e)) if e.is_wait_timeout() => {
//!         eprintln!("still {:?} after {:?}; waiting more", e.last_status(), e.elapsed());
//!         client.wait_for_task(e.task_id().unwrap()).await?
//!     }
//!     other => other?,
//! };
//! assert!(task.status.is_finished());
//! # Ok(()) }
//! # use getstream_test_support as doc_support;
//! ```
//!
//! # Many tasks at once
//!
//! [`Client::wait_for_tasks`] waits on thousands of tasks with bounded
//! concurrency over the client's one connection pool, and yields a
//! [`TaskOutcome`] per id in completion order. Every request of a client goes
//! through one scheduler: at most
//! [`max_in_flight`](ClientBuilder::max_in_flight) requests in flight (default
//! [`DEFAULT_MAX_IN_FLIGHT`]), duplicate waits on one task share their polls,
//! and one request budget paces the requests from the server's rate-limit
//! headers (a 429 pauses all of them until the server's `Retry-After`) —
//! throttling slows the batch down instead of
//! failing it. [`WaitForTasks::from_waits`] does the same for any waits (e.g.
//! typed ones from task handles).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_support::serve(&["running", "completed"]).await;
//! # let client = getstream_tasks::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
//! # tokio::time::pause();
//! use futures::StreamExt;
//! use getstream_tasks::PollPolicy;
//!
//! let ids: Vec<String> = (0..1_000).map(|i| format!("task-{i}")).collect();
//! let mut outcomes = client
//!     .wait_for_tasks(&ids)
//!     .concurrency(50)
//!     .policy(PollPolicy::fixed(std::time::Duration::from_secs(2)).jitter(0.3));
//! let (mut done, mut failed) = (0, 0);
//! while let Some(outcome) = outcomes.next().await {
//!     match outcome.result {
//!         Ok(_) => done += 1,
//!         Err(e) => {
//!             failed += 1;
//!             eprintln!("{}: {e}", outcome.task_id);
//!         }
//!     }
//! }
//! assert_eq!((done, failed), (1_000, 0));
//! # Ok(()) }
//! # use getstream_test_support as doc_support;
//! ```
//!
//! # Push: events wake waits
//!
//! Stream pushes events when jobs end (`export.*.success` / `export.*.error`
//! with the `task_id`) and per entity (`channel.deleted`, `user.deleted`, …),
//! by HTTP webhook, SQS or SNS. The [`webhook`] module verifies and decodes
//! them; publish each to a [`TaskEvents`] hub given to the client
//! ([`ClientBuilder::task_events`]) and every wait whose task (or, for the
//! typed waits of `delete_channels` and the user jobs, one of whose channels
//! or users) the event names polls at once. The poll stays the source of
//! truth, so a forged event costs one request; a burst costs one poll; no
//! stream of events makes a wait poll more than once a second
//! ([`MIN_WOKEN_POLL_GAP`]), nor, once an event found the task unfinished,
//! faster than its own schedule; the deadline and the client's request
//! budget still hold. Which events wake which task's wait:
//!
//! | task kind | started by | pushed events that wake the wait |
//! |---|---|---|
//! | export channels | `Chat::export_channels` | `export.channels.success` / `.error` (`task_id`) |
//! | export users | `Client::export_users` | `export.users.success` / `.error` (`task_id`) |
//! | hard delete channels | `Chat::delete_channels` | `channel.deleted` for one of its cids |
//! | delete users | `Client::delete_users` | `user.deleted` for one of its users |
//! | deactivate / reactivate users | `Client::deactivate_users`, `reactivate_users` | `user.deactivated` / `user.reactivated` for one of its users |
//! | channel batch update | `Chat::channel_batch_update` | `channel_batch_update.completed` (`task_id`) |
//! | block-list import | `Client::import_block_list` | none (Stream sends no event): polls only |
//! | membership deletion | `Client::upsert_users`, `update_users_partial` | none: polls only |
//! | delete feed(s), delete / export a user's feed data | `Feeds::delete_feed`, `delete_feeds`, `delete_user_data`, `export_user_data` | none (no event names these tasks): polls only |
//! | bulk image moderation | `Moderation::bulk_image_moderation` | `export.bulk_image_moderation.success` / `.error` (`task_id`) |
//! | hard delete call (video) | `Video::delete_call` | none: Stream's `call.deleted` names no task, so polls only |
//!
//! With push on, a long interval is the sensible default:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_support::serve(&["running", "completed"]).await;
//! # tokio::time::pause();
//! use std::time::Duration;
//! use getstream_tasks::{Client, PollPolicy, TaskEvents, webhook};
//!
//! let events = TaskEvents::new();
//! let client = Client::builder("api-key", "api-secret")
//! #   .base_url(server.as_str())
//!     .poll_policy(PollPolicy::long_running()) // with events: a poll every 30 s, a fallback for lost events
//!     .task_events(events.clone())
//!     .build()?;
//! let wait = tokio::spawn(client.wait_for_task("t1").into_future());
//! tokio::time::sleep(Duration::from_millis(10)).await; // the first poll sees "running"
//!
//! // Your webhook handler, with the raw body and the X-Signature header:
//! let body = br#"{"type":"export.channels.success","task_id":"t1","url":"https://x/e.json"}"#;
//! let signature = webhook::sign(body, "api-secret"); // (Stream computes this)
//! let event = client.verify_webhook(body, &signature)?;
//! events.publish(&event);
//!
//! let started = tokio::time::Instant::now();
//! let task = wait.await??;
//! assert!(task.status.is_finished());
//! assert!(started.elapsed() < Duration::from_secs(1), "woken, not polled 30 s later");
//! # Ok(()) }
//! # use getstream_test_support as doc_support;
//! # use std::future::IntoFuture;
//! ```
//!
//! The [`webhook`] module docs show how to verify in any web framework; the
//! cargo feature `axum` adds a ready receiver (`webhook::axum::Receiver`).
//!
//! # Observability
//!
//! Each wait runs in a `tracing` span `wait_for_task{task_id=..}` with a debug
//! event per poll (`attempt`, `status` or the error, the `delay` before the
//! next one); the secret and the token never appear.
//! [`ClientBuilder::poll_attempt_header`] additionally sends the poll number
//! in [`POLL_ATTEMPT_HEADER`] (`x-stream-poll-attempt`), so a server or proxy
//! can tell polling traffic apart (off by default).
//!
//! # Polling by hand
//!
//! The helpers above cover back-off, progress and cancellation; for anything
//! else, [`Client::get_task`] reads the same endpoint once.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_support::serve(&["waiting", "completed"]).await;
//! # let client = getstream_tasks::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
//! # let task_id = "t1";
//! # tokio::time::pause();
//! use std::time::Duration;
//!
//! let task = loop {
//!     let task = client.get_task(task_id).await?;
//!     if task.status.is_finished() {
//!         break task;
//!     }
//!     tokio::time::sleep(Duration::from_secs(1)).await;
//! };
//! assert_eq!(task.status, getstream_tasks::TaskStatus::Completed);
//! # Ok(()) }
//! # use getstream_test_support as doc_support;
//! ```
//!
//! # Without async
//!
//! The `getstream_tasks::blocking` client (feature `blocking`, opt-in as reqwest's) takes the
//! same parameters and returns the same errors:
//!
//! ```no_run
//! # #[cfg(feature = "blocking")]
//! # fn main() -> Result<(), getstream_tasks::Error> {
//! let client = getstream_tasks::blocking::Client::new("api-key", "api-secret")?;
//! let task = client.wait_for_task("task-id").send()?;
//! # Ok(()) }
//! # #[cfg(not(feature = "blocking"))]
//! # fn main() {}
//! ```
//!
//! # Runtime
//!
//! The async client runs on [tokio](https://tokio.rs): await it inside a tokio
//! runtime with I/O and time enabled (e.g. `#[tokio::main]`). Its timers follow
//! tokio's clock, so tests on tokio's paused clock see exact timings.
//!
//! # Configuration
//!
//! [`Client::from_env`] reads `STREAM_API_KEY`, `STREAM_API_SECRET` and
//! (optionally) `STREAM_BASE_URL`. [`Client::builder`] sets the base URL
//! (default `https://chat.stream-io-api.com`), the per-request timeout (30 s)
//! and the connect timeout (10 s). The API secret and the server token never
//! appear in `Debug`, `Display`, logs or errors.
//!
//! # Security
//!
//! * **Short-lived tokens.** Each server token carries `exp`, one hour after
//!   `iat` by default ([`ClientBuilder::token_ttl`], at least a minute). The
//!   client signs a new one 5 minutes before the current one expires (half
//!   the lifetime for tokens under 10 minutes), checked on every request
//!   without a lock, so no request leaves with an expired token and a token
//!   that leaks stops working within the hour. A 401 saying the token expired
//!   (code 40: the server's clock is ahead of ours) makes the client sign a
//!   new token and resend the request once.
//! * **Plain HTTP only to this machine.** An `http://` base URL is accepted
//!   for `localhost`, 127.0.0.0/8 and `[::1]` (the emulator; not `localhost.`,
//!   which DNS resolves); for any other
//!   host, [`build`](ClientBuilder::build) is an [`Error::InvalidArgument`]
//!   before anything is sent, unless
//!   [`allow_insecure_http(true)`](ClientBuilder::allow_insecure_http) —
//!   dangerous: the API key and the token would travel unencrypted.
//! * **Secrets wiped.** The API secret and the tokens are overwritten with
//!   zeros when the client (or builder) holding them is dropped, and the
//!   `Authorization` header is marked sensitive. The copy the HTTP stack makes
//!   while sending a request is beyond the SDK's reach and is not wiped.
//!
//! ```
//! use std::time::Duration;
//! use getstream_tasks::Client;
//!
//! // Plain HTTP to another host: refused at build(), nothing sent.
//! let refused = Client::builder("api-key", "api-secret")
//!     .base_url("http://stream-proxy.internal:8080")
//!     .build()
//!     .unwrap_err();
//! assert!(refused.is_invalid_argument());
//! // Loopback (e.g. the emulator) is fine.
//! Client::builder("api-key", "api-secret").base_url("http://127.0.0.1:8080").build()?;
//! // Tokens valid for 15 minutes instead of an hour.
//! let client = Client::builder("api-key", "api-secret")
//!     .token_ttl(Duration::from_secs(15 * 60))
//!     .build()?;
//! # drop(client);
//! # Ok::<(), getstream_tasks::Error>(())
//! ```
//!
//! # Cargo features
//!
//! The TLS and HTTP features mirror reqwest's, so the SDK can use the same
//! stack as the rest of an application (one TLS library in the build, not two):
//!
//! | feature | default | |
//! |---|---|---|
//! | `rustls` | yes | TLS with rustls and its aws-lc-rs crypto provider (reqwest's `rustls`) |
//! | `rustls-no-provider` | | rustls with the crypto provider the application installs as the process default before building a client, e.g. `rustls::crypto::ring::default_provider().install_default()` (reqwest's `rustls-no-provider`); without one, `build()` is an [`Error::InvalidArgument`] (reqwest would panic) |
//! | `native-tls` | | the platform's TLS library (OpenSSL on Linux: building needs its headers and `pkg-config`) |
//! | `native-tls-vendored` | | `native-tls` with OpenSSL built from source and linked statically |
//! | `http2` | yes | HTTP/2, negotiated over TLS |
//! | `system-proxy` | yes | the system's proxy settings (`HTTPS_PROXY`, `NO_PROXY`, …) |
//! | `blocking` | | the `getstream_tasks::blocking` client (as reqwest's, opt-in: it compiles a second front for every operation) |
//! | `gzip` | | webhook, SQS and SNS payloads compressed with gzip (the app setting `enable_hook_payload_compression`, off by default at Stream); without it a compressed payload is a [`WebhookErrorKind::Gzip`](webhook::WebhookErrorKind::Gzip) error naming the feature |
//! | `axum` | | `webhook::axum`: a ready webhook receiver |
//! | `redis` | | `TaskEvents::redis`: task events shared across processes over Redis pub/sub |
//!
//! For example, with native TLS and the blocking client:
//! `getstream-tasks = { version = "0.1", default-features = false, features = ["native-tls", "http2", "system-proxy", "blocking"] }`.
//! When both rustls and native-tls are enabled (by this crate or by the
//! application's own reqwest), reqwest uses native-tls. Without any TLS
//! feature only plain HTTP to this machine works (e.g. the emulator): an
//! `https://` base URL is an [`Error::InvalidArgument`] from `build()`.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Before every module: the answer types the async and blocking operations share.
#[macro_use]
mod macros;

mod auth;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod client;
#[cfg(test)]
mod decoder_props;
mod error;
mod events;
#[cfg(feature = "__fuzz")]
#[doc(hidden)]
pub mod fuzz;
mod models;
mod ops;
mod request_id;
mod rfc3339;
mod sched;
mod tasks;
mod time;
mod tls;
mod transport;
pub mod webhook;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT, DEFAULT_TOKEN_TTL,
};
pub use error::{
    ApiError, CancelledError, DecodeError, Error, InvalidArgumentError, Result, TaskError,
    TransportError, WebhookError,
};
pub use events::TaskEvents;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use events::redis::{
    REDIS_DEFAULT_BUFFER, REDIS_DEFAULT_CHANNEL, REDIS_MESSAGE_VERSION, RedisEventsBuilder,
    RedisStats,
};
pub use models::{ErrorResult, RateLimitInfo, Task, TaskStatus, Timestamp};
pub use ops::{
    ChannelRef, Chat, DeactivateUsersRequest, DeleteChannelsRequest, DeleteChannelsResponse,
    DeleteChannelsResult, DeleteMode, DeleteUsersRequest, DeleteUsersResult, ExportChannelsRequest,
    ExportFormat, ExportResult, ExportUsersRequest, ItemResult, ItemStatus, MAX_CHANNELS,
    MAX_EXPORT_USERS, MAX_USERS, ReactivateUsersRequest, TaskHandle, TaskStarted,
};
// The calls around the jobs (restore, truncate, single-user calls).
pub use ops::{
    Channel, DeactivateUserRequest, DeleteUserRequest, ExportUserResponse, MAX_MESSAGE_LENGTH,
    Message, ReactivateUserRequest, RestoreUsersRequest, RestoreUsersResponse,
    TruncateChannelRequest, TruncateChannelResponse, User, UserResponse,
};
// Issue 24's jobs: channel batch update, block-list import, membership deletion.
pub use ops::{
    BlockList, BlockListImportResult, BlockListResponse, BlockListType, BlockListsResponse,
    ChannelBatchFilter, ChannelBatchMember, ChannelBatchOperation, ChannelBatchUpdateRequest,
    ChannelBatchUpdateResponse, ChannelBatchUpdateResult, ChannelDataUpdate,
    CreateBlockListRequest, FailedChannels, ImportBlockListRequest, MAX_BATCH_MEMBERS,
    MAX_BLOCKLIST_ITEM_LENGTH, MAX_IMPORT_CHUNK_SIZE, MAX_IMPORT_ITEMS, MembershipDeletionResult,
    RemovedMemberships, UpdateBlockListRequest, UpdateUsersResponse, UserPartialUpdate,
    UserRequest,
};
// Issue 25's jobs: feeds and moderation.
pub use ops::{
    BulkImageModerationResult, DeleteFeedRequest, DeleteFeedUserDataResult, DeleteFeedsRequest,
    DeleteFeedsResult, FeedId, FeedUserExportResult, Feeds, MAX_DELETE_FEEDS, MAX_FEED_ID_PART,
    Moderation,
};
// Issue 25's video job: delete a call.
pub use ops::{
    Call, DeleteCallRequest, DeleteCallResponse, DeleteCallResult, DeletedCallParts,
    MAX_CALL_ID_LENGTH, Video,
};
pub use sched::DEFAULT_MAX_IN_FLIGHT;
pub use tasks::builder::WaitForTask;
pub use tasks::get::POLL_ATTEMPT_HEADER;
pub use tasks::many::{DEFAULT_WAIT_CONCURRENCY, TaskOutcome, WaitForTasks};
pub use tasks::policy::{
    DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, LONG_RUNNING_PUSH_FALLBACK, PollPolicy,
};
pub use tasks::poller::{LAST_POLL_BUDGET, MIN_WOKEN_POLL_GAP, Polled};
pub use tasks::watch::{WatchEvent, WatchTask};
pub use time::{SystemTimeSource, TimeSource};
/// The cancellation token of [`WaitForTask::cancel_on`] (tokio-util's, the
/// ecosystem's vocabulary for cooperative cancellation).
pub use tokio_util::sync::CancellationToken;
pub use transport::Response;

/// The crate README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
