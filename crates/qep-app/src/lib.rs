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
//! | [`mail`] | acknowledgements and answers from templates, the outbox, the morning digest |

pub mod accounts;
pub mod calendars;
pub mod clock;
pub mod documents;
pub mod indicators;
pub mod mail;
pub mod registers;

use std::sync::Arc;

use qep_store::Store;

pub use crate::calendars::Calendars;
pub use crate::clock::{Clock, FixedClock, SystemClock};

/// What every use case runs with: the store, the clock and the calendar cache. Cheap to
/// clone; one per process (the web state and the command line each build one).
#[derive(Clone)]
pub struct Ctx {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub calendars: Arc<Calendars>,
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
        }
    }

    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// Now, from the context's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today in Paris: the day documents are dated and the default period is chosen.
    pub fn today(&self) -> chrono::NaiveDate {
        qep_core::time::to_paris(self.clock.now()).date()
    }
}
