//! Emulator (placeholder).
