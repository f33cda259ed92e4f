/* A stand-in for bcryptprimitives.dll, which wine 8.0 (Debian 12) lacks: Rust's standard library
 * (1.78+) and getrandom 0.3 call its ProcessPrng, present on every Windows 10 and later. Built and
 * put beside the test programs by tests/wine/run.sh only; never shipped. It fills the buffer from
 * BCryptGenRandom (the system RNG), which wine implements. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
