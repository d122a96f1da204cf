//! Export files: where they are kept on disk ([`store`]), and the signed, expiring links that download them ([`link`]).

pub(crate) mod link;
pub(crate) mod store;
pub(crate) mod writer;

pub use link::DEFAULT_EXPORT_LINK_TTL;
pub use store::MAX_EXPORT_FILES;
pub(crate) use store::{ExportEntry, ExportStore};
