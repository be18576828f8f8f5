//! Each site's working-day calendar, loaded one way for every use case: the territory of
//! the prefecture's département, the site's closures and holiday settings as they stood on
//! a day. A calendar is built once per (site, settings) and shared (`Arc`); a change to a
//! site's settings gives other settings, hence a new calendar, and an old one is dropped
//! when it is no longer the current one.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use qep_core::calendar::{CalendarSettings, Territory, WorkingCalendar};
use qep_core::ids::SiteId;
use qep_store::{Store, StoreResult};

/// How many settings versions are kept per site (today's and a few past days').
const VERSIONS_PER_SITE: usize = 4;

type Key = (SiteId, Territory);
/// The calendars built for one site, most recently used first.
type Versions = Vec<(CalendarSettings, Arc<WorkingCalendar>)>;

#[derive(Default)]
pub struct Calendars {
    built: Mutex<HashMap<Key, Versions>>,
}

impl Calendars {
    /// The territory whose holidays apply: the prefecture's département's (metropolitan
    /// France before set-up).
    pub async fn territory(store: &dyn Store) -> StoreResult<Territory> {
        Ok(store
            .find_prefecture()
            .await?
            .map_or(Territory::Metropole, |p| Territory::of(p.department)))
    }

    /// The calendar of `site` as it stood at the end of `as_of` (closures recorded later
    /// are not known then).
    pub async fn site(
        &self,
        store: &dyn Store,
        site: SiteId,
        as_of: NaiveDate,
    ) -> StoreResult<Arc<WorkingCalendar>> {
        let territory = Self::territory(store).await?;
        let settings = store.site_calendar(site).await?.settings().as_of(as_of);
        Ok(self.get(site, territory, settings))
    }

    /// The calendar for these settings, built once.
    pub fn get(
        &self,
        site: SiteId,
        territory: Territory,
        settings: CalendarSettings,
    ) -> Arc<WorkingCalendar> {
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        let versions = built.entry((site, territory)).or_default();
        if let Some(i) = versions.iter().position(|(s, _)| *s == settings) {
            let hit = versions.remove(i);
            let cal = hit.1.clone();
            versions.insert(0, hit);
            return cal;
        }
        let cal = Arc::new(WorkingCalendar::new(territory, &settings));
        versions.insert(0, (settings, cal.clone()));
        versions.truncate(VERSIONS_PER_SITE);
        cal
    }

    /// The calendars of several sites as of one day, for computations over many items.
    /// (The sites are collected first, so that the future holds no caller's iterator.)
    pub fn sites<'a>(
        &'a self,
        store: &'a dyn Store,
        sites: impl IntoIterator<Item = SiteId>,
        as_of: NaiveDate,
    ) -> impl Future<Output = StoreResult<HashMap<SiteId, Arc<WorkingCalendar>>>> + Send + 'a {
        let sites: BTreeSet<SiteId> = sites.into_iter().collect();
        self.of_sites(store, sites, as_of)
    }

    async fn of_sites(
        &self,
        store: &dyn Store,
        sites: BTreeSet<SiteId>,
        as_of: NaiveDate,
    ) -> StoreResult<HashMap<SiteId, Arc<WorkingCalendar>>> {
        let territory = Self::territory(store).await?;
        let mut out = HashMap::new();
        for site in sites {
            let settings = store.site_calendar(site).await?.settings().as_of(as_of);
            out.insert(site, self.get(site, territory, settings));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qep_core::calendar::Closure;

    #[test]
    fn one_calendar_per_site_and_settings() {
        let cache = Calendars::default();
        let a = cache.get(SiteId(1), Territory::Metropole, CalendarSettings::default());
        let b = cache.get(SiteId(1), Territory::Metropole, CalendarSettings::default());
        assert!(Arc::ptr_eq(&a, &b));
        let mut closed = CalendarSettings::default();
        let day = NaiveDate::from_ymd_opt(2026, 5, 15).expect("date");
        closed.closures.push(Closure::day(day, "pont", day));
        let c = cache.get(SiteId(1), Territory::Metropole, closed);
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(c.is_working_day(day), Ok(false));
        let other = cache.get(SiteId(2), Territory::Metropole, CalendarSettings::default());
        assert!(!Arc::ptr_eq(&a, &other));
    }
}
