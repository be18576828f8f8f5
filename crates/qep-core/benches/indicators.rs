//! Indicator engine benchmark: a whole year's graded table from 1,000,000 register items
//! (no criterion: plain `Instant` timing).
//!
//! Run: `cargo bench -p qep-core --bench indicators [-- ITEMS]`. Figures go in
//! `docs/PERFORMANCE.md` (« Indicator engine »).
//!
//! The items: e-mails, letters, complaints and local-authority requests over two years,
//! spread over three sites, 85 % answered, deadlines of 5, 10, 15 or 30 working days. Every
//! register-computed indicator of the default référentiel is counted per (indicator, site)
//! by month ([`MonthlyCounts`]), then the year's table (months, quarters, year, previous
//! year, levels) is built and graded, as `qep_app::indicators::results` does. Compared in
//! the same run with a floor (one pass summing items per month, no state, no table) and with
//! the previous way (for every cell, a filter over every item).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use chrono::{Datelike, Days, NaiveDate};
use qep_core::calendar::{CalendarSettings, Territory, WorkingCalendar};
use qep_core::indicators::engine::MonthlyCounts;
use qep_core::indicators::{
    IndicatorDef, ItemRecord, Outcome, Period, Source, compute_register, year_table,
};
use qep_core::referentiel;
use qep_core::registers::correspondence::{Channel, Kind, feeds, indicator_family};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const SITES: usize = 3;
const YEAR: i32 = 2024;

fn items(n: usize) -> Vec<(usize, &'static str, ItemRecord)> {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let start = NaiveDate::from_ymd_opt(YEAR - 1, 1, 1).expect("date");
    let kinds = [
        (Channel::Email, Kind::GeneralInformation, 5),
        (Channel::Letter, Kind::GeneralInformation, 10),
        (Channel::Email, Kind::Complaint, 15),
        (Channel::Letter, Kind::LocalAuthority, 30),
    ];
    (0..n)
        .filter_map(|_| {
            let (channel, kind, days) = kinds[(rng.next() % 4) as usize];
            let family = indicator_family(channel, kind)?;
            let received = start + Days::new(rng.next() % 730);
            let answered = (rng.next() % 100 < 85).then(|| received + Days::new(rng.next() % 25));
            Some((
                (rng.next() % SITES as u64) as usize,
                family,
                ItemRecord {
                    received,
                    answered,
                    deadline_days: days,
                    sampled: false,
                },
            ))
        })
        .collect()
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let items = items(n);
    let calendar = WorkingCalendar::new(Territory::Metropole, &CalendarSettings::default());
    let r = referentiel::find(referentiel::DEFAULT_CODE).expect("default référentiel");
    let defs: Vec<(u8, IndicatorDef)> = r
        .indicators()
        .filter(|(_, d)| {
            d.source == Source::Register && d.register.as_deref() == Some("correspondence")
        })
        .map(|(m, d)| (m, d.clone()))
        .collect();
    let as_of = NaiveDate::from_ymd_opt(YEAR + 1, 3, 1).expect("date");
    println!(
        "{} items, {} register indicators, {SITES} sites, {YEAR} (and {}) table",
        items.len(),
        defs.len(),
        YEAR - 1
    );

    // Floor: one pass, a counter per (site, month).
    let t = Instant::now();
    let mut floor = [[0u32; 24]; SITES];
    for (site, _, item) in &items {
        let m = (item.received.year() - (YEAR - 1)) as usize * 12 + item.received.month0() as usize;
        floor[*site][m] += 1;
    }
    black_box(&floor);
    let floor_time = t.elapsed();

    // The engine: count once per (indicator, site), then the graded table.
    let mut runs = Vec::new();
    let mut cells = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let mut by_site: Vec<Vec<(&'static str, ItemRecord)>> = vec![Vec::new(); SITES];
        for (site, family, item) in &items {
            by_site[*site].push((family, *item));
        }
        let mut counted: HashMap<(&str, usize), MonthlyCounts> = HashMap::new();
        for (_, def) in &defs {
            for (site, list) in by_site.iter().enumerate() {
                let records: Vec<ItemRecord> = list
                    .iter()
                    .filter(|(f, _)| feeds(f, &def.code))
                    .map(|(_, i)| *i)
                    .collect();
                let c = MonthlyCounts::new(def, as_of, &records, &calendar, false).expect("counts");
                counted.insert((def.code.as_str(), site), c);
            }
        }
        let codes: HashMap<&str, &IndicatorDef> =
            defs.iter().map(|(_, d)| (d.code.as_str(), d)).collect();
        let source = |code: &str, period: Period| -> Option<Outcome> {
            let def = codes.get(code)?;
            let mut num = 0.0;
            let mut den = 0.0;
            let mut any = None;
            for site in 0..SITES {
                let c = counted.get(&(code, site))?;
                if c.has_items_in(period) {
                    let o = c.outcome(def, period, as_of, &calendar).ok()?;
                    num += o.numerator.unwrap_or(0.0);
                    den += o.denominator.unwrap_or(0.0);
                    any = Some(o);
                }
            }
            any.map(|o| Outcome {
                numerator: Some(num),
                denominator: Some(den),
                ..o
            })
        };
        let table = year_table(defs.iter().map(|(m, d)| (*m, d)), YEAR, &source);
        cells = table.rows.len() * 18;
        black_box(&table);
        runs.push(t.elapsed());
    }
    runs.sort();
    let engine = runs[runs.len() / 2];

    // The previous way, on one indicator: for each of its cells, a filter over all items.
    let t = Instant::now();
    let (_, def) = &defs[0];
    let periods: Vec<Period> = (1..=12)
        .filter_map(|m| Period::month(YEAR, m))
        .chain((1..=4).filter_map(|q| Period::quarter(YEAR, q)))
        .chain([Period::Year(YEAR), Period::Year(YEAR - 1)])
        .collect();
    for period in &periods {
        for site in 0..SITES {
            let records: Vec<ItemRecord> = items
                .iter()
                .filter(|(s, f, i)| {
                    *s == site && feeds(f, &def.code) && period.contains(i.received)
                })
                .map(|(_, _, i)| *i)
                .collect();
            black_box(compute_register(def, *period, as_of, &records, &calendar, false).ok());
        }
    }
    let previous_one = t.elapsed();

    println!("floor (one pass, counts per site and month): {floor_time:?}");
    println!(
        "engine, whole graded table ({cells} cells: 12 months, 4 quarters, the year, the previous year), median of 5: {engine:?} ({:.1} × the floor)",
        engine.as_secs_f64() / floor_time.as_secs_f64()
    );
    println!(
        "previous way, ONE indicator ({} cells): {previous_one:?}; all {} indicators ≈ {:?} ({:.0} × the engine)",
        periods.len(),
        defs.len(),
        previous_one * defs.len() as u32,
        (previous_one * defs.len() as u32).as_secs_f64() / engine.as_secs_f64()
    );
}
