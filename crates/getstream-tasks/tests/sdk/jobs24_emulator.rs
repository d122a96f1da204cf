//! Issue 24's operations end to end: the SDK against the real emulator (on
//! the test's runtime, on tokio's paused clock) — channel batch update, the
//! block-list calls and their import, the membership deletion of upsert and
//! partial update of users — each checked in the emulator's data afterwards.

use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace, SeedSpec};
use getstream_tasks::{
    ChannelBatchFilter, ChannelBatchMember, ChannelBatchOperation as Op, ChannelBatchUpdateRequest,
    ChannelBatchUpdateResult, ChannelDataUpdate, Client, CreateBlockListRequest, Error,
    ImportBlockListRequest, MembershipDeletionResult, UpdateBlockListRequest, UserPartialUpdate,
    UserRequest,
};
use serde_json::{Map, Value, json};

/// An emulator with `messaging:seed-1..3` (members `user-i`, `user-i+1`) and
/// users `user-1..4`, at its visible default pace.
async fn emulator() -> (EmulatorHandle, Client) {
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::default()))
        .await
        .unwrap();
    let seed = SeedSpec {
        users: 4,
        channels: 3,
        messages: 2,
    };
    emulator.state().seed(emulator.api_key(), seed).unwrap();
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    (emulator, client)
}

fn channel(emulator: &EmulatorHandle, cid: &str) -> Value {
    let snapshot = emulator.state().snapshot(emulator.api_key()).unwrap();
    snapshot["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cid"] == cid)
        .cloned()
        .unwrap_or_else(|| panic!("no channel {cid}"))
}

