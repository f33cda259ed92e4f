//! The file cache on Windows: the Unix rules with their Windows meaning.
//!
//! - **Who "you" are**: the process token's user SID, and its default owner SID (for an elevated
//!   administrator, new files belong to `BUILTIN\Administrators`). `SYSTEM` (S-1-5-18) and
//!   `BUILTIN\Administrators` (S-1-5-32-544) play root's part: they may own the folder and appear in
//!   access lists.
//! - **Opening**: `CreateFileW` with `FILE_FLAG_OPEN_REPARSE_POINT` (a symbolic link or junction at
//!   the path is opened itself, and refused, never followed) and sharing read, write and delete (so
//!   that a reader never stops another process from replacing the file). Named pipes live outside
//!   the file system on Windows, so one cannot be planted at the path.
//! - **Checks on the open handle** (`GetFileInformationByHandle`, `GetSecurityInfo`): a regular
//!   file (not a folder, not a reparse point), owned by you; its DACL present, with no allow entry
//!   for anyone else than you, the owner, `SYSTEM` or Administrators granting: for the cache file,
//!   read, write, append, delete, `WRITE_DAC`, `WRITE_OWNER` or a generic right (it holds tokens);
//!   for the lock file, any of those but read. Deny entries are not credited (a check that can
//!   only refuse more).
//! - **The folder**: owned by you, `SYSTEM` or Administrators; no one else may delete its children
//!   (`FILE_DELETE_CHILD`), change its DACL or owner, or hold `GENERIC_ALL`. Others may create
//!   files in it (like a sticky `/tmp`): a file they create belongs to them and is refused.
//! - **Creating**: new files (the temporary file and the lock file) get an explicit, protected DACL
//!   granting full access to you alone (`D:P(A;;FA;;;<your SID>)`), so nothing is inherited.
//! - **Locking**: `LockFileEx(LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY)` on the lock
//!   file, polled; Windows releases it when the handle closes or the process dies.
//! - **Replacing**: `std::fs::rename` (`MoveFileExW(MOVEFILE_REPLACE_EXISTING)`, or POSIX rename
//!   semantics where the file system offers them), retried for up to a second when another
//!   program (an editor, a virus scanner) holds the file open without delete sharing.

use super::{refuse, store_err};
use crate::error::Result;
use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::os::windows::io::{AsRawHandle, FromRawHandle};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;
use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, LocalFree, ERROR_ACCESS_DENIED, ERROR_IO_PENDING, ERROR_LOCK_VIOLATION, ERROR_SHARING_VIOLATION,
    GENERIC_ALL, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, ConvertStringSidToSidW, GetSecurityInfo, SDDL_REVISION_1,
    SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    EqualSid, GetAce, GetLengthSid, GetTokenInformation, TokenOwner, TokenUser, ACCESS_ALLOWED_ACE, ACE_HEADER, ACL,
    DACL_SECURITY_INFORMATION, INHERIT_ONLY_ACE, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES, TOKEN_OWNER,
    TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, LockFileEx, CREATE_NEW, DELETE, FILE_APPEND_DATA, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_NORMAL,
    FILE_ATTRIBUTE_REPARSE_POINT, FILE_DELETE_CHILD, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT, FILE_READ_DATA,
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_WRITE_DATA, LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, OPEN_ALWAYS,
    WRITE_DAC, WRITE_OWNER,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
use windows_sys::Win32::System::IO::OVERLAPPED;

const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
/// Rights that let someone else change what the cache file says (or who may).
const WRITE_RIGHTS: u32 = FILE_WRITE_DATA | FILE_APPEND_DATA | DELETE | WRITE_DAC | WRITE_OWNER | GENERIC_WRITE | GENERIC_ALL;
/// Rights that let someone else replace the files of a folder.
const FOLDER_RIGHTS: u32 = FILE_DELETE_CHILD | WRITE_DAC | WRITE_OWNER | GENERIC_ALL;

/// A SID, copied into memory we own.
struct Sid(Vec<u8>);

impl Sid {
    /// # Safety
    /// `sid` points to a valid SID.
    unsafe fn copy(sid: PSID) -> Sid {
        // SAFETY: the caller's promise; GetLengthSid gives its size in bytes.
        let len = unsafe { GetLengthSid(sid) } as usize;
        // SAFETY: as above: `len` bytes are readable at `sid`.
        Sid(unsafe { std::slice::from_raw_parts(sid as *const u8, len) }.to_vec())
    }

