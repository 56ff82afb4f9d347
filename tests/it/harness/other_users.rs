//! Running appw as another uid. The binary cargo built lives under the checkout, which may
//! sit in a folder only its owner can enter (a clone in `mktemp -d`), where another uid
//! cannot run it. So such a command runs it from a folder of its own in the temp folder
//! that everyone can enter: a hard link there when it is on the same file system (no
//! copy), else a copy; removed when the test process exits.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{Appw, bin};

static REACHABLE: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_reachable() {
    if let Some(dir) = REACHABLE.get().and_then(|b| b.parent()) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The binary, at a path every uid can run it from.
pub fn reachable_bin() -> &'static Path {
    REACHABLE.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("appw-bin-")
            .tempdir()
            .expect("temp dir")
            .keep();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let reachable = dir.join("appw");
        if std::fs::hard_link(bin(), &reachable).is_err() {
            std::fs::copy(bin(), &reachable).unwrap();
            std::fs::set_permissions(&reachable, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        // SAFETY: registers a plain function, run once at exit.
        unsafe { libc::atexit(remove_reachable) };
        reachable
    })
}

impl Appw {
    /// [`Appw::command`] run as `uid` (its own group, no supplementary groups), as setpriv
    /// would, from a place that uid can reach.
    pub fn command_as(&self, uid: u32, args: &[&str]) -> Command {
        let mut cmd = self.command_of(reachable_bin(), args);
        cmd.uid(uid).gid(uid);
        cmd
    }
}
