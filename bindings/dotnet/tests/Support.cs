// Test support: the mock server (one per test run), a small JSON reader, and helpers.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Threading;

namespace Tpauth.Tests
{
    /// <summary>
    /// The `tpauth mock` server, started once (lazily) for the whole run on 127.0.0.1 port 0, and
    /// stopped when the test domain unloads (and, as a safety net, when its stdin closes).
    /// </summary>
    internal static class Mock
    {
        private static readonly object Lock = new object();
        private static Process? _process;
        private static int _port;
        private static HttpClient? _http;

        public const string Key = "mock-api-key";
        public const string Secret = "mock-api-secret";
        public const string User = "user@example.com";
        public const string Password = "mock-password";

        public static string RepoRoot
        {
            get
            {
                var env = Environment.GetEnvironmentVariable("TPAUTH_ROOT");
                if (!string.IsNullOrEmpty(env)) return env;
                var dir = new DirectoryInfo(AppDomain.CurrentDomain.BaseDirectory);
                while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Cargo.toml"))) dir = dir.Parent;
                if (dir == null) throw new InvalidOperationException("cannot find the repository root; set TPAUTH_ROOT");
                return dir.FullName;
            }
        }

        public static int Port
        {
            get
            {
                lock (Lock)
                {
                    if (_process == null) Start();
                    return _port;
                }
            }
        }

        public static string BaseUrl => "http://127.0.0.1:" + Port;

