// tpauth for .NET next to what a .NET program writes without it: a password grant through
// HttpClient with the token kept in a field (no OAuth2 client package is installable here). In one
// run against the mock: a cached token per call and one authorized GET (keep-alive). Prints one
// JSON object (bench/all.py reads it). Built with mcs against the binding's sources, run with mono
// (bench/dotnet/run.sh). Usage: mono bench.exe BASE_URL
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using Tpauth;

static class Bench
{
    const string Key = "mock-api-key", Secret = "mock-api-secret", User = "user@example.com", Pass = "mock-password";
    const string TokenPath = "/v1/oauth/oauth-business-users-for-applications/accesstoken";
    const string ApiPath = "/v1/private/business-units/x";

    // The peer: HttpClient, a password grant, the token and its expiry in fields.
    sealed class HandWritten
    {
        readonly HttpClient http = new HttpClient();
        readonly string baseUrl;
        string token;
        DateTime expires;

        public HandWritten(string baseUrl) { this.baseUrl = baseUrl; }

        public string Token()
        {
            if (token != null && expires > DateTime.UtcNow.AddSeconds(60)) return token;
            var req = new HttpRequestMessage(HttpMethod.Post, baseUrl + TokenPath);
            req.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Key + ":" + Secret)));
            req.Content = new FormUrlEncodedContent(new Dictionary<string, string> { { "grant_type", "password" }, { "username", User }, { "password", Pass } });
            var body = http.SendAsync(req).Result.Content.ReadAsStringAsync().Result;
            token = Field(body, "access_token");
            expires = DateTime.UtcNow.AddSeconds(double.Parse(Field(body, "expires_in")));
            return token;
        }

        public int Get(string path)
        {
            var req = new HttpRequestMessage(HttpMethod.Get, baseUrl + path);
            req.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Token());
            req.Headers.TryAddWithoutValidation("apikey", Key);
            using (var resp = http.SendAsync(req).Result) { resp.Content.ReadAsByteArrayAsync().Wait(); return (int)resp.StatusCode; }
        }

        // The string value of "name" in a flat JSON object (enough for a token response).
        static string Field(string json, string name)
        {
            int i = json.IndexOf("\"" + name + "\"", StringComparison.Ordinal);
            i = json.IndexOf(':', i) + 1;
            while (json[i] == ' ' || json[i] == '"') i++;
            int j = i;
            while (json[j] != '"' && json[j] != ',' && json[j] != '}') j++;
            return json.Substring(i, j - i);
        }
    }

    // The median over 7 rounds of the mean ns per call of n calls.
    static double PerCall(Action f, int n)
    {
        var t = new List<double>();
        for (int r = 0; r < 7; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) f();
            t.Add(sw.Elapsed.TotalMilliseconds * 1e6 / n);
        }
        t.Sort();
        return t[3];
    }

    static int Main(string[] args)
    {
        string b = args[0];
        var auth = new Auth(Key, Secret, new Dictionary<string, string> {
            { "api_base_url", b }, { "allow_insecure_http", "true" }, { "username", User }, { "password", Pass } });
        auth.GetToken().Dispose();
        var peer = new HandWritten(b);
        peer.Token();
        double tpCached = PerCall(() => auth.GetToken().Dispose(), 100000);
        double peerCached = PerCall(() => peer.Token(), 100000);
        double tpGet = PerCall(() => auth.Request("GET", ApiPath), 300) / 1000;
        double peerGet = PerCall(() => peer.Get(ApiPath), 300) / 1000;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Console.WriteLine("{\"tpauth_cached_ns\": " + tpCached.ToString("F1", inv) + ", \"peer_cached_ns\": " + peerCached.ToString("F1", inv)
            + ", \"tpauth_get_us\": " + tpGet.ToString("F1", inv) + ", \"peer_get_us\": " + peerGet.ToString("F1", inv) + "}");
        return 0;
    }
}
