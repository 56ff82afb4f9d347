//! The PostgreSQL backend's tests and the harness hook that runs the suite on it.

/// A fresh database URL when the run targets PostgreSQL (`APPW_TEST_BACKEND=postgres`);
/// `None` for SQLite.
pub fn fresh_database() -> Option<String> {
    None
}
