using System;

namespace Tpauth
{
    /// <summary>
    /// Every failure of tpauth: a <see cref="Status"/> (the C library's numbers), a message that says what
    /// went wrong and what to do (never a secret), and what the server said. Each status has its own
    /// subclass (<see cref="RateLimitedException"/>, <see cref="InvalidGrantException"/>, ...), so
    /// callers can catch the one they handle, or this class for all of them.
    /// </summary>
    public class TpauthException : Exception
    {
        /// <summary>What kind of failure this is.</summary>
        public Status Status { get; }

        /// <summary>The HTTP status of the answer that caused the failure; 0 when there was none.</summary>
        public int HttpStatus { get; }

        /// <summary>The OAuth <c>error</c> code the server sent (e.g. "invalid_grant"), or null.</summary>
        public string? OAuthCode { get; }

        /// <summary>How long the server asked to wait (Retry-After), or null when it gave none.</summary>
        public TimeSpan? RetryAfter { get; }

        /// <summary>The C name of <see cref="Status"/>, e.g. "TP_ERR_RATE_LIMITED".</summary>
        public string StatusName => StatusNames.Name(Status);

        /// <summary>An exception with the given status and message.</summary>
        public TpauthException(Status status, string message)
            : this(status, message, 0, null, null) { }

        /// <summary>An exception with every detail.</summary>
        public TpauthException(Status status, string message, int httpStatus, string? oauthCode, TimeSpan? retryAfter)
            : base(message)
        {
            Status = status;
            HttpStatus = httpStatus;
            OAuthCode = oauthCode;
            RetryAfter = retryAfter;
        }

        /// <summary>The status name, the message, and the HTTP status and OAuth code when known.</summary>
        public override string ToString()
        {
            var s = GetType().FullName + " (" + StatusName + "): " + Message;
            if (HttpStatus != 0) s += " [http " + HttpStatus + "]";
            if (OAuthCode != null) s += " [oauth " + OAuthCode + "]";
            if (RetryAfter.HasValue) s += " [retry after " + RetryAfter.Value.TotalSeconds + " s]";
            if (StackTrace != null) s += Environment.NewLine + StackTrace;
            return s;
        }

        /// <summary>The exception of the subclass that matches <paramref name="status"/>.</summary>
        public static TpauthException Create(Status status, string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
        {
            switch (status)
            {
                case Status.InvalidArgument: return new InvalidArgumentException(message, httpStatus, oauthCode, retryAfter);
                case Status.Network: return new NetworkException(message, httpStatus, oauthCode, retryAfter);
                case Status.Timeout: return new TimeoutException(message, httpStatus, oauthCode, retryAfter);
                case Status.Unauthorized: return new UnauthorizedException(message, httpStatus, oauthCode, retryAfter);
                case Status.RateLimited: return new RateLimitedException(message, httpStatus, oauthCode, retryAfter);
                case Status.InvalidGrant: return new InvalidGrantException(message, httpStatus, oauthCode, retryAfter);
                case Status.Http: return new HttpException(message, httpStatus, oauthCode, retryAfter);
                case Status.Protocol: return new ProtocolException(message, httpStatus, oauthCode, retryAfter);
                case Status.StateMismatch: return new StateMismatchException(message, httpStatus, oauthCode, retryAfter);
                case Status.AccessDenied: return new AccessDeniedException(message, httpStatus, oauthCode, retryAfter);
                case Status.NoToken: return new NoTokenException(message, httpStatus, oauthCode, retryAfter);
                case Status.Store: return new StoreException(message, httpStatus, oauthCode, retryAfter);
                default: return new InternalException(message, httpStatus, oauthCode, retryAfter);
            }
        }

        /// <summary>Read (and free) a native tp_error.</summary>
        internal static TpauthException FromNative(int status, Native.ErrorHandle? err)
        {
            if (err == null || err.IsInvalid)
            {
                err?.Dispose();
                var st = Enum.IsDefined(typeof(Status), status) && status != 0 ? (Status)status : Status.Internal;
                return Create(st, StatusNames.Name(st) + " (no details)");
            }
            err.Track();
            using (err)
            {
                int code = Native.tp_error_status(err);
                var st = Enum.IsDefined(typeof(Status), code) && code != 0 ? (Status)code : Status.Internal;
                string message = Native.CopyString(Native.tp_error_message(err)) ?? StatusNames.Name(st);
                int http = Native.tp_error_http_status(err);
                string? oauth = Native.CopyString(Native.tp_error_oauth_code(err));
                long ms = Native.tp_error_retry_after_ms(err);
                TimeSpan? retry = ms >= 0 ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
                return Create(st, message, http, oauth, retry);
            }
        }
    }

