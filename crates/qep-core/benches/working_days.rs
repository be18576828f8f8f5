//! Working-day engine benchmark (no criterion: plain `Instant` timing).
//!
//! Run: `cargo bench -p qep-core --bench working_days`. Figures go in
//! `docs/PERFORMANCE.md`.

use std::hint::black_box;
use std::time::Instant;

use chrono::{Datelike, Days, NaiveDate};
use qep_core::calendar::{
    CalendarSettings, Closure, HolidayKind, Territory, WorkedHoliday, WorkingCalendar,
};

const CALLS: usize = 10_000_000;

/// xorshift64*: deterministic, so every run times the same inputs.
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

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn main() {
    let recorded = date(2024, 1, 15);
    let settings = CalendarSettings {
        closures: vec![
            Closure::day(date(2024, 5, 10), "pont de l'Ascension", recorded),
            Closure::range(
                date(2024, 12, 23),
                date(2024, 12, 31),
                "fin d'année",
                recorded,
            )
            .expect("valid range"),
        ],
        worked_holidays: vec![WorkedHoliday::every_year(
            HolidayKind::LundiDePentecote,
            "journée de solidarité",
            recorded,
        )],
        extra_holidays: vec![],
    };

    // Construction: average over several builds.
    let builds = 20;
    let start = Instant::now();
    for _ in 0..builds {
        black_box(WorkingCalendar::new(
            black_box(Territory::Metropole),
            black_box(&settings),
        ));
    }
    let build_time = start.elapsed() / builds;
    let calendar = WorkingCalendar::new(Territory::Metropole, &settings);
    println!(
        "construction (1990-01-01..=2100-12-31, métropole, 2 closures, 1 worked holiday): {:.3} ms",
        build_time.as_secs_f64() * 1e3
    );

    // Inputs generated up front: dates within 2000..2090, n in 0..=30.
    let first = date(2000, 1, 1);
    let span = u64::try_from((date(2090, 12, 31) - first).num_days() + 1).expect("positive");
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let mut dates = Vec::with_capacity(CALLS);
    let mut ns = Vec::with_capacity(CALLS);
    let mut ends = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let r = rng.next();
        let from = first + Days::new(r % span);
        dates.push(from);
        ns.push(((r >> 40) % 31) as u32);
        ends.push(from + Days::new((r >> 20) % 60));
    }

    let start = Instant::now();
    let mut sum: u64 = 0;
    for (&from, &n) in dates.iter().zip(&ns) {
        let due = calendar
            .due_date(black_box(from), black_box(n))
            .expect("in span");
        sum = sum.wrapping_add(u64::from(due.ordinal()));
    }
    let due_ns = start.elapsed().as_nanos() as f64 / CALLS as f64;
    black_box(sum);
    println!("due_date: {due_ns:.2} ns/call ({CALLS} calls, checksum {sum})");

    let start = Instant::now();
    let mut sum: u64 = 0;
    for (&a, &b) in dates.iter().zip(&ends) {
        let count = calendar
            .working_days_between(black_box(a), black_box(b))
            .expect("in span");
        sum = sum.wrapping_add(u64::from(count));
    }
    let count_ns = start.elapsed().as_nanos() as f64 / CALLS as f64;
    black_box(sum);
    println!("working_days_between: {count_ns:.2} ns/call ({CALLS} calls, checksum {sum})");

    let start = Instant::now();
    let mut sum: u64 = 0;
    for &d in &dates {
        let working = calendar.is_working_day(black_box(d)).expect("in span");
        sum += u64::from(working);
    }
    let working_ns = start.elapsed().as_nanos() as f64 / CALLS as f64;
    black_box(sum);
    println!("is_working_day: {working_ns:.2} ns/call ({CALLS} calls, checksum {sum})");
}
