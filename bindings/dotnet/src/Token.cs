using System;

namespace Tpauth
{
    /// <summary>
    /// One token response, immutable and safe to read from any thread. It owns a native handle:
    /// dispose it when done (a finalizer frees it otherwise). <see cref="ToString"/> never shows the
    /// access or refresh token; <see cref="ToJson"/> does (it is for persisting).
    /// </summary>
    public sealed class Token : IDisposable
    {
        internal readonly Native.TokenHandle Handle;

        internal Token(Native.TokenHandle handle)
        {
            handle.Track();
            Handle = handle;
        }

        private Native.TokenHandle Live
        {
            get
            {
                if (Handle.IsClosed) throw new ObjectDisposedException(nameof(Token));
                return Handle;
            }
        }

        /// <summary>The access token (sent as <c>Authorization: Bearer</c>).</summary>
        public string AccessToken => Native.CopyString(Native.tp_token_access_token(Live)) ?? string.Empty;

        /// <summary>The refresh token, or null when the server sent none (client credentials, implicit).</summary>
        public string? RefreshToken => Native.CopyString(Native.tp_token_refresh_token(Live));

        /// <summary>The token type as sent (e.g. "BearerToken"), or null when none.</summary>
        public string? TokenType => Native.CopyString(Native.tp_token_type(Live));

        /// <summary>The lifetime in seconds as sent, or null when unknown.</summary>
        public long? ExpiresIn
        {
            get
            {
                long v = Native.tp_token_expires_in(Live);
                return v < 0 ? (long?)null : v;
            }
        }

        /// <summary>When the token expires (local clock at receipt + expires_in), or null when unknown.</summary>
        public DateTimeOffset? ExpiresAt
        {
            get
            {
                long v = Native.tp_token_expires_at(Live);
                return v < 0 ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeSeconds(v);
            }
        }

        /// <summary>The server's response body, verbatim (every field, including the secrets).</summary>
        public string RawJson => Native.CopyString(Native.tp_token_raw_json(Live)) ?? string.Empty;

        /// <summary>Whether the token expires within <paramref name="leewaySeconds"/> seconds from now.</summary>
        public bool IsExpired(long leewaySeconds = 0) => Native.tp_token_is_expired(Live, leewaySeconds);

        /// <summary>Whether the token expires within <paramref name="leeway"/> from now.</summary>
        public bool IsExpired(TimeSpan leeway) => IsExpired((long)Math.Ceiling(leeway.TotalSeconds));

        /// <summary>The token as JSON, for persisting (contains the secrets); read back with <see cref="FromJson"/>.</summary>
        public string ToJson()
        {
            int st = Native.tp_token_to_json(Live, out IntPtr json, out Native.ErrorHandle err);
            Native.Check(st, err);
            return Native.TakeString(json) ?? string.Empty;
        }

        /// <summary>A token from <see cref="ToJson"/>'s output (or a token response body).</summary>
        /// <exception cref="InvalidArgumentException">null, or not a token.</exception>
        public static Token FromJson(string json)
        {
            int st = Native.tp_token_from_json(Native.Utf8(json, "json"), out Native.TokenHandle handle, out Native.ErrorHandle err);
            if (st != 0) handle.Dispose();
            Native.Check(st, err);
            return new Token(handle);
        }

        /// <summary>Type and expiry only: the access and refresh tokens are shown as [redacted].</summary>
        public override string ToString()
        {
            if (Handle.IsClosed) return "Token(disposed)";
            var at = ExpiresAt;
            return "Token(token_type=" + (TokenType ?? "null")
                + ", expires_in=" + (ExpiresIn.HasValue ? ExpiresIn.Value.ToString() : "null")
                + ", expires_at=" + (at.HasValue ? at.Value.ToString("u") : "null")
                + ", access_token=[redacted], refresh_token=" + (RefreshToken == null ? "null" : "[redacted]") + ")";
        }

        /// <summary>Free the native token now.</summary>
        public void Dispose() => Handle.Dispose();
    }
}
