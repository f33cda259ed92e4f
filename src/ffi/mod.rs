//! The C ABI (`include/tpauth.h`): a thin `extern "C"` skin over the safe core.
