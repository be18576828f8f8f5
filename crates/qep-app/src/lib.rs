//! QeP's application layer: the use cases the web pages, the command line and the API all
//! call, one module per context. Each takes a [`Ctx`]: the store, the clock and the
//! per-site calendar cache. Rules live in `qep-core`; this crate gathers what they need
//! from the store, calls them, and writes the result back.
//!
//! | module | owns |
//! |---|---|
//! | [`clock`] | the one place the time is read ([`Clock`]: system in production, fixed in tests) |
//! | [`calendars`] | each site's working-day calendar, built once per settings version |
//! | [`indicators`] | the catalogue in scope, results of a year, validation (frozen periods) |
//! | [`documents`] | the yearly report's, the poster's and the tables' inputs |
//! | [`registers`] | registering an item and acknowledging it (register page, public form, imports), answers by mail |
//! | [`accounts`] | password hashes (at most two at once) and generated passwords |
//! | [`jobs`] | durable jobs: the scheduler (digest, retention, sessions), leases, imports' records |
//! | [`mail`] | acknowledgements from templates, the outbox (leased, sent once), the morning digest |

pub mod accounts;
pub mod calendars;
pub mod clock;
pub mod documents;
pub mod indicators;
pub mod jobs;
pub mod mail;
pub mod registers;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use qep_core::ids::SiteId;
use qep_core::time::Tz;
use qep_store::{Store, StoreResult};

pub use crate::calendars::Calendars;
pub use crate::clock::{Clock, FixedClock, SystemClock};

/// What every use case runs with: the store, the clock and the calendar cache. Cheap to
/// clone; one per process (the web state and the command line each build one).
#[derive(Clone)]
pub struct Ctx {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub calendars: Arc<Calendars>,
    /// Indicator results computed at the store's current data version.
    pub(crate) results: Arc<indicators::ResultsCache>,
    /// The prefecture's legal time (its main site's), as last read by [`Ctx::zones`].
    zone: Arc<RwLock<Tz>>,
}

/// The legal time of every site, and the prefecture's (its main site's).
#[derive(Debug, Clone)]
pub struct Zones {
    pub prefecture: Tz,
    pub sites: HashMap<SiteId, Tz>,
}

impl Zones {
    /// A site's zone; the prefecture's for an unknown site.
    pub fn of(&self, site: SiteId) -> Tz {
        self.sites.get(&site).copied().unwrap_or(self.prefecture)
    }
}

impl Ctx {
    /// A context on the system clock.
    pub fn new(store: Arc<dyn Store>) -> Ctx {
        Ctx::with_clock(store, Arc::new(SystemClock))
    }

    pub fn with_clock(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Ctx {
        Ctx {
            store,
            clock,
            calendars: Arc::new(Calendars::default()),
            results: Arc::default(),
            zone: Arc::new(RwLock::new(qep_core::time::PARIS)),
        }
    }

    /// A context on the system clock whose "today" is already the prefecture's.
    pub async fn open(store: Arc<dyn Store>) -> StoreResult<Ctx> {
        let ctx = Ctx::new(store);
        ctx.zones().await?;
        Ok(ctx)
    }

    /// Every site's legal time: its own, else its département's. Also refreshes the
    /// prefecture's zone that [`Ctx::today`] uses.
    pub async fn zones(&self) -> StoreResult<Zones> {
        let Some(prefecture) = self.store.find_prefecture().await? else {
            return Ok(Zones {
                prefecture: qep_core::time::PARIS,
                sites: HashMap::new(),
            });
        };
        let sites = self.store.list_sites().await?;
        let department = prefecture.department;
        let main = qep_core::prefecture::main_site(&sites).map_or_else(
            || qep_core::time::zone_of(department),
            |s| s.zone(department),
        );
        *self.zone.write().unwrap_or_else(|e| e.into_inner()) = main;
        Ok(Zones {
            prefecture: main,
            sites: sites.iter().map(|s| (s.id, s.zone(department))).collect(),
        })
    }

    /// The prefecture's legal time.
    pub fn zone(&self) -> Tz {
        *self.zone.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// Now, from the context's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today at the prefecture (its main site's legal time): the day documents are dated,
    /// the default period is chosen and "not after today" is checked.
    pub fn today(&self) -> chrono::NaiveDate {
        qep_core::time::local_date(self.clock.now(), self.zone())
    }

    /// Today at a site.
    pub fn today_in(&self, zone: Tz) -> chrono::NaiveDate {
        qep_core::time::local_date(self.clock.now(), zone)
    }
}
