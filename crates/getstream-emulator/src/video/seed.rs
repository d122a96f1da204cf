//! [`CallSeed`]: a call put into an app's data by a library call, with sessions and
//! recordings to remove (the HTTP API opens sessions only through get-or-create).

use super::model::{Call, CallMember, MAX_MEMBERS, now_ns, valid_id};
use crate::data::app_data::valid_user_id;
use crate::state::{EmulatorState, StateError};

/// A call to create with [`EmulatorState::create_call`].
///
/// ```
/// use getstream_emulator::{CallSeed, EmulatorConfig, EmulatorState};
/// let state = EmulatorState::new(EmulatorConfig::new().app("k", "s"));
/// let cid = state
///     .create_call("k", CallSeed::new("default", "standup").created_by("alice")
///         .members(["alice", "bob"]).sessions(3).recordings(1))
///     .unwrap();
/// assert_eq!(cid, "default:standup");
/// assert!(state.create_call("k", CallSeed::new("bad:type", "x")).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct CallSeed {
    call_type: String,
    id: String,
    created_by: String,
    members: Vec<String>,
    sessions: u64,
    recordings: u64,
}

impl CallSeed {
    /// A call of this type and id, created by `"admin"`, with no members, sessions or
    /// recordings.
    pub fn new(call_type: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            call_type: call_type.into(),
            id: id.into(),
            created_by: "admin".to_owned(),
            members: Vec::new(),
            sessions: 0,
            recordings: 0,
        }
    }

    /// The user who created the call.
    pub fn created_by(mut self, user_id: impl Into<String>) -> Self {
        self.created_by = user_id.into();
        self
    }

    /// The members (role `user`), at most 100.
    pub fn members<I: IntoIterator<Item = S>, S: Into<String>>(mut self, user_ids: I) -> Self {
        self.members = user_ids.into_iter().map(Into::into).collect();
        self
    }

    /// How many sessions the call has had.
    pub fn sessions(mut self, n: u64) -> Self {
        self.sessions = n;
        self
    }

    /// How many of its sessions were recorded (at most `sessions`).
    pub fn recordings(mut self, n: u64) -> Self {
        self.recordings = n;
        self
    }
}

impl EmulatorState {
    /// Creates (or replaces) a call in an app, as a get-or-create would, with the seed's
    /// sessions and recordings. Returns its cid.
    ///
    /// # Errors
    /// [`StateError::UnknownApp`]; [`StateError::Invalid`] for a type or id that is not
    /// 1..=64 letters, digits, `_` or `-`, an invalid user id, or more than 100 members.
    pub fn create_call(&self, app_key: &str, seed: CallSeed) -> Result<String, StateError> {
        let app = self
            .app(app_key)
            .ok_or_else(|| StateError::UnknownApp(app_key.to_owned()))?;
        if !valid_id(&seed.call_type) || !valid_id(&seed.id) {
            return Err(StateError::Invalid(
                "call type and id must be 1..=64 letters, digits, _ or -".into(),
            ));
        }
        let users = std::iter::once(&seed.created_by).chain(&seed.members);
        if let Some(bad) = users.into_iter().find(|u| !valid_user_id(u)) {
            return Err(StateError::Invalid(format!(
                "{bad:?} is not a valid user id"
            )));
        }
        if seed.members.len() > MAX_MEMBERS {
            return Err(StateError::Invalid(format!(
                "a call has at most {MAX_MEMBERS} members"
            )));
        }
        let t = now_ns();
        let members = seed
            .members
            .into_iter()
            .map(|user_id| CallMember {
                user_id,
                role: "user".to_owned(),
                custom: serde_json::Map::new(),
                created_at: t,
                updated_at: t,
            })
            .collect();
        let call = Call {
            kind: seed.call_type,
            id: seed.id,
            created_by_id: seed.created_by,
            custom: serde_json::Map::new(),
            members,
            sessions: seed.sessions,
            recordings: seed.recordings.min(seed.sessions),
            current_session_id: String::new(),
            created_at: t,
            updated_at: t,
            deleted_at: None,
        };
        let cid = call.cid();
        app.data_mut().put_call(call);
        Ok(cid)
    }
}
