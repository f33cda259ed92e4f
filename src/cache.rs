//! The cross-process token cache (`token_cache`).
