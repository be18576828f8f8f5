//! Indicators as the application serves them, shared by the web pages and the command
//! line: the catalogue in the prefecture's scope (its Qual-e-pref version's chosen modules,
//! the Transparence set, local indicators), local targets over national ones, stored values
//! rolled up by the core engine, and frozen (validated) periods.
//!
//! An indicator computed from a register (`source = "register"`) takes its values from the
//! register for every period the register has items in, computed with each site's
//! working-day calendar and pooled across sites; otherwise entered or imported values are
//! used (years before QeP, or registers kept elsewhere).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use std::sync::Arc;

use qep_core::calendar::WorkingCalendar;
use qep_core::ids::SiteId;
use qep_core::indicators::engine::{MonthlyCounts, aggregate_entered};
use qep_core::indicators::{
    EnteredValue, FlatResult, IndicatorDef, ItemRecord, Kind, Outcome, Period, Source, Target,
    YearTable, flatten, grade, rate_scale, year_table,
};
use qep_core::referentiel;
use qep_core::registers::correspondence::{feeds, indicator_family};
use qep_core::registers::log::{LogEntry, dates_for};
use qep_store::{Actor, Store, StoreError, StoreResult};

use crate::Ctx;
use serde::{Deserialize, Serialize};

/// Module number given to indicators a prefecture adds itself.
pub const LOCAL_MODULE: u8 = 0;

#[derive(Debug, Clone)]
pub struct Entry {
    /// The section the indicator is shown in, e.g. « Module 1 – Relation générale… ».
    pub section: String,
    pub module: u8,
    /// With local targets applied.
    pub def: IndicatorDef,
    /// The national targets, as the référentiel gives them.
    pub national: Vec<Target>,
}

#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub entries: Vec<Entry>,
}

impl Catalogue {
    pub fn find(&self, code: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.def.code == code)
    }

    /// Section titles in display order, each with its entries.
    pub fn sections(&self) -> Vec<(String, Vec<&Entry>)> {
        let mut out: Vec<(String, Vec<&Entry>)> = Vec::new();
        for e in &self.entries {
            match out.iter_mut().find(|(s, _)| *s == e.section) {
                Some((_, list)) => list.push(e),
                None => out.push((e.section.clone(), vec![e])),
            }
        }
        out
    }
}

/// The indicators in scope, with local targets applied.
pub async fn catalogue(ctx: &Ctx) -> StoreResult<Catalogue> {
    let store = ctx.store();
    let mut entries = Vec::new();
    if let Some(p) = store.find_prefecture().await?
        && let Some(r) = referentiel::find(&p.scope.referentiel)
    {
        for (module, def) in r.indicators() {
            if p.scope.modules.contains(&module) {
                let title = r
                    .module(module)
                    .map_or_else(String::new, |m| m.title.clone());
                entries.push((format!("Module {module} – {title}"), module, def.clone()));
            }
        }
    }
    let tr = referentiel::transparence();
    for (module, def) in tr.indicators() {
        entries.push((tr.title.clone(), module, def.clone()));
    }
    for (code, json) in store.list_local_indicators().await? {
        let def: IndicatorDef = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("indicateur local {code} : {e}")))?;
        entries.push(("Indicateurs locaux".to_owned(), LOCAL_MODULE, def));
    }
    let local = store.list_local_targets().await?;
    Ok(Catalogue {
        entries: entries
            .into_iter()
            .map(|(section, module, mut def)| {
                let national = def.targets.clone();
                for (_, t) in local.iter().filter(|(c, _)| *c == def.code) {
                    def.targets.retain(|n| n.year != t.year);
                    def.targets.push(Target {
                        year: t.year,
                        comparator: t.comparator,
                        value: t.value,
                    });
                }
                Entry {
                    section,
                    module,
                    def,
                    national,
                }
            })
            .collect(),
    })
}

/// What was frozen when a period was validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frozen {
    pub code: String,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct FrozenPeriod {
    pub by: String,
    pub at: DateTime<Utc>,
    pub values: Vec<Frozen>,
}

/// A year's results: one table per section, with frozen periods applied.
#[derive(Debug, Clone)]
pub struct Results {
    pub year: i32,
    pub sections: Vec<(String, YearTable)>,
    pub frozen: BTreeMap<Period, FrozenPeriod>,
    /// (code, period) whose value today differs from the one frozen at validation.
    pub changed_since_validation: Vec<(String, Period, Option<f64>)>,
}

impl Results {
    /// Every cell as the flat list of the command line and JSON export.
    pub fn flat(&self) -> Vec<FlatResult> {
        self.sections.iter().flat_map(|(_, t)| flatten(t)).collect()
    }
}

