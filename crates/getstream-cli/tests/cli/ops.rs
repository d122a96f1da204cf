//! The task-starting commands.