fn member_ids(emulator: &EmulatorHandle, cid: &str) -> Vec<String> {
    let mut ids: Vec<String> = channel(emulator, cid)["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn member<'a>(channel: &'a Value, user: &str) -> &'a Value {
    channel["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == user)
        .unwrap_or_else(|| panic!("{user} is not a member of {}", channel["cid"]))
}

async fn batch(client: &Client, request: ChannelBatchUpdateRequest) -> ChannelBatchUpdateResult {
    let answer = client.chat().channel_batch_update(request).await.unwrap();
    assert!(!answer.duration.is_empty());
    answer
        .task()
        .expect("the emulator names a task")
        .wait()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn add_members_reports_a_missing_user_as_failed_channels() {
    let (emulator, client) = emulator().await;
    let cids = ChannelBatchFilter::cids(["messaging:seed-1", "messaging:seed-3"]);
    let ok = batch(
        &client,
        ChannelBatchUpdateRequest::new(Op::AddMembers, cids.clone())
            .members([ChannelBatchMember::new("user-4").channel_role("channel_moderator")]),
    )
    .await;
    assert_eq!(
        (ok.operation.as_str(), ok.status.as_str()),
        ("addMembers", "completed")
    );
    assert_eq!(ok.success_channels_count, 2);
    assert!(ok.all_ok(), "{ok:?}");
    assert_eq!(
        member_ids(&emulator, "messaging:seed-1"),
        ["user-1", "user-2", "user-4"]
    );
    // user-4 was already a member of seed-3; it is added to seed-1 with its role.
    let seed1 = channel(&emulator, "messaging:seed-1");
    assert_eq!(
        member(&seed1, "user-4")["channel_role"],
        "channel_moderator"
    );

    let failed = batch(
        &client,
        ChannelBatchUpdateRequest::new(Op::AddMembers, cids).members(["user-3", "ghost"]),
    )
    .await;
    assert_eq!(failed.status, "completed");
    assert_eq!(failed.success_channels_count, 0);
    assert!(!failed.all_ok());
    assert_eq!(failed.failed_channels.len(), 1, "{failed:?}");
    assert!(
        failed.failed_channels[0].reason.contains("ghost"),
        "{}",
        failed.failed_channels[0].reason
    );
    let mut failed_cids: Vec<&str> = failed.failed_cids().collect();
    failed_cids.sort_unstable();
    assert_eq!(failed_cids, ["messaging:seed-1", "messaging:seed-3"]);
    // addMembersHideHistory is not one of the twelve: the emulator refuses it.
    let hide_history = ChannelBatchUpdateRequest::new(
        Op::AddMembersHideHistory,
        ChannelBatchFilter::cids(["messaging:seed-1"]),
    )
    .members(["user-3"])
    .hide_history_before(std::time::SystemTime::now());
    let refused = client
        .chat()
        .channel_batch_update(hide_history)
        .await
        .unwrap_err();
    let Error::Api(api) = refused else {
        panic!("{refused}")
    };
    assert_eq!((api.status_code().as_u16(), api.code()), (400, 4));
    // A failed channel is left as it was: user-3 was not added either.
    assert_eq!(
        member_ids(&emulator, "messaging:seed-1"),
        ["user-1", "user-2", "user-4"]
    );
}

#[tokio::test(start_paused = true)]
async fn update_data_and_member_state_operations_change_the_matched_channels() {
    let (emulator, client) = emulator().await;
    let mut data = ChannelDataUpdate::new();
    data.frozen = Some(true);
    data.team = Some("red".into());
    let mut custom = Map::new();
    custom.insert("color".into(), json!("red"));
    let updated = batch(
        &client,
        ChannelBatchUpdateRequest::new(Op::UpdateData, ChannelBatchFilter::types(["messaging"]))
            .data(data)
            .custom_set(custom),
    )
    .await;
    assert_eq!(
        (updated.operation.as_str(), updated.success_channels_count),
        ("updateData", 3)
    );
    for cid in ["messaging:seed-1", "messaging:seed-2", "messaging:seed-3"] {
        let c = channel(&emulator, cid);
        assert_eq!(
            (&c["frozen"], &c["team"]),
            (&json!(true), &json!("red")),
            "{cid}"
        );
        assert_eq!(c["custom"]["color"], "red", "{cid}");
    }
    let unset = batch(
        &client,
        ChannelBatchUpdateRequest::new(
            Op::UpdateData,
            ChannelBatchFilter::cids(["messaging:seed-2"]),
        )
        .custom_unset(["color"]),
    )
    .await;
    assert_eq!(unset.success_channels_count, 1);
    assert!(
        channel(&emulator, "messaging:seed-2")["custom"]
            .get("color")
            .is_none()
    );
    assert_eq!(
        channel(&emulator, "messaging:seed-1")["custom"]["color"],
        "red"
    );

    // Archive and hide are per member; a channel the user is no member of fails.
    let archived = batch(
        &client,
        ChannelBatchUpdateRequest::new(Op::Archive, ChannelBatchFilter::cids(["messaging:seed-2"]))
            .members(["user-2"]),
    )
    .await;
    assert_eq!(archived.success_channels_count, 1);
    let seed2 = channel(&emulator, "messaging:seed-2");
    assert!(member(&seed2, "user-2")["archived_at"].is_u64(), "{seed2}");
    assert!(member(&seed2, "user-3").get("archived_at").is_none());
    let hidden = batch(
        &client,
        ChannelBatchUpdateRequest::new(Op::Hide, ChannelBatchFilter::cids(["messaging:seed-1"]))
            .members(["user-1"]),
    )
    .await;
    assert_eq!(
        (hidden.operation.as_str(), hidden.success_channels_count),
        ("hide", 1)
    );
    let promoted = batch(
        &client,
        ChannelBatchUpdateRequest::new(
            Op::AddModerators,
            ChannelBatchFilter::cids(["messaging:seed-3"]),
        )
        .members(["user-3"]),
    )
    .await;
    assert_eq!(promoted.success_channels_count, 1);
    let seed3 = channel(&emulator, "messaging:seed-3");
    assert_eq!(member(&seed3, "user-3")["is_moderator"], true);

    // Zero matched channels: completed, nothing counted.
    let none = batch(
        &client,
        ChannelBatchUpdateRequest::new(Op::Show, ChannelBatchFilter::types(["livestream"]))
            .members(["user-1"]),
    )
    .await;
    assert_eq!(
        (none.status.as_str(), none.success_channels_count),
        ("completed", 0)
    );
    assert!(none.failed_channels.is_empty());
}

#[tokio::test(start_paused = true)]
async fn block_lists_round_trip_and_import_counts_added_and_skipped() {
    let (_emulator, client) = emulator().await;
    let created = client
        .create_block_list(CreateBlockListRequest::new("profanity", ["darn"]).team("red"))
        .await
        .unwrap();
    assert!(!created.duration.is_empty());
    let duplicate = client
        .create_block_list(CreateBlockListRequest::new("profanity", ["x"]))
        .await
        .unwrap_err();
    let Error::Api(api) = duplicate else {
        panic!("{duplicate}")
    };
    assert_eq!(api.status_code().as_u16(), 400);

    let list = client
        .get_block_list("profanity")
        .await
        .unwrap()
        .blocklist
        .unwrap();
    assert_eq!(
        (list.name.as_str(), list.kind.as_str()),
        ("profanity", "word")
    );
    assert_eq!(
        (list.words.as_slice(), list.team.as_deref()),
        (&["darn".to_owned()][..], Some("red"))
    );
    assert!(list.created_at.is_some() && list.updated_at.is_some());
    assert!(list.extra.contains_key("id"), "{list:?}");

    let mut update = UpdateBlockListRequest::default();
    update.words = Some(vec!["darn".into(), "heck".into()]);
    let updated = client.update_block_list("profanity", update).await.unwrap();
    assert_eq!(updated.blocklist.unwrap().words, ["darn", "heck"]);
    let listed = client.list_block_lists(Some("red")).await.unwrap();
    assert_eq!(
        listed
            .blocklists
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        ["profanity"]
    );
    assert!(
        client
            .list_block_lists(Some("blue"))
            .await
            .unwrap()
            .blocklists
            .is_empty()
    );

    // "HECK" is present (case-insensitive), "gosh" comes twice: two skipped.
    let import =
        ImportBlockListRequest::new("profanity", ["HECK", "gosh", " golly ", "gosh"]).chunk_size(2);
    let started = client.import_block_list(import).await.unwrap();
    let result = started.handle().wait().await.unwrap();
    assert_eq!(
        (
            result.blocklist.as_str(),
            result.added,
            result.skipped,
            result.total
        ),
        ("profanity", 2, 2, 4)
    );
    let words = client
        .get_block_list("profanity")
        .await
        .unwrap()
        .blocklist
        .unwrap()
        .words;
    assert_eq!(words, ["darn", "heck", "gosh", "golly"]);

    // An unknown list is refused at once, with no task.
    let unknown = client
        .import_block_list(ImportBlockListRequest::new("nope", ["x"]))
        .await
        .unwrap_err();
    let Error::Api(api) = unknown else {
        panic!("{unknown}")
    };
    assert_eq!((api.status_code().as_u16(), api.code()), (404, 16));

    client.delete_block_list("profanity").await.unwrap();
    let gone = client.get_block_list("profanity").await.unwrap_err();
    let Error::Api(api) = gone else {
        panic!("{gone}")
    };
    assert_eq!((api.status_code().as_u16(), api.code()), (404, 16));
}

async fn removed(answer: getstream_tasks::UpdateUsersResponse) -> MembershipDeletionResult {
    answer
        .membership_deletion_task()
        .expect("a team was taken: a membership deletion task")
        .wait()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn taking_a_team_from_users_removes_their_memberships_in_a_task() {
    let (emulator, client) = emulator().await;
    let mut data = ChannelDataUpdate::new();
    data.team = Some("red".into());
    let teamed = batch(
        &client,
        ChannelBatchUpdateRequest::new(
            Op::UpdateData,
            ChannelBatchFilter::cids(["messaging:seed-1", "messaging:seed-2"]),
        )
        .data(data),
    )
    .await;
    assert_eq!(teamed.success_channels_count, 2);

    // Giving teams takes none: no handle.
    let given = client
        .upsert_users([
            UserRequest::new("user-2").teams(["red", "blue"]),
            UserRequest::new("user-3").teams(["red"]),
        ])
        .await
        .unwrap();
    assert!(given.membership_deletion_task().is_none());
    assert_eq!(given.users["user-2"].id, "user-2");

    // Partial update: user-2 leaves red, a member of seed-1 and seed-2 (both red).
    let patched = client
        .update_users_partial([UserPartialUpdate::new("user-2").set("teams", json!(["blue"]))])
        .await
        .unwrap();
    let result = removed(patched).await;
    assert_eq!(result.removed_count, 2);
    assert_eq!(result.removed_memberships.len(), 1);
    assert_eq!(result.removed_memberships[0].user_id, "user-2");
    let mut cids = result.removed_memberships[0].cids.clone();
    cids.sort();
    assert_eq!(cids, ["messaging:seed-1", "messaging:seed-2"]);
    assert_eq!(member_ids(&emulator, "messaging:seed-1"), ["user-1"]);
    assert_eq!(member_ids(&emulator, "messaging:seed-2"), ["user-3"]);

    // Upsert: user-3 leaves red; seed-3 has no team, so that membership stays.
    let upserted = client
        .upsert_users([UserRequest::new("user-3").teams(Vec::<String>::new())])
        .await
        .unwrap();
    let result = removed(upserted).await;
    assert_eq!(result.removed_count, 1);
    assert_eq!(result.removed_memberships[0].user_id, "user-3");
    assert_eq!(result.removed_memberships[0].cids, ["messaging:seed-2"]);
    assert!(member_ids(&emulator, "messaging:seed-2").is_empty());
    assert_eq!(
        member_ids(&emulator, "messaging:seed-3"),
        ["user-3", "user-4"]
    );

    // The same teams again take nothing: no handle.
    let same = client
        .update_users_partial([UserPartialUpdate::new("user-2").set("teams", json!(["blue"]))])
        .await
        .unwrap();
    assert!(same.membership_deletion_task().is_none());
}
