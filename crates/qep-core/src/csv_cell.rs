//! CSV cells that are safe to open in a spreadsheet. Excel and LibreOffice read a cell
//! that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a
//! formula: a subject « =HYPERLINK("http://…") » typed on the public form would become a
//! link in the quality lead's spreadsheet. Every CSV cell QeP writes goes through
//! [`neutralised`]: such a cell is prefixed with an apostrophe, which the spreadsheet shows
//! as text; a plain number (`-12,5`, `+3`, `-1 234,5 %`) is left as it is.

use std::borrow::Cow;

/// `cell` as a spreadsheet will read it as text: prefixed with `'` when it starts like a
/// formula and is not a plain number.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    let Some(first) = cell.chars().next() else {
        return Cow::Borrowed(cell);
    };
    let risky = matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r');
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `cell` neutralised, then quoted for a file separated by `separator` when it holds the
/// separator, a quote or a line break.
pub fn field(cell: &str, separator: char) -> String {
    let cell = neutralised(cell);
    if cell.contains([separator, '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.into_owned()
    }
}

/// A sign, then digits with decimal marks, group spaces and an optional unit sign.
fn is_plain_number(cell: &str) -> bool {
    let rest = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    rest.chars().any(|c| c.is_ascii_digit())
        && rest.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, ',' | '.' | ' ' | '\u{a0}' | '\u{202f}' | '%' | '‰')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for cell in [
            "=HYPERLINK(\"http://x\")",
            "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1:A2)",
            "\t=1+1",
            "\r=1+1",
            "-",
            "+",
        ] {
            assert_eq!(neutralised(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn numbers_and_plain_text_are_left_alone() {
        for cell in [
            "-12,5",
            "+3",
            "-1 234,5 %",
            "-0.54",
            "91,19 %",
            "Courrier",
            "",
            "a=b",
            "2024-01-02",
        ] {
            assert_eq!(neutralised(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn fields_are_quoted_after_neutralisation() {
        assert_eq!(field("=1;2", ';'), "\"'=1;2\"");
        assert_eq!(field("dit \"non\"", ','), "\"dit \"\"non\"\"\"");
        assert_eq!(field("a,b", ';'), "a,b");
        assert_eq!(field("a\nb", ';'), "\"a\nb\"");
    }
}