fn entered(
    values: Vec<qep_store::IndicatorValue>,
    site: Option<SiteId>,
) -> HashMap<String, Vec<EnteredValue>> {
    let mut by_code: HashMap<String, Vec<EnteredValue>> = HashMap::new();
    for v in values.into_iter().filter(|v| v.site == site) {
        let Ok(period) = Period::parse(&v.period) else {
            continue;
        };
        by_code.entry(v.code).or_default().push(EnteredValue {
            period,
            value: v.value,
            numerator: v.numerator,
            denominator: v.denominator,
            weight: v.weight,
        });
    }
    by_code
}

/// The values of `year`: those derived from imported statistics (prefecture-wide, so
/// only without a site), then those entered or imported as values, which win for the
/// same period (the engine keeps the last one).
async fn with_facts(
    store: &dyn Store,
    year: i32,
    site: Option<SiteId>,
) -> StoreResult<HashMap<String, Vec<EnteredValue>>> {
    let stored = entered(store.list_indicator_values(year).await?, site);
    if site.is_some() {
        return Ok(stored);
    }
    let mut all: HashMap<String, Vec<EnteredValue>> = HashMap::new();
    for (code, v) in qep_core::indicators::imported::derive(&store.list_facts(year).await?) {
        all.entry(code).or_default().push(v);
    }
    for (code, values) in stored {
        all.entry(code).or_default().extend(values);
    }
    Ok(all)
}

/// Results already computed, kept while the data they come from has not changed (the
/// store's data version), for the dashboard and the pages that show the same tables.
#[derive(Default)]
pub struct ResultsCache {
    inner: std::sync::Mutex<CachedResults>,
}

type ResultsKey = (
    i32,
    Option<SiteId>,
    Option<chrono::NaiveDate>,
    chrono::NaiveDate,
);

#[derive(Default)]
struct CachedResults {
    version: i64,
    entries: HashMap<ResultsKey, Arc<(Catalogue, Results)>>,
}

/// The catalogue and the results of `year` (see [`results`]), computed once per data
/// version and day: any audited write moves the version and the next call computes again.
pub async fn cached_results(
    ctx: &Ctx,
    year: i32,
    site: Option<SiteId>,
    as_of: Option<chrono::NaiveDate>,
) -> StoreResult<Arc<(Catalogue, Results)>> {
    let version = ctx.store().data_version().await?;
    let key = (year, site, as_of, ctx.today());
    {
        let cache = ctx.results.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = cache.entries.get(&key).filter(|_| cache.version == version) {
            return Ok(hit.clone());
        }
    }
    let catalogue = catalogue(ctx).await?;
    let computed = results(ctx, &catalogue, year, site, as_of).await?;
    let entry = Arc::new((catalogue, computed));
    let mut cache = ctx.results.inner.lock().unwrap_or_else(|e| e.into_inner());
    // Another request may have cached a newer version meanwhile: never go back to ours.
    if version > cache.version {
        cache.version = version;
        cache.entries.clear();
    }
    if version == cache.version {
        cache.entries.insert(key, entry.clone());
    }
    Ok(entry)
}

