//! The CSV files of bulk image moderation: reading the list of image URLs, and writing the
//! results file.
//!
//! The input: one image URL in the first cell of each row (other cells are ignored); a first
//! row whose first cell is `url` (any case) is a header and skipped; blank lines are skipped;
//! a first cell may be quoted (`"http://..."`). Rows are lines: a quoted cell spanning lines
//! is not read. A file that is not UTF-8 text, holds a NUL byte, or has a row whose first
//! cell is not an absolute http(s) URL is not such a CSV, and the task fails saying which
//! row.
//!
//! The results: the header `url,status,verdict,reason`, then one row per image in the
//! input's order, cells quoted as RFC 4180 says when they hold `,`, `"` or a line break.

use std::io::{self, Write};

use reqwest::Url;

use super::policy::parse_http;
use super::verdict::Verdict;

/// The header of the results file.
pub(crate) const RESULTS_HEADER: &str = "url,status,verdict,reason";

/// The longest piece of a bad cell quoted in an error.
const QUOTE_CHARS: usize = 80;

/// The image URLs a CSV lists, in order, at most `max_rows` of them.
///
/// # Errors
/// Why the file is not a CSV of image URLs, or that it lists more than `max_rows`.
pub(crate) fn image_urls(bytes: &[u8], max_rows: usize) -> Result<Vec<Url>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err("the file is binary (it holds NUL bytes), not a CSV of image URLs".into());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "the file is not UTF-8 text, not a CSV of image URLs".to_owned())?;
    let mut urls = Vec::new();
    let mut first_row = true;
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let cell = first_cell(line);
        if std::mem::take(&mut first_row) && cell.eq_ignore_ascii_case("url") {
            continue;
        }
        let url = parse_http(&cell).map_err(|_| {
            // A URL may carry credentials: only its scheme is shown.
            let shown = match cell.split_once("://") {
                Some((scheme, _)) => format!(
                    "a {:?} URL",
                    scheme.chars().take(QUOTE_CHARS).collect::<String>()
                ),
                None => format!("{:?}", cell.chars().take(QUOTE_CHARS).collect::<String>()),
            };
            format!(
                "row {}: the first cell {shown} is not an absolute http(s) URL (a CSV of image URLs is expected)",
                i + 1
            )
        })?;
        if urls.len() == max_rows {
            return Err(format!(
                "the CSV lists more than {max_rows} image URLs (the emulator's --fetch-max-rows)"
            ));
        }
        urls.push(url);
    }
    if urls.is_empty() {
        return Err("the CSV lists no image URLs".into());
    }
    Ok(urls)
}

/// The first cell of a row: up to the first `,`, or a quoted cell (`""` is a `"`); trimmed.
fn first_cell(line: &str) -> String {
    let line = line.trim_start();
    let Some(quoted) = line.strip_prefix('"') else {
        return line.split(',').next().unwrap_or_default().trim().to_owned();
    };
    let mut out = String::new();
    let mut chars = quoted.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
            } else {
                break;
            }
        }
        out.push(c);
    }
    out.trim().to_owned()
}

/// One cell, quoted when it must be.
fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Writes the results file's row of one image: its verdict, or why it could not be read.
pub(crate) fn write_row(
    out: &mut impl Write,
    url: &str,
    outcome: &Result<Verdict, String>,
) -> io::Result<()> {
    let (status, verdict, reason) = match outcome {
        Ok(v) => ("ok", v.as_str(), ""),
        Err(why) => ("error", "", why.as_str()),
    };
    writeln!(out, "{},{status},{verdict},{}", cell(url), cell(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Result<Vec<String>, String> {
        image_urls(text.as_bytes(), 3).map(|v| v.into_iter().map(String::from).collect())
    }

    #[test]
    fn reads_first_cells_skipping_the_header_and_blank_lines() {
        let got = urls(
            "\u{feff}URL,note\r\n\r\nhttp://127.0.0.1:1/a.png,first\n  \n\"http://localhost/b,c.png\",x\nhttp://[::1]/c\n",
        )
        .unwrap();
        assert_eq!(
            got,
            [
                "http://127.0.0.1:1/a.png",
                "http://localhost/b,c.png",
                "http://[::1]/c"
            ]
        );
    }

    #[test]
    fn not_a_csv_of_urls_is_refused_naming_the_row() {
        let html = urls("<!DOCTYPE html>\n<html><body>hi</body></html>\n").unwrap_err();
        assert!(
            html.contains("row 1") && html.contains("<!DOCTYPE html>"),
            "{html}"
        );
        let later = urls("url\nhttp://localhost/a\n\nnot a url\n").unwrap_err();
        assert!(later.starts_with("row 4:"), "{later}");
        let ftp = urls("ftp://user:secret@files.local/a.png\n").unwrap_err();
        assert!(
            ftp.contains("a \"ftp\" URL") && !ftp.contains("secret"),
            "{ftp}"
        );
        assert!(
            image_urls(b"\x89PNG\r\n\x1a\n\0\0", 3)
                .unwrap_err()
                .contains("binary")
        );
        assert!(
            image_urls(b"http://localhost/\xff", 3)
                .unwrap_err()
                .contains("UTF-8")
        );
        assert!(urls("url\n\n").unwrap_err().contains("no image URLs"));
        // Only the first row can be a header.
        assert!(
            urls("http://localhost/a\nurl\n")
                .unwrap_err()
                .starts_with("row 2:")
        );
    }

    #[test]
    fn more_rows_than_the_cap_are_refused() {
        let four =
            "http://localhost/1\nhttp://localhost/2\nhttp://localhost/3\nhttp://localhost/4\n";
        assert!(urls(four).unwrap_err().contains("more than 3 image URLs"));
        assert_eq!(urls(&four[..four.len() - 19]).unwrap().len(), 3);
    }

    #[test]
    fn results_rows_are_quoted_where_needed() {
        let mut out = Vec::new();
        write_row(&mut out, "http://localhost/a.png", &Ok(Verdict::Safe)).unwrap();
        write_row(&mut out, "http://localhost/b,c", &Ok(Verdict::Flagged)).unwrap();
        write_row(
            &mut out,
            "http://localhost/d",
            &Err("answered \"404\"".into()),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "http://localhost/a.png,ok,safe,\n\"http://localhost/b,c\",ok,flagged,\nhttp://localhost/d,error,,\"answered \"\"404\"\"\"\n"
        );
    }
}
