//! The blocking client's calls around the jobs against the real emulator, which runs on a
//! runtime thread of its own (real time, instant jobs).

use std::time::Duration;

use getstream_emulator::{Emulator, EmulatorConfig, Pace, SeedSpec};
use getstream_tasks::{
    DeactivateUserRequest, DeleteMode, DeleteUserRequest, ReactivateUserRequest,
    RestoreUsersRequest, TruncateChannelRequest, blocking,
};

/// A seeded emulator (users `user-1..3`, channels `messaging:seed-1..2`) on its own runtime
/// thread, and a blocking client for it.
fn client() -> blocking::Client {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant()))
                .await
                .unwrap();
            let seed = SeedSpec {
                users: 3,
                channels: 2,
                messages: 3,
            };
            emulator.state().seed(emulator.api_key(), seed).unwrap();
            tx.send((
                emulator.api_key().to_owned(),
                emulator.api_secret().to_owned(),
                emulator.base_url(),
            ))
            .unwrap();
            std::future::pending::<()>().await;
            drop(emulator);
        });
    });
    let (key, secret, url) = rx.recv().unwrap();
    blocking::Client::builder(&key, secret)
        .base_url(url)
        .build()
        .unwrap()
}

#[test]
fn single_user_calls_restore_and_truncate() {
    let client = client();
    let user = client
        .deactivate_user(DeactivateUserRequest::new("user-1"))
        .unwrap()
        .user
        .unwrap();
    assert!(user.is_deactivated());
    let user = client
        .reactivate_user(ReactivateUserRequest::new("user-1"))
        .unwrap()
        .user
        .unwrap();
    assert!(!user.is_deactivated());

    let started = client
        .delete_user(DeleteUserRequest::new("user-2").messages(DeleteMode::Soft))
        .unwrap();
    let result = started
        .handle()
        .wait()
        .interval(Duration::from_millis(10))
        .send()
        .unwrap();
    assert!(result.all_ok(), "{result:?}");
    assert!(
        client
            .export_user("user-2")
            .unwrap()
            .user
            .unwrap()
            .is_deleted()
    );
    client
        .restore_users(RestoreUsersRequest::new(["user-2"]))
        .unwrap();
    assert!(
        !client
            .export_user("user-2")
            .unwrap()
            .user
            .unwrap()
            .is_deleted()
    );

    let before = client.export_user("user-1").unwrap().messages.len();
    assert!(before > 0);
    let answer = client
        .chat()
        .truncate_channel(TruncateChannelRequest::new("messaging:seed-1").hard_delete(true))
        .unwrap();
    assert!(answer.channel.unwrap().truncated_at.is_some());
    let after = client.export_user("user-1").unwrap().messages.len();
    assert!(after < before, "hard truncate left {after} of {before}");

    let error = client
        .restore_users(RestoreUsersRequest::new([""]))
        .unwrap_err();
    assert!(error.is_invalid_argument(), "{error:?}");
}