/// The results of `year` for the whole prefecture (`site: None`) or one site. With
/// `as_of`, only validations made on or before that day are applied: the figures as they
/// were published then. (Register-computed indicators will also count late and pending
/// items as of that day.)
pub async fn results(
    ctx: &Ctx,
    catalogue: &Catalogue,
    year: i32,
    site: Option<SiteId>,
    as_of: Option<chrono::NaiveDate>,
) -> StoreResult<Results> {
    let store = ctx.store();
    let as_of_day = as_of.unwrap_or_else(|| ctx.today());
    let register = RegisterData::load(ctx, year, site, as_of_day).await?;
    let current = with_facts(store, year, site).await?;
    let previous = with_facts(store, year - 1, site).await?;
    let defs: HashMap<&str, &IndicatorDef> = catalogue
        .entries
        .iter()
        .map(|e| (e.def.code.as_str(), &e.def))
        .collect();
    let mut frozen = BTreeMap::new();
    if site.is_none() {
        for v in store.list_validations(year).await? {
            let Ok(period) = Period::parse(&v.period) else {
                continue;
            };
            if as_of.is_some_and(|d| qep_core::time::local_date(v.validated_at, ctx.zone()) > d) {
                continue;
            }
            let values: Vec<Frozen> = serde_json::from_str(&v.snapshot)
                .map_err(|e| StoreError::Corrupt(format!("validation {} : {e}", v.period)))?;
            frozen.insert(
                period,
                FrozenPeriod {
                    by: v.validated_by,
                    at: v.validated_at,
                    values,
                },
            );
        }
    }
    let outcome = |code: &str, period: Period| -> Option<Outcome> {
        let def = defs.get(code)?;
        if let Some(o) = register.outcome(def, period) {
            return Some(o);
        }
        let source = if period.year() == year {
            &current
        } else {
            &previous
        };
        let values: Vec<EnteredValue> = source
            .get(code)?
            .iter()
            .filter(|v| {
                period.contains(v.period.first_day()) && period.contains(v.period.last_day())
            })
            .cloned()
            .collect();
        let o = aggregate_entered(def, period, &values);
        (o.value.is_some() || o.parts > 0).then_some(o)
    };
    let mut changed = Vec::new();
    let frozen_outcome = |code: &str, period: Period| -> Option<Outcome> {
        match frozen.get(&period) {
            Some(f) => {
                let kept = f.values.iter().find(|v| v.code == code)?;
                Some(Outcome {
                    value: kept.value,
                    numerator: kept.numerator,
                    denominator: kept.denominator,
                    parts: 1,
                    ..Outcome::default()
                })
            }
            None => outcome(code, period),
        }
    };
    let mut sections = Vec::new();
    for (title, entries) in catalogue.sections() {
        let table = year_table(
            entries.iter().map(|e| (e.module, &e.def)),
            year,
            &frozen_outcome,
        );
        sections.push((title, table));
    }
    for (period, f) in &frozen {
        for e in &catalogue.entries {
            let code = e.def.code.as_str();
            let kept = f
                .values
                .iter()
                .find(|v| v.code == code)
                .and_then(|v| v.value);
            let now = outcome(code, *period).and_then(|o| o.value);
            let same = match (now, kept) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                (None, None) => true,
                _ => false,
            };
            if !same {
                changed.push((code.to_owned(), *period, now));
            }
        }
    }
    Ok(Results {
        year,
        sections,
        frozen,
        changed_since_validation: changed,
    })
}

/// The registers' items of two years (correspondence and the log registers) by site, with
/// each site's calendar (as of the computation day), ready for the engine. Each (indicator,
/// site) is counted month by month once, on first use ([`MonthlyCounts`]); every period of
/// the table is then a sum of months.
struct RegisterData {
    calendars: BTreeMap<i64, Arc<WorkingCalendar>>,
    correspondence: HashMap<i64, Vec<(&'static str, ItemRecord)>>,
    logs: HashMap<i64, Vec<LogEntry>>,
    /// Sampled weeks are declared: indicators that allow it count sampled items only.
    sampling: bool,
    as_of: chrono::NaiveDate,
    counted: std::sync::Mutex<HashMap<(String, i64), Arc<MonthlyCounts>>>,
}

impl RegisterData {
    async fn load(
        ctx: &Ctx,
        year: i32,
        site: Option<SiteId>,
        as_of: chrono::NaiveDate,
    ) -> StoreResult<RegisterData> {
        let store = ctx.store();
        let mut data = RegisterData {
            calendars: BTreeMap::new(),
            correspondence: HashMap::new(),
            logs: HashMap::new(),
            sampling: false,
            as_of,
            counted: Default::default(),
        };
        let (Some(from), Some(to)) = (
            chrono::NaiveDate::from_ymd_opt(year - 1, 1, 1),
            chrono::NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return Ok(data);
        };
        let weeks = store.list_sampled_weeks().await?;
        let sampled = |d: chrono::NaiveDate| weeks.iter().any(|(a, b)| *a <= d && d <= *b);
        data.sampling = !weeks.is_empty();
        let wanted = |s: SiteId| site.is_none_or(|w| w == s);
        for r in store.register_rows(from, to).await? {
            let Some(family) = indicator_family(r.channel, r.kind).filter(|_| wanted(r.site))
            else {
                continue;
            };
            data.correspondence.entry(r.site.0).or_default().push((
                family,
                ItemRecord {
                    received: r.received_on,
                    answered: r.answered_on,
                    deadline_days: r.deadline_days,
                    sampled: data.sampling && sampled(r.received_on),
                },
            ));
        }
        for e in store.list_log_entries(None, from, to).await? {
            if wanted(e.site) {
                data.logs.entry(e.site.0).or_default().push(e.entry);
            }
        }
        let sites: std::collections::BTreeSet<i64> = data
            .correspondence
            .keys()
            .chain(data.logs.keys())
            .copied()
            .collect();
        for (site, calendar) in ctx
            .calendars
            .sites(store, sites.into_iter().map(SiteId), as_of)
            .await?
        {
            data.calendars.insert(site.0, calendar);
        }
        Ok(data)
    }

