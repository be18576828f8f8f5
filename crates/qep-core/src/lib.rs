//! QeP's domain core.
//!
//! Everything here is plain data and pure functions: no HTTP, no SQL, no files, no clock.
//! Time is always passed in by the caller. The web layer, the storage backends and the
//! command line all build on these types, so a rule lives here exactly once.

pub mod account;
pub mod calendar;
pub mod csv_cell;
pub mod french;
pub mod ids;
pub mod indicators;
pub mod prefecture;
pub mod referentiel;
pub mod registers;
pub mod time;
