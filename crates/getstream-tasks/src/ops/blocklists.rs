//! Block lists: create, get, update, delete and list them at once, and import
//! words into one as a task (`POST /api/v2/blocklists/{name}/import`).

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::records::lenient_time;
use super::send::StartedWire;
use super::{BlockListImportResult, TaskStarted, call, check_count, lenient_string};
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};
use crate::models::Timestamp;

/// At most this many items in one block-list import call.
pub const MAX_IMPORT_ITEMS: usize = 10_000;
/// At most this many characters in one block-list item (after trimming) or name.
pub const MAX_BLOCKLIST_ITEM_LENGTH: usize = 255;
/// The largest chunk a block-list import may add at a time.
pub const MAX_IMPORT_CHUNK_SIZE: usize = 1_000;

/// [`Client::create_block_list`](crate::Client::create_block_list): checks the arguments, then sends.
pub(crate) async fn create_block_list(
    client: &Client,
    request: CreateBlockListRequest,
) -> Result<BlockListResponse> {
    check_name(&request.name)?;
    if request.words.iter().any(|w| w.trim().is_empty()) {
        return Err(InvalidArgumentError::new("words", "has an empty word").into());
    }
    call(
        client,
        Method::POST,
        &["api", "v2", "blocklists"],
        Some(&request),
    )
    .await
}

/// [`Client::get_block_list`](crate::Client::get_block_list): checks the arguments, then sends.
pub(crate) async fn get_block_list(client: &Client, name: &str) -> Result<BlockListResponse> {
    check_name(name)?;
    let path = ["api", "v2", "blocklists", name];
    call(client, Method::GET, &path, None::<&()>).await
}

/// [`Client::update_block_list`](crate::Client::update_block_list): checks the arguments, then sends.
pub(crate) async fn update_block_list(
    client: &Client,
    name: &str,
    request: UpdateBlockListRequest,
) -> Result<BlockListResponse> {
    check_name(name)?;
    let path = ["api", "v2", "blocklists", name];
    call(client, Method::PUT, &path, Some(&request)).await
}

/// [`Client::delete_block_list`](crate::Client::delete_block_list): checks the arguments, then sends.
pub(crate) async fn delete_block_list(client: &Client, name: &str) -> Result<BlockListResponse> {
    check_name(name)?;
    let path = ["api", "v2", "blocklists", name];
    call(client, Method::DELETE, &path, None::<&()>).await
}

/// [`Client::list_block_lists`](crate::Client::list_block_lists): `GET /api/v2/blocklists`, for one team if given.
pub(crate) async fn list_block_lists(
    client: &Client,
    team: Option<&str>,
) -> Result<BlockListsResponse> {
    let mut request = crate::transport::Request::new(Method::GET, &["api", "v2", "blocklists"])?;
    if let Some(team) = team {
        request = request.query("team", team);
    }
    Ok(client.transport().send(request).await?.into_body())
}

/// [`Client::import_block_list`](crate::Client::import_block_list): checks the arguments, then sends.
pub(crate) async fn import_block_list(
    client: &Client,
    request: ImportBlockListRequest,
) -> Result<TaskStarted<BlockListImportResult>> {
    request.validate()?;
    let path = ["api", "v2", "blocklists", request.name.as_str(), "import"];
    let wire: StartedWire = call(client, Method::POST, &path, Some(&request)).await?;
    Ok(wire.into_started(client))
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(InvalidArgumentError::new("name", "must not be empty").into());
    }
    let length = name.chars().count();
    if length > MAX_BLOCKLIST_ITEM_LENGTH {
        return Err(InvalidArgumentError::new(
            "name",
            format!("has {length} characters; at most {MAX_BLOCKLIST_ITEM_LENGTH} are allowed"),
        )
        .into());
    }
    Ok(())
}

/// The kind of entries a block list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BlockListType {
    /// Words (`word`, the default).
    Word,
    /// Regular expressions (`regex`).
    Regex,
    /// Domains to block (`domain`).
    Domain,
    /// The only domains allowed (`domain_allowlist`).
    DomainAllowlist,
    /// E-mail addresses to block (`email`).
    Email,
    /// The only e-mail addresses allowed (`email_allowlist`).
    EmailAllowlist,
}

/// The body of `POST /api/v2/blocklists`.
///
/// ```
/// use getstream_tasks::{BlockListType, CreateBlockListRequest};
/// let request = CreateBlockListRequest::new("profanity", ["darn"]).kind(BlockListType::Word);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"name": "profanity", "words": ["darn"], "type": "word"}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct CreateBlockListRequest {
    name: String,
    words: Vec<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<BlockListType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_leet_check_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_plural_check_enabled: Option<bool>,
}

impl CreateBlockListRequest {
    /// A list `name` holding `words` (may be empty: import them later).
    pub fn new(
        name: impl Into<String>,
        words: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        CreateBlockListRequest {
            name: name.into(),
            words: words.into_iter().map(Into::into).collect(),
            kind: None,
            team: None,
            is_leet_check_enabled: None,
            is_plural_check_enabled: None,
        }
    }

    /// What the entries are. Default (unset): words.
    pub fn kind(mut self, kind: BlockListType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// The team the list belongs to.
    pub fn team(mut self, team: impl Into<String>) -> Self {
        self.team = Some(team.into());
        self
    }

    /// Also match leetspeak spellings (`d4rn`).
    pub fn leet_check(mut self, on: bool) -> Self {
        self.is_leet_check_enabled = Some(on);
        self
    }

    /// Also match plurals.
    pub fn plural_check(mut self, on: bool) -> Self {
        self.is_plural_check_enabled = Some(on);
        self
    }
}

/// The body of `PUT /api/v2/blocklists/{name}`: each set field replaces the
/// list's.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UpdateBlockListRequest {
    /// The list's new words (all of them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<String>>,
    /// The list's team.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Match leetspeak spellings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_leet_check_enabled: Option<bool>,
    /// Match plurals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_plural_check_enabled: Option<bool>,
}

