//! `getstream demo`.
