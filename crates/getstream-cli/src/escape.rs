//! Server text made safe for a terminal.
//!
//! Everything the CLI prints for a person may hold strings a server chose: a task's status,
//! its error description and stack trace, result fields, URLs, item ids, error messages. A
//! control character among them acts on the terminal instead of being shown: `ESC ] 52`
//! writes the clipboard, `ESC ] 0` the window title, `ESC [ 2J` clears the screen, and the
//! one-character C1 forms (`U+009B` is CSI) do the same on many terminals; bidirectional
//! overrides reorder what is shown. Each such character is printed as a visible escape
//! (`\u{1b}`) instead. With `--json`, JSON's own escapes (`\u001b`) are used, so the output
//! stays valid JSON that decodes to the server's text.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` would act on a terminal (or reorder text) instead of being shown: C0
/// controls, DEL, C1 controls and the bidirectional formatting characters.
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn escape_where(text: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escape(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                _ => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text of several lines for the terminal: every character that would act on it is
/// escaped, except line breaks and tabs (which the CLI's own layout uses).
pub fn lines(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| acts_on_terminal(c) && c != '\n' && c != '\t')
}

/// One field on one line: as [`lines`], and line breaks and tabs are escaped too, so a
/// server string cannot start a line that looks like the CLI's own.
pub fn field(text: &str) -> Cow<'_, str> {
    escape_where(text, acts_on_terminal)
}

/// Serialized JSON for a terminal: JSON already escapes C0 controls inside strings, but
/// leaves DEL, C1 controls and bidirectional overrides raw; these become `\uXXXX` (all of
/// them are in the BMP and none is JSON syntax, so only strings can hold them and the
/// result is the same JSON document).
pub fn json(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acts_on_terminal_in_json) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if acts_on_terminal_in_json(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// What [`json`] escapes: what acts on a terminal, except the layout characters of pretty
/// JSON (which serde_json never leaves raw inside a string).
fn acts_on_terminal_in_json(c: char) -> bool {
    acts_on_terminal(c) && !matches!(c, '\n' | '\t' | '\r' | ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\u{1b}]52;c;aGk=\u{7}b\u{1b}[2Jc\u{9b}31md\u{202e}e\u{7f}";

    #[test]
    fn every_control_character_is_shown_not_obeyed() {
        assert_eq!(
            field(HOSTILE),
            "a\\u{1b}]52;c;aGk=\\u{7}b\\u{1b}[2Jc\\u{9b}31md\\u{202e}e\\u{7f}"
        );
        assert_eq!(field("one\ntwo\r\tthree"), "one\\ntwo\\r\\tthree");
        assert_eq!(lines("one\n\ttwo\u{1b}"), "one\n\ttwo\\u{1b}");
        assert!(matches!(field("plain text, ünïcode ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_stays_json_and_decodes_to_the_same_text() {
        let value = serde_json::json!({"description": HOSTILE, "list": ["\u{85}x"]});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json(&text);
        assert!(
            !safe.chars().any(|c| acts_on_terminal(c) && c != '\n'),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
