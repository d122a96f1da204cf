//! Teams: users belong to teams (`teams`), a channel to at most one (`team`). Taking a team
//! from a user removes the user's memberships in that team's channels — our reading of
//! Stream's `membership_deletion_task_id`, which Stream names without saying more — in a
//! task (`handlers/memberships.rs`). Pure data, no I/O, no locks (as `app_data`).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::data::app_data::{AppData, Member, now};

/// Most teams one user belongs to.
pub(crate) const MAX_TEAMS: usize = 100;
/// Longest team name, in characters.
pub(crate) const MAX_TEAM_CHARS: usize = 255;

/// Reads a `teams` value: an array of at most [`MAX_TEAMS`] team names of 1..=255
/// characters; `null` is no teams. Duplicates are dropped, the order kept.
///
/// # Errors
/// What is wrong with it, to follow the field's name.
pub(crate) fn parse_teams(v: &Value) -> Result<Vec<String>, String> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => return Err("must be an array of team names".to_owned()),
    };
    if items.len() > MAX_TEAMS {
        return Err(format!(
            "must hold at most {MAX_TEAMS} teams, got {}",
            items.len()
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(t) = item else {
            return Err("must be an array of team names".to_owned());
        };
        let n = t.chars().count();
        if n == 0 || n > MAX_TEAM_CHARS {
            return Err(format!(
                "must hold team names of 1..={MAX_TEAM_CHARS} characters, got {t:?}"
            ));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

/// Reads a channel's `team`: a string of at most 255 characters (`""` and `null`: none).
///
/// # Errors
/// What is wrong with it, to follow the field's name.
pub(crate) fn parse_team(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(t) if t.is_empty() => Ok(None),
        Value::String(t) if t.chars().count() <= MAX_TEAM_CHARS => Ok(Some(t.clone())),
        _ => Err(format!(
            "must be a team name of at most {MAX_TEAM_CHARS} characters"
        )),
    }
}

impl AppData {
    /// The teams that giving user `id` the teams `new` takes from them and whose channels
    /// they are a member of (the memberships a membership deletion would remove).
    pub fn teams_losing_memberships(&self, id: &str, new: &[String]) -> Vec<String> {
        let Some(u) = self.users.get(id) else {
            return Vec::new();
        };
        let taken: BTreeSet<&String> = u.teams.iter().filter(|t| !new.contains(t)).collect();
        if taken.is_empty() {
            return Vec::new();
        }
        let mut losing = BTreeSet::new();
        for c in self.channels.values() {
            if let Some(team) = c.team.as_ref().filter(|t| taken.contains(t))
                && c.members.iter().any(|m| m.user_id == id)
            {
                losing.insert(team.clone());
            }
        }
        losing.into_iter().collect()
    }

    /// Gives the existing user `id` exactly the teams `teams`.
    pub fn set_user_teams(&mut self, id: &str, teams: Vec<String>) {
        if let Some(u) = self.users.get_mut(id) {
            self.changes.user(id);
            u.teams = teams;
            u.updated_at = now();
        }
    }

    /// Puts the existing channel `cid` in `team` (`None`: in none).
    pub fn set_channel_team(&mut self, cid: &str, team: Option<String>) {
        if let Some(c) = self.channels.get_mut(cid) {
            self.changes.channel(cid);
            c.team = team;
        }
    }

    /// Removes user `id`'s memberships in the channels of `teams`, except of a team the
    /// user belongs to again. Returns the channels and the memberships removed.
    pub fn remove_team_memberships(&mut self, id: &str, teams: &[String]) -> Vec<(String, Member)> {
        let Some(u) = self.users.get(id) else {
            return Vec::new();
        };
        let teams: BTreeSet<&String> = teams.iter().filter(|t| !u.teams.contains(t)).collect();
        let mut removed = Vec::new();
        let t = now();
        for (cid, c) in &mut self.channels {
            if !c.team.as_ref().is_some_and(|team| teams.contains(team)) {
                continue;
            }
            if let Some(pos) = c.members.iter().position(|m| m.user_id == id) {
                removed.push((cid.clone(), c.members.remove(pos)));
                c.updated_at = t;
                self.changes.channel(cid);
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;

    fn data() -> AppData {
        let mut d = AppData::default();
        for id in ["ann", "bob"] {
            d.upsert_user(id, None, Map::new());
        }
        d.set_user_teams("ann", vec!["red".into(), "blue".into()]);
        for (id, team) in [("r1", "red"), ("r2", "red"), ("b1", "blue")] {
            d.get_or_create_channel("messaging", id, Some("ann"), &["ann".into()], Map::new());
            d.set_channel_team(&format!("messaging:{id}"), Some(team.into()));
        }
        d
    }

    #[test]
    fn teams_are_read_and_checked() {
        assert_eq!(
            parse_teams(&json!(["a", "b", "a"])),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(parse_teams(&Value::Null), Ok(vec![]));
        assert!(parse_teams(&json!("a")).is_err());
        assert!(parse_teams(&json!([""])).is_err());
        assert!(parse_teams(&json!([1])).is_err());
        assert!(parse_teams(&json!(vec!["t"; MAX_TEAMS + 1])).is_err());
        assert_eq!(parse_team(&json!("")), Ok(None));
        assert!(parse_team(&json!(3)).is_err());
    }

    #[test]
    fn taking_a_team_loses_the_memberships_of_its_channels_only() {
        let mut d = data();
        assert_eq!(d.teams_losing_memberships("ann", &["blue".into()]), ["red"]);
        assert!(
            d.teams_losing_memberships("ann", &["red".into(), "blue".into()])
                .is_empty()
        );
        assert!(d.teams_losing_memberships("bob", &[]).is_empty());
        d.set_user_teams("ann", vec!["blue".into()]);
        let removed = d.remove_team_memberships("ann", &["red".into()]);
        let cids: Vec<&str> = removed.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(cids, ["messaging:r1", "messaging:r2"]);
        assert!(d.channels["messaging:r1"].members.is_empty());
        assert_eq!(d.channels["messaging:b1"].members.len(), 1);
    }

    #[test]
    fn a_team_given_back_before_the_task_runs_keeps_its_memberships() {
        let mut d = data();
        assert!(d.remove_team_memberships("ann", &["red".into()]).is_empty());
        assert_eq!(d.channels["messaging:r1"].members.len(), 1);
    }
}
