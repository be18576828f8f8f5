//! Property tests: random bytes and random mutations of valid CSV, XLSX and ODS files and
//! of mapping files. Whatever the input, every reader returns a table or an error that
//! names the file, short enough to read, and never panics.

use std::io::Write;

use proptest::prelude::*;
use qep_import::limits::Limits;
use qep_import::mapping::{Mapping, builtin};
use qep_import::{sources, table, values};

/// A mutation: replace, insert or delete one byte at a position taken modulo the length.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        // The bytes that matter to CSV and XML more often than the others.
        (
            any::<usize>(),
            prop::sample::select(b"\";,\t\r\n<>=&'0123456789-./ ".to_vec())
        )
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = bytes.len();
        match *e {
            Edit::Set(i, b) if n > 0 => bytes[i % n] = b,
            Edit::Insert(i, b) => bytes.insert(i % (n + 1), b),
            Edit::Delete(i) if n > 0 => {
                bytes.remove(i % n);
            }
            _ => {}
        }
    }
    bytes
}

const VALUES: &str = "indicateur;periode;valeur;numerateur;denominateur\r\n\
m1.email.on_time;2020-01;78;39;50\r\n\
m1.phone.answered;janvier 2020;\"90,5\";;\r\n\
m1.email.delay;T1 2020;1,46;;\r\n";

const CALLS: &str = "date;decroche;ligne;duree\n\
2024-01-02 08:15;oui;accueil;35\n\
\"02/01/2024 9:05\";non;\"titres; séjour\";0\n\
2024-01-03T10:00:00;oui;accueil;120\n";

/// A minimal XLSX whose first sheet holds `sheet` (the `<sheetData>` content).
fn xlsx(sheet: &str) -> Vec<u8> {
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet}</sheetData></worksheet>"#
            ),
        ),
    ];
    zipped(&parts)
}

const SHEET: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>indicateur</t></is></c><c r="B1" t="inlineStr"><is><t>periode</t></is></c><c r="C1" t="inlineStr"><is><t>valeur</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>m1.email.on_time</t></is></c><c r="B2" t="inlineStr"><is><t>2020-01</t></is></c><c r="C2"><v>78.5</v></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>m1.email.delay</t></is></c><c r="B3"><v>43831</v></c><c r="C3"><v>1.46</v></c></row>"#;

/// A minimal ODS whose first table holds `rows` (`<table:table-row>` elements).
fn ods(rows: &str) -> Vec<u8> {
    zipped(&[
        (
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet".to_owned(),
        ),
        (
            "META-INF/manifest.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#.to_owned(),
        ),
        (
            "content.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Feuille1">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
            ),
        ),
    ])
}

const ODS_ROWS: &str = r#"<table:table-row><table:table-cell office:value-type="string"><text:p>indicateur</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>periode</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>valeur</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="3"><table:table-cell office:value-type="string"><text:p>m1.email.on_time</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>2020-01</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2" office:value-type="float" office:value="78"><text:p>78</text:p></table:table-cell></table:table-row>"#;

fn zipped(parts: &[(&str, String)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in parts {
        out.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip part");
        out.write_all(text.as_bytes()).expect("zip part");
    }
    out.finish().expect("zip").into_inner()
}

/// Every reader on `bytes` named `name`: a table or a short error naming the file.
fn read_everything(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let limits = Limits {
        max_rows: 10_000,
        max_sheet_cells: 100_000,
        ..Limits::DEFAULT
    };
    match table::read_with(name, bytes, &limits) {
        Ok(t) => {
            // The values reader on whatever table came out.
            if let Err(errors) = values::parse(&t, &|_| None) {
                for e in errors {
                    let line = e.to_string();
                    prop_assert!(line.len() < 2_000, "{} bytes", line.len());
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.starts_with(name), "{message}");
            prop_assert!(message.len() < 2_000, "{} bytes", message.len());
        }
    }
    if name.ends_with(".csv") {
        let mapping = builtin("appels").expect("built-in mapping");
        if let Err(e) = sources::import_csv_with(name, bytes, &mapping, &limits, &mut |_| {}) {
            let message = e.to_string();
            prop_assert!(message.len() < 20_000, "{} bytes", message.len());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        for name in ["f.csv", "f.xlsx", "f.ods", "f.xls"] {
            read_everything(name, &bytes)?;
        }
    }

    #[test]
    fn mutated_csv_files_are_read_or_refused(edits in prop::collection::vec(edit(), 1..12)) {
        read_everything("valeurs.csv", &apply(VALUES.as_bytes().to_vec(), &edits))?;
        read_everything("appels.csv", &apply(CALLS.as_bytes().to_vec(), &edits))?;
    }

    #[test]
    fn mutated_workbooks_are_read_or_refused(edits in prop::collection::vec(edit(), 1..8)) {
        // Inside the XML, then zipped: the reader sees well-formed archives of bad sheets.
        let sheet = String::from_utf8_lossy(&apply(SHEET.as_bytes().to_vec(), &edits)).into_owned();
        read_everything("valeurs.xlsx", &xlsx(&sheet))?;
        let rows = String::from_utf8_lossy(&apply(ODS_ROWS.as_bytes().to_vec(), &edits)).into_owned();
        read_everything("valeurs.ods", &ods(&rows))?;
        // The archive's own bytes.
        read_everything("valeurs.xlsx", &apply(xlsx(SHEET), &edits))?;
        read_everything("valeurs.ods", &apply(ods(ODS_ROWS), &edits))?;
    }

    #[test]
    fn mutated_mappings_are_parsed_or_refused(edits in prop::collection::vec(edit(), 1..12)) {
        let text = builtin("appels").expect("built-in mapping").to_toml();
        let mutated = String::from_utf8_lossy(&apply(text.into_bytes(), &edits)).into_owned();
        match Mapping::from_toml(&mutated) {
            Ok(mapping) => {
                // A mapping that parses is usable: binding and reading never panic.
                let _ = mapping.check();
                let _ = sources::import_csv_with(
                    "appels.csv",
                    CALLS.as_bytes(),
                    &mapping,
                    &Limits::DEFAULT,
                    &mut |_| {},
                );
            }
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }
}

#[test]
fn the_valid_files_are_read() {
    // The mutations start from files every reader accepts.
    for (name, bytes) in [
        ("valeurs.csv", VALUES.as_bytes().to_vec()),
        ("valeurs.xlsx", xlsx(SHEET)),
        ("valeurs.ods", ods(ODS_ROWS)),
    ] {
        let t = table::read(name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            t.headers[..3],
            ["indicateur", "periode", "valeur"],
            "{name}"
        );
        assert!(t.rows.len() >= 2, "{name}: {:?}", t.rows);
    }
    let mapping = builtin("appels").expect("built-in mapping");
    assert!(Mapping::from_toml(&mapping.to_toml()).is_ok());
    sources::import_csv_with(
        "appels.csv",
        CALLS.as_bytes(),
        &mapping,
        &Limits::DEFAULT,
        &mut |_| {},
    )
    .expect("the valid call log");
}
