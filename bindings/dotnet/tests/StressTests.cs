using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using NUnit.Framework;

namespace Tpauth.Tests
{
    [TestFixture]
    public class StressTests
    {
        [SetUp]
        public void ResetMock() => Mock.Reset();

        [Test]
        public void ThirtyTwoThreadsShareOneAuth()
        {
            const int threads = 32, rounds = 10;
            using (var auth = Mock.PasswordAuth())
            {
                var errors = new List<string>();
                var tokens = new HashSet<string>();
                var start = new Barrier(threads);
                var workers = new Thread[threads];
                for (int i = 0; i < threads; i++)
                {
                    workers[i] = new Thread(() =>
                    {
                        try
                        {
                            start.SignalAndWait();
                            for (int r = 0; r < rounds; r++)
                            {
                                using (var tok = auth.GetToken())
                                {
                                    if (tok.IsExpired()) throw new Exception("an expired token was handed out");
                                    lock (tokens) tokens.Add(tok.AccessToken);
                                }
                                var resp = auth.Request("GET", "/v1/private/business-units/abc");
                                if (resp.Status != 200) throw new Exception("status " + resp.Status);
                            }
                        }
                        catch (Exception e)
                        {
                            lock (errors) errors.Add(e.GetType().Name + ": " + e.Message);
                        }
                    });
                    workers[i].Start();
                }
                foreach (var w in workers) w.Join();
                CollectionAssert.IsEmpty(errors);
                Assert.AreEqual(1, tokens.Count, "every thread must get the same token");
                Assert.AreEqual(1, Mock.TokenRequests, "32 threads starting at once must cause one token request");
                Assert.AreEqual(threads * rounds, Mock.Stat("api_requests"));
            }
        }

        [Test]
        public void ThirtyTwoThreadsSeeOneRenewalAfterExpiry()
        {
            const int threads = 32;
            using (var auth = Mock.PasswordAuth())
            {
                Assert.AreEqual(200, auth.Request("GET", "/v1/private/x").Status);
                Mock.Post("/_mock/expire", "{}");
                var statuses = new int[threads];
                var start = new Barrier(threads);
                var workers = new Thread[threads];
                for (int i = 0; i < threads; i++)
                {
                    int n = i;
                    workers[i] = new Thread(() =>
                    {
                        start.SignalAndWait();
                        try { statuses[n] = auth.Request("GET", "/v1/private/x").Status; }
                        catch (Exception) { statuses[n] = -1; }
                    });
                    workers[i].Start();
                }
                foreach (var w in workers) w.Join();
                CollectionAssert.AreEqual(Enumerable.Repeat(200, threads).ToArray(), statuses);
                Assert.AreEqual(2, Mock.TokenRequests, "concurrent 401s must cause one renewal");
            }
        }

        /// <summary>RSS after 10,000 clients disposed and 10,000 left to the finalizer stays flat.</summary>
        [Test]
        public void TenThousandDisposedAndTenThousandFinalizedStayFlat()
        {
            var options = Mock.Options("username", Mock.User, "password", Mock.Password);
            // Warm up: JIT, native allocator pools, the trust store.
            for (int i = 0; i < 1000; i++) new Auth(Mock.Key, Mock.Secret, options).Dispose();
            Mem.FullGc();
            long liveBefore = Interlocked.Read(ref Native.LiveAuths);
            long rss0 = Mem.Rss();

            for (int i = 0; i < 10000; i++)
            {
                using (var a = new Auth(Mock.Key, Mock.Secret, options))
                {
                    if (i % 1000 == 0) a.AuthorizeUrl("https://app.example.com/cb"); // used, not just built
                }
            }
            Mem.FullGc();
            long rss1 = Mem.Rss();
            Assert.AreEqual(liveBefore, Interlocked.Read(ref Native.LiveAuths), "disposed clients must be freed");

            Abandon(options, 10000);
            Mem.FullGc();
            long rss2 = Mem.Rss();
            // Mono scans stacks conservatively: a stale stack slot may keep the last client alive.
            Assert.LessOrEqual(Interlocked.Read(ref Native.LiveAuths) - liveBefore, 2, "finalized clients must be freed");
            Assert.AreEqual(0, Interlocked.Read(ref Native.LiveConfigs), "configs must be freed");

            const long mb = 1024 * 1024;
            Console.WriteLine("[memory] RSS before {0:F1} MiB, after 10,000 disposed {1:F1} MiB, after 10,000 finalized {2:F1} MiB",
                rss0 / (double)mb, rss1 / (double)mb, rss2 / (double)mb);
            Assert.Less(rss1 - rss0, 16 * mb, "RSS grew with disposed clients");
            Assert.Less(rss2 - rss0, 16 * mb, "RSS grew with finalized clients");
        }

        // Not inlined into the test, so that no local keeps the last client alive.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void Abandon(Dictionary<string, string> options, int n)
        {
            for (int i = 0; i < n; i++) new Auth(Mock.Key, Mock.Secret, options);
        }

        [Test]
        public void TokensAndErrorsLeftToTheFinalizerAreFreed()
        {
            using (var auth = Mock.PasswordAuth())
            {
                Mem.FullGc();
                long tokens0 = Interlocked.Read(ref Native.LiveTokens);
                long errors0 = Interlocked.Read(ref Native.LiveErrors);
                AbandonTokens(auth, 2000);
                Mem.FullGc();
                // 4,000 handles were abandoned; a conservatively scanned stack slot may keep one or two.
                Assert.LessOrEqual(Interlocked.Read(ref Native.LiveTokens) - tokens0, 2, "tokens left to the finalizer must be freed");
                Assert.LessOrEqual(Interlocked.Read(ref Native.LiveErrors) - errors0, 2, "errors left to the finalizer must be freed");
                Assert.AreEqual(0, Interlocked.Read(ref Native.LiveResponses), "responses are copied and freed at once");
            }
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void AbandonTokens(Auth auth, int n)
        {
            for (int i = 0; i < n; i++)
            {
                auth.GetToken();
                try { Token.FromJson("{}"); } catch (InvalidArgumentException) { }
                if (i % 200 == 0) auth.Request("GET", "/v1/private/x");
            }
        }
    }
}
