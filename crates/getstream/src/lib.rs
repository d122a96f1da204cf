//! Stream SDK (placeholder).