    fn well_known(s: &str) -> Option<Sid> {
        let wide: Vec<u16> = s.encode_utf16().chain([0]).collect();
        let mut sid: PSID = std::ptr::null_mut();
        // SAFETY: a NUL-terminated string; on success `sid` is LocalAlloc'd, copied, then freed.
        unsafe {
            if ConvertStringSidToSidW(wide.as_ptr(), &mut sid) == 0 {
                return None;
            }
            let out = Sid::copy(sid);
            LocalFree(sid);
            Some(out)
        }
    }

    fn ptr(&self) -> PSID {
        self.0.as_ptr() as PSID
    }

    /// # Safety
    /// `other` points to a valid SID.
    unsafe fn is(&self, other: PSID) -> bool {
        // SAFETY: both are valid SIDs; EqualSid only reads them.
        unsafe { EqualSid(self.ptr(), other) != 0 }
    }

    /// `S-1-5-…`, for messages and SDDL.
    fn text(&self) -> String {
        sid_text(self.ptr())
    }
}

fn sid_text(sid: PSID) -> String {
    let mut s: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is valid; the string is LocalAlloc'd, NUL-terminated, read, then freed.
    unsafe {
        if ConvertSidToStringSidW(sid, &mut s) == 0 {
            return "an unknown SID".to_owned();
        }
        let mut n = 0;
        while *s.add(n) != 0 {
            n += 1;
        }
        let out = String::from_utf16_lossy(std::slice::from_raw_parts(s, n));
        LocalFree(s as *mut c_void);
        out
    }
}

/// The process's user and default owner, the SIDs that play root's part, and those that stand for
/// the owner in access lists.
struct Me {
    user: Sid,
    owner: Sid,
    /// SYSTEM, BUILTIN\Administrators: may own the folder, may appear in access lists.
    root: Vec<Sid>,
    /// OWNER RIGHTS, CREATOR OWNER: stand for the owner (checked separately) in access lists.
    owner_aliases: Vec<Sid>,
}

fn token_sid(token: HANDLE, class: i32) -> io::Result<Sid> {
    let mut len = 0u32;
    // SAFETY: asks for the size only.
    unsafe { GetTokenInformation(token, class, std::ptr::null_mut(), 0, &mut len) };
    let mut buf = vec![0u64; (len as usize).div_ceil(8).max(1)];
    // SAFETY: `buf` holds `len` bytes, aligned for TOKEN_USER / TOKEN_OWNER.
    if unsafe { GetTokenInformation(token, class, buf.as_mut_ptr() as *mut c_void, len, &mut len) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: GetTokenInformation filled a TOKEN_USER or TOKEN_OWNER whose SID points into `buf`.
    let sid = unsafe {
        if class == TokenUser {
            (*(buf.as_ptr() as *const TOKEN_USER)).User.Sid
        } else {
            (*(buf.as_ptr() as *const TOKEN_OWNER)).Owner
        }
    };
    // SAFETY: a valid SID inside `buf`, copied before `buf` is dropped.
    Ok(unsafe { Sid::copy(sid) })
}

fn me() -> io::Result<&'static Me> {
    static ME: OnceLock<Me> = OnceLock::new();
    if let Some(m) = ME.get() {
        return Ok(m);
    }
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process; the token handle is closed below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let sids = token_sid(token, TokenUser).and_then(|u| Ok((u, token_sid(token, TokenOwner)?)));
    // SAFETY: a handle OpenProcessToken gave us.
    unsafe { CloseHandle(token) };
    let (user, owner) = sids?;
    let known = |sids: &[&str]| sids.iter().filter_map(|s| Sid::well_known(s)).collect::<Vec<_>>();
    let (root, owner_aliases) = (known(&["S-1-5-18", "S-1-5-32-544"]), known(&["S-1-3-4", "S-1-3-0"]));
    Ok(ME.get_or_init(|| Me { user, owner, root, owner_aliases }))
}

/// An OS error in words, for messages.
pub(super) fn os_reason(e: &io::Error) -> String {
    match e.raw_os_error().map(|c| c as u32) {
        Some(ERROR_ACCESS_DENIED) => "access denied (it may be a folder, or belong to another user)".to_owned(),
        Some(ERROR_SHARING_VIOLATION) => "another program has it open without sharing it".to_owned(),
        _ => e.to_string(),
    }
}

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain([0]).collect()
}

