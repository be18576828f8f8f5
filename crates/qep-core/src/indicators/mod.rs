//! Quality indicators: their definitions (data, from the référentiel files) and the pure
//! engine that turns register items and entered values into graded monthly, quarterly and
//! annual results.

pub mod definition;
pub mod engine;
pub mod grading;
pub mod imported;
pub mod period;
pub mod table;
pub mod value_check;

pub use definition::{Comparator, IndicatorDef, Kind, Periodicity, Source, Target, Unit};
pub use engine::{
    EngineError, EnteredValue, ItemRecord, Outcome, aggregate_entered, compute_register, rate_scale,
};
pub use grading::{Level, Trend, grade, trend};
pub use period::{Period, PeriodError};
pub use table::{Cell, FlatResult, OutcomeSource, Row, YearTable, flatten, year_table};
pub use value_check::{ValuePart, ValueProblem, check_value};