    /// The items of one site that count in `def`, counted by month (once per indicator and
    /// site, then kept).
    fn counted(
        &self,
        def: &IndicatorDef,
        site: i64,
        calendar: &WorkingCalendar,
    ) -> Option<Arc<MonthlyCounts>> {
        let key = (def.code.clone(), site);
        if let Some(c) = self.counted.lock().ok()?.get(&key) {
            return Some(c.clone());
        }
        let records: Vec<ItemRecord> = match def.register.as_deref() {
            Some("correspondence") => self
                .correspondence
                .get(&site)?
                .iter()
                .filter(|(family, _)| feeds(family, &def.code))
                .map(|(_, item)| *item)
                .collect(),
            Some(_) => self
                .logs
                .get(&site)?
                .iter()
                .filter_map(|e| dates_for(&def.code, e))
                .map(|(start, end)| ItemRecord {
                    received: start,
                    answered: end,
                    deadline_days: def.deadline_working_days.unwrap_or(0),
                    sampled: false,
                })
                .collect(),
            None => return None,
        };
        let counts = match MonthlyCounts::new(def, self.as_of, &records, calendar, self.sampling) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                tracing::warn!(code = %def.code, error = %e, "register item outside the calendar");
                Arc::new(MonthlyCounts::default())
            }
        };
        if let Ok(mut cache) = self.counted.lock() {
            cache.insert(key, counts.clone());
        }
        Some(counts)
    }

    /// The registers' result for `def` over `period`, pooled across sites; `None` when no
    /// register has an item for it (entered values then apply).
    fn outcome(&self, def: &IndicatorDef, period: Period) -> Option<Outcome> {
        if def.source != Source::Register {
            return None;
        }
        let mut parts: Vec<Outcome> = Vec::new();
        for (site, calendar) in &self.calendars {
            let Some(counts) = self.counted(def, *site, calendar) else {
                continue;
            };
            if !counts.has_items_in(period) {
                continue;
            }
            match counts.outcome(def, period, self.as_of, calendar) {
                Ok(o) => parts.push(o),
                Err(e) => {
                    tracing::warn!(code = %def.code, error = %e, "register item outside the calendar")
                }
            }
        }
        (!parts.is_empty()).then(|| pool(def, &parts))
    }
}

/// Adds up the results of several sites: numerators and denominators for rates and delays,
/// values for counts.
fn pool(def: &IndicatorDef, parts: &[Outcome]) -> Outcome {
    let pending = parts.iter().map(|o| o.pending).sum();
    let sampled = parts.iter().any(|o| o.sampled);
    let months = parts.iter().map(|o| o.parts).max().unwrap_or(0);
    if def.kind == Kind::Count {
        return Outcome {
            value: Some(parts.iter().filter_map(|o| o.value).sum()),
            pending,
            sampled,
            parts: months,
            ..Outcome::default()
        };
    }
    let num: f64 = parts.iter().filter_map(|o| o.numerator).sum();
    let den: f64 = parts.iter().filter_map(|o| o.denominator).sum();
    let value = (den > 0.0).then(|| match def.kind {
        Kind::OnTimeRate | Kind::Share => num / den * rate_scale(def.unit),
        _ => num / den,
    });
    Outcome {
        value,
        numerator: Some(num),
        denominator: Some(den),
        pending,
        sampled,
        parts: months,
        ..Outcome::default()
    }
}

/// Freezes `period`: the values as computed now are kept, and later changes to the data
/// show as differences instead of rewriting the published figures.
pub async fn validate(
    ctx: &Ctx,
    actor: &Actor,
    catalogue: &Catalogue,
    period: Period,
) -> StoreResult<usize> {
    let results = results(ctx, catalogue, period.year(), None, None).await?;
    let snapshot: Vec<Frozen> = results
        .flat()
        .into_iter()
        .filter(|r| r.period == period)
        .map(|r| Frozen {
            code: r.code,
            value: r.value,
            numerator: r.numerator,
            denominator: r.denominator,
        })
        .collect();
    let json = serde_json::to_string(&snapshot).map_err(|e| StoreError::Backend(e.to_string()))?;
    ctx.store
        .validate_period(actor, &period.to_string(), &json)
        .await?;
    Ok(snapshot.len())
}

/// The level a value would get against the target of its year (for pages that show one
/// value at a time).
pub fn level_of(def: &IndicatorDef, period: Period, value: f64) -> Option<u8> {
    def.target_for(period.year())
        .and_then(|t| grade(value, t))
        .map(|l| l.number())
}
