//! The blocking mirror of the moderation operations.

use crate::blocking::Client;
use crate::error::Result;
use crate::ops::BulkImageModerationResult;

use super::ops::TaskStarted;

impl Client {
    /// The moderation operations; see [`crate::Client::moderation`].
    pub fn moderation(&self) -> Moderation {
        Moderation {
            client: self.clone(),
        }
    }
}

/// Blocking moderation operations, from [`Client::moderation`].
#[derive(Debug, Clone)]
pub struct Moderation {
    client: Client,
}

impl Moderation {
    /// Moderates the images a CSV lists; see
    /// [`crate::Moderation::bulk_image_moderation`].
    ///
    /// # Errors
    ///
    /// As [`crate::Moderation::bulk_image_moderation`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn bulk_image_moderation(
        &self,
        csv_file: &str,
    ) -> Result<TaskStarted<BulkImageModerationResult>> {
        let csv_file = csv_file.to_owned();
        self.client.start(|client| async move {
            client.moderation().bulk_image_moderation(&csv_file).await
        })
    }
}