/// The owner and DACL of an open handle, checked: the owner must be one of `owners` (or a
/// trusted SID when `owner_may_be_trusted`), and no one else may hold any of `forbidden`.
fn check_security(handle: HANDLE, path: &Path, what: &str, forbidden: u32, owner_may_be_trusted: bool, fix: &str) -> Result<()> {
    let me = me().map_err(|e| store_err(path, "read this process's user", &e))?;
    let mut owner: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: a valid handle opened with READ_CONTROL; the descriptor is freed below, and `owner`
    // and `dacl` point into it.
    let rc = unsafe {
        GetSecurityInfo(
            handle,
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut sd,
        )
    };
    if rc != 0 {
        return Err(store_err(path, &format!("read the security of {what}"), &io::Error::from_raw_os_error(rc as i32)));
    }
    struct FreeSd(PSECURITY_DESCRIPTOR);
    impl Drop for FreeSd {
        fn drop(&mut self) {
            // SAFETY: allocated by GetSecurityInfo.
            unsafe { LocalFree(self.0) };
        }
    }
    let _free = FreeSd(sd);
    // SAFETY: `owner` and every SID below point into the live descriptor.
    unsafe {
        let is_me = !owner.is_null() && (me.user.is(owner) || me.owner.is(owner));
        let is_root = !owner.is_null() && me.root.iter().any(|t| t.is(owner));
        if !(is_me || (owner_may_be_trusted && is_root)) {
            let who = if owner.is_null() { "no one".to_owned() } else { sid_text(owner) };
            return Err(refuse(
                path,
                format_args!(
                    "{what} belongs to another user ({who}; you are {}), who could have planted it; remove it, or put the cache in a folder of your own (the default, %LOCALAPPDATA%\\tpauth)",
                    me.user.text()
                ),
            ));
        }
        if dacl.is_null() {
            return Err(refuse(path, format_args!("{what} has no access control list, so everyone may change it; {fix}")));
        }
        for i in 0..u32::from((*dacl).AceCount) {
            let mut ace: *mut c_void = std::ptr::null_mut();
            if GetAce(dacl, i, &mut ace) == 0 {
                continue;
            }
            let header = &*(ace as *const ACE_HEADER);
            if header.AceType != ACCESS_ALLOWED_ACE_TYPE || u32::from(header.AceFlags) & INHERIT_ONLY_ACE != 0 {
                continue;
            }
            let allowed = &*(ace as *const ACCESS_ALLOWED_ACE);
            let sid = &allowed.SidStart as *const u32 as PSID;
            let trusted = me.user.is(sid) || me.owner.is(sid) || me.root.iter().chain(&me.owner_aliases).any(|t| t.is(sid));
            if allowed.Mask & forbidden == 0 || trusted {
                continue;
            }
            return Err(refuse(
                path,
                format_args!("{what} grants {} access mask {:#x}, which lets another user change it; {fix}", sid_text(sid), allowed.Mask),
            ));
        }
    }
    Ok(())
}

/// The folder may not let another user replace the cache.
pub(super) fn check_folder(dir: &Path, path: &Path) -> Result<()> {
    let folder = std::fs::OpenOptions::new()
        .read(true)
        .share_mode(SHARE_ALL)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(dir)
        .map_err(|e| store_err(path, &format!("use its folder {}", dir.display()), &e))?;
    let attrs = folder.metadata().map_err(|e| store_err(path, "stat its folder", &e))?.file_attributes();
    if attrs & FILE_ATTRIBUTE_DIRECTORY == 0 {
        return Err(refuse(path, format_args!("{} is not a folder", dir.display())));
    }
    check_security(
        folder.as_raw_handle() as HANDLE,
        path,
        &format!("its folder {}", dir.display()),
        FOLDER_RIGHTS,
        true,
        "put the cache in a folder of your own (the default, %LOCALAPPDATA%\\tpauth)",
    )
}

/// A file just opened must be a regular file of ours that no one else may change.
fn check_open(file: &File, path: &Path, what: &str, forbidden: u32, fix: &str) -> Result<()> {
    let attrs = file.metadata().map_err(|e| store_err(path, "stat it", &e))?.file_attributes();
    if attrs & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
        return Err(refuse(path, "it is a symbolic link or junction, which the token cache refuses to follow"));
    }
    if attrs & FILE_ATTRIBUTE_DIRECTORY != 0 {
        return Err(refuse(path, "it is a folder, not a regular file; set token_cache to another path"));
    }
    check_security(file.as_raw_handle() as HANDLE, path, what, forbidden, false, fix)
}

