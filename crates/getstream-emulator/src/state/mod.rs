//! The emulator's shared, locked state: `EmulatorState` (every app, the export files,
//! faults, rate limits, the worker pool) and one app's `AppState` (its data behind a lock,
//! its tasks, its webhook hub), with the write access that saves what changed
//! (`data_write`) and the lock helpers everything uses (`sync`).

pub(crate) mod app_state;
pub(crate) mod data_write;
pub(crate) mod emulator_state;
pub(crate) mod sync;

pub use emulator_state::{EmulatorState, StateError};
