//! The documents read back: the PDFs through `pdftotext` (poppler-utils), the DOCX by
//! unzipping its `word/document.xml`.

mod common;

use std::io::Read;
use std::process::Command;

use qep_pdf::{PaperSize, bilan, bilan_docx, transparence};

/// The text of a PDF, page by page (`-layout`), with no-break and narrow no-break spaces
/// as plain spaces. Fails, rather than passing, when poppler-utils is missing.
fn pdf_pages(pdf: &[u8], name: &str) -> Vec<String> {
    pdftotext(pdf, name, "-layout")
}

/// The same in the order the text was drawn (`-raw`): each card of the poster whole.
fn pdftotext(pdf: &[u8], name: &str, mode: &str) -> Vec<String> {
    assert!(pdf.starts_with(b"%PDF-"), "{name} is not a PDF");
    let path = std::env::temp_dir().join(format!("qep-pdf-test-{}-{name}.pdf", std::process::id()));
    std::fs::write(&path, pdf).expect("write the PDF to a temporary file");
    let out = Command::new("pdftotext")
        .args([mode, "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output();
    let _ = std::fs::remove_file(&path);
    let out = match out {
        Ok(out) => out,
        Err(e) => panic!(
            "pdftotext could not run ({e}): install poppler-utils (apt-get install poppler-utils) to run these tests"
        ),
    };
    assert!(
        out.status.success(),
        "pdftotext failed on {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("pdftotext writes UTF-8")
        .replace(['\u{a0}', '\u{202f}'], " ")
        .split('\u{c}')
        .map(str::to_owned)
        .filter(|p| !p.trim().is_empty())
        .collect()
}

/// The paper name `pdfinfo` gives the first page: `(A4)`, `(A3)`.
fn page_size(pdf: &[u8], name: &str) -> String {
    let path = std::env::temp_dir().join(format!("qep-pdf-info-{}-{name}.pdf", std::process::id()));
    std::fs::write(&path, pdf).expect("write the PDF to a temporary file");
    let out = Command::new("pdfinfo").arg(&path).output();
    let _ = std::fs::remove_file(&path);
    let out = out.unwrap_or_else(|e| {
        panic!("pdfinfo could not run ({e}): install poppler-utils (apt-get install poppler-utils) to run these tests")
    });
    let info = String::from_utf8_lossy(&out.stdout).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_default()
        .to_owned()
}

/// The text with runs of spaces collapsed, to search for phrases across the layout.
fn flat(pages: &[String]) -> String {
    pages
        .join("\n")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn bilan_prints_the_graded_tables_with_french_figures_and_level_numbers() {
    let pages = pdf_pages(&bilan(&common::full()).expect("bilan renders"), "bilan");
    let text = flat(&pages);
    for expected in [
        "PRÉFET",
        "DU CHER",
        "Liberté",
        "Égalité",
        "Fraternité",
        "Bilan qualité 2020",
        "Préfecture du Cher",
        "Édité le 1er février 2021 par Mission pilotage – qualité",
        "1. Périmètre et statut du label",
        "Label obtenu le 18 décembre 2019",
        "Module 2 – Délivrance de titres",
        "Sous-préfecture de Vierzon",
        "2. Résultats des indicateurs 2020",
        "Module 1 – Relation générale avec les usagers",
        "1 = objectif atteint",
        "2 = écart < 25 %",
        "3 = écart de 25 à 50 %",
        "4 = écart > 50 %",
        "Taux de réponses aux courriels dans un délai de 5 jours ouvrés (%)",
        // Each value with its level number: 91.19 against ≥ 90 is level 1, 60 is level 3,
        // 40 is level 4, the year's 87.25 level 2.
        "91,19 1 88,5 2 95 1 100 1 60 3 40 4 92 1",
        "87,25 2 85 ≥ 90",
        // A count without target: thousands separated, no level.
        "1 204 980",
        // Quarterly: 64 j against ≤ 30 is level 4 (gap 113 %).
        "Délai moyen de délivrance des CNI et passeports (j)",
        "64 4",
        "42 3 35,5 ≤ 30",
        "Les délais de délivrance ont souffert du confinement.",
        "Aucune valeur n'est enregistrée pour les indicateurs de ce module en 2020.",
        "3. Graphiques des principaux indicateurs",
        "4. Correspondances et réclamations",
        "En 2020, 42 demandes ont été enregistrées, dont 7 hors du périmètre du label.",
        "97,62 %",
        "Courriel 30 71,43 %",
        "Réclamation 15 35,71 %",
        "5. Enquêtes de satisfaction",
        "Temps d'attente 81,25 % 1 310",
        "6. Plan d’actions",
        "Ajouter un siège à chaque guichet pour les accompagnants",
        "31/03/2021",
        "7. Calendrier des audits et des comités locaux des usagers",
        "16 février 2021 Comité local des usagers",
        "22 juin 2021 Audit de suivi externe SOCOTEC",
        "Conclusion",
        "Les résultats 2020 restent bons malgré la crise sanitaire.",
    ] {
        assert!(
            text.contains(expected),
            "missing « {expected} » in:\n{text}"
        );
    }
    // The 36-row table breaks across pages and its header comes again on the next one.
    let headed = pages
        .iter()
        .filter(|p| p.contains("Indicateur de suivi des titres étrangers"))
        .collect::<Vec<_>>();
    assert!(
        headed.len() >= 2,
        "the long table fits one page: {}",
        headed.len()
    );
    for page in headed {
        assert!(
            page.contains("Résultat") && page.contains("Objectif"),
            "no header row on:\n{page}"
        );
    }
    // Never the calendar in input order: sorted by date.
    assert!(text.find("16 février 2021") < text.find("22 juin 2021"));
}

#[test]
fn free_texts_are_printed_literally_not_as_markup() {
    let mut input = common::empty();
    input.texts.introduction = Some(common::TRICKY.to_owned());
    input.texts.conclusion = Some("#panic(\"non\") #{1 + 1} = 2".to_owned());
    input.author = "Service *qualité* #1".to_owned();
    let text = flat(&pdf_pages(
        &bilan(&input).expect("markup characters do not break the document"),
        "tricky",
    ));
    assert!(text.contains(common::TRICKY), "not verbatim:\n{text}");
    assert!(text.contains("#panic(\"non\") #{1 + 1} = 2"), "{text}");
    assert!(text.contains("Service *qualité* #1"), "{text}");
}

#[test]
fn a_year_without_data_gives_an_honest_document() {
    let pdf = bilan(&common::empty()).expect("an empty year renders");
    let text = flat(&pdf_pages(&pdf, "empty"));
    for expected in [
        "PRÉFET",
        "DE L'ORNE",
        "Bilan qualité 2020",
        "Aucune introduction n'a été rédigée pour le bilan 2020.",
        "Le référentiel suivi n'est pas renseigné.",
        "Le statut du label n'est pas renseigné.",
        "Aucun module n'est enregistré dans le périmètre de labellisation.",
        "Aucun indicateur n'est suivi pour 2020 : aucun tableau de résultats ne peut être présenté.",
        "Aucun graphique n'est disponible pour 2020.",
        "Aucune correspondance ni réclamation n'est enregistrée pour 2020.",
        "Aucune enquête de satisfaction n'est enregistrée pour 2020.",
        "Aucun plan d'actions n'est enregistré pour 2020.",
        "Aucun audit ni comité local des usagers n'est enregistré pour 2020.",
        "Aucune conclusion n'a été rédigée pour le bilan 2020.",
    ] {
        assert!(
            text.contains(expected),
            "missing « {expected} » in:\n{text}"
        );
    }
    assert!(!text.to_lowercase().contains("lorem"), "{text}");
    // Empty lists count as no data.
    let mut input = common::empty();
    input.surveys = Some(Vec::new());
    let text = flat(&pdf_pages(&bilan(&input).expect("renders"), "empty-list"));
    assert!(
        text.contains("Aucune enquête de satisfaction n'est enregistrée pour 2020."),
        "{text}"
    );
}

#[test]
fn poster_shows_the_six_figures_on_one_page_on_a4_and_a3() {
    for (size, name) in [(PaperSize::A4, "a4"), (PaperSize::A3, "a3")] {
        let pdf = transparence(&common::poster(), size).expect("poster renders");
        assert_eq!(
            page_size(&pdf, name),
            format!("({name})").to_uppercase(),
            "{name}: page size"
        );
        let pages = pdftotext(&pdf, name, "-raw");
        assert_eq!(pages.len(), 1, "{name}: the poster is one page");
        let text = flat(&pages);
        for expected in [
            "PRÉFET",
            "DE L'ORNE",
            "Nos résultats",
            "1er trimestre 2022",
            "Préfecture de l'Orne",
            "Usagers satisfaits de la délivrance de leur titre",
            "91,19 %",
            "Au 4e trimestre 2021 : 89,5 %",
            "Objectif : 90 %",
            "Appels décrochés en préfecture",
            "78,4 %",
            "Au 4e trimestre 2021 : non disponible",
            "Délai moyen de délivrance des cartes d'identité et passeports",
            "64 j",
            "Délai moyen de délivrance des permis de conduire",
            "non disponible",
            "Au 4e trimestre 2021 : 12 j",
            "Délai moyen de délivrance des certificats d'immatriculation",
            "3,5 j",
            "Score d'effort ressenti pour les démarches en ligne",
            "2,1/5",
            "Au 4e trimestre 2021 : 2,3/5",
            "Mis à jour le 15 avril 2022.",
        ] {
            assert!(
                text.contains(expected),
                "{name}: missing « {expected} » in:\n{text}"
            );
        }
    }
}

#[test]
fn docx_holds_the_same_headings_figures_and_texts() {
    let bytes = bilan_docx(&common::full()).expect("docx renders");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a DOCX is a zip");
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .expect("word/document.xml")
        .read_to_string(&mut xml)
        .expect("UTF-8 XML");
    let xml = xml.replace(['\u{a0}', '\u{202f}'], " ");
    for expected in [
        "Bilan qualité 2020",
        "PRÉFET",
        "DU CHER",
        "1. Périmètre et statut du label",
        "2. Résultats des indicateurs 2020",
        "Module 1 – Relation générale avec les usagers",
        "91,19",
        "(1)",
        "87,25",
        "(2)",
        "(4)",
        "1 204",
        "B8FEC9",
        "FFB7B7",
        "Les graphiques figurent dans la version PDF du bilan.",
        "97,62 %",
        "Temps d&apos;attente",
        "7. Calendrier des audits et des comités locaux des usagers",
        "SOCOTEC",
        "Les résultats 2020 restent bons malgré la crise sanitaire.",
    ] {
        assert!(
            xml.contains(expected),
            "missing « {expected} » in document.xml"
        );
    }
    // The tricky introduction, XML-escaped but whole.
    assert!(
        xml.contains("Texte #set text(red) *gras* $x^2$ ] \\ _fin_ @ref &lt;lbl&gt;"),
        "introduction not verbatim"
    );

    let bytes = bilan_docx(&common::empty()).expect("empty docx renders");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a DOCX is a zip");
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .expect("word/document.xml")
        .read_to_string(&mut xml)
        .expect("UTF-8 XML");
    assert!(
        xml.contains("Aucune enquête de satisfaction n&apos;est enregistrée pour 2020."),
        "{xml}"
    );
}
