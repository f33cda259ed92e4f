using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace Tpauth
{
    /// <summary>
    /// An <see cref="HttpMessageHandler"/> for <see cref="HttpClient"/>: adds Authorization (the
    /// managed token), apikey and, when configured, x-business-user-id to each request; on a 401 it
    /// invalidates the token it sent, renews it and resends the request once. A request to a host
    /// that may not see the token (<see cref="Auth.CheckTokenUrl"/>), or whose URL some reader takes
    /// for another host (https:host/x, //host/x, ...), throws <see cref="InvalidArgumentException"/>
    /// and is not sent; the request goes to the URL the core judged.
    /// <code>
    /// var http = new HttpClient(new TpauthHandler(auth) { InnerHandler = new HttpClientHandler() });
    /// </code>
    /// The HTTP exchange is the inner handler's (asynchronous); the native library is called only for
    /// the headers, which take no I/O while the token is valid. A renewal runs on a pool thread, and
    /// cancelling the request's token ends the wait for it at once (the renewal goes on for the
    /// other callers). A request body is buffered so that it can be resent.
    /// </summary>
    public sealed class TpauthHandler : DelegatingHandler
    {
        private readonly Auth _auth;

        /// <summary>A handler for <paramref name="auth"/>; set <see cref="DelegatingHandler.InnerHandler"/>.</summary>
        public TpauthHandler(Auth auth)
        {
            _auth = auth ?? throw new InvalidArgumentException("auth must not be null");
        }

        /// <summary>A handler for <paramref name="auth"/> over <paramref name="innerHandler"/>.</summary>
        public TpauthHandler(Auth auth, HttpMessageHandler innerHandler) : base(innerHandler)
        {
            _auth = auth ?? throw new InvalidArgumentException("auth must not be null");
        }

        /// <inheritdoc/>
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request == null) throw new InvalidArgumentException("request must not be null");
            if (request.RequestUri == null) throw new InvalidArgumentException("request.RequestUri must not be null");
            string url = request.RequestUri.IsAbsoluteUri ? request.RequestUri.AbsoluteUri : request.RequestUri.OriginalString;
            string method = request.Method.Method;
            var names = new List<string>();
            foreach (var h in request.Headers) names.Add(h.Key);
            // The core judges the URL (a refused one throws before any token is obtained), gives the
            // URL to send to and the headers, and keeps a request's own x-business-user-id.
            var call = await _auth.PrepareApiCallAsync(method, url, names, cancellationToken).ConfigureAwait(false);
            if (request.Content != null) await request.Content.LoadIntoBufferAsync().ConfigureAwait(false);
            Apply(request, url, call);
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized || call.AccessToken.Length == 0) return response;
            // The API refused this token: drop it (only if still current, so that concurrent 401s
            // renew once), then renew and resend once.
            _auth.InvalidateToken(call.AccessToken);
            call = await _auth.PrepareApiCallAsync(method, url, names, cancellationToken).ConfigureAwait(false);
            response.Dispose();
            Apply(request, url, call);
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Send to the URL the core judged, with the headers it gave (each replacing the
        /// request's header of that name).</summary>
        private static void Apply(HttpRequestMessage request, string given, PreparedCall call)
        {
            if (call.Url != given) request.RequestUri = new Uri(call.Url, UriKind.Absolute);
            foreach (var h in call.Headers ?? Array.Empty<KeyValuePair<string, string>>())
            {
                if (h.Key == "Authorization")
                {
                    int space = h.Value.IndexOf(' ');
                    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
                        space > 0 ? h.Value.Substring(0, space) : "Bearer", space > 0 ? h.Value.Substring(space + 1) : h.Value);
                    continue;
                }
                request.Headers.Remove(h.Key);
                request.Headers.TryAddWithoutValidation(h.Key, h.Value);
            }
        }
    }
}