    internal static class StatusNames
    {
        internal static string Name(Status status)
        {
            switch (status)
            {
                case Status.Ok: return "TP_OK";
                case Status.InvalidArgument: return "TP_ERR_INVALID_ARGUMENT";
                case Status.Network: return "TP_ERR_NETWORK";
                case Status.Timeout: return "TP_ERR_TIMEOUT";
                case Status.Unauthorized: return "TP_ERR_UNAUTHORIZED";
                case Status.RateLimited: return "TP_ERR_RATE_LIMITED";
                case Status.InvalidGrant: return "TP_ERR_INVALID_GRANT";
                case Status.Http: return "TP_ERR_HTTP";
                case Status.Protocol: return "TP_ERR_PROTOCOL";
                case Status.StateMismatch: return "TP_ERR_STATE_MISMATCH";
                case Status.AccessDenied: return "TP_ERR_ACCESS_DENIED";
                case Status.NoToken: return "TP_ERR_NO_TOKEN";
                case Status.Store: return "TP_ERR_STORE";
                case Status.Internal: return "TP_ERR_INTERNAL";
                default: return "TP_ERR_UNKNOWN";
            }
        }
    }

    /// <summary><see cref="Status.InvalidArgument"/>: null, bad UTF-8 or NUL, unknown option, bad URL, non-https redirect_uri.</summary>
    public class InvalidArgumentException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public InvalidArgumentException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.InvalidArgument, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.Network"/>: DNS, connect, TLS, reset, truncated body.</summary>
    public class NetworkException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public NetworkException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.Network, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary>
    /// <see cref="Status.Timeout"/>: a request took longer than timeout_ms. Its name is the same as
    /// <see cref="System.TimeoutException"/>'s: outside namespace Tpauth write <c>Tpauth.TimeoutException</c>.
    /// </summary>
    public class TimeoutException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public TimeoutException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.Timeout, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.Unauthorized"/>: HTTP 401, or OAuth invalid_client (wrong key or secret).</summary>
    public class UnauthorizedException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public UnauthorizedException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.Unauthorized, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.RateLimited"/>: HTTP 429; <see cref="TpauthException.RetryAfter"/> says how long to wait.</summary>
    public class RateLimitedException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public RateLimitedException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.RateLimited, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.InvalidGrant"/>: wrong password, used code, revoked or rotated refresh token.</summary>
    public class InvalidGrantException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public InvalidGrantException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.InvalidGrant, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.Http"/>: any other non-2xx answer.</summary>
    public class HttpException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public HttpException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.Http, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.Protocol"/>: a 2xx answer with an unusable body.</summary>
    public class ProtocolException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public ProtocolException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.Protocol, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.StateMismatch"/>: the redirect's state differs from the expected one.</summary>
    public class StateMismatchException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public StateMismatchException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.StateMismatch, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.AccessDenied"/>: the redirect carries error=... (the user declined).</summary>
    public class AccessDeniedException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public AccessDeniedException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.AccessDenied, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.NoToken"/>: nothing to refresh or revoke, or no grant configured.</summary>
    public class NoTokenException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public NoTokenException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.NoToken, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.Store"/>: the token cache is unreadable or unwritable.</summary>
    public class StoreException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public StoreException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.Store, message, httpStatus, oauthCode, retryAfter) { }
    }

    /// <summary><see cref="Status.Internal"/>: a bug in tpauth (a caught panic); please report it.</summary>
    public class InternalException : TpauthException
    {
        /// <summary>An exception with this message.</summary>
        public InternalException(string message, int httpStatus = 0, string? oauthCode = null, TimeSpan? retryAfter = null)
            : base(Status.Internal, message, httpStatus, oauthCode, retryAfter) { }
    }
}
