//! Numbers as French spreadsheets and exports write them: `91,19`, `1 234,5`, `12 %`,
//! as well as `91.19`.

/// Parses a decimal number; `None` for anything else (empty, text, two separators…).
pub fn parse_decimal(raw: &str) -> Option<f64> {
    let mut s: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    if let Some(stripped) = s.strip_suffix('%').or_else(|| s.strip_suffix('‰')) {
        s = stripped.to_owned();
    }
    if s.is_empty() {
        return None;
    }
    let commas = s.matches(',').count();
    let dots = s.matches('.').count();
    let normalised = match (commas, dots) {
        (0, _) => s,
        (1, 0) => s.replace(',', "."),
        _ => return None,
    };
    let valid = normalised
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')));
    if !valid {
        return None;
    }
    normalised.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_international_forms() {
        assert_eq!(parse_decimal("91,19"), Some(91.19));
        assert_eq!(parse_decimal(" 91.19 "), Some(91.19));
        assert_eq!(parse_decimal("1 234,5"), Some(1234.5));
        assert_eq!(parse_decimal("1\u{202f}234"), Some(1234.0));
        assert_eq!(parse_decimal("95 %"), Some(95.0));
        assert_eq!(parse_decimal("0,54‰"), Some(0.54));
        assert_eq!(parse_decimal("-3"), Some(-3.0));
        for bad in ["", "abc", "1,2,3", "1,2.3", "9x", "1-2", "NaN", "inf"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }
}
