// The dist suite's .NET check: a password grant, then an API call with that token (the mock's URL
// and credentials come from the environment tests/dist/lib.sh sets).
using System;
using System.Collections.Generic;
using Tpauth;

public static class Check
{
    static string Env(string name)
    {
        return Environment.GetEnvironmentVariable(name) ?? "";
    }

    public static int Main()
    {
        using (var auth = new Auth(Env("TRUSTPILOT_API_KEY"), Env("TRUSTPILOT_API_SECRET"), new Dictionary<string, string> {
            ["api_base_url"] = Env("MOCK_URL"), ["allow_insecure_http"] = "true" }))
        {
            Console.WriteLine("version " + Auth.Version);
            using (Token tok = auth.PasswordGrant(Env("TRUSTPILOT_USERNAME"), Env("TRUSTPILOT_PASSWORD")))
            {
                Console.WriteLine("grant " + tok.TokenType);
            }
            Response r = auth.Request("GET", "/v1/private/business-units/dist-check");
            Console.WriteLine("api " + r.Status + " " + r.Text);
        }
        return 0;
    }
}
