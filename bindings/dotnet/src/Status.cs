namespace Tpauth
{
    /// <summary>
    /// What kind of failure a <see cref="TpauthException"/> is. The numbers are the C ABI's
    /// <c>tp_status</c> (docs/contract.md, section 2) and never change.
    /// </summary>
    public enum Status
    {
        /// <summary>Success (TP_OK); never carried by an exception.</summary>
        Ok = 0,
        /// <summary>null, bad UTF-8, unknown option, bad URL, non-https redirect_uri.</summary>
        InvalidArgument = 1,
        /// <summary>DNS, connect, TLS, reset, truncated body.</summary>
        Network = 2,
        /// <summary>The request took longer than timeout_ms (or connecting longer than connect_timeout_ms).</summary>
        Timeout = 3,
        /// <summary>HTTP 401, or OAuth invalid_client.</summary>
        Unauthorized = 4,
        /// <summary>HTTP 429; see <see cref="TpauthException.RetryAfter"/>.</summary>
        RateLimited = 5,
        /// <summary>OAuth invalid_grant: wrong password, used code, revoked or rotated refresh token.</summary>
        InvalidGrant = 6,
        /// <summary>Any other non-2xx answer.</summary>
        Http = 7,
        /// <summary>A 2xx answer with an unusable body: not JSON, no access_token, over the size cap.</summary>
        Protocol = 8,
        /// <summary>The redirect's state differs from the expected one.</summary>
        StateMismatch = 9,
        /// <summary>The redirect carries error=... (the user declined).</summary>
        AccessDenied = 10,
        /// <summary>Nothing to refresh or revoke, or no grant configured for the managed token.</summary>
        NoToken = 11,
        /// <summary>The token cache is unreadable or unwritable.</summary>
        Store = 12,
        /// <summary>A bug in tpauth: a caught panic.</summary>
        Internal = 13,
    }

    /// <summary>How important a log message is (the C ABI's TP_LOG_* numbers).</summary>
    public enum LogLevel
    {
        /// <summary>Something failed and the caller will see an error.</summary>
        Error = 1,
        /// <summary>Something failed and was worked around (a retry, a stale token served).</summary>
        Warn = 2,
        /// <summary>A token request, a renewal, a cache hit.</summary>
        Info = 3,
        /// <summary>Detail.</summary>
        Debug = 4,
    }
}