/// The cache file opened for reading, checked; `None` when it does not exist.
pub(super) fn open_cache(path: &Path) -> Result<Option<File>> {
    let file = match std::fs::OpenOptions::new().read(true).share_mode(SHARE_ALL).custom_flags(FILE_FLAG_OPEN_REPARSE_POINT).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(store_err(path, "open it", &e)),
    };
    check_open(
        &file,
        path,
        "it",
        WRITE_RIGHTS | FILE_READ_DATA | GENERIC_READ,
        "it must be readable and writable by you alone: delete it and let tpauth create it",
    )?;
    Ok(Some(file))
}

/// A file created with a protected DACL granting full access to this user alone.
fn create_owner_only(path: &Path, disposition: u32) -> io::Result<File> {
    let me = me()?;
    let sddl: Vec<u16> = format!("D:P(A;;FA;;;{})", me.user.text()).encode_utf16().chain([0]).collect();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: a NUL-terminated SDDL string; the descriptor is freed below.
    if unsafe { ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.as_ptr(), SDDL_REVISION_1, &mut sd, std::ptr::null_mut()) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let sa =
        SECURITY_ATTRIBUTES { nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32, lpSecurityDescriptor: sd, bInheritHandle: 0 };
    let name = wide(path);
    // SAFETY: a NUL-terminated path and valid security attributes; the handle is owned by the File.
    let handle = unsafe {
        CreateFileW(
            name.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            SHARE_ALL,
            &sa,
            disposition,
            FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
            std::ptr::null_mut(),
        )
    };
    let result = if handle == INVALID_HANDLE_VALUE {
        Err(io::Error::last_os_error())
    } else {
        // SAFETY: a handle CreateFileW just gave us, owned by nothing else.
        Ok(unsafe { File::from_raw_handle(handle as _) })
    };
    // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
    unsafe { LocalFree(sd) };
    result
}

/// The lock file, created owner-only if missing, checked.
pub(super) fn open_lock(path: &Path) -> Result<File> {
    let file = create_owner_only(path, OPEN_ALWAYS).map_err(|e| store_err(path, "open or create it (the token cache's lock file)", &e))?;
    check_open(&file, path, "it", WRITE_RIGHTS, "delete it and let tpauth create it")?;
    Ok(file)
}

/// Take the exclusive lock without blocking: `false` when another process holds it.
pub(super) fn try_lock(file: &File) -> io::Result<bool> {
    // SAFETY: a zeroed OVERLAPPED (offset 0) and a handle `file` keeps open; the lock covers every byte.
    let ok = unsafe {
        let mut ov: OVERLAPPED = std::mem::zeroed();
        LockFileEx(file.as_raw_handle() as HANDLE, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, u32::MAX, u32::MAX, &mut ov)
    };
    if ok != 0 {
        return Ok(true);
    }
    // SAFETY: reads this thread's last error.
    match unsafe { GetLastError() } {
        ERROR_LOCK_VIOLATION | ERROR_IO_PENDING => Ok(false),
        code => Err(io::Error::from_raw_os_error(code as i32)),
    }
}

/// A new file, readable and writable by its owner only; fails if the path exists.
pub(super) fn create_temp(path: &Path) -> io::Result<File> {
    create_owner_only(path, CREATE_NEW)
}

/// Move `tmp` over `path` atomically; retried for up to a second while another program holds
/// `path` open without delete sharing.
pub(super) fn replace(tmp: &Path, path: &Path) -> io::Result<()> {
    let mut pause = Duration::from_millis(5);
    let mut waited = Duration::ZERO;
    loop {
        match std::fs::rename(tmp, path) {
            Err(e)
                if matches!(e.raw_os_error().map(|c| c as u32), Some(ERROR_ACCESS_DENIED | ERROR_SHARING_VIOLATION))
                    && waited < Duration::from_secs(1) =>
            {
                std::thread::sleep(pause);
                waited += pause;
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// NTFS journals the rename; a folder cannot be flushed on Windows.
pub(super) fn sync_folder(_dir: &Path) {}
