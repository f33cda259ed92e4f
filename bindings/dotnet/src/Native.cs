// The C ABI of include/tpauth.h as P/Invoke declarations, one SafeHandle per handle type, and the
// UTF-8 marshalling helpers. Everything here is internal: the public surface is Auth, Token,
// Response and TpauthException.
//
// Conventions (docs/contract.md, section 2):
// - input strings are NUL-terminated UTF-8: passed as byte[] built by Native.Utf8 (null -> NULL);
// - a returned `char *` is owned by us: taken as IntPtr, copied (UTF-8), then tp_string_free'd;
// - a returned `const char *` is borrowed from its handle: copied, never freed;
// - handles are SafeHandles, so the runtime keeps a handle alive for the duration of a call even if
//   another thread disposes its owner meanwhile, and frees it exactly once.
using System;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Tpauth
{
    internal static class Native
    {
        internal const string Lib = "tpauth";

        // ---- handles ----------------------------------------------------------------------------

        /// <summary>Live native handles per type (for leak tests).</summary>
        internal static long LiveConfigs, LiveAuths, LiveTokens, LiveResponses, LiveErrors;

        internal abstract class Handle : SafeHandle
        {
            protected Handle() : base(IntPtr.Zero, true) { }
            public override bool IsInvalid => handle == IntPtr.Zero;
            /// <summary>Called once the marshaller (or a constructor) has stored a valid pointer.</summary>
            internal abstract void Track();
        }

        internal sealed class ConfigHandle : Handle
        {
            internal override void Track() { if (!IsInvalid) Interlocked.Increment(ref LiveConfigs); }
            protected override bool ReleaseHandle() { tp_config_free(handle); Interlocked.Decrement(ref LiveConfigs); return true; }
        }

        /// <summary>
        /// About what one tp_auth holds natively (TLS configuration with the trust store, connection
        /// pool): measured ~160 KiB. Reported to the GC so that clients left to the finalizer are
        /// collected before their native memory piles up (the GC cannot see it otherwise).
        /// </summary>
        internal const long AuthNativeBytes = 160 * 1024;

        /// <summary>
        /// Forces a collection when many clients are alive, so that clients left to the finalizer
        /// are freed in time even where memory pressure does not trigger collections (Mono).
        /// </summary>
        internal static readonly HandleCollector AuthCollector = new HandleCollector("tpauth_auth", 64, 1024);

        internal sealed class AuthHandle : Handle
        {
            internal override void Track()
            {
                if (IsInvalid) return;
                Interlocked.Increment(ref LiveAuths);
                GC.AddMemoryPressure(AuthNativeBytes);
                AuthCollector.Add();
            }

            protected override bool ReleaseHandle()
            {
                tp_auth_free(handle);
                Interlocked.Decrement(ref LiveAuths);
                GC.RemoveMemoryPressure(AuthNativeBytes);
                AuthCollector.Remove();
                return true;
            }
        }

        internal sealed class TokenHandle : Handle
        {
            internal override void Track() { if (!IsInvalid) Interlocked.Increment(ref LiveTokens); }
            protected override bool ReleaseHandle() { tp_token_free(handle); Interlocked.Decrement(ref LiveTokens); return true; }
        }

        internal sealed class ResponseHandle : Handle
        {
            internal override void Track() { if (!IsInvalid) Interlocked.Increment(ref LiveResponses); }
            protected override bool ReleaseHandle() { tp_response_free(handle); Interlocked.Decrement(ref LiveResponses); return true; }
        }

        internal sealed class ErrorHandle : Handle
        {
            internal override void Track() { if (!IsInvalid) Interlocked.Increment(ref LiveErrors); }
            protected override bool ReleaseHandle() { tp_error_free(handle); Interlocked.Decrement(ref LiveErrors); return true; }
        }

        // ---- library ----------------------------------------------------------------------------

        /// <summary>This assembly's version; the native library must be the same release.</summary>
        internal const string BindingVersion = "0.1.0";

        /// <summary>Refuses a native library of another release before anything else uses it (a
        /// stale libtpauth lacks functions or behaves otherwise).</summary>
        static Native()
        {
            NativeLoader.Init(); // the package's runtimes/<rid>/native/ where the runtime would not look
            string? problem = VersionMismatch(CopyString(tp_version()) ?? "");
            if (problem != null) throw new DllNotFoundException(problem);
        }

        /// <summary>Why a native library of version <paramref name="lib"/> cannot be used, or null.</summary>
        internal static string? VersionMismatch(string lib) =>
            lib == BindingVersion ? null
            : "tpauth: the .NET package is version " + BindingVersion + " but the native libtpauth is " + lib
              + ": install the libtpauth of the same release";

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_status_name(int status);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void tp_string_free(IntPtr s);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogCallback(int level, IntPtr message, IntPtr userData);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void tp_set_log_callback(LogCallback? callback, IntPtr userData);

        // ---- errors -----------------------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int tp_error_status(ErrorHandle e);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_error_message(ErrorHandle e);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int tp_error_http_status(ErrorHandle e);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_error_oauth_code(ErrorHandle e);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern long tp_error_retry_after_ms(ErrorHandle e);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void tp_error_free(IntPtr e);

        // ---- configuration ----------------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_config_new(byte[]? apiKey, byte[]? apiSecret, out ConfigHandle cfg, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_config_set(ConfigHandle cfg, byte[]? key, byte[]? value, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void tp_config_free(IntPtr cfg);

        /// <summary>tp_lookup_fn: the value of the variable <paramref name="name"/>, or NULL.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate IntPtr LookupCallback(IntPtr name, IntPtr userData);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_config_from_lookup(LookupCallback lookup, IntPtr userData, out ConfigHandle cfg, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern UIntPtr tp_option_count();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_option_name(UIntPtr i);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_option_shown(byte[]? key, byte[]? value, out IntPtr shown, out ErrorHandle err);

        // ---- client -----------------------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_auth_new(ConfigHandle cfg, out AuthHandle auth, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void tp_auth_free(IntPtr auth);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_password_grant(AuthHandle auth, byte[]? username, byte[]? password, out TokenHandle token, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_client_credentials_grant(AuthHandle auth, out TokenHandle token, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_authorization_code_grant(AuthHandle auth, byte[]? code, byte[]? redirectUri, out TokenHandle token, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_refresh(AuthHandle auth, byte[]? refreshToken, out TokenHandle token, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_revoke(AuthHandle auth, byte[]? refreshToken, out ErrorHandle err);

        // ---- browser flows ----------------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_new_state();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_authorize_url(AuthHandle auth, byte[]? redirectUri, byte[]? responseType, byte[]? state, out IntPtr url, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_authorize_url_pkce(AuthHandle auth, byte[]? redirectUri, byte[]? responseType, byte[]? state, byte[]? codeChallenge, out IntPtr url, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_authorization_code_grant_pkce(AuthHandle auth, byte[]? code, byte[]? redirectUri, byte[]? codeVerifier, out TokenHandle token, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_new_pkce(out IntPtr verifier, out IntPtr challenge, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_check_token_url(AuthHandle auth, byte[]? url, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_api_headers(AuthHandle auth, byte[]? method, byte[]? urlOrPath, out IntPtr headers, out ErrorHandle err);
        /// <summary>tp_prepare_api_call's flag: never renew; "renewal needed" is TP_OK with headers NULL.</summary>
        internal const uint TP_PREPARE_NO_RENEW = 1;
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_prepare_api_call(AuthHandle auth, byte[]? method, byte[]? urlOrPath, byte[]? callerHeaders, uint flags, out IntPtr url, out IntPtr headers, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.I1)]
        internal static extern bool tp_caller_header_kept(byte[]? name);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_parse_code_redirect(byte[]? redirectUrl, byte[]? expectedState, out IntPtr code, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_parse_implicit_redirect(byte[]? redirectUrl, byte[]? expectedState, out TokenHandle token, out ErrorHandle err);

        // ---- managed token ----------------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_get_token(AuthHandle auth, out TokenHandle token, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_invalidate_token(AuthHandle auth, byte[]? accessToken, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_set_token(AuthHandle auth, TokenHandle token, out ErrorHandle err);

        // ---- tokens -----------------------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_token_access_token(TokenHandle t);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_token_refresh_token(TokenHandle t);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_token_type(TokenHandle t);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern long tp_token_expires_in(TokenHandle t);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern long tp_token_expires_at(TokenHandle t);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.I1)]
        internal static extern bool tp_token_is_expired(TokenHandle t, long leewaySeconds);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_token_raw_json(TokenHandle t);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_token_to_json(TokenHandle t, out IntPtr json, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_token_from_json(byte[]? json, out TokenHandle token, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_token_new(byte[]? accessToken, byte[]? refreshToken, byte[]? tokenType, long expiresIn, long receivedAtMs, byte[]? rawJson, out TokenHandle token, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void tp_token_free(IntPtr t);

        // ---- API calls --------------------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_request(AuthHandle auth, byte[]? method, byte[]? urlOrPath, byte[]? body, byte[]? contentType, out ResponseHandle response, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_request_bytes(AuthHandle auth, byte[]? method, byte[]? urlOrPath, byte[]? body, UIntPtr bodyLen, byte[]? contentType, out ResponseHandle response, out ErrorHandle err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int tp_response_status(ResponseHandle r);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_response_body(ResponseHandle r, out UIntPtr length);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr tp_response_header(ResponseHandle r, byte[]? name);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern UIntPtr tp_response_header_count(ResponseHandle r);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.I1)]
        internal static extern bool tp_response_header_at(ResponseHandle r, UIntPtr index, out IntPtr name, out IntPtr value);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void tp_response_free(IntPtr r);

        // ---- marshalling helpers ----------------------------------------------------------------

        /// <summary>
        /// <paramref name="s"/> as NUL-terminated UTF-8, or null (NULL) for null. A string holding a
        /// NUL character is refused: C would silently cut it there.
        /// </summary>
        internal static byte[]? Utf8(string? s, string argument)
        {
            if (s == null) return null;
            if (s.IndexOf('\0') >= 0)
                throw new InvalidArgumentException(argument + " must not contain a NUL character");
            var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Copy a NUL-terminated UTF-8 string (borrowed: not freed); null for NULL.</summary>
        internal static string? CopyString(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
#if NETCOREAPP
            return Marshal.PtrToStringUTF8(p);
#else
            // netstandard2.0 (and Mono's profile) has no PtrToStringUTF8.
            int len = 0;
            while (Marshal.ReadByte(p, len) != 0) len++;
            return CopyString(p, len);
#endif
        }

        internal static string CopyString(IntPtr p, int len)
        {
            if (len == 0) return string.Empty;
            var bytes = new byte[len];
            Marshal.Copy(p, bytes, 0, len);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Copy an owned <c>char *</c>, then free it with tp_string_free.</summary>
        internal static string? TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            try { return CopyString(p); }
            finally { tp_string_free(p); }
        }

        /// <summary>
        /// Throw the exception for <paramref name="status"/> built from <paramref name="err"/> (which
        /// is freed) when the call failed; otherwise just free <paramref name="err"/>.
        /// </summary>
        internal static void Check(int status, ErrorHandle? err)
        {
            if (status == 0)
            {
                err?.Dispose();
                return;
            }
            throw TpauthException.FromNative(status, err);
        }
    }
}
