//! Hard-deletes a video call, then waits for the task that removes it with its
//! sessions, recordings and members. Runs against the embedded emulator (no
//! network, no credentials):
//!
//! ```sh
//! cargo run -p getstream-tasks --example delete_call
//! ```
//!
//! Against Stream, build the client with your key and secret instead (and a
//! call that exists); the rest is the same.

use getstream_emulator::{CallSeed, Emulator, EmulatorConfig};
use getstream_tasks::{Client, DeleteCallRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(EmulatorConfig::new()).await?;
    let seed = CallSeed::new("default", "standup")
        .created_by("alice")
        .members(["alice", "bob"])
        .sessions(3)
        .recordings(1);
    emulator.state().create_call(emulator.api_key(), seed)?;

    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()?;
    let answer = client
        .video()
        .delete_call(DeleteCallRequest::new("default", "standup").hard(true))
        .await?;
    println!(
        "deleted {} (deleted_at {:?})",
        answer.call.cid,
        answer.call.deleted_at.map(|t| t.to_string())
    );
    if let Some(task) = answer.task {
        println!("task {} started; waiting", task.task_id());
        let result = task.wait().await?;
        println!(
            "removed {}: {} sessions, {} recordings, {} members",
            result.cid, result.deleted.sessions, result.deleted.recordings, result.deleted.members
        );
    }
    emulator.shutdown().await;
    Ok(())
}
