//! Upsert and partial update of users (`POST` / `PATCH /api/v2/users`): done at
//! once, but the answer may name a task, `membership_deletion_task_id`. Stream
//! names only the field (and its schema now calls it deprecated, "always
//! empty"); our reading, which the emulator follows: when the update removes
//! teams from users, the task removes their memberships in those teams' channels.

use std::collections::BTreeMap;

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{MAX_USERS, TaskHandle, call, check_count, lenient_string};
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};
use crate::ops::records::User;

/// [`Client::upsert_users`](crate::Client::upsert_users): checks the arguments, then sends.
pub(crate) async fn upsert_users(
    client: &Client,
    users: impl IntoIterator<Item = UserRequest>,
) -> Result<UpdateUsersResponse> {
    let users: Vec<UserRequest> = users.into_iter().collect();
    check_users(users.iter().map(|u| u.id.as_str()))?;
    for user in &users {
        if user.teams.iter().flatten().any(|t| t.trim().is_empty()) {
            return Err(InvalidArgumentError::new(
                "teams",
                format!("user {:?} has an empty team", user.id),
            )
            .into());
        }
    }
    let body = serde_json::json!({
        "users": users.iter().map(|u| (u.id.clone(), u)).collect::<BTreeMap<_, _>>(),
    });
    let wire: UpdateUsersWire =
        call(client, Method::POST, &["api", "v2", "users"], Some(&body)).await?;
    Ok(wire.into_response(client))
}

/// [`Client::update_users_partial`](crate::Client::update_users_partial): checks the arguments, then sends.
pub(crate) async fn update_users_partial(
    client: &Client,
    updates: impl IntoIterator<Item = UserPartialUpdate>,
) -> Result<UpdateUsersResponse> {
    let users: Vec<UserPartialUpdate> = updates.into_iter().collect();
    check_users(users.iter().map(|u| u.id.as_str()))?;
    for user in &users {
        if user.set.is_empty() && user.unset.is_empty() {
            return Err(InvalidArgumentError::new(
                "users",
                format!("the update of {:?} sets and unsets nothing", user.id),
            )
            .into());
        }
        if user.unset.iter().any(|k| k.trim().is_empty()) {
            return Err(InvalidArgumentError::new("unset", "has an empty key").into());
        }
    }
    let body = serde_json::json!({"users": users});
    let wire: UpdateUsersWire =
        call(client, Method::PATCH, &["api", "v2", "users"], Some(&body)).await?;
    Ok(wire.into_response(client))
}

fn check_users<'a>(ids: impl ExactSizeIterator<Item = &'a str>) -> Result<()> {
    check_count("users", ids.len(), MAX_USERS)?;
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if id.trim().is_empty() {
            return Err(InvalidArgumentError::new("users", "has an empty user id").into());
        }
        if !seen.insert(id) {
            return Err(
                InvalidArgumentError::new("users", format!("repeats the id {id:?}")).into(),
            );
        }
    }
    Ok(())
}

/// One user to upsert.
///
/// ```
/// let user = getstream_tasks::UserRequest::new("ann").name("Ann").teams(["red"]);
/// assert_eq!(
///     serde_json::to_value(&user).unwrap(),
///     serde_json::json!({"id": "ann", "name": "Ann", "teams": ["red"]}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct UserRequest {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    teams: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom: Option<Map<String, Value>>,
}

impl UserRequest {
    /// The user `id`, with no other field set.
    pub fn new(id: impl Into<String>) -> Self {
        UserRequest {
            id: id.into(),
            name: None,
            role: None,
            teams: None,
            image: None,
            language: None,
            custom: None,
        }
    }

    /// The display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The global role (e.g. `user`, `admin`).
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// The teams the user belongs to (all of them: a team left out is removed).
    pub fn teams(mut self, teams: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.teams = Some(teams.into_iter().map(Into::into).collect());
        self
    }

    /// The profile image URL.
    pub fn image(mut self, url: impl Into<String>) -> Self {
        self.image = Some(url.into());
        self
    }

    /// The user's language.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Custom data.
    pub fn custom(mut self, custom: Map<String, Value>) -> Self {
        self.custom = Some(custom);
        self
    }

    /// The user's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// One user's partial update: fields to set and fields to remove.
///
/// ```
/// let update = getstream_tasks::UserPartialUpdate::new("ann")
///     .set("teams", serde_json::json!(["blue"]))
///     .unset(["nickname"]);
/// assert_eq!(
///     serde_json::to_value(&update).unwrap(),
///     serde_json::json!({"id": "ann", "set": {"teams": ["blue"]}, "unset": ["nickname"]}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct UserPartialUpdate {
    id: String,
    #[serde(skip_serializing_if = "Map::is_empty")]
    set: Map<String, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unset: Vec<String>,
}

impl UserPartialUpdate {
    /// An update of the user `id`.
    pub fn new(id: impl Into<String>) -> Self {
        UserPartialUpdate {
            id: id.into(),
            set: Map::new(),
            unset: Vec::new(),
        }
    }

    /// Sets the field `name` to `value`.
    pub fn set(mut self, name: impl Into<String>, value: Value) -> Self {
        self.set.insert(name.into(), value);
        self
    }

    /// Removes these fields.
    pub fn unset(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.unset.extend(names.into_iter().map(Into::into));
        self
    }
}

#[derive(Deserialize)]
struct UpdateUsersWire {
    #[serde(default)]
    users: BTreeMap<String, User>,
    #[serde(default)]
    membership_deletion_task_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    duration: String,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl UpdateUsersWire {
    fn into_response(self, client: &Client) -> UpdateUsersResponse {
        UpdateUsersResponse {
            users: self.users,
            // Stream's schema marks the field deprecated and "always empty": empty means none.
            membership_deletion_task_id: self
                .membership_deletion_task_id
                .filter(|id| !id.trim().is_empty()),
            duration: self.duration,
            extra: self.extra,
            client: client.clone(),
        }
    }
}

update_users_response!(
    /// What upsert or partial update of users answered: the users, and maybe a
    /// membership deletion task ([`membership_deletion_task`](Self::membership_deletion_task)).
    /// Serializes to the fields as sent.
    Client
);
