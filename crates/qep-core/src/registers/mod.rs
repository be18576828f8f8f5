//! Registers: the items QeP tracks to a working-day deadline, and the rules that decide
//! each item's deadline and which indicators it feeds. Storage and screens live elsewhere.

pub mod correspondence;
pub mod deadline;
pub mod log;
