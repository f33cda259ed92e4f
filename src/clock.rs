//! The coarse monotonic clock of the managed token's lock-free path. Token expiries are counted
//! in the wall clock (`token::now_ms`, the clock of `received_at_ms`); the lock-free path turns the
//! instant a token falls due into a deadline on this clock when it publishes the token, and then
//! compares against it on every call, because reading it costs a few nanoseconds where a precise
//! clock read costs about twenty.
//!
//! Linux reads `CLOCK_MONOTONIC_COARSE`: the vDSO's last tick, without a system call or a TSC read.
//! Elsewhere (and under miri) std's `Instant`, which is precise.

/// Milliseconds of the coarse monotonic clock (an arbitrary origin). It lags the true time by
/// less than [`coarse_lag_ms`], never leads it, and never goes back.
#[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
#[allow(clippy::useless_conversion)] // time_t and c_long are 32 bits on 32-bit targets
pub(crate) fn coarse_ms() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec; CLOCK_MONOTONIC_COARSE exists since Linux 2.6.32
    // (on failure ts stays 0: every deadline then looks far away, see coarse_lag_ms).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    i64::from(ts.tv_sec).saturating_mul(1000).saturating_add(i64::from(ts.tv_nsec) / 1_000_000)
}

/// The coarse clock's greatest lag behind the true time, in milliseconds: its resolution (one
/// kernel tick, 1 to 10 ms) rounded up, plus the millisecond lost to truncation.
#[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
#[allow(clippy::useless_conversion)] // time_t and c_long are 32 bits on 32-bit targets
pub(crate) fn coarse_lag_ms() -> i64 {
    static LAG: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *LAG.get_or_init(|| {
        let mut res = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: valid, writable timespecs.
        let ok = unsafe {
            libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut res) == 0
                && libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut now) == 0
        };
        if !ok {
            // No coarse clock: coarse_ms reads 0 for ever, so a lag this large makes every
            // deadline already past and every call take the locked path.
            return i64::MAX / 4;
        }
        let res_ns = i64::from(res.tv_sec).saturating_mul(1_000_000_000).saturating_add(i64::from(res.tv_nsec));
        (res_ns + 999_999) / 1_000_000 + 1
    })
}

#[cfg(not(all(any(target_os = "linux", target_os = "android"), not(miri))))]
fn origin() -> &'static std::time::Instant {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(std::time::Instant::now)
}

/// Milliseconds of the monotonic clock since the first call.
#[cfg(not(all(any(target_os = "linux", target_os = "android"), not(miri))))]
pub(crate) fn coarse_ms() -> i64 {
    i64::try_from(origin().elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The millisecond lost to truncation.
#[cfg(not(all(any(target_os = "linux", target_os = "android"), not(miri))))]
pub(crate) fn coarse_lag_ms() -> i64 {
    1
}

#[cfg(test)]
mod tests {
    use super::{coarse_lag_ms, coarse_ms};

    #[test]
    fn the_coarse_clock_follows_the_precise_one_within_its_lag() {
        let lag = coarse_lag_ms();
        assert!((1..=100).contains(&lag), "lag {lag} ms");
        let start = std::time::Instant::now();
        let c0 = coarse_ms();
        std::thread::sleep(std::time::Duration::from_millis(30));
        let c1 = coarse_ms();
        let elapsed = i64::try_from(start.elapsed().as_millis()).unwrap();
        assert!(c1 >= c0, "went back: {c0} then {c1}");
        // c1 - c0 is at most the true elapsed time plus one lag (c0 may lag, c1 never leads).
        assert!(c1 - c0 <= elapsed + lag, "{} ms on the coarse clock in {elapsed} ms", c1 - c0);
        assert!(c1 - c0 >= 30 - lag, "{} ms on the coarse clock after sleeping 30 ms", c1 - c0);
    }
}
