//! HTTP transport over one ureq agent per client.
