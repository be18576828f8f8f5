//! Quality indicators: their definitions (data, from the référentiel files) and the pure
//! engine that turns register items and entered values into graded monthly, quarterly and
//! annual results.

pub mod definition;

pub use definition::{Comparator, IndicatorDef, Kind, Periodicity, Source, Target, Unit};
