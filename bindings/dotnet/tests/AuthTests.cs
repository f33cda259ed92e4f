using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using NUnit.Framework;

namespace Tpauth.Tests
{
    [TestFixture]
    public class AuthTests
    {
        const string RedirectUri = "https://app.example.com/callback";

        [SetUp]
        public void ResetMock() => Mock.Reset();

        static string Basic(string key, string secret) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":" + secret));

        static void NoSecretIn(string text, params string[] secrets)
        {
            foreach (var s in secrets)
                if (!string.IsNullOrEmpty(s)) StringAssert.DoesNotContain(s, text);
        }

        // ---- construction and bad input --------------------------------------------------------

        [Test]
        public void VersionIsSemver()
        {
            StringAssert.IsMatch(@"^\d+\.\d+\.\d+", Auth.Version);
            // The loaded library is this assembly's release, and another one would be refused.
            Assert.AreEqual(Native.BindingVersion, Auth.Version);
            Assert.IsNull(Native.VersionMismatch(Auth.Version));
            StringAssert.Contains("9.9.9", Native.VersionMismatch("9.9.9"));
        }

        [Test]
        public void NullKeyOrSecretIsInvalidArgument()
        {
            var e = Assert.Throws<InvalidArgumentException>(() => new Auth(null, Mock.Secret, Mock.Options()));
            Assert.AreEqual(Status.InvalidArgument, e.Status);
            StringAssert.Contains("apiKey", e.Message);
            Assert.Throws<InvalidArgumentException>(() => new Auth(Mock.Key, null, Mock.Options()));
            Assert.Throws<InvalidArgumentException>(() => new Auth("", Mock.Secret, Mock.Options()));
        }

        [Test]
        public void UnknownOptionIsInvalidArgumentNamingIt()
        {
            var e = Assert.Throws<InvalidArgumentException>(() => new Auth(Mock.Key, Mock.Secret, Mock.Options("no_such_option", "1")));
            StringAssert.Contains("no_such_option", e.Message);
            Assert.AreEqual(0, e.HttpStatus);
            Assert.IsNull(e.OAuthCode);
            Assert.IsNull(e.RetryAfter);
        }

        [Test]
        public void MalformedOptionValuesAreInvalidArgument()
        {
            Assert.Throws<InvalidArgumentException>(() => new Auth(Mock.Key, Mock.Secret, Mock.Options("timeout_ms", "soon")));
            Assert.Throws<InvalidArgumentException>(() => new Auth(Mock.Key, Mock.Secret, Mock.Options("grant", "magic")));
            Assert.Throws<InvalidArgumentException>(() => new Auth(Mock.Key, Mock.Secret, Mock.Options("api_base_url", "not a url")));
            Assert.Throws<InvalidArgumentException>(() => new Auth(Mock.Key, Mock.Secret, new Dictionary<string, string> { { "username", null } }));
            Assert.Throws<InvalidArgumentException>(() => new Auth(Mock.Key, "sec\0ret", null));
        }

        [Test]
        public void PlainHttpNeedsTheFlagAndALoopbackHost()
        {
            var noFlag = new Dictionary<string, string> { { "api_base_url", Mock.BaseUrl } };
            Assert.Throws<InvalidArgumentException>(() => { using (new Auth(Mock.Key, Mock.Secret, noFlag)) { } });
            var remote = new Dictionary<string, string> { { "allow_insecure_http", "true" }, { "api_base_url", "http://example.com" } };
            Assert.Throws<InvalidArgumentException>(() => { using (new Auth(Mock.Key, Mock.Secret, remote)) { } });
        }

        [Test]
        public void NullArgumentsOfMethodsAreInvalidArgument()
        {
            using (var auth = Mock.PasswordAuth())
            {
                Assert.Throws<InvalidArgumentException>(() => auth.PasswordGrant(null, "x"));
                Assert.Throws<InvalidArgumentException>(() => auth.PasswordGrant(Mock.User, null));
                Assert.Throws<InvalidArgumentException>(() => auth.AuthorizationCodeGrant(null, RedirectUri));
                Assert.Throws<InvalidArgumentException>(() => auth.InvalidateToken((string)null));
                Assert.Throws<InvalidArgumentException>(() => auth.SetToken(null));
                Assert.Throws<InvalidArgumentException>(() => auth.AuthorizeUrl(null));
                Assert.Throws<InvalidArgumentException>(() => auth.Request(null, "/v1/x"));
                Assert.Throws<InvalidArgumentException>(() => auth.Request("GET", null));
                Assert.Throws<InvalidArgumentException>(() => Auth.ParseCodeRedirect(null));
                Assert.Throws<InvalidArgumentException>(() => Auth.ParseImplicitRedirect(null));
                Assert.Throws<InvalidArgumentException>(() => Token.FromJson(null));
                Assert.AreEqual(0, Mock.TokenRequests, "bad input must be refused before any request");
            }
        }

        [Test]
        public void DisposedAuthThrowsObjectDisposed()
        {
            var auth = Mock.PasswordAuth();
            auth.Dispose();
            auth.Dispose(); // twice is harmless
            Assert.Throws<ObjectDisposedException>(() => auth.GetToken());
            Assert.Throws<ObjectDisposedException>(() => auth.AuthorizeUrl(RedirectUri));
            StringAssert.Contains("disposed", auth.ToString());
        }

        // ---- grants ------------------------------------------------------------------------------

        [Test]
        public void PasswordGrantSendsTheSeedsBytesAndReturnsTheToken()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options()))
            using (var tok = auth.PasswordGrant(Mock.User, Mock.Password))
            {
                var wire = Mock.LastTokenRequest();
                Assert.AreEqual("POST", wire.Method);
                Assert.AreEqual("/v1/oauth/oauth-business-users-for-applications/accesstoken", wire.Path);
                Assert.AreEqual(Basic(Mock.Key, Mock.Secret), wire.Header("authorization"));
                StringAssert.StartsWith("application/x-www-form-urlencoded", wire.Header("content-type"));
                Assert.AreEqual("grant_type=password&username=user%40example.com&password=mock-password", wire.Body);

                Assert.IsNotEmpty(tok.AccessToken);
                Assert.IsNotNull(tok.RefreshToken);
                Assert.AreEqual("BearerToken", tok.TokenType);
                Assert.AreEqual(359999L, tok.ExpiresIn);
                Assert.IsTrue(tok.ExpiresAt.HasValue);
                var expected = DateTimeOffset.UtcNow.AddSeconds(359999);
                Assert.Less(Math.Abs((tok.ExpiresAt.Value - expected).TotalSeconds), 30);
                StringAssert.Contains("\"refresh_token_status\"", tok.RawJson);
                Assert.IsFalse(tok.IsExpired());
                Assert.IsFalse(tok.IsExpired(60));
                Assert.IsTrue(tok.IsExpired(400000));
                Assert.IsTrue(tok.IsExpired(TimeSpan.FromDays(5)));
                Assert.AreEqual(1, Mock.TokenRequests);
            }
        }

        [Test]
        public void PasswordWithReservedAndNonAsciiCharactersArrivesIntact()
        {
            const string password = "p&ss=w+rd% 100:é€/?#";
            const string secret = "s3cr&t=+% é";
            Mock.Config("{\"password\":\"" + password + "\",\"api_secret\":\"" + secret + "\"}");
            using (var auth = new Auth(Mock.Key, secret, Mock.Options()))
            using (var tok = auth.PasswordGrant(Mock.User, password))
            {
                var wire = Mock.LastTokenRequest();
                Assert.AreEqual("grant_type=password&username=user%40example.com&password=p%26ss%3Dw%2Brd%25%20100%3A%C3%A9%E2%82%AC%2F%3F%23", wire.Body);
                Assert.AreEqual(Basic(Mock.Key, secret), wire.Header("authorization"));
                Assert.IsNotEmpty(tok.AccessToken);
            }
        }

        [Test]
        public void ClientAuthPostSendsCredentialsInTheBody()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options("client_auth", "post")))
            using (auth.ClientCredentialsGrant())
            {
                var wire = Mock.LastTokenRequest();
                Assert.IsNull(wire.Header("authorization"));
                StringAssert.Contains("client_id=mock-api-key", wire.Body);
                StringAssert.Contains("client_secret=mock-api-secret", wire.Body);
            }
        }

        [Test]
        public void WrongPasswordIsInvalidGrantWithoutThePassword()
        {
            const string wrong = "Wr0ng-Passw0rd-Value";
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options()))
            {
                var e = Assert.Throws<InvalidGrantException>(() => auth.PasswordGrant(Mock.User, wrong));
                Assert.AreEqual(Status.InvalidGrant, e.Status);
                Assert.AreEqual(400, e.HttpStatus);
                Assert.AreEqual("invalid_grant", e.OAuthCode);
                Assert.AreEqual("TP_ERR_INVALID_GRANT", e.StatusName);
                NoSecretIn(e.Message + e.ToString(), wrong, Mock.Secret);
            }
        }

        [Test]
        public void WrongSecretIsUnauthorizedWithoutTheSecret()
        {
            const string wrong = "Wr0ng-Secr3t-Value";
            using (var auth = new Auth(Mock.Key, wrong, Mock.Options()))
            {
                var e = Assert.Throws<UnauthorizedException>(() => auth.PasswordGrant(Mock.User, Mock.Password));
                Assert.AreEqual(401, e.HttpStatus);
                Assert.AreEqual("invalid_client", e.OAuthCode);
                NoSecretIn(e.Message + e.ToString(), wrong, Mock.Password);
            }
        }

        [Test]
        public void ClientCredentialsGrantAndBusinessUserId()
        {
            Mock.Config("{\"business_user_id\":\"bu-42\"}");
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options("business_user_id", "bu-42")))
            {
                using (var tok = auth.ClientCredentialsGrant())
                {
                    Assert.AreEqual("grant_type=client_credentials", Mock.LastTokenRequest().Body);
                    Assert.IsNull(tok.RefreshToken);
                    Assert.IsNotEmpty(tok.AccessToken);
                }
                var r = auth.Request("GET", "/v1/private/business-units/abc/reviews");
                Assert.AreEqual(200, r.Status);
                Assert.AreEqual("bu-42", Mock.LastApiRequest().Header("x-business-user-id"));
                Assert.AreEqual(1, Mock.TokenRequests, "the grant's token is the current token");
            }
        }

        [Test]
        public void AuthorizationCodeFlowEndToEnd()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options()))
            {
                var state = Auth.NewState();
                var url = auth.AuthorizeUrl(RedirectUri, "code", state);
                StringAssert.StartsWith(Mock.BaseUrl + "/authenticate?", url);
                StringAssert.Contains("client_id=mock-api-key", url);
                StringAssert.Contains("response_type=code", url);
                StringAssert.Contains("redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback", url);
                StringAssert.Contains("state=" + state, url);

                string location;
                using (var browser = Mock.GetRaw(url))
                {
                    Assert.AreEqual(HttpStatusCode.Found, browser.StatusCode);
                    location = browser.Headers.Location.OriginalString;
                }
                var code = Auth.ParseCodeRedirect(location, state);
                Assert.IsNotEmpty(code);
                using (var tok = auth.AuthorizationCodeGrant(code, RedirectUri))
                {
                    Assert.IsNotEmpty(tok.AccessToken);
                    var wire = Mock.LastTokenRequest();
                    Assert.AreEqual("grant_type=authorization_code&code=" + Uri.EscapeDataString(code) + "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback", wire.Body);
                }
                var again = Assert.Throws<InvalidGrantException>(() => auth.AuthorizationCodeGrant(code, RedirectUri));
                Assert.AreEqual(400, again.HttpStatus);
            }
        }

        [Test]
        public void AuthorizeUrlRefusesNonHttpsRedirectAndUnknownResponseType()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options()))
            {
                var e = Assert.Throws<InvalidArgumentException>(() => auth.AuthorizeUrl("http://app.example.com/cb"));
                StringAssert.Contains("https", e.Message);
                Assert.Throws<InvalidArgumentException>(() => auth.AuthorizeUrl(RedirectUri, "id_token"));
                Assert.Throws<InvalidArgumentException>(() => auth.AuthorizationCodeGrant("code", "http://app.example.com/cb"));
                StringAssert.DoesNotContain("state=", auth.AuthorizeUrl(RedirectUri));
            }
            Assert.AreEqual(0, Mock.TokenRequests);
        }

        [Test]
        public void ImplicitFlowAndSetToken()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options("grant", "none")))
            {
                var state = Auth.NewState();
                var url = auth.AuthorizeUrl(RedirectUri, "token", state);
                StringAssert.Contains("response_type=token", url);
                string location;
                using (var browser = Mock.GetRaw(url)) location = browser.Headers.Location.OriginalString;
                StringAssert.Contains("#access_token=", location);
                using (var tok = Auth.ParseImplicitRedirect(location, state))
                {
                    Assert.IsNotEmpty(tok.AccessToken);
                    Assert.IsNull(tok.RefreshToken);
                    Assert.IsTrue(tok.ExpiresIn.HasValue);
                    StringAssert.AreEqualIgnoringCase("bearer", tok.TokenType);
                    Assert.Throws<NoTokenException>(() => auth.GetToken());
                    auth.SetToken(tok);
                    using (var current = auth.GetToken()) Assert.AreEqual(tok.AccessToken, current.AccessToken);
                    var r = auth.Request("GET", "/v1/private/business-units/abc");
                    Assert.AreEqual(200, r.Status);
                    Assert.AreEqual("Bearer " + tok.AccessToken, Mock.LastApiRequest().Header("authorization"));
                }
                Assert.AreEqual(0, Mock.TokenRequests);
            }
        }

        [Test]
        public void RedirectParsingErrors()
        {
            Assert.AreEqual("abc", Auth.ParseCodeRedirect(RedirectUri + "?code=abc&state=s1", "s1"));
            Assert.AreEqual("abc", Auth.ParseCodeRedirect(RedirectUri + "?code=abc"));
            var m = Assert.Throws<StateMismatchException>(() => Auth.ParseCodeRedirect(RedirectUri + "?code=abc&state=s1", "s2"));
            Assert.AreEqual(Status.StateMismatch, m.Status);
            Assert.Throws<StateMismatchException>(() => Auth.ParseImplicitRedirect(RedirectUri + "#access_token=t&token_type=bearer&expires_in=10&state=s1", "s2"));
            var d = Assert.Throws<AccessDeniedException>(() => Auth.ParseCodeRedirect(RedirectUri + "?error=access_denied&error_description=no&state=s1", "s1"));
            Assert.AreEqual("access_denied", d.OAuthCode);
            Assert.Throws<InvalidArgumentException>(() => Auth.ParseCodeRedirect(RedirectUri + "?state=s1", "s1"));
            Assert.Throws<InvalidArgumentException>(() => Auth.ParseCodeRedirect("not a url"));
        }

        [Test]
        public void DeniedBrowserFlowIsAccessDenied()
        {
            Mock.Config("{\"deny\":true}");
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options()))
            {
                var state = Auth.NewState();
                string location;
                using (var browser = Mock.GetRaw(auth.AuthorizeUrl(RedirectUri, "code", state))) location = browser.Headers.Location.OriginalString;
                Assert.Throws<AccessDeniedException>(() => Auth.ParseCodeRedirect(location, state));
            }
        }

        [Test]
        public void NewStateIsRandomAndUrlSafe()
        {
            var a = Auth.NewState();
            var b = Auth.NewState();
            Assert.AreNotEqual(a, b);
            Assert.GreaterOrEqual(a.Length, 22);
            StringAssert.IsMatch("^[A-Za-z0-9_-]+$", a);
        }

        [Test]
        public void RefreshRotatesAndTheOldRefreshTokenIsVoid()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options()))
            using (var first = auth.PasswordGrant(Mock.User, Mock.Password))
            using (var second = auth.Refresh())
            {
                var wire = Mock.LastTokenRequest();
                Assert.AreEqual("/v1/oauth/oauth-business-users-for-applications/refresh", wire.Path);
                Assert.AreEqual("grant_type=refresh_token&refresh_token=" + Uri.EscapeDataString(first.RefreshToken), wire.Body);
                Assert.AreNotEqual(first.AccessToken, second.AccessToken);
                Assert.AreNotEqual(first.RefreshToken, second.RefreshToken);
                var e = Assert.Throws<InvalidGrantException>(() => auth.Refresh(first.RefreshToken));
                NoSecretIn(e.ToString(), first.RefreshToken, first.AccessToken);
                using (var third = auth.Refresh(second.RefreshToken)) Assert.IsNotEmpty(third.AccessToken);
            }
        }

        [Test]
        public void RefreshEndpointAccesstoken()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options("refresh_endpoint", "accesstoken")))
            using (auth.PasswordGrant(Mock.User, Mock.Password))
            using (auth.Refresh())
            {
                var wire = Mock.LastTokenRequest();
                Assert.AreEqual("/v1/oauth/oauth-business-users-for-applications/accesstoken", wire.Path);
                StringAssert.StartsWith("grant_type=refresh_token&refresh_token=", wire.Body);
            }
        }

        [Test]
        public void RefreshAndRevokeWithoutATokenAreNoToken()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options()))
            {
                Assert.AreEqual(Status.NoToken, Assert.Throws<NoTokenException>(() => auth.Refresh()).Status);
                Assert.Throws<NoTokenException>(() => auth.Revoke());
            }
            Assert.AreEqual(0, Mock.TokenRequests);
        }

        [Test]
        public void RevokeVoidsTheRefreshTokenAndItsAccessToken()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options("grant", "none")))
            using (var tok = auth.PasswordGrant(Mock.User, Mock.Password))
            {
                Assert.AreEqual(200, auth.Request("GET", "/v1/private/x").Status);
                auth.Revoke();
                var wire = Mock.LastTokenRequest();
                Assert.AreEqual("/v1/oauth/oauth-business-users-for-applications/revoke", wire.Path);
                Assert.AreEqual("token=" + Uri.EscapeDataString(tok.RefreshToken), wire.Body);
                Assert.AreEqual(1, Mock.Stat("revoke_requests"));
                Assert.Throws<InvalidGrantException>(() => auth.Refresh(tok.RefreshToken));
            }
        }

        // ---- managed token and API calls ----------------------------------------------------------

        [Test]
        public void GetTokenReusesTheTokenAndInvalidateRenewsOnce()
        {
            using (var auth = Mock.PasswordAuth())
            {
                string first;
                using (var a = auth.GetToken()) first = a.AccessToken;
                using (var b = auth.GetToken()) Assert.AreEqual(first, b.AccessToken);
                Assert.AreEqual(1, Mock.TokenRequests);

                auth.InvalidateToken("some-other-token");
                using (var c = auth.GetToken()) Assert.AreEqual(first, c.AccessToken, "a stale token must not invalidate the current one");

                auth.InvalidateToken(first);
                using (var d = auth.GetToken()) Assert.AreNotEqual(first, d.AccessToken);
                Assert.AreEqual(2, Mock.TokenRequests);
            }
        }

        [Test]
        public void GetTokenWithoutAGrantIsNoToken()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options("grant", "none")))
            {
                var e = Assert.Throws<NoTokenException>(() => auth.GetToken());
                Assert.IsNotEmpty(e.Message);
            }
            Assert.AreEqual(0, Mock.TokenRequests);
        }

        [Test]
        public void RequestCarriesTheTokenAndApiKeyAndReturnsTheResponse()
        {
            using (var auth = Mock.PasswordAuth())
            {
                var r = auth.Request("POST", "/v1/private/business-units/abc/replies?x=1", "{\"message\":\"thanks é\"}", "application/json");
                Assert.AreEqual(200, r.Status);
                var echo = (Dictionary<string, object>)Json.Parse(r.Text);
                Assert.AreEqual("POST", echo["method"]);
                Assert.AreEqual("/v1/private/business-units/abc/replies", echo["path"]);
                Assert.AreEqual("application/json", echo["content_type"]);
                Assert.AreEqual("{\"message\":\"thanks é\"}", echo["body"]);
                CollectionAssert.AreEqual(Encoding.UTF8.GetBytes(r.Text), r.Body);

                var wire = Mock.LastApiRequest();
                Assert.AreEqual("mock-api-key", wire.Header("apikey"));
                using (var tok = auth.GetToken()) Assert.AreEqual("Bearer " + tok.AccessToken, wire.Header("authorization"));

                StringAssert.StartsWith("application/json", r.Header("Content-Type"));
                Assert.AreEqual(r.Header("content-type"), r.Header("CONTENT-TYPE"));
                Assert.IsNull(r.Header("x-not-there"));
                Assert.IsTrue(r.Headers.Any(h => h.Key == "content-type"));
                Assert.IsTrue(r.Headers.All(h => h.Key == h.Key.ToLowerInvariant()));
                StringAssert.DoesNotContain("Bearer", r.ToString());
            }
        }

        [Test]
        public void RequestToAbsoluteUrlAndBinaryBody()
        {
            using (var auth = Mock.PasswordAuth())
            {
                var r = auth.Request("GET", Mock.BaseUrl + "/v1/private/abs");
                Assert.AreEqual(200, r.Status);
                Assert.AreEqual("/v1/private/abs", Mock.LastApiRequest().Path);
                var bytes = auth.RequestBytes("PUT", "/v1/private/upload", Encoding.UTF8.GetBytes("a=1&b=2"), "text/plain");
                Assert.AreEqual(200, bytes.Status);
                Assert.AreEqual("a=1&b=2", Mock.LastApiRequest().Body);
            }
        }

        [Test]
        public void RequestRenewsOnceOn401()
        {
            using (var auth = Mock.PasswordAuth())
            {
                Assert.AreEqual(200, auth.Request("GET", "/v1/private/x").Status);
                Mock.Post("/_mock/expire", "{}");
                Assert.AreEqual(200, auth.Request("GET", "/v1/private/x").Status);
                Assert.AreEqual(1, Mock.Stat("api_401"));
                Assert.AreEqual(2, Mock.TokenRequests);
            }
        }

        [Test]
        public void ApiErrorStatusIsAResponseNotAnException()
        {
            using (var auth = Mock.PasswordAuth())
            {
                Mock.Fault("{\"kind\":\"html_500\",\"target\":\"api\"}");
                var r = auth.Request("GET", "/v1/private/x");
                Assert.AreEqual(500, r.Status);
            }
        }

        // ---- every exception class from the wire ------------------------------------------------

        [Test]
        public void RateLimitedCarriesRetryAfter()
        {
            Mock.Fault("{\"kind\":\"429\",\"retry_after\":\"7\",\"count\":5}");
            using (var auth = Mock.PasswordAuth("max_retries", "0"))
            {
                var e = Assert.Throws<RateLimitedException>(() => auth.GetToken());
                Assert.AreEqual(Status.RateLimited, e.Status);
                Assert.AreEqual(429, e.HttpStatus);
                Assert.AreEqual(TimeSpan.FromSeconds(7), e.RetryAfter);
            }
            Assert.AreEqual(1, Mock.TokenRequests);
        }

        [Test]
        public void Html500IsHttpException()
        {
            Mock.Fault("{\"kind\":\"html_500\",\"count\":5}");
            using (var auth = Mock.PasswordAuth("max_retries", "0"))
            {
                var e = Assert.Throws<HttpException>(() => auth.GetToken());
                Assert.AreEqual(500, e.HttpStatus);
                Assert.AreEqual(Status.Http, e.Status);
            }
        }

        [Test]
        public void GarbageAndMissingAccessTokenAreProtocolException()
        {
            using (var auth = Mock.PasswordAuth("max_retries", "0"))
            {
                Mock.Fault("{\"kind\":\"garbage\"}");
                Assert.AreEqual(Status.Protocol, Assert.Throws<ProtocolException>(() => auth.GetToken()).Status);
                Mock.Fault("{\"kind\":\"no_access_token\"}");
                Assert.Throws<ProtocolException>(() => auth.GetToken());
            }
        }

        [Test]
        public void ResetConnectionIsNetworkException()
        {
            Mock.Fault("{\"kind\":\"reset\",\"count\":5}");
            using (var auth = Mock.PasswordAuth("max_retries", "0"))
                Assert.AreEqual(Status.Network, Assert.Throws<NetworkException>(() => auth.GetToken()).Status);
        }

        [Test]
        public void RefusedConnectionIsNetworkException()
        {
            var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options("api_base_url", "http://127.0.0.1:" + port, "max_retries", "0")))
                Assert.Throws<NetworkException>(() => auth.PasswordGrant(Mock.User, Mock.Password));
        }

        [Test]
        public void SlowAnswerIsTimeoutException()
        {
            Mock.Fault("{\"kind\":\"slow\",\"delay_ms\":3000}");
            using (var auth = Mock.PasswordAuth("max_retries", "0", "timeout_ms", "300"))
            {
                var e = Assert.Throws<Tpauth.TimeoutException>(() => auth.GetToken());
                Assert.AreEqual(Status.Timeout, e.Status);
            }
        }

        [Test]
        public void UnusableTokenCacheIsStoreException()
        {
            var file = System.IO.Path.GetTempFileName();
            var link = file + ".link";
            try
            {
                // A path through a regular file (ENOTDIR): the cache can be neither locked nor written.
                using (var auth = Mock.PasswordAuth("token_cache", file + "/cache.json"))
                {
                    var e = Assert.Throws<StoreException>(() => auth.GetToken());
                    Assert.AreEqual(Status.Store, e.Status);
                    StringAssert.Contains("token cache", e.Message);
                }
                // A symbolic link: refused, never followed.
                using (var ln = System.Diagnostics.Process.Start("ln", "-s " + file + " " + link)) ln.WaitForExit();
                Assert.IsTrue(System.IO.File.Exists(link));
                using (var auth = Mock.PasswordAuth("token_cache", link))
                    StringAssert.Contains("symbolic link", Assert.Throws<StoreException>(() => auth.GetToken()).Message);
            }
            finally
            {
                System.IO.File.Delete(link);
                System.IO.File.Delete(file);
            }
        }

        [Test]
        public void TokenCacheIsSharedBetweenClients()
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tpauth-dotnet-" + Guid.NewGuid().ToString("N") + ".json");
            try
            {
                string first;
                using (var a = Mock.PasswordAuth("token_cache", path))
                using (var t = a.GetToken()) first = t.AccessToken;
                using (var b = Mock.PasswordAuth("token_cache", path))
                using (var t = b.GetToken()) Assert.AreEqual(first, t.AccessToken);
                Assert.AreEqual(1, Mock.TokenRequests);
            }
            finally { if (System.IO.File.Exists(path)) System.IO.File.Delete(path); }
        }

        [Test]
        public void EveryStatusHasItsExceptionClassAndApiNumber()
        {
            var expected = new Dictionary<Status, Type>
            {
                { Status.InvalidArgument, typeof(InvalidArgumentException) },
                { Status.Network, typeof(NetworkException) },
                { Status.Timeout, typeof(Tpauth.TimeoutException) },
                { Status.Unauthorized, typeof(UnauthorizedException) },
                { Status.RateLimited, typeof(RateLimitedException) },
                { Status.InvalidGrant, typeof(InvalidGrantException) },
                { Status.Http, typeof(HttpException) },
                { Status.Protocol, typeof(ProtocolException) },
                { Status.StateMismatch, typeof(StateMismatchException) },
                { Status.AccessDenied, typeof(AccessDeniedException) },
                { Status.NoToken, typeof(NoTokenException) },
                { Status.Store, typeof(StoreException) },
                { Status.Internal, typeof(InternalException) },
            };
            var numbers = new[] { "Ok", "InvalidArgument", "Network", "Timeout", "Unauthorized", "RateLimited", "InvalidGrant", "Http", "Protocol", "StateMismatch", "AccessDenied", "NoToken", "Store", "Internal" };
            for (int i = 0; i < numbers.Length; i++) Assert.AreEqual(i, (int)Enum.Parse(typeof(Status), numbers[i]));
            foreach (var kv in expected)
            {
                var e = TpauthException.Create(kv.Key, "m", 418, "oc", TimeSpan.FromSeconds(2));
                Assert.AreEqual(kv.Value, e.GetType());
                Assert.IsInstanceOf<TpauthException>(e);
                Assert.AreEqual(kv.Key, e.Status);
                Assert.AreEqual(418, e.HttpStatus);
                Assert.AreEqual("oc", e.OAuthCode);
                Assert.AreEqual(TimeSpan.FromSeconds(2), e.RetryAfter);
                var direct = (TpauthException)Activator.CreateInstance(kv.Value, "m", 0, null, null);
                Assert.AreEqual(kv.Key, direct.Status);
                StringAssert.StartsWith("TP_ERR_", e.StatusName);
            }
        }

        // ---- tokens ------------------------------------------------------------------------------

        [Test]
        public void TokenJsonRoundTripAndRedactedToString()
        {
            using (var auth = Mock.PasswordAuth())
            using (var tok = auth.GetToken())
            {
                var json = tok.ToJson();
                using (var back = Token.FromJson(json))
                {
                    Assert.AreEqual(tok.AccessToken, back.AccessToken);
                    Assert.AreEqual(tok.RefreshToken, back.RefreshToken);
                    Assert.AreEqual(tok.TokenType, back.TokenType);
                    Assert.AreEqual(tok.ExpiresIn, back.ExpiresIn);
                    Assert.AreEqual(tok.ExpiresAt, back.ExpiresAt);
                    Assert.AreEqual(tok.RawJson, back.RawJson);
                }
                var s = tok.ToString();
                StringAssert.Contains("[redacted]", s);
                NoSecretIn(s, tok.AccessToken, tok.RefreshToken);
                Assert.Throws<InvalidArgumentException>(() => Token.FromJson("not json"));
                Assert.Throws<InvalidArgumentException>(() => Token.FromJson("{\"token_type\":\"x\"}"));
            }
        }

        [Test]
        public void DisposedTokenThrowsObjectDisposed()
        {
            using (var auth = Mock.PasswordAuth())
            {
                var tok = auth.GetToken();
                tok.Dispose();
                Assert.Throws<ObjectDisposedException>(() => { var _ = tok.AccessToken; });
                Assert.Throws<ObjectDisposedException>(() => auth.SetToken(tok));
                StringAssert.Contains("disposed", tok.ToString());
            }
        }

        [Test]
        public void ExpiresInAsNumberAndMissing()
        {
            Mock.Config("{\"expires_in_json\":\"120\"}");
            using (var auth = Mock.PasswordAuth())
            using (var t = auth.GetToken()) Assert.AreEqual(120L, t.ExpiresIn);
            Mock.Config("{\"expires_in_json\":null}");
            using (var auth = Mock.PasswordAuth())
            using (var t = auth.GetToken())
            {
                Assert.IsNull(t.ExpiresIn);
                Assert.IsNull(t.ExpiresAt);
            }
        }

        // ---- environment, async, logging ----------------------------------------------------------

        [Test]
        public void FromEnvReadsTheOfficialVariableNames()
        {
            var vars = new Dictionary<string, string>
            {
                { "TRUSTPILOT_API_KEY", Mock.Key }, { "TRUSTPILOT_API_SECRET", Mock.Secret },
                { "TRUSTPILOT_USERNAME", Mock.User }, { "TRUSTPILOT_PASSWORD", Mock.Password },
                { "TRUSTPILOT_API_HOST", Mock.BaseUrl }, { "TRUSTPILOT_ALLOW_INSECURE_HTTP", "true" },
            };
            try
            {
                foreach (var kv in vars) Environment.SetEnvironmentVariable(kv.Key, kv.Value);
                using (var auth = Auth.FromEnv())
                {
                    Assert.AreEqual(200, auth.Request("GET", "/v1/private/x").Status);
                    StringAssert.Contains("username=user%40example.com", Mock.LastTokenRequest().Body);
                }
                Environment.SetEnvironmentVariable("TRUSTPILOT_TIMEOUT_MS", "soon");
                var bad = Assert.Throws<InvalidArgumentException>(() => Auth.FromEnv());
                StringAssert.Contains("TRUSTPILOT_TIMEOUT_MS", bad.Message);
                Environment.SetEnvironmentVariable("TRUSTPILOT_TIMEOUT_MS", null);
                Environment.SetEnvironmentVariable("TRUSTPILOT_API_KEY", null);
                var e = Assert.Throws<InvalidArgumentException>(() => Auth.FromEnv());
                StringAssert.Contains("TRUSTPILOT_API_KEY", e.Message);
            }
            finally
            {
                foreach (var kv in vars) Environment.SetEnvironmentVariable(kv.Key, null);
                Environment.SetEnvironmentVariable("TRUSTPILOT_TIMEOUT_MS", null);
            }
        }

        [Test]
        public void FromEnvReadsEveryOptionTheCLibraryReads()
        {
            // Driven by the C library's list (tp_option_name, as Auth.OptionKeys): for every option,
            // a value tp_config_set refuses must make FromEnv (tp_config_from_lookup over
            // Environment.GetEnvironmentVariable) fail naming the variable.
            Assert.AreEqual("api_base_url", Auth.OptionKeys[0]);
            CollectionAssert.Contains(Auth.OptionKeys, "token_cache");
            int checkedKeys = 0;
            try
            {
                Environment.SetEnvironmentVariable("TRUSTPILOT_API_KEY", Mock.Key);
                Environment.SetEnvironmentVariable("TRUSTPILOT_API_SECRET", Mock.Secret);
                foreach (var key in Auth.OptionKeys)
                {
                    const string bad = "bad\u0001value";
                    try
                    {
                        using (new Auth(Mock.Key, Mock.Secret, Mock.Options(key, bad))) { }
                        continue; // a value this option accepts
                    }
                    catch (InvalidArgumentException direct) when (direct.Message.Contains("option " + key))
                    {
                    }
                    catch (TpauthException)
                    {
                        continue; // refused later (an unreadable ca_file), not by the option itself
                    }
                    var name = key == "api_base_url" ? "TRUSTPILOT_API_HOST" : "TRUSTPILOT_" + key.ToUpperInvariant();
                    Environment.SetEnvironmentVariable(name, bad);
                    var e = Assert.Throws<InvalidArgumentException>(() => Auth.FromEnv());
                    StringAssert.Contains(name, e.Message);
                    Environment.SetEnvironmentVariable(name, null);
                    checkedKeys++;
                }
                Assert.Greater(checkedKeys, Auth.OptionKeys.Count / 2);
                // A value set in-process reaches the configuration (through the lookup).
                Environment.SetEnvironmentVariable("TRUSTPILOT_API_HOST", Mock.BaseUrl);
                Environment.SetEnvironmentVariable("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true");
                Environment.SetEnvironmentVariable("TRUSTPILOT_GRANT", "client_credentials");
                Environment.SetEnvironmentVariable("TRUSTPILOT_BUSINESS_USER_ID", "mock-business-user-id");
                using (var auth = Auth.FromEnv())
                {
                    Assert.AreEqual(200, auth.Request("GET", "/v1/private/x").Status);
                    Assert.AreEqual("mock-business-user-id", Mock.LastApiRequest().Header("x-business-user-id"));
                }
            }
            finally
            {
                foreach (var key in Auth.OptionKeys)
                    Environment.SetEnvironmentVariable(key == "api_base_url" ? "TRUSTPILOT_API_HOST" : "TRUSTPILOT_" + key.ToUpperInvariant(), null);
                Environment.SetEnvironmentVariable("TRUSTPILOT_API_KEY", null);
                Environment.SetEnvironmentVariable("TRUSTPILOT_API_SECRET", null);
            }
        }

        [Test]
        public void AsyncVariants()
        {
            using (var auth = new Auth(Mock.Key, Mock.Secret, Mock.Options("username", Mock.User, "password", Mock.Password, "business_user_id", "bu")))
            {
                using (var t = auth.PasswordGrantAsync(Mock.User, Mock.Password).GetAwaiter().GetResult()) Assert.IsNotEmpty(t.RefreshToken);
                using (var t = auth.RefreshAsync().GetAwaiter().GetResult()) Assert.IsNotEmpty(t.AccessToken);
                using (var t = auth.GetTokenAsync().GetAwaiter().GetResult())
                {
                    Assert.IsNotEmpty(t.AccessToken);
                    long before = Mock.TokenRequests;
                    auth.InvalidateTokenAsync(t.AccessToken).GetAwaiter().GetResult();
                    using (var u = auth.GetToken()) Assert.AreNotEqual(t.AccessToken, u.AccessToken);
                    Assert.AreEqual(before + 1, Mock.TokenRequests);
                    auth.SetTokenAsync(t).GetAwaiter().GetResult();
                    using (var v = auth.GetToken()) Assert.AreEqual(t.AccessToken, v.AccessToken);
                }
                Assert.AreEqual(200, auth.RequestAsync("GET", "/v1/private/x").GetAwaiter().GetResult().Status);
                Assert.AreEqual(200, auth.RequestBytesAsync("POST", "/v1/private/x", new byte[] { 65 }, "text/plain").GetAwaiter().GetResult().Status);
                auth.RevokeAsync().GetAwaiter().GetResult();
                using (var t = auth.ClientCredentialsGrantAsync().GetAwaiter().GetResult()) Assert.IsNull(t.RefreshToken);
                Assert.Throws<InvalidGrantException>(() => auth.PasswordGrantAsync(Mock.User, "wrong").GetAwaiter().GetResult());
                Assert.Throws<InvalidGrantException>(() => auth.AuthorizationCodeGrantAsync("nope", RedirectUri).GetAwaiter().GetResult());
            }
        }

        [Test]
        public void LogCallbackReportsWithoutSecrets()
        {
            var messages = new List<string>();
            Auth.SetLogCallback((level, msg) => { lock (messages) messages.Add(level + " " + msg); });
            try
            {
                using (var auth = Mock.PasswordAuth())
                using (var tok = auth.GetToken())
                {
                    auth.InvalidateToken(tok.AccessToken);
                    using (var again = auth.GetToken())
                    {
                        string[] copy;
                        lock (messages) copy = messages.ToArray();
                        Assert.IsNotEmpty(copy, "a renewal must be logged");
                        foreach (var m in copy) NoSecretIn(m, tok.AccessToken, tok.RefreshToken, again.AccessToken, Mock.Password, Mock.Secret);
                    }
                }
            }
            finally { Auth.SetLogCallback(null); }
            int n;
            lock (messages) n = messages.Count;
            using (var auth = Mock.PasswordAuth()) using (auth.GetToken()) { }
            lock (messages) Assert.AreEqual(n, messages.Count, "no messages after removal");
        }
    }
}
