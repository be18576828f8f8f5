//! A realistic year for the documents' tests and the example: three modules of graded
//! tables (monthly, quarterly, a count without target, a module without values, a module
//! long enough to break across pages), a chart, the registers' counts, a survey, an action
//! plan, a calendar, and free texts full of Typst markup characters.

#![allow(dead_code)]

use chrono::NaiveDate;
use qep_core::indicators::{Cell, Comparator, Outcome, Row, Target, Unit, YearTable, grade};
use qep_pdf::{
    ActionItem, BilanInput, CalendarEvent, Chart, CorrespondenceSummary, PosterFigure, PosterInput,
    Scope, SurveyResult, Texts,
};

/// Printed verbatim, not read as markup.
pub const TRICKY: &str = r#"Texte #set text(red) *gras* $x^2$ ] \ _fin_ @ref <lbl> "guillemets""#;

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn cell(v: Option<f64>, target: Option<Target>) -> Option<Cell> {
    v.map(|v| Cell {
        outcome: Outcome {
            value: Some(v),
            ..Outcome::default()
        },
        level: target.and_then(|t| grade(v, t)),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn row(
    code: &str,
    label: &str,
    module: u8,
    unit: Unit,
    target: Option<(Comparator, f64)>,
    months: [Option<f64>; 12],
    quarters: [Option<f64>; 4],
    annual: Option<f64>,
    previous: Option<f64>,
) -> Row {
    let target = target.map(|(comparator, value)| Target {
        year: 2020,
        comparator,
        value,
    });
    Row {
        code: code.to_owned(),
        label: label.to_owned(),
        module,
        unit,
        comparator: target.map_or(Comparator::Ge, |t| t.comparator),
        months: months.map(|v| cell(v, target)),
        quarters: quarters.map(|v| cell(v, target)),
        annual: cell(annual, target),
        target,
        previous_annual: previous,
        trend: None,
    }
}

pub fn sections() -> Vec<(String, YearTable)> {
    let m1 = YearTable {
        year: 2020,
        rows: vec![
            row(
                "m1.mail.on_time",
                "Taux de réponses aux courriels dans un délai de 5 jours ouvrés",
                1,
                Unit::Percent,
                Some((Comparator::Ge, 90.0)),
                [
                    Some(91.19),
                    Some(88.5),
                    Some(95.0),
                    Some(100.0),
                    Some(60.0),
                    Some(40.0),
                    Some(92.0),
                    None,
                    Some(93.3),
                    Some(97.0),
                    Some(99.1),
                    Some(100.0),
                ],
                [None; 4],
                Some(87.25),
                Some(85.0),
            ),
            row(
                "m1.complaints",
                "Nombre de réclamations reçues",
                1,
                Unit::Count,
                None,
                [None; 12],
                [None; 4],
                Some(1204.0),
                Some(980.0),
            ),
        ],
    };
    let m2 = YearTable {
        year: 2020,
        rows: vec![
            row(
                "m2.id.delay",
                "Délai moyen de délivrance des CNI et passeports",
                2,
                Unit::Days,
                Some((Comparator::Le, 30.0)),
                [None; 12],
                [Some(64.0), Some(45.0), Some(28.0), Some(31.0)],
                Some(42.0),
                Some(35.5),
            ),
            row(
                "m2.empty",
                "Taux de dossiers complets au premier dépôt",
                2,
                Unit::Percent,
                Some((Comparator::Ge, 80.0)),
                [None; 12],
                [None; 4],
                None,
                None,
            ),
        ],
    };
    let m3 = YearTable {
        year: 2020,
        rows: (1..=36)
            .map(|i| {
                let v = 50.0 + f64::from(i);
                row(
                    &format!("m3.ind{i}"),
                    &format!("Indicateur de suivi des titres étrangers numéro {i}"),
                    3,
                    Unit::Percent,
                    Some((Comparator::Ge, 75.0)),
                    [Some(v); 12],
                    [None; 4],
                    Some(v),
                    None,
                )
            })
            .collect(),
    };
    let m4 = YearTable {
        year: 2020,
        rows: vec![row(
            "m4.none",
            "Taux de réponses aux demandes de nationalité",
            4,
            Unit::Percent,
            Some((Comparator::Ge, 90.0)),
            [None; 12],
            [None; 4],
            None,
            None,
        )],
    };
    vec![
        (
            "Module 1 – Relation générale avec les usagers".to_owned(),
            m1,
        ),
        ("Module 2 – Délivrance de titres".to_owned(), m2),
        (
            "Module 3 – Délivrance des titres destinés aux usagers étrangers".to_owned(),
            m3,
        ),
        ("Module 4 – Naturalisation".to_owned(), m4),
    ]
}

pub fn full() -> BilanInput {
    let sections = sections();
    let first = sections[0].1.rows[0].clone();
    let cells: Vec<(String, Option<Cell>)> = qep_report::MONTHS
        .iter()
        .zip(first.months.iter())
        .map(|(m, c)| ((*m).to_owned(), c.clone()))
        .collect();
    let svg = qep_report::chart::bars(&first.label, 2020, &cells, Some(90.0));
    BilanInput {
        prefecture: "Préfecture du Cher".to_owned(),
        department_name: Some("Cher".to_owned()),
        year: 2020,
        edited_on: date(2021, 2, 1),
        author: "Mission pilotage – qualité".to_owned(),
        scope: Scope {
            modules: vec![
                (1, "Relation générale avec les usagers".to_owned()),
                (2, "Délivrance de titres".to_owned()),
                (
                    3,
                    "Délivrance des titres destinés aux usagers étrangers".to_owned(),
                ),
            ],
            sites: vec![
                "Préfecture de Bourges".to_owned(),
                "Sous-préfecture de Vierzon".to_owned(),
            ],
            referentiel: "Qual-e-pref 2018".to_owned(),
            label_status: Some(
                "Label obtenu le 18 décembre 2019 ; audit de suivi en juin 2021.".to_owned(),
            ),
        },
        sections,
        charts: vec![Chart {
            title: first.label,
            svg,
        }],
        correspondence: Some(CorrespondenceSummary {
            by_channel: vec![("Courriel".to_owned(), 30), ("Courrier".to_owned(), 12)],
            by_theme: vec![
                ("Demande d'information".to_owned(), 25),
                ("Réclamation".to_owned(), 15),
                ("Suggestion".to_owned(), 2),
            ],
            out_of_scope: 7,
            total: 42,
            answered_on_time_rate: Some(97.62),
        }),
        surveys: Some(vec![
            SurveyResult {
                criterion: "Accueil au guichet".to_owned(),
                satisfied_percent: 96.4,
                responses: 312,
            },
            SurveyResult {
                criterion: "Temps d'attente".to_owned(),
                satisfied_percent: 81.25,
                responses: 1310,
            },
        ]),
        actions: Some(vec![ActionItem {
            title: "Ajouter un siège à chaque guichet pour les accompagnants".to_owned(),
            commitment: Some("Engagement 3".to_owned()),
            status: "Réalisée".to_owned(),
            owner: "SGCD".to_owned(),
            due: Some(date(2021, 3, 31)),
        }]),
        calendar: Some(vec![
            CalendarEvent {
                date: date(2021, 6, 22),
                kind: "Audit de suivi externe".to_owned(),
                note: Some("SOCOTEC".to_owned()),
            },
            CalendarEvent {
                date: date(2021, 2, 16),
                kind: "Comité local des usagers".to_owned(),
                note: None,
            },
        ]),
        texts: Texts {
            introduction: Some(TRICKY.to_owned()),
            conclusion: Some(
                "Les résultats 2020 restent bons malgré la crise sanitaire.".to_owned(),
            ),
            module_comments: vec![(
                2,
                "Les délais de délivrance ont souffert du confinement.".to_owned(),
            )],
        },
    }
}

/// A year with nothing recorded at all.
pub fn empty() -> BilanInput {
    BilanInput {
        prefecture: "Préfecture de l'Orne".to_owned(),
        department_name: None,
        year: 2020,
        edited_on: date(2021, 1, 15),
        author: "Référent qualité".to_owned(),
        scope: Scope::default(),
        sections: Vec::new(),
        charts: Vec::new(),
        correspondence: None,
        surveys: None,
        actions: None,
        calendar: None,
        texts: Texts::default(),
    }
}

pub fn poster() -> PosterInput {
    let f = |label: &str, unit, value, previous, target| PosterFigure {
        label: label.to_owned(),
        unit,
        value,
        previous,
        target,
    };
    PosterInput {
        prefecture: "Préfecture de l'Orne".to_owned(),
        year: 2022,
        quarter: 1,
        updated_on: date(2022, 4, 15),
        figures: vec![
            f(
                "Usagers satisfaits de la délivrance de leur titre",
                Unit::Percent,
                Some(91.19),
                Some(89.5),
                Some(90.0),
            ),
            f(
                "Appels décrochés en préfecture",
                Unit::Percent,
                Some(78.4),
                None,
                Some(85.0),
            ),
            f(
                "Délai moyen de délivrance des cartes d'identité et passeports",
                Unit::Days,
                Some(64.0),
                Some(58.0),
                None,
            ),
            f(
                "Délai moyen de délivrance des permis de conduire",
                Unit::Days,
                None,
                Some(12.0),
                None,
            ),
            f(
                "Délai moyen de délivrance des certificats d'immatriculation",
                Unit::Days,
                Some(3.5),
                Some(4.0),
                None,
            ),
            f(
                "Score d'effort ressenti pour les démarches en ligne",
                Unit::Score,
                Some(2.1),
                Some(2.3),
                None,
            ),
        ],
    }
}
