//! The calls around the jobs end to end against the real emulator: single-user
//! deactivate/reactivate/export/delete, restore users, truncate channel; and their argument
//! checks, which fail before any request.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace, SeedSpec};
use getstream_tasks::{
    Client, DeactivateUserRequest, DeleteMode, DeleteUserRequest, DeleteUsersRequest, Error,
    ReactivateUserRequest, RestoreUsersRequest, TruncateChannelRequest,
};
use serde_json::Value;

use crate::support::{client_at, refusing_url};

/// An emulator with users `user-1..3` and `messaging:seed-1..2` (members `user-i`,
/// `user-i+1`), four messages per channel; jobs finish at once.
async fn emulator() -> (EmulatorHandle, Client) {
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant()))
        .await
        .unwrap();
    let seed = SeedSpec {
        users: 3,
        channels: 2,
        messages: 4,
    };
    emulator.state().seed(emulator.api_key(), seed).unwrap();
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    (emulator, client)
}

fn messages(emulator: &EmulatorHandle, cid: &str) -> Vec<Value> {
    let snapshot = emulator.state().snapshot(emulator.api_key()).unwrap();
    snapshot["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cid"] == cid)
        .map(|c| c["messages"].as_array().unwrap().clone())
        .unwrap_or_default()
}

const FAST: Duration = Duration::from_millis(10);

#[tokio::test]
async fn deactivate_then_reactivate_one_user() {
    let (_emulator, client) = emulator().await;
    let answer = client
        .deactivate_user(
            DeactivateUserRequest::new("user-1")
                .created_by_id("user-2")
                .mark_messages_deleted(true),
        )
        .await
        .unwrap();
    let user = answer.user.unwrap();
    assert_eq!(user.id, "user-1");
    assert!(user.is_deactivated());
    assert!(!answer.duration.is_empty());
    let exported = client.export_user("user-1").await.unwrap();
    assert!(exported.user.unwrap().is_deactivated());
    assert!(!exported.messages.is_empty());
    assert!(
        exported
            .messages
            .iter()
            .all(|m| m.kind.as_deref() == Some("deleted")),
        "{:?}",
        exported.messages
    );

    let answer = client
        .reactivate_user(
            ReactivateUserRequest::new("user-1")
                .restore_messages(true)
                .name("Back"),
        )
        .await
        .unwrap();
    let user = answer.user.unwrap();
    assert!(!user.is_deactivated());
    assert_eq!(user.name.as_deref(), Some("Back"));
    let exported = client.export_user("user-1").await.unwrap();
    assert!(
        exported
            .messages
            .iter()
            .all(|m| m.kind.as_deref() == Some("regular"))
    );

    let error = client
        .deactivate_user(DeactivateUserRequest::new("ghost"))
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status_code().as_u16(), 404, "{error}");
}

#[tokio::test]
async fn export_user_holds_only_their_messages() {
    let (_emulator, client) = emulator().await;
    let exported = client.export_user("user-2").await.unwrap();
    assert_eq!(exported.user.as_ref().unwrap().id, "user-2");
    // user-2 is in both seeded channels and sends every other message in each.
    assert_eq!(exported.messages.len(), 4, "{:?}", exported.messages);
    assert!(
        exported
            .messages
            .iter()
            .all(|m| m.user.as_ref().unwrap().id == "user-2")
    );
    assert!(exported.messages.iter().all(|m| m.created_at.is_some()));
}

#[tokio::test]
async fn soft_delete_restore_and_a_hard_delete_cannot_be_undone() {
    let (emulator, client) = emulator().await;
    let soft = client
        .delete_user(DeleteUserRequest::new("user-1"))
        .await
        .unwrap();
    let result = soft.handle().wait().interval(FAST).await.unwrap();
    assert!(result.get("user-1").unwrap().is_ok(), "{result:?}");
    assert!(
        client
            .export_user("user-1")
            .await
            .unwrap()
            .user
            .unwrap()
            .is_deleted()
    );

    let hard = client
        .delete_users(DeleteUsersRequest::new(["user-3"]).user(DeleteMode::Hard))
        .await
        .unwrap();
    hard.handle().wait().interval(FAST).await.unwrap();

    let error = client
        .restore_users(RestoreUsersRequest::new(["user-1", "user-3"]))
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status_code().as_u16(), 400, "{error}");
    assert!(api.message().contains("user-3"), "{error}");
    // All or nothing: user-1 is still deleted.
    assert!(
        client
            .export_user("user-1")
            .await
            .unwrap()
            .user
            .unwrap()
            .is_deleted()
    );

    let restored = client
        .restore_users(RestoreUsersRequest::new(["user-1"]))
        .await
        .unwrap();
    assert!(!restored.duration.is_empty());
    let user = client.export_user("user-1").await.unwrap().user.unwrap();
    assert!(!user.is_deleted(), "{user:?}");
    drop(emulator);
}

