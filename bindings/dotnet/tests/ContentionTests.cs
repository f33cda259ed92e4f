using System;
using System.Collections.Generic;
using System.Threading;
using NUnit.Framework;

namespace Tpauth.Tests
{
    /// <summary>
    /// Single flight under contention: busy threads (no sleeps, no token cache) make
    /// exactly one token request per lifetime. The lifetimes come from the mock
    /// (expires_in_schedule: six tokens of 1 s, then one of an hour), so the exact count is known
    /// in advance whatever the scheduler does: a loaded machine only makes the run longer.
    /// </summary>
    [TestFixture]
    public class ContentionTests
    {
        const int Scheduled = 7;
        const int CallsAfter = 200; // calls each thread still makes after it saw the hour-long token

        [SetUp]
        public void ResetMock() => Mock.Reset();

        [Test]
        public void ThirtyTwoBusyThreadsMakeOneTokenRequestPerLifetime()
        {
            const int threads = 32;
            Mock.Config("{\"expires_in_schedule\":[1,1,1,1,1,1,3600]}");
            using (var auth = Mock.PasswordAuth("refresh_leeway_s", "1"))
            {
                var errors = new List<string>();
                long calls = 0;
                var start = new Barrier(threads);
                var workers = new Thread[threads];
                for (int i = 0; i < threads; i++)
                {
                    int n = i;
                    workers[i] = new Thread(() =>
                    {
                        try
                        {
                            start.SignalAndWait();
                            for (int c = 0, after = 0; after < CallsAfter; c++)
                            {
                                Interlocked.Increment(ref calls);
                                if ((c + n) % 16 == 0)
                                {
                                    var resp = auth.Request("GET", "/v1/private/contention");
                                    if (resp.Status != 200) throw new Exception("API status " + resp.Status);
                                    continue;
                                }
                                var asked = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                                using (var tok = auth.GetToken())
                                {
                                    // seconds resolution: a token that had expired before it was asked for
                                    if (tok.ExpiresAt.HasValue && tok.ExpiresAt.Value.ToUnixTimeSeconds() < asked)
                                        throw new Exception("a token that had expired before it was asked for");
                                    if (tok.ExpiresIn.HasValue && tok.ExpiresIn.Value >= 3600) after++;
                                }
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
                var requests = Mock.TokenRequests;
                Console.WriteLine("{0} threads, {1} calls, {2} token requests ({3} due)", threads, calls, requests, Scheduled);
                CollectionAssert.IsEmpty(errors);
                Assert.AreEqual(Scheduled, requests, "exactly one token request per lifetime");
            }
        }

        [Test]
        public void ThirtyTwoThreadsGetting401ForOneTokenCauseOneRenewal()
        {
            const int threads = 32, rounds = 3;
            using (var auth = Mock.PasswordAuth())
            {
                auth.GetToken().Dispose();
                var sync = new Barrier(threads + 1);
                var statuses = new List<int>();
                var workers = new Thread[threads];
                for (int i = 0; i < threads; i++)
                {
                    workers[i] = new Thread(() =>
                    {
                        for (int r = 0; r < rounds; r++)
                        {
                            int status;
                            try
                            {
                                auth.GetToken().Dispose();
                                sync.SignalAndWait(); // everyone holds the token
                                sync.SignalAndWait(); // the mock expired it
                                status = auth.Request("GET", "/v1/private/refused").Status;
                            }
                            catch (Exception) { status = -1; }
                            lock (statuses) statuses.Add(status);
                            sync.SignalAndWait(); // round over
                        }
                    });
                    workers[i].Start();
                }
                for (int r = 1; r <= rounds; r++)
                {
                    sync.SignalAndWait();
                    Mock.Post("/_mock/expire", "{}");
                    sync.SignalAndWait();
                    sync.SignalAndWait();
                    Assert.AreEqual(1 + r, Mock.TokenRequests, "round " + r + ": one renewal");
                    Assert.GreaterOrEqual(Mock.Stat("api_401"), r, "round " + r + ": the API refused the token");
                }
                foreach (var w in workers) w.Join();
                Assert.AreEqual(threads * rounds, statuses.Count);
                CollectionAssert.AreEqual(new List<int>(new int[threads * rounds]).ConvertAll(_ => 200), statuses);
            }
        }

        // ---- no stampede on failure -------------------------------------------------------------

        private static string Describe(TpauthException e) =>
            string.Join(" | ", e.GetType().Name, e.Status, e.HttpStatus, e.OAuthCode, e.RetryAfter, e.Message);

        [ThreadStatic] private static bool _caller; // set in the callers: only their log messages count
        private static int _awaiting;

        /// <summary>
        /// 32 threads ask for the token while there is none; the mock holds the answer to their one
        /// renewal (a fault with a long delay_ms) until every thread has logged that it found no
        /// token to serve (it then renews, or waits for that renewal), then gives its failing answer. One token request, and every thread gets the
        /// same error: none can arrive late, whatever the scheduler does.
        /// </summary>
        [TestCase("{\"kind\":\"503\",\"delay_ms\":120000}", null, Status.Http, 503)]
        [TestCase("{\"kind\":\"reset\",\"delay_ms\":120000}", null, Status.Network, 0)]
        [TestCase("{\"kind\":\"429\",\"retry_after\":\"30\",\"delay_ms\":120000}", null, Status.RateLimited, 429)]
        [TestCase("{\"kind\":\"slow\",\"delay_ms\":120000}", "{\"password\":\"changed-elsewhere\"}", Status.InvalidGrant, 400)]
        public void ThirtyTwoThreadsWaitingOnAFailingRenewalAllGetItsErrorFromOneRequest(string fault, string? config, Status status, int httpStatus)
        {
            const int waiters = 31;
            if (config != null) Mock.Config(config);
            using (var auth = Mock.PasswordAuth("max_retries", "0"))
            {
                Mock.Fault(fault);
                _awaiting = 0;
                Auth.SetLogCallback((level, msg) =>
                {
                    if (_caller && level == LogLevel.Debug && msg.Contains("no token to serve")) Interlocked.Increment(ref _awaiting);
                });
                var errors = new Exception[waiters + 1];
                var callers = new Thread[waiters + 1];
                try
                {
                    for (int i = 0; i <= waiters; i++)
                    {
                        int n = i;
                        callers[i] = new Thread(() =>
                        {
                            _caller = true;
                            try { auth.GetToken().Dispose(); }
                            catch (Exception e) { errors[n] = e; }
                        });
                        callers[i].Start();
                    }
                    var start = DateTime.UtcNow;
                    while (Mock.TokenRequests == 0 || Volatile.Read(ref _awaiting) <= waiters)
                    {
                        if (DateTime.UtcNow - start > TimeSpan.FromSeconds(60))
                            Assert.Fail("after 60 s: {0} token requests, {1} of {2} threads awaiting the renewal", Mock.TokenRequests, Volatile.Read(ref _awaiting), waiters + 1);
                        Thread.Sleep(1);
                    }
                }
                finally
                {
                    Mock.Post("/_mock/release", "{}");
                    foreach (var c in callers) c?.Join();
                    Auth.SetLogCallback(null);
                }
                Assert.AreEqual(1, Mock.TokenRequests, "one token request for every thread");
                var first = errors[0] as TpauthException;
                Assert.IsNotNull(first, "the renewal failed: " + errors[0]);
                Assert.AreEqual(status, first.Status, first.Message);
                Assert.AreEqual(httpStatus, first.HttpStatus, first.Message);
                for (int i = 0; i <= waiters; i++)
                {
                    var e = errors[i] as TpauthException;
                    Assert.IsNotNull(e, "thread " + i + ": " + errors[i]);
                    Assert.AreEqual(Describe(first), Describe(e), "thread " + i + " got another error than the renewal it waited for");
                }
            }
        }
    }
}
