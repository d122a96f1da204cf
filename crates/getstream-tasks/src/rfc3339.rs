//! RFC 3339 timestamps (`2025-01-02T03:04:05.123456789Z`) to and from Unix
//! nanoseconds: the only calendar arithmetic the SDK needs, so it does
//! without a date-time crate (five crates in every user's build).
//!
//! Days are converted with Howard Hinnant's `days_from_civil` /
//! `civil_from_days` (proleptic Gregorian calendar). Years 0000..=9999 only,
//! as RFC 3339 writes four digits.

const NANOS_PER_SEC: i128 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// `nanos` since the Unix epoch as RFC 3339 in UTC, the fraction without
/// trailing zeros (none when whole); `None` outside years 0000..=9999.
pub(crate) fn format_unix_nanos(nanos: i128) -> Option<String> {
    let secs = i64::try_from(nanos.div_euclid(NANOS_PER_SEC)).ok()?;
    let subsec = nanos.rem_euclid(NANOS_PER_SEC) as u32;
    let (days, secs_of_day) = (secs.div_euclid(SECS_PER_DAY), secs.rem_euclid(SECS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let (hour, minute, second) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
    let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if subsec != 0 {
        let fraction = format!("{subsec:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    Some(out)
}

/// Unix nanoseconds of an RFC 3339 timestamp: `YYYY-MM-DD`, any one separator
/// character (`T`, `t`, a space), `hh:mm:ss`, an optional fraction (digits
/// past the ninth are ignored), then `Z`/`z` or `±hh:mm`. A leap second
/// (`:60`) reads as the last nanosecond of the minute before. `None` for
/// anything else.
pub(crate) fn parse(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0i64, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let lit = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(lit(4, b'-') && lit(7, b'-') && lit(13, b':') && lit(16, b':')) {
        return None;
    }
    b.get(10)?;
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, mut second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut subsec: i128 = 0;
    if lit(i, b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000_000;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            subsec += i128::from(d - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_secs = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && lit(i + 3, b':') => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = oh * 3600 + om * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    if second == 60 {
        second = 59;
        subsec = NANOS_PER_SEC - 1;
    }
    let secs =
        days_from_civil(year, month, day) * SECS_PER_DAY + hour * 3600 + minute * 60 + second
            - offset_secs;
    Some(i128::from(secs) * NANOS_PER_SEC + subsec)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i128 = NANOS_PER_SEC;

    #[test]
    fn formats_known_instants() {
        let cases: [(i128, &str); 8] = [
            (0, "1970-01-01T00:00:00Z"),
            (1_700_000_000 * S, "2023-11-14T22:13:20Z"),
            (1_700_000_000 * S + 500_000_000, "2023-11-14T22:13:20.5Z"),
            (
                1_700_000_000 * S + 123_456_789,
                "2023-11-14T22:13:20.123456789Z",
            ),
            (1_700_000_000 * S + 1_000, "2023-11-14T22:13:20.000001Z"),
            (951_782_400 * S, "2000-02-29T00:00:00Z"),
            (-1, "1969-12-31T23:59:59.999999999Z"),
            (253_402_300_799 * S, "9999-12-31T23:59:59Z"),
        ];
        for (nanos, text) in cases {
            assert_eq!(format_unix_nanos(nanos).as_deref(), Some(text), "{nanos}");
            assert_eq!(parse(text), Some(nanos), "{text}");
        }
        assert_eq!(format_unix_nanos(253_402_300_800 * S), None);
        assert_eq!(format_unix_nanos(-62_167_219_201 * S), None);
        assert_eq!(format_unix_nanos(i128::MAX), None);
        assert_eq!(
            format_unix_nanos(-62_167_219_200 * S).as_deref(),
            Some("0000-01-01T00:00:00Z")
        );
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // 1900-03-01 .. 2300-03-01 covers every leap-year rule.
        let mut previous = None;
        for days in -25_508..120_593 {
            let text = format_unix_nanos(i128::from(days) * 86_400 * S).unwrap();
            assert_eq!(parse(&text), Some(i128::from(days) * 86_400 * S), "{text}");
            assert!(
                previous.as_ref().is_none_or(|p: &String| *p < text),
                "{text}"
            );
            previous = Some(text);
        }
    }

    #[test]
    fn parses_offsets_separators_and_fractions() {
        let base = 1_700_000_000 * S;
        for (text, nanos) in [
            ("2023-11-14T23:13:20+01:00", base),
            ("2023-11-14T20:43:20-01:30", base),
            ("2023-11-14t22:13:20z", base),
            ("2023-11-14 22:13:20Z", base),
            ("2023-11-14T22:13:20.1234567891234Z", base + 123_456_789),
            ("2023-11-14T22:13:20.1+00:00", base + 100_000_000),
            ("2016-12-31T23:59:60Z", 1_483_228_799 * S + S - 1),
        ] {
            assert_eq!(parse(text), Some(nanos), "{text}");
        }
        for bad in [
            "",
            "2023-11-14",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20ZZ",
            "2023-13-14T22:13:20Z",
            "2023-02-29T22:13:20Z",
            "2023-11-31T22:13:20Z",
            "2023-11-00T22:13:20Z",
            "2023-11-14T24:13:20Z",
            "2023-11-14T22:60:20Z",
            "2023-11-14T22:13:61Z",
            "2023-11-14T22:13:20+24:00",
            "2023-11-14T22:13:20+01:60",
            "2023-11-14T22:13:20+0100",
            "2023-11-14T22:13:20+01:00 ",
            "+023-11-14T22:13:20Z",
            "2023-1a-14T22:13:20Z",
            "2023-11-14T22:13:20Z\u{e9}",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
