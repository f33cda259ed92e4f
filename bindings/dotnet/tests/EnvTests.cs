using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace Tpauth.Tests
{
    /// <summary>
    /// Auth.FromEnv (tp_config_from_lookup): TRUSTPILOT_API_BASE_URL is read and wins over the
    /// official client's TRUSTPILOT_API_HOST, and a TRUSTPILOT_* variable that names no option is a
    /// warning through the log callback (naming it, never its value). The core finds such names in
    /// the process environment, which Mono's SetEnvironmentVariable writes (.NET Core keeps in-process
    /// changes to itself: there only variables the process started with are reported).
    /// </summary>
    [TestFixture]
    public class EnvTests
    {
        // The mock is shared by every fixture: start from its defaults (another fixture may have
        // changed the password or armed a fault).
        [SetUp]
        public void ResetMock() => Mock.Reset();

        [Test]
        public void ApiBaseUrlWinsAndUnknownNamesWarn()
        {
            var vars = new Dictionary<string, string>
            {
                { "TRUSTPILOT_API_KEY", Mock.Key }, { "TRUSTPILOT_API_SECRET", Mock.Secret },
                { "TRUSTPILOT_USERNAME", Mock.User }, { "TRUSTPILOT_PASSWORD", Mock.Password },
                { "TRUSTPILOT_API_HOST", "http://127.0.0.1:9" }, { "TRUSTPILOT_API_BASE_URL", Mock.BaseUrl },
                { "TRUSTPILOT_ALLOW_INSECURE_HTTP", "true" }, { "TRUSTPILOT_TOKENCACHE", "/tmp/value-never-logged" },
            };
            var warnings = new List<string>();
            try
            {
                foreach (var kv in vars) Environment.SetEnvironmentVariable(kv.Key, kv.Value);
                Auth.SetLogCallback((level, msg) => { if (level == LogLevel.Warn) lock (warnings) warnings.Add(msg); });
                using (var auth = Auth.FromEnv())
                {
                    Auth.SetLogCallback(null);
                    Assert.AreEqual(200, auth.Request("GET", "/v1/private/x").Status);
                }
            }
            finally
            {
                Auth.SetLogCallback(null);
                foreach (var kv in vars) Environment.SetEnvironmentVariable(kv.Key, null);
            }
            lock (warnings)
            {
                var ours = warnings.Where(w => w.Contains("TRUSTPILOT_TOKENCACHE")).ToList();
                Assert.AreEqual(1, ours.Count, string.Join(" | ", warnings));
                StringAssert.DoesNotContain("value-never-logged", ours[0]);
            }
        }
    }
}
