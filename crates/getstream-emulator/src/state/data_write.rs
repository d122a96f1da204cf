//! Write access to an app's data that saves what changed to the data dir when it ends.

use std::ops::{Deref, DerefMut};
use std::sync::RwLockWriteGuard;

use crate::data::app_data::AppData;
use crate::state::app_state::AppState;
use crate::state::sync::write;

/// An app's data under its write lock. Dropping it saves the rows that changed (when the
/// emulator has a data dir), still under the lock, so saves land in the order the changes
/// were made, and before the handler's answer is sent.
pub(crate) struct DataWrite<'a> {
    guard: RwLockWriteGuard<'a, AppData>,
    app: &'a AppState,
}

impl AppState {
    /// The app's data for writing (see [`DataWrite`]).
    pub fn data_mut(&self) -> DataWrite<'_> {
        DataWrite {
            guard: write(&self.data),
            app: self,
        }
    }
}

impl Deref for DataWrite<'_> {
    type Target = AppData;
    fn deref(&self) -> &AppData {
        &self.guard
    }
}

impl DerefMut for DataWrite<'_> {
    fn deref_mut(&mut self) -> &mut AppData {
        &mut self.guard
    }
}

impl Drop for DataWrite<'_> {
    fn drop(&mut self) {
        if let Some(persist) = self.app.persist() {
            persist.save_data(self.app.creds.key(), &mut self.guard);
        }
    }
}