        private static void Start()
        {
            var bin = Environment.GetEnvironmentVariable("TPAUTH_BIN");
            if (string.IsNullOrEmpty(bin)) bin = Path.Combine(RepoRoot, "target", "release", "tpauth");
            var psi = new ProcessStartInfo(bin, "mock --port 0 --exit-on-stdin-eof")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + bin);
            p.ErrorDataReceived += (s, e) => { };
            p.BeginErrorReadLine();
            var line = p.StandardOutput.ReadLine();
            if (line == null || !int.TryParse(line.Trim(), out _port))
            {
                try { p.Kill(); } catch { }
                throw new InvalidOperationException("the mock printed no port: " + line);
            }
            _process = p;
            _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseProxy = false });
            AppDomain.CurrentDomain.DomainUnload += (s, e) => Stop();
            AppDomain.CurrentDomain.ProcessExit += (s, e) => Stop();
        }

        public static void Stop()
        {
            lock (Lock)
            {
                if (_process == null) return;
                try { _process.StandardInput.Close(); } catch { }
                try { if (!_process.WaitForExit(2000)) _process.Kill(); } catch { }
                _process.Dispose();
                _process = null;
            }
        }

        private static HttpClient Http { get { var _ = Port; return _http; } }

        public static string Get(string path) => Http.GetStringAsync(BaseUrl + path).GetAwaiter().GetResult();

        public static HttpResponseMessage GetRaw(string url) => Http.GetAsync(url).GetAwaiter().GetResult();

        public static string Post(string path, string json)
        {
            using (var content = new StringContent(json, Encoding.UTF8, "application/json"))
            using (var r = Http.PostAsync(BaseUrl + path, content).GetAwaiter().GetResult())
            {
                var text = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                if (!r.IsSuccessStatusCode) throw new InvalidOperationException("mock " + path + ": " + (int)r.StatusCode + " " + text);
                return text;
            }
        }

        public static void Reset() => Post("/_mock/reset", "{}");
        public static void Config(string json) => Post("/_mock/config", json);
        public static void Fault(string json) => Post("/_mock/fault", json);

        public static Dictionary<string, object?> Stats() => (Dictionary<string, object?>)Json.Parse(Get("/_mock/stats"));
        public static long TokenRequests => Convert.ToInt64(Stats()["token_requests"], CultureInfo.InvariantCulture);
        public static long Stat(string name) => Convert.ToInt64(Stats()[name], CultureInfo.InvariantCulture);

        /// <summary>The last token/refresh/revoke request: method, path, headers (lower-cased names), body.</summary>
        public static WireRequest LastTokenRequest() => new WireRequest(Get("/_mock/last_token_request"));
        public static WireRequest LastApiRequest() => new WireRequest(Get("/_mock/last_api_request"));

        /// <summary>Options for the mock: api_base_url, authorize_url, allow_insecure_http, plus pairs.</summary>
        public static Dictionary<string, string> Options(params string[] pairs)
        {
            var o = new Dictionary<string, string>
            {
                { "api_base_url", BaseUrl },
                { "authorize_url", BaseUrl + "/authenticate" },
                { "allow_insecure_http", "true" },
            };
            for (int i = 0; i + 1 < pairs.Length; i += 2) o[pairs[i]] = pairs[i + 1];
            return o;
        }

        /// <summary>A client with the mock's user configured for the managed token.</summary>
        public static Auth PasswordAuth(params string[] pairs)
        {
            var all = new List<string> { "username", User, "password", Password };
            all.AddRange(pairs);
            return new Auth(Key, Secret, Options(all.ToArray()));
        }
    }

    internal sealed class WireRequest
    {
        public readonly string Method, Path, Body;
        public readonly List<KeyValuePair<string, string>> Headers = new List<KeyValuePair<string, string>>();

        public WireRequest(string json)
        {
            var d = (Dictionary<string, object?>)Json.Parse(json);
            Method = (string)d["method"];
            Path = (string)d["path"];
            Body = (string?)d["body"] ?? "";
            foreach (var h in (List<object?>)d["headers"])
            {
                var pair = (List<object?>)h;
                Headers.Add(new KeyValuePair<string, string>((string)pair[0], (string)pair[1]));
            }
        }

        public string? Header(string name)
        {
            foreach (var h in Headers) if (h.Key == name) return h.Value;
            return null;
        }
    }

    /// <summary>A minimal JSON reader: objects, arrays, strings, numbers (double), true/false/null.</summary>
    internal static class Json
    {
        public static object? Parse(string s)
        {
            int i = 0;
            var v = Value(s, ref i);
            Ws(s, ref i);
            if (i != s.Length) throw new FormatException("trailing data at " + i);
            return v;
        }

        private static void Ws(string s, ref int i) { while (i < s.Length && char.IsWhiteSpace(s[i])) i++; }

        private static object? Value(string s, ref int i)
        {
            Ws(s, ref i);
            if (i >= s.Length) throw new FormatException("unexpected end");
            char c = s[i];
            if (c == '{')
            {
                var d = new Dictionary<string, object?>();
                i++; Ws(s, ref i);
                if (s[i] == '}') { i++; return d; }
                while (true)
                {
                    Ws(s, ref i);
                    var k = Str(s, ref i);
                    Ws(s, ref i);
                    if (s[i++] != ':') throw new FormatException("expected : at " + (i - 1));
                    d[k] = Value(s, ref i);
                    Ws(s, ref i);
                    if (s[i] == ',') { i++; continue; }
                    if (s[i] == '}') { i++; return d; }
                    throw new FormatException("expected , or } at " + i);
                }
            }
            if (c == '[')
            {
                var l = new List<object?>();
                i++; Ws(s, ref i);
                if (s[i] == ']') { i++; return l; }
                while (true)
                {
                    l.Add(Value(s, ref i));
                    Ws(s, ref i);
                    if (s[i] == ',') { i++; continue; }
                    if (s[i] == ']') { i++; return l; }
                    throw new FormatException("expected , or ] at " + i);
                }
            }
            if (c == '"') return Str(s, ref i);
            if (s.Length - i >= 4 && string.CompareOrdinal(s, i, "true", 0, 4) == 0) { i += 4; return true; }
            if (s.Length - i >= 5 && string.CompareOrdinal(s, i, "false", 0, 5) == 0) { i += 5; return false; }
            if (s.Length - i >= 4 && string.CompareOrdinal(s, i, "null", 0, 4) == 0) { i += 4; return null; }
            int start = i;
            while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0) i++;
            if (start == i) throw new FormatException("unexpected " + c + " at " + i);
            return double.Parse(s.Substring(start, i - start), CultureInfo.InvariantCulture);
        }

        private static string Str(string s, ref int i)
        {
            if (s[i] != '"') throw new FormatException("expected string at " + i);
            i++;
            var sb = new StringBuilder();
            while (s[i] != '"')
            {
                char c = s[i++];
                if (c != '\\') { sb.Append(c); continue; }
                char e = s[i++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u': sb.Append((char)Convert.ToInt32(s.Substring(i, 4), 16)); i += 4; break;
                    default: sb.Append(e); break;
                }
            }
            i++;
            return sb.ToString();
        }
    }

    internal static class Mem
    {
        /// <summary>Resident set size of this process in bytes, from /proc/self/statm.</summary>
        public static long Rss()
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }

        public static void FullGc()
        {
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            GC.Collect();
        }
    }
}
