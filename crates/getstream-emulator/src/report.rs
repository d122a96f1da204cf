//! How a command-line tool reports an error: the error and its causes on one line.
//!
//! Shared by the `getstream-emulator` binary and the `getstream` command, so that both print
//! a failure the same way.

use std::error::Error;

/// The error and its causes on one line, `outer: cause: root cause`.
///
/// Line breaks inside a message become spaces, and a cause whose text the line already
/// holds is skipped (many errors repeat their source in their own message), so nothing is
/// said twice.
///
/// ```
/// use getstream_emulator::report::one_line_chain;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("could not bind 127.0.0.1:80")]
/// struct Bind(#[source] std::io::Error);
///
/// let e = Bind(std::io::Error::other("permission denied\n(try a port above 1023)"));
/// assert_eq!(
///     one_line_chain(&e),
///     "could not bind 127.0.0.1:80: permission denied (try a port above 1023)"
/// );
/// ```
pub fn one_line_chain(e: &(dyn Error + 'static)) -> String {
    let mut line = flatten(&e.to_string());
    let mut source = e.source();
    while let Some(s) = source {
        let text = flatten(&s.to_string());
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line
}

/// One line of text: the non-empty lines of `s`, trimmed and joined by spaces.
fn flatten(s: &str) -> String {
    s.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("could not start: {0}")]
    struct Repeats(#[source] io::Error);

    #[test]
    fn the_chain_is_one_line() {
        let e = Outer(io::Error::other("inner\nsecond line"));
        assert_eq!(one_line_chain(&e), "outer: inner second line");
    }

    #[test]
    fn a_cause_already_in_the_line_is_not_repeated() {
        let e = Repeats(io::Error::other("address in use"));
        assert_eq!(one_line_chain(&e), "could not start: address in use");
    }
}
