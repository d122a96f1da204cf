//! Client-side checks of operation arguments, made before any request.

use crate::error::{InvalidArgumentError, Result};

/// Checks the number of entries of a list argument: 1 to `max`.
pub(crate) fn check_count(argument: &str, count: usize, max: usize) -> Result<()> {
    if count == 0 {
        return Err(InvalidArgumentError::new(argument, "must not be empty").into());
    }
    if count > max {
        return Err(InvalidArgumentError::new(
            argument,
            format!("has {count} entries; at most {max} are allowed"),
        )
        .into());
    }
    Ok(())
}

/// Checks a list of ids: 1 to `max` of them, none blank.
pub(crate) fn check_ids(argument: &str, ids: &[String], max: usize) -> Result<()> {
    check_count(argument, ids.len(), max)?;
    if let Some(i) = ids.iter().position(|id| id.trim().is_empty()) {
        return Err(
            InvalidArgumentError::new(argument, format!("entry {i} is an empty id")).into(),
        );
    }
    Ok(())
}

/// Checks an optional id argument (e.g. `created_by_id`): set means non-blank.
pub(crate) fn check_optional_id(argument: &str, id: Option<&str>) -> Result<()> {
    match id {
        Some(id) if id.trim().is_empty() => {
            Err(InvalidArgumentError::new(argument, "must not be empty when set").into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_checks() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_ids("user_ids", &ids(&["a"]), 1).is_ok());
        for bad in [ids(&[]), ids(&["a", "b"]), ids(&[" "])] {
            let e = check_ids("user_ids", &bad, 1).unwrap_err();
            assert!(e.is_invalid_argument(), "{e}");
            assert!(e.to_string().contains("user_ids"), "{e}");
        }
        assert!(check_optional_id("created_by_id", Some("")).is_err());
        assert!(check_optional_id("created_by_id", None).is_ok());
    }
}
