//! The file cache on Unix: `open(2)` with `O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC` (a FIFO planted
//! at the path cannot block the open, a symbolic link is not followed), then `fstat(2)` on the
//! open descriptor, so that what is checked is what is read; `flock(2)` with `LOCK_NB`, polled; new
//! files created 0600; `rename(2)` to replace.

use super::{refuse, store_err};
use crate::error::Result;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

const NO_BLOCK_NO_FOLLOW: i32 = libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// An OS error in words, for messages.
pub(super) fn os_reason(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::EMLINK) => "it is a symbolic link, which the token cache refuses to follow".to_owned(),
        Some(libc::ENOTDIR) => "a component of the path is not a directory".to_owned(),
        Some(libc::EACCES) | Some(libc::EPERM) => {
            "permission denied (in a sticky folder such as /tmp, a file another user made at this path cannot be opened)".to_owned()
        }
        Some(libc::EROFS) => "read-only file system".to_owned(),
        Some(libc::ENOSPC) => "no space left on device".to_owned(),
        _ => e.to_string(),
    }
}

fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// The folder may not let another user replace the cache: not writable by group or others unless
/// sticky, and owned by the current user or root.
pub(super) fn check_folder(dir: &Path, path: &Path) -> Result<()> {
    let meta = std::fs::metadata(dir).map_err(|e| store_err(path, &format!("use its folder {}", dir.display()), &e))?;
    if !meta.is_dir() {
        return Err(refuse(path, format_args!("{} is not a folder", dir.display())));
    }
    let (owner, mode) = (meta.uid(), meta.mode());
    if owner != euid() && owner != 0 {
        return Err(refuse(
            path,
            format_args!(
                "its folder {} belongs to another user (uid {owner}), who could replace the cache; put the cache in a folder of your own (e.g. ~/.cache/tpauth)",
                dir.display()
            ),
        ));
    }
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Err(refuse(
            path,
            format_args!(
                "its folder {} is writable by other users (mode {:04o}) and not sticky, so another user could replace the cache; \
                 put the cache in a private folder (e.g. ~/.cache/tpauth), or run `chmod go-w {}`",
                dir.display(),
                mode & 0o7777,
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// A file just opened must be a regular file of ours, with none of the `forbidden` mode bits.
fn check_open(file: &File, path: &Path, forbidden: u32, fix: &str) -> Result<()> {
    let meta = file.metadata().map_err(|e| store_err(path, "stat it", &e))?;
    if !meta.file_type().is_file() {
        return Err(refuse(
            path,
            format_args!("it is {}, not a regular file; remove it, or set token_cache to another path", kind_of(&meta)),
        ));
    }
    if meta.uid() != euid() {
        return Err(refuse(
            path,
            format_args!(
                "it belongs to another user (uid {}), who could have planted a token in it; remove it (as its owner or root), or put the cache in a folder of your own",
                meta.uid()
            ),
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & forbidden != 0 {
        return Err(refuse(path, format_args!("its mode is {mode:04o}, {fix}")));
    }
    Ok(())
}

/// The cache file opened for reading, checked; `None` when it does not exist.
pub(super) fn open_cache(path: &Path) -> Result<Option<File>> {
    let file = match std::fs::OpenOptions::new().read(true).custom_flags(NO_BLOCK_NO_FOLLOW).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(store_err(path, "open it", &e)),
    };
    check_open(&file, path, 0o077, "which lets other users read or write the tokens in it; run `chmod 600` on it")?;
    Ok(Some(file))
}

/// The lock file, created 0600 if missing, checked.
pub(super) fn open_lock(path: &Path) -> Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(NO_BLOCK_NO_FOLLOW)
        .open(path)
        .map_err(|e| store_err(path, "open or create it (the token cache's lock file)", &e))?;
    check_open(&file, path, 0o022, "which lets other users write it; run `chmod 600` on it")?;
    Ok(file)
}

/// Take the exclusive lock without blocking: `false` when another process holds it.
pub(super) fn try_lock(file: &File) -> io::Result<bool> {
    // SAFETY: flock on a descriptor that `file` owns and keeps open.
    let rc = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(file), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EWOULDBLOCK) | Some(libc::EINTR) => Ok(false),
        _ => Err(e),
    }
}

/// A new file, readable and writable by its owner only; fails if the path exists.
pub(super) fn create_temp(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC).open(path)
}

/// Move `tmp` over `path` atomically.
pub(super) fn replace(tmp: &Path, path: &Path) -> io::Result<()> {
    std::fs::rename(tmp, path)
}

/// Make the rename durable.
pub(super) fn sync_folder(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

// What mutation testing found unguarded in this file: each test fails when the rule it names is
// taken out (kept apart from other tests of this file, which other work edits).
#[cfg(test)]
mod rules_mutation_testing_found_unguarded {
    use super::*;

    #[test]
    fn os_errors_are_put_in_words() {
        let words = |errno| os_reason(&io::Error::from_raw_os_error(errno));
        for (errno, says) in [
            (libc::ELOOP, "it is a symbolic link, which the token cache refuses to follow"),
            (libc::EMLINK, "it is a symbolic link, which the token cache refuses to follow"),
            (libc::ENOTDIR, "a component of the path is not a directory"),
            (libc::EACCES, "permission denied (in a sticky folder"),
            (libc::EPERM, "permission denied (in a sticky folder"),
            (libc::EROFS, "read-only file system"),
            (libc::ENOSPC, "no space left on device"),
        ] {
            assert!(words(errno).starts_with(says), "errno {errno}: {}", words(errno));
        }
    }
}
