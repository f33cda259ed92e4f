using System;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Tpauth.Tests
{
    /// <summary>TpauthHandler with Mono's System.Net.Http against the mock; cancellable waits; PKCE.</summary>
    [TestFixture]
    public class HandlerTests
    {
        [SetUp]
        public void ResetMock() => Mock.Reset();

        static HttpClient Client(Auth auth) => new HttpClient(new TpauthHandler(auth) { InnerHandler = new HttpClientHandler { UseProxy = false } });

        /// <summary>Holds the next token request for seconds; starts a renewal on another thread and
        /// returns once the mock has that request.</summary>
        static Task<Token> SlowRenewal(Auth auth)
        {
            auth.InvalidateToken(auth.GetToken());
            long before = Mock.TokenRequests;
            Mock.Fault("{\"kind\":\"slow\",\"delay_ms\":4000,\"count\":1}");
            var renewal = Task.Run(() => auth.GetToken());
            while (Mock.TokenRequests == before) Thread.Sleep(5);
            return renewal;
        }

        [Test]
        public void HeadersAndOneResendOn401()
        {
            using (var auth = Mock.PasswordAuth("business_user_id", "bu-5"))
            using (var http = Client(auth))
            {
                var first = http.PostAsync(Mock.BaseUrl + "/v1/private/x", new StringContent("hi", Encoding.UTF8, "text/plain")).GetAwaiter().GetResult();
                Assert.AreEqual(HttpStatusCode.OK, first.StatusCode);
                var sent = Mock.LastApiRequest();
                Assert.AreEqual("Bearer " + auth.GetToken().AccessToken, sent.Header("authorization"));
                Assert.AreEqual(Mock.Key, sent.Header("apikey"));
                Assert.AreEqual("bu-5", sent.Header("x-business-user-id"));
                Mock.Post("/_mock/expire", "{}");
                var again = http.PostAsync(Mock.BaseUrl + "/v1/private/x", new StringContent("hi", Encoding.UTF8, "text/plain")).GetAwaiter().GetResult();
                Assert.AreEqual(HttpStatusCode.OK, again.StatusCode);
                StringAssert.Contains("\"body\":\"hi\"", again.Content.ReadAsStringAsync().GetAwaiter().GetResult());
                Assert.AreEqual(3, Mock.Stat("api_requests"));
                Assert.AreEqual(1, Mock.Stat("api_401"));
                Assert.AreEqual(2, Mock.TokenRequests);
                Assert.AreEqual("Bearer " + auth.GetToken().AccessToken, Mock.LastApiRequest().Header("authorization"));
                // Two 401s in a row: one resend only, then the caller gets the 401.
                Mock.Fault("{\"kind\":\"401\",\"target\":\"api\",\"count\":2}");
                Assert.AreEqual(HttpStatusCode.Unauthorized, http.GetAsync(Mock.BaseUrl + "/v1/private/x").GetAwaiter().GetResult().StatusCode);
                Assert.AreEqual(5, Mock.Stat("api_requests"));
            }
        }

        [Test]
        public void ForeignHostIsRefusedBeforeSending()
        {
            using (var auth = Mock.PasswordAuth())
            using (var http = Client(auth))
            {
                long before = Mock.Stat("requests");
                var ex = Assert.Throws<InvalidArgumentException>(() => http.GetAsync("http://localhost:" + Mock.Port + "/v1/private/x").GetAwaiter().GetResult());
                StringAssert.Contains("token_hosts", ex.Message);
                Assert.AreEqual(before, Mock.Stat("requests"), "the foreign host got a request, or a token was fetched for it");
            }
        }

        /// <summary>Every spelling that names hp to some reader (WHATWG fetch reads http:H:P/x as http://H:P/x).</summary>
        static string[] ForeignForms(string hp) => new[]
        {
            "http:" + hp + "/x", "http:/" + hp + "/x", "HTTP:" + hp + "/x", "https:" + hp + "/x", "https:/" + hp + "/x",
            "//" + hp + "/x", "/\\" + hp + "/x", "\\\\" + hp + "\\x", "http://evil.example\\@" + hp + "/x",
        };

        [Test]
        public void NothingReachesAHostNamedByAnySpelling()
        {
            var evil = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            evil.Start();
            try
            {
                string hp = "127.0.0.1:" + ((IPEndPoint)evil.LocalEndpoint).Port;
                using (var auth = Mock.PasswordAuth())
                using (var bare = Client(auth))
                using (var withBase = new HttpClient(new TpauthHandler(auth) { InnerHandler = new HttpClientHandler { UseProxy = false } }) { BaseAddress = new Uri(Mock.BaseUrl) })
                using (var invoker = new HttpMessageInvoker(new TpauthHandler(auth) { InnerHandler = new HttpClientHandler { UseProxy = false } }))
                {
                    foreach (string form in ForeignForms(hp))
                    {
                        // The core refuses each spelling itself, whatever an HTTP stack would make of it.
                        var ex = Assert.Throws<InvalidArgumentException>(() => auth.PrepareApiCall("GET", form, new string[0], true), form);
                        StringAssert.Contains("url_or_path", ex.Message);
                        // HttpClient refuses some spellings, or (with a BaseAddress) makes a path of the
                        // API host of them (sent there: harmless); the handler refuses the rest.
                        foreach (var http in new[] { bare, withBase })
                        {
                            try { http.GetAsync(form).GetAwaiter().GetResult().Dispose(); }
                            catch (InvalidArgumentException) { }
                            catch (InvalidOperationException) { }
                            catch (UriFormatException) { }
                            catch (HttpRequestException) { }
                        }
                        // The handler alone receives the text as a relative URI: the core refuses it.
                        if (Uri.TryCreate(form, UriKind.Relative, out var relative))
                        {
                            Assert.Throws<InvalidArgumentException>(
                                () => invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, relative), CancellationToken.None).GetAwaiter().GetResult(), form);
                        }
                    }
                    Assert.IsFalse(evil.Pending(), "a connection reached the foreign host");
                    // A relative URI that is a path goes to api_base_url, as the core joined it.
                    var joined = invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/joined", UriKind.Relative)), CancellationToken.None).GetAwaiter().GetResult();
                    Assert.AreEqual(HttpStatusCode.OK, joined.StatusCode);
                    StringAssert.Contains("\"path\":\"/v1/joined\"", joined.Content.ReadAsStringAsync().GetAwaiter().GetResult());
                }
            }
            finally
            {
                evil.Stop();
            }
        }

        [Test]
        public void CallersOwnBusinessUserIdIsKept()
        {
            using (var auth = Mock.PasswordAuth("business_user_id", "bu-5"))
            using (var http = Client(auth))
            {
                var request = new HttpRequestMessage(HttpMethod.Get, Mock.BaseUrl + "/v1/x");
                request.Headers.TryAddWithoutValidation("X-Business-User-Id", "mine");
                request.Headers.TryAddWithoutValidation("apikey", "not-mine");
                Assert.AreEqual(HttpStatusCode.OK, http.SendAsync(request).GetAwaiter().GetResult().StatusCode);
                var sent = Mock.LastApiRequest();
                Assert.AreEqual("mine", sent.Header("x-business-user-id"));
                Assert.AreEqual(Mock.Key, sent.Header("apikey"));
            }
        }

        [Test]
        public void CancelledRequestStopsWaitingForARenewal()
        {
            using (var auth = Mock.PasswordAuth())
            using (var http = Client(auth))
            {
                var renewal = SlowRenewal(auth);
                using (var cts = new CancellationTokenSource())
                {
                    var request = http.GetAsync(Mock.BaseUrl + "/v1/private/x", cts.Token);
                    cts.Cancel();
                    Assert.That(() => request.GetAwaiter().GetResult(), Throws.InstanceOf<OperationCanceledException>());
                    Assert.IsFalse(renewal.IsCompleted, "the renewal ended before the cancelled request returned");
                }
                Assert.IsNotNull(renewal.GetAwaiter().GetResult().AccessToken);
                Assert.AreEqual(0, Mock.Stat("api_requests"));
                Assert.AreEqual(2, Mock.TokenRequests);
            }
        }

        [Test]
        public void BlockingAndAsyncCallsHonourCancellation()
        {
            using (var auth = Mock.PasswordAuth())
            {
                var renewal = SlowRenewal(auth);
                using (var cts = new CancellationTokenSource())
                {
                    var waiter = Task.Run(() => auth.GetToken(cts.Token));
                    var async = auth.GetTokenAsync(cts.Token);
                    var request = auth.RequestAsync("GET", "/v1/private/x", null, null, cts.Token);
                    cts.Cancel();
                    Assert.That(() => waiter.GetAwaiter().GetResult(), Throws.InstanceOf<OperationCanceledException>());
                    Assert.That(() => async.GetAwaiter().GetResult(), Throws.InstanceOf<OperationCanceledException>());
                    Assert.That(() => request.GetAwaiter().GetResult(), Throws.InstanceOf<OperationCanceledException>());
                    Assert.IsFalse(renewal.IsCompleted, "the renewal ended before the cancelled waits returned");
                }
                renewal.GetAwaiter().GetResult();
                Assert.AreEqual(2, Mock.TokenRequests);
                // Not cancelled: the same calls complete.
                Assert.IsNotNull(auth.GetToken(CancellationToken.None).AccessToken);
                using (var cts = new CancellationTokenSource())
                    Assert.AreEqual(200, auth.Request("GET", "/v1/private/x", null, null, cts.Token).Status);
            }
        }

        [Test]
        public void PkceAndScope()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options("scope", "read")))
            {
                const string redirect = "https://app.example.com/cb";
                var pkce = Auth.NewPkce();
                Assert.AreEqual(43, pkce.Verifier.Length);
                Assert.AreEqual(43, pkce.Challenge.Length);
                StringAssert.DoesNotContain(pkce.Verifier, pkce.ToString());
                string url = auth.AuthorizeUrl(redirect, "code", "st", pkce.Challenge);
                StringAssert.EndsWith("&state=st&scope=read&code_challenge=" + pkce.Challenge + "&code_challenge_method=S256", url);
                string code = Auth.ParseCodeRedirect(Mock.GetRaw(url).Headers.Location.ToString(), "st");
                Assert.Throws<InvalidGrantException>(() => auth.AuthorizationCodeGrant(code, redirect, Auth.NewPkce().Verifier));
                code = Auth.ParseCodeRedirect(Mock.GetRaw(url).Headers.Location.ToString(), "st");
                Assert.IsNotNull(auth.AuthorizationCodeGrant(code, redirect, pkce.Verifier).AccessToken);
                StringAssert.EndsWith("&code_verifier=" + pkce.Verifier, Mock.LastTokenRequest().Body);
                Assert.Throws<InvalidArgumentException>(() => auth.AuthorizationCodeGrant("c", redirect, "short"));
            }
        }
    }
}