/// The body of `POST /api/v2/blocklists/{name}/import`.
///
/// ```
/// let request = getstream_tasks::ImportBlockListRequest::new("profanity", ["darn", "heck"])
///     .chunk_size(500);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"items": ["darn", "heck"], "chunk_size": 500}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct ImportBlockListRequest {
    #[serde(skip)]
    name: String,
    items: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chunk_size: Option<usize>,
}

impl ImportBlockListRequest {
    /// Imports `items` (1 to [`MAX_IMPORT_ITEMS`]) into the list `name`.
    pub fn new(
        name: impl Into<String>,
        items: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        ImportBlockListRequest {
            name: name.into(),
            items: items.into_iter().map(Into::into).collect(),
            chunk_size: None,
        }
    }

    /// How many items the task adds at a time (1 to [`MAX_IMPORT_CHUNK_SIZE`]).
    /// Default (unset): the server's (100).
    pub fn chunk_size(mut self, size: usize) -> Self {
        self.chunk_size = Some(size);
        self
    }

    /// The list's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The items to import.
    pub fn items(&self) -> &[String] {
        &self.items
    }

    fn validate(&self) -> Result<()> {
        check_name(&self.name)?;
        check_count("items", self.items.len(), MAX_IMPORT_ITEMS)?;
        for (i, item) in self.items.iter().enumerate() {
            let length = item.trim().chars().count();
            if length == 0 || length > MAX_BLOCKLIST_ITEM_LENGTH {
                return Err(InvalidArgumentError::new(
                    "items",
                    format!(
                        "entry {i} has {length} characters once trimmed; 1 to {MAX_BLOCKLIST_ITEM_LENGTH} are allowed"
                    ),
                )
                .into());
            }
        }
        if let Some(size) = self.chunk_size
            && !(1..=MAX_IMPORT_CHUNK_SIZE).contains(&size)
        {
            return Err(InvalidArgumentError::new(
                "chunk_size",
                format!("is {size}; 1 to {MAX_IMPORT_CHUNK_SIZE} are allowed"),
            )
            .into());
        }
        Ok(())
    }
}

/// A block list, as the server answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BlockList {
    /// The list's name.
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
    /// What the entries are, as sent (`word`, `regex`, `domain`, ...).
    #[serde(rename = "type", default, deserialize_with = "lenient_string")]
    pub kind: String,
    /// The entries.
    #[serde(default)]
    pub words: Vec<String>,
    /// The team, when it has one.
    #[serde(default)]
    pub team: Option<String>,
    /// When it was created.
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    /// When it last changed.
    #[serde(default, deserialize_with = "lenient_time")]
    pub updated_at: Option<Timestamp>,
    /// Any other field, as sent (`id`, the match options, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a single block-list call answered: the list (absent for create and delete).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BlockListResponse {
    /// The list as it now is, when the server sent it.
    #[serde(default)]
    pub blocklist: Option<BlockList>,
    /// The server's time for the request.
    #[serde(default, deserialize_with = "lenient_string")]
    pub duration: String,
    /// Any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What list block lists answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BlockListsResponse {
    /// The lists.
    #[serde(default)]
    pub blocklists: Vec<BlockList>,
    /// The server's time for the request.
    #[serde(default, deserialize_with = "lenient_string")]
    pub duration: String,
    /// Any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_limits_are_checked() {
        let max: Vec<String> = (0..MAX_IMPORT_ITEMS).map(|i| format!("w{i}")).collect();
        assert!(
            ImportBlockListRequest::new("l", &max)
                .chunk_size(1_000)
                .validate()
                .is_ok()
        );
        let long = "x".repeat(MAX_BLOCKLIST_ITEM_LENGTH + 1);
        let padded = format!("  {}  ", "y".repeat(MAX_BLOCKLIST_ITEM_LENGTH));
        assert!(
            ImportBlockListRequest::new("l", [&padded])
                .validate()
                .is_ok()
        );
        let over: Vec<String> = (0..=MAX_IMPORT_ITEMS).map(|i| format!("w{i}")).collect();
        let cases = [
            ImportBlockListRequest::new("", ["a"]),
            ImportBlockListRequest::new(long.clone(), ["a"]),
            ImportBlockListRequest::new("l", Vec::<String>::new()),
            ImportBlockListRequest::new("l", &over),
            ImportBlockListRequest::new("l", ["  "]),
            ImportBlockListRequest::new("l", [&long]),
            ImportBlockListRequest::new("l", ["a"]).chunk_size(0),
            ImportBlockListRequest::new("l", ["a"]).chunk_size(1_001),
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let e = case.validate().unwrap_err();
            assert!(e.is_invalid_argument(), "case {i}: {e}");
        }
    }

    #[test]
    fn block_lists_decode_leniently() {
        let answer: BlockListResponse = serde_json::from_value(serde_json::json!({
            "duration": "1ms",
            "blocklist": {"name": "p", "type": "word", "words": ["a"], "team": null,
                          "created_at": "2025-01-01T00:00:00Z", "id": "x1"},
        }))
        .unwrap();
        let list = answer.blocklist.unwrap();
        assert_eq!((list.name.as_str(), list.kind.as_str()), ("p", "word"));
        assert!(list.created_at.is_some() && list.team.is_none());
        assert_eq!(list.extra["id"], "x1");
    }
}
