using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Tpauth
{
    /// <summary>
    /// One API response: status, headers and body, copied out of the native response (which is freed
    /// at once, so there is nothing to dispose). Immutable and safe to share between threads.
    /// </summary>
    public sealed class Response
    {
        private readonly byte[] _body;
        private readonly KeyValuePair<string, string>[] _headers;

        internal Response(Native.ResponseHandle handle)
        {
            handle.Track();
            using (handle)
            {
                Status = Native.tp_response_status(handle);
                IntPtr p = Native.tp_response_body(handle, out UIntPtr len);
                int n = checked((int)len.ToUInt64());
                _body = new byte[n];
                if (n > 0 && p != IntPtr.Zero) Marshal.Copy(p, _body, 0, n);
                int count = checked((int)Native.tp_response_header_count(handle).ToUInt64());
                var headers = new List<KeyValuePair<string, string>>(count);
                for (int i = 0; i < count; i++)
                {
                    if (!Native.tp_response_header_at(handle, (UIntPtr)i, out IntPtr name, out IntPtr value)) break;
                    headers.Add(new KeyValuePair<string, string>(Native.CopyString(name) ?? string.Empty, Native.CopyString(value) ?? string.Empty));
                }
                _headers = headers.ToArray();
            }
        }

        /// <summary>The HTTP status (200, 404, ...).</summary>
        public int Status { get; }

        /// <summary>The body bytes (a copy).</summary>
        public byte[] Body => (byte[])_body.Clone();

        /// <summary>The body decoded as UTF-8 (invalid sequences replaced).</summary>
        public string Text => Encoding.UTF8.GetString(_body);

        /// <summary>Every header as received (names lower-cased), in order.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

        /// <summary>The first value of the header <paramref name="name"/> (case-insensitive), or null when absent.</summary>
        public string? Header(string name)
        {
            if (name == null) throw new InvalidArgumentException("name must not be null");
            foreach (var h in _headers)
                if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
            return null;
        }

        /// <summary>Status and body size (no header values: they may carry secrets).</summary>
        public override string ToString() => "Response(status=" + Status + ", body=" + _body.Length + " bytes)";
    }
}