#[tokio::test]
async fn soft_truncate_hides_hard_truncate_removes() {
    let (emulator, client) = emulator().await;
    let chat = client.chat();
    let answer = chat
        .truncate_channel(
            TruncateChannelRequest::new("messaging:seed-1")
                .user_id("user-1")
                .skip_push(true)
                .message("History cleared", "user-2"),
        )
        .await
        .unwrap();
    let channel = answer.channel.unwrap();
    assert_eq!(channel.cid, "messaging:seed-1");
    let cut = channel.truncated_at.unwrap();
    assert_eq!(channel.truncated_by.unwrap().id, "user-1");
    let message = answer.message.unwrap();
    assert_eq!(message.kind.as_deref(), Some("system"));
    assert_eq!(message.text, "History cleared");
    assert!(message.created_at.unwrap() > cut);
    // Soft: the four messages are kept (hidden), the system message added.
    assert_eq!(messages(&emulator, "messaging:seed-1").len(), 5);

    // Hard, up to the second message of seed-2: the first two go for good.
    let seeded = messages(&emulator, "messaging:seed-2");
    let second = seeded[1]["created_at"].as_i64().unwrap();
    let at = UNIX_EPOCH + Duration::from_nanos(u64::try_from(second).unwrap());
    let answer = chat
        .truncate_channel(
            TruncateChannelRequest::new("messaging:seed-2")
                .hard_delete(true)
                .truncated_at(at),
        )
        .await
        .unwrap();
    assert!(answer.message.is_none());
    let left = messages(&emulator, "messaging:seed-2");
    assert_eq!(left, seeded[2..].to_vec());

    let error = chat
        .truncate_channel(TruncateChannelRequest::new("messaging:nope"))
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status_code().as_u16(), 404, "{error}");
    let future = SystemTime::now() + Duration::from_secs(3600);
    let error = chat
        .truncate_channel(TruncateChannelRequest::new("messaging:seed-2").truncated_at(future))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Api(a) if a.status_code().as_u16() == 400),
        "{error}"
    );
}

#[tokio::test]
async fn bad_arguments_fail_before_any_request() {
    // Nothing listens here: an argument error is the only error that is not a transport one.
    let client = client_at(&refusing_url().await);
    let errors = [
        client
            .deactivate_user(DeactivateUserRequest::new(""))
            .await
            .unwrap_err(),
        client
            .deactivate_user(DeactivateUserRequest::new("a").created_by_id(" "))
            .await
            .unwrap_err(),
        client
            .reactivate_user(ReactivateUserRequest::new(" "))
            .await
            .unwrap_err(),
        client.export_user("").await.unwrap_err(),
        client
            .delete_user(DeleteUserRequest::new(""))
            .await
            .unwrap_err(),
        client
            .delete_user(DeleteUserRequest::new("a").conversations(DeleteMode::Pruning))
            .await
            .unwrap_err(),
        client
            .restore_users(RestoreUsersRequest::new(Vec::<String>::new()))
            .await
            .unwrap_err(),
        client
            .restore_users(RestoreUsersRequest::new((0..101).map(|i| format!("u{i}"))))
            .await
            .unwrap_err(),
        client
            .chat()
            .truncate_channel(TruncateChannelRequest::new("no-colon"))
            .await
            .unwrap_err(),
        client
            .chat()
            .truncate_channel(TruncateChannelRequest::new("messaging:a").message_text("who?"))
            .await
            .unwrap_err(),
    ];
    for (i, error) in errors.iter().enumerate() {
        assert!(error.is_invalid_argument(), "case {i}: {error:?}");
    }
    // A user id that needs escaping is sent as one path segment, not refused.
    let error = client.export_user("a/b").await.unwrap_err();
    assert!(!error.is_invalid_argument(), "{error:?}");
}
