//! Rows a long-running reader (`appw serve`) may answer from memory, for exactly as long as
//! nothing has committed to the store since they were read.
//!
//! In WAL mode every commit, by any process or connection, rewrites the WAL-index header
//! in the store's `-shm` file, which every connection maps: its commit counter, last frame,
//! frame checksum and salts change on every commit, and a WAL restart or recovery rewrites
//! it too. SQLite itself keeps a connection's page cache on that very test: a read
//! transaction whose header equals the one it saw last reuses its cached pages. Here the
//! header is read before a row is read from the store; while the header stays equal, no
//! commit has landed since, so the row read after it is still what the store holds. The
//! committing process writes the header before its commit returns, so a revoke that has
//! returned is seen by the very next request. Reading the header is two 48-byte loads from
//! shared memory: no lock, no system call, where a read transaction takes and releases a
//! shared-memory lock (two `fcntl`s) and runs a statement.
//!
//! Whenever the header cannot be read (no shared memory yet, a header being rewritten at
//! that moment, a read-only mapping), nothing is answered from memory: the row is read.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::{Ordering, fence};

use rusqlite::{Connection, ffi};

use crate::store::HashRecord;

/// Rows kept at most; beyond that the memo starts over (only rows that exist are kept, so
/// made-up ids cannot fill it).
const MAX_ROWS: usize = 100_000;
/// The WAL-index header: 48 bytes, stored twice at the start of the first shared-memory
/// region (writers write the second copy, then the first; readers read the other way).
const HEADER_WORDS: usize = 12;
/// The size of a shared-memory region as SQLite maps them.
const REGION: i32 = 32 * 1024;

type Header = [u32; HEADER_WORDS];

/// The rows read since the header was last seen to change.
pub(super) struct Memo {
    /// The database file's handle, through which the shared memory is found. Valid for as
    /// long as the connection it came from is open; `Memo` lives beside that connection in
    /// `SqliteStore` and is dropped with it.
    file: *mut ffi::sqlite3_file,
    /// The header seen before the rows in `rows` were read.
    seen: Option<Header>,
    rows: HashMap<String, HashRecord>,
}

// SAFETY: `file` is only used by whoever holds the `SqliteStore` (`&mut self`), like the
// connection it belongs to, which is itself `Send`.
unsafe impl Send for Memo {}

impl Memo {
    /// The memo for `conn`, if its store has a WAL index this process maps (after the
    /// connection has read in WAL mode once).
    pub(super) fn new(conn: &Connection) -> Option<Memo> {
        let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
        // SAFETY: the handle is the open connection's; FILE_POINTER writes one pointer to
        // the main database's file object, which lives as long as the connection.
        let rc = unsafe {
            ffi::sqlite3_file_control(
                conn.handle(),
                c"main".as_ptr(),
                ffi::SQLITE_FCNTL_FILE_POINTER,
                (&raw mut file).cast::<c_void>(),
            )
        };
        if rc != ffi::SQLITE_OK || file.is_null() {
            return None;
        }
        let memo = Memo {
            file,
            seen: None,
            rows: HashMap::new(),
        };
        memo.header()?;
        Some(memo)
    }

    /// The row of `id` if it was read since the last commit anywhere; otherwise forgets
    /// everything read before that commit and notes the header the next read starts from.
    pub(super) fn recall(&mut self, id: &str) -> Option<HashRecord> {
        let now = self.header();
        if now.is_some() && now == self.seen {
            return self.rows.get(id).cloned();
        }
        self.rows.clear();
        // Noted before the row is read: a commit between this and the read makes the row
        // newer than the header says, and the next request reads again.
        self.seen = now;
        None
    }

    /// Keeps a row just read (after `recall` missed) for the requests that follow.
    pub(super) fn keep(&mut self, record: &HashRecord) {
        if self.seen.is_none() {
            return;
        }
        if self.rows.len() >= MAX_ROWS {
            self.rows.clear();
        }
        self.rows.insert(record.id.clone(), record.clone());
    }

    /// The WAL-index header as it is now, when both copies agree.
    fn header(&self) -> Option<Header> {
        let mut region: *mut c_void = std::ptr::null_mut();
        // SAFETY: `file` is the open connection's database file (see `file`). xShmMap with
        // `extend` 0 returns the first region, already mapped while the connection has the
        // store open in WAL mode, or null; it only takes SQLite's own in-process mutex.
        let rc = unsafe {
            let methods = (*self.file).pMethods;
            if methods.is_null() || (*methods).iVersion < 2 {
                return None;
            }
            let map = (*methods).xShmMap?;
            map(self.file, 0, REGION, 0, &raw mut region)
        };
        if rc != ffi::SQLITE_OK || region.is_null() {
            return None;
        }
        let words = region.cast::<u32>();
        let read = |copy: usize| {
            let mut header = [0u32; HEADER_WORDS];
            for (i, word) in header.iter_mut().enumerate() {
                // SAFETY: the region is at least 32 KiB, the two copies are its first 96
                // bytes; volatile because other processes write it.
                *word = unsafe { words.add(copy * HEADER_WORDS + i).read_volatile() };
            }
            header
        };
        // As SQLite reads it: the first copy, a barrier, the second; a writer writes them
        // the other way round, so equal copies are a whole header.
        let first = read(0);
        fence(Ordering::SeqCst);
        let second = read(1);
        // Byte 12 of the header is `isInit`: a header not yet written says nothing.
        let initialised = first[3].to_ne_bytes()[0] != 0;
        (first == second && initialised).then_some(first)
    }
}
