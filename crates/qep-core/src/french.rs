//! Numbers as French readers expect them: decimal comma, narrow no-break space between
//! thousands, at most two decimals, and the unit's symbol after the figure.

use crate::indicators::Unit;

/// `91.19` → `91,19`; `7594507` → `7 594 507` (narrow no-break spaces); `100.0` → `100`.
pub fn french(v: f64) -> String {
    let rounded = format!("{v:.2}");
    let trimmed = rounded.trim_end_matches('0').trim_end_matches('.');
    let (sign, digits) = match trimmed.strip_prefix('-') {
        Some("0") => ("", "0"),
        Some(rest) => ("-", rest),
        None => ("", trimmed),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A value with its unit after a no-break space, so that a line never ends between
/// them: `91,19 %`, `64 j`, `12,5 j.o.`, `3,2/5`, `1 204`.
pub fn with_unit(v: f64, unit: Unit) -> String {
    match unit.symbol() {
        "" => french(v),
        "/5" => format!("{}/5", french(v)),
        s => format!("{}\u{a0}{s}", french(v)),
    }
}

/// `s` with its first letter in capitals: « téléphonie » → « Téléphonie ».
pub fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A message as a sentence: capitalised, with a full stop.
pub fn sentence(s: &str) -> String {
    format!("{}.", capitalised(s.trim_end_matches('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_french_way() {
        assert_eq!(french(91.19), "91,19");
        assert_eq!(french(7594507.0), "7\u{202f}594\u{202f}507");
        assert_eq!(french(0.2675), "0,27");
        assert_eq!(french(-1234.5), "-1\u{202f}234,5");
        assert_eq!(french(-0.001), "0");
        assert_eq!(french(100.0), "100");
        assert_eq!(with_unit(64.0, Unit::Days), "64\u{a0}j");
        assert_eq!(with_unit(91.19, Unit::Percent), "91,19\u{a0}%");
        assert_eq!(with_unit(3.25, Unit::Score), "3,25/5");
        assert_eq!(with_unit(1204.0, Unit::Count), "1\u{202f}204");
        assert_eq!(with_unit(4.5, Unit::WorkingDays), "4,5\u{a0}j.o.");
    }
}
