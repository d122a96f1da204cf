//! Emulator binary.
fn main() {}
