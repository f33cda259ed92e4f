"""The clients compared, each behind the same three small verbs, as a user of that library would
write them: `grant()` (one token request), `need_token()` (a token for this caller, whatever the
library does to get one) and `api_call()` (one API call, renewing on 401 the library's way).

Also a process entry point for the 16-process stampede:
    python clients.py CLIENT BASE_URL START_AT MODE [TOKEN_CACHE]
waits until the clock reads START_AT, does MODE (`api` or `token`) once, and prints the time it
finished (unix seconds)."""

from __future__ import annotations

import os
import sys
import time

KEY, SECRET, USER, PASSWORD = "mock-api-key", "mock-api-secret", "user@example.com", "mock-password"
TOKEN_PATH = "/v1/oauth/oauth-business-users-for-applications/accesstoken"
API_PATH = "/v1/private/business-units/x/reviews"

# requests-oauthlib refuses http:// and warns when the answer's scope differs: both are the mock's
# doing (loopback, scope ""), not the library's cost.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
for var in ("TRUSTPILOT_API_KEY", "TRUSTPILOT_API_SECRET", "TRUSTPILOT_USERNAME", "TRUSTPILOT_PASSWORD", "TRUSTPILOT_API_HOST"):
    os.environ.pop(var, None)


class Tpauth:
    name = "tpauth (Python)"

    def __init__(self, base: str, token_cache: str | None = None) -> None:
        import tpauth

        opts = {"token_cache": token_cache} if token_cache else {}
        self.auth = tpauth.Auth(KEY, SECRET, api_base_url=base, username=USER, password=PASSWORD,
                                allow_insecure_http=True, max_retries=0, **opts)

    def grant(self) -> str:
        return self.auth.password_grant(USER, PASSWORD).access_token

    def need_token(self) -> str:
        return self.auth.get_token().access_token

    def api_call(self) -> int:
        return self.auth.request("GET", API_PATH).status

    def cached(self) -> object:
        return self.auth.get_token()


class Official:
    """Trustpilot's official client, `trustpilot` 10.0.1: TrustpilotSession re-authenticates on
    401/403; `get_request_auth_headers()` is its only way to a token (a new request each time, on a
    new connection: it uses `requests.post`, not the session)."""

    name = "trustpilot 10.0.1 (official)"

    def __init__(self, base: str, token_cache: str | None = None) -> None:
        from trustpilot.client import TrustpilotSession

        self.session = TrustpilotSession(api_host=base, api_key=KEY, api_secret=SECRET, username=USER, password=PASSWORD)

    def grant(self) -> str:
        self.session.get_request_auth_headers()
        return self.session.access_token

    def need_token(self) -> str:
        if not self.session.access_token:
            self.session.get_request_auth_headers()
        return self.session.access_token

    def api_call(self) -> int:
        return self.session.get(API_PATH).status_code

    def cached(self) -> object:
        # It keeps no token it could hand out: building the auth headers asks for a new one.
        return self.session.get_request_auth_headers()


class OAuthlib:
    """requests-oauthlib: an OAuth2Session with the password ("legacy application") grant, Basic
    client authentication, and the 401 handling a user has to write (it has none). Trustpilot's
    token_type "BearerToken" makes oauthlib refuse to use the token ("Unsupported token type"), so
    a compliance hook rewrites it to "Bearer", as its docs advise for non-compliant providers."""

    name = "requests-oauthlib"

    def __init__(self, base: str, token_cache: str | None = None) -> None:
        from oauthlib.oauth2 import LegacyApplicationClient
        from requests.auth import HTTPBasicAuth
        from requests_oauthlib import OAuth2Session

        self.base = base
        self.basic = HTTPBasicAuth(KEY, SECRET)
        self.session = OAuth2Session(client=LegacyApplicationClient(client_id=KEY))
        self.session.register_compliance_hook("access_token_response", _bearer)

    def grant(self) -> str:
        tok = self.session.fetch_token(self.base + TOKEN_PATH, username=USER, password=PASSWORD, auth=self.basic,
                                       include_client_id=False)
        return tok["access_token"]

    def need_token(self) -> str:
        if not self.session.authorized:
            return self.grant()
        return self.session.access_token

    def api_call(self) -> int:
        self.need_token()
        r = self.session.get(self.base + API_PATH, headers={"apikey": KEY})
        if r.status_code == 401:
            self.grant()
            r = self.session.get(self.base + API_PATH, headers={"apikey": KEY})
        return r.status_code

    def cached(self) -> object:
        # What OAuth2Session.request does per call with a token held: add it to the request.
        return self.session._client.add_token(self.base + API_PATH, http_method="GET", headers={})


def _bearer(r):  # type: ignore[no-untyped-def]
    import json

    body = r.json()
    if body.get("token_type") == "BearerToken":
        body["token_type"] = "Bearer"
        r._content = json.dumps(body).encode()
    return r


CLIENTS = {"tpauth": Tpauth, "official": Official, "oauthlib": OAuthlib}


def main() -> None:
    client, base, start_at, mode = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    cache = sys.argv[5] if len(sys.argv) > 5 else None
    c = CLIENTS[client](base, cache)
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    if mode == "api":
        status = c.api_call()
        if status != 200:
            print(f"status {status}", file=sys.stderr)
            sys.exit(1)
    else:
        assert c.need_token()
    print(f"{time.time():.6f}")


if __name__ == "__main__":
    main()
