package tpauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestVersion(t *testing.T) {
	if !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(Version()) {
		t.Fatalf("Version() = %q", Version())
	}
}

func TestPasswordGrantOnTheWire(t *testing.T) {
	resetMock(t)
	// A password with every character a form encoder can get wrong.
	const password = "p&ss=w+rd% é/?#"
	configMock(t, map[string]interface{}{"password": password})
	c := newClient(t, nil)
	before := time.Now()
	tok, err := c.PasswordGrant(mockUser, password)
	if err != nil {
		t.Fatalf("PasswordGrant: %v", err)
	}
	w := lastTokenRequest(t)
	if w.Method != "POST" || w.Path != "/v1/oauth/oauth-business-users-for-applications/accesstoken" {
		t.Errorf("request line %s %s", w.Method, w.Path)
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(mockKey+":"+mockSecret))
	if got := w.header("authorization"); got != wantAuth {
		t.Errorf("Authorization = %q, want %q", got, wantAuth)
	}
	if ct := w.header("content-type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		t.Errorf("Content-Type = %q", ct)
	}
	form, err := url.ParseQuery(w.Body)
	if err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if form.Get("grant_type") != "password" || form.Get("username") != mockUser || form.Get("password") != password || len(form) != 3 {
		t.Errorf("body decodes to %v", form)
	}
	for _, raw := range []string{"&ss", "=w", "+rd", "% ", "é", "/", "?", "#"} {
		if strings.Contains(w.Body, raw) {
			t.Errorf("body %q carries %q unescaped", w.Body, raw)
		}
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token without access or refresh token: %v", tok)
	}
	if tok.TokenType != "BearerToken" || tok.ExpiresIn != 359999 {
		t.Errorf("TokenType %q ExpiresIn %d", tok.TokenType, tok.ExpiresIn)
	}
	want := before.Add(359999 * time.Second)
	if d := tok.Expiry.Sub(want); d < -2*time.Second || d > 2*time.Second {
		t.Errorf("Expiry %v, want about %v", tok.Expiry, want)
	}
	var raw map[string]interface{}
	if err := json.Unmarshal(tok.Raw, &raw); err != nil || raw["organization_name"] != "mock" || raw["access_token"] != tok.AccessToken {
		t.Errorf("Raw %s (%v)", tok.Raw, err)
	}
	if tok.IsExpired(time.Minute) || !tok.Valid() {
		t.Errorf("fresh token reported expired")
	}
	// The grant became the current token: Token() returns it without a request.
	n := stats(t).TokenRequests
	cur, err := c.Token()
	if err != nil || cur.AccessToken != tok.AccessToken {
		t.Fatalf("Token() after the grant: %v %v", cur, err)
	}
	if stats(t).TokenRequests != n {
		t.Errorf("Token() after a grant made a token request")
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	resetMock(t)
	c := newClient(t, func(c *Config) {
		c.Username, c.Password = "", ""
		c.BusinessUserID = "mock-business-user-id"
	})
	tok, err := c.ClientCredentialsGrant()
	if err != nil {
		t.Fatalf("ClientCredentialsGrant: %v", err)
	}
	if w := lastTokenRequest(t); w.Body != "grant_type=client_credentials" {
		t.Errorf("body %q", w.Body)
	}
	if tok.AccessToken == "" || tok.RefreshToken != "" {
		t.Errorf("token %v", tok)
	}
	resp, err := c.Request("GET", "/v1/private/business-units/x/reviews", nil, "")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Request: %v %v", resp, err)
	}
	if got := lastAPIRequest(t).header("x-business-user-id"); got != "mock-business-user-id" {
		t.Errorf("x-business-user-id = %q", got)
	}
}

func TestManagedTokenUsesConfiguredGrant(t *testing.T) {
	resetMock(t)
	c := newClient(t, func(c *Config) { c.Username, c.Password = "", "" })
	tok, err := c.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	s := stats(t)
	if s.TokenRequests != 1 || s.Grants["client_credentials"] != 1 {
		t.Errorf("stats %+v", s)
	}
	tok2, err := c.Token()
	if err != nil || tok2.AccessToken != tok.AccessToken || stats(t).TokenRequests != 1 {
		t.Errorf("second Token() was not the cached token (%v)", err)
	}
}

func TestAuthorizationCodeFlow(t *testing.T) {
	resetMock(t)
	c := newClient(t, func(c *Config) { c.Username, c.Password, c.Grant = "", "", "none" })
	const redirect = "https://app.example.com/callback"
	state := NewState()
	if len(state) < 22 || state == NewState() {
		t.Fatalf("NewState() = %q", state)
	}
	au, err := c.AuthorizeURL(redirect, "code", state)
	if err != nil {
		t.Fatalf("AuthorizeURL: %v", err)
	}
	u, _ := url.Parse(au)
	q := u.Query()
	if !strings.HasPrefix(au, mockBase+"/authenticate?") || q.Get("client_id") != mockKey || q.Get("redirect_uri") != redirect ||
		q.Get("response_type") != "code" || q.Get("state") != state {
		t.Fatalf("AuthorizeURL = %s", au)
	}
	loc := browse(t, au)
	if _, err := ParseCodeRedirect(loc, "another-state"); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("wrong state: %v", err)
	}
	code, err := ParseCodeRedirect(loc, state)
	if err != nil || code == "" {
		t.Fatalf("ParseCodeRedirect(%s): %q %v", loc, code, err)
	}
	tok, err := c.AuthorizationCodeGrant(code, redirect)
	if err != nil {
		t.Fatalf("AuthorizationCodeGrant: %v", err)
	}
	form, _ := url.ParseQuery(lastTokenRequest(t).Body)
	if form.Get("grant_type") != "authorization_code" || form.Get("code") != code || form.Get("redirect_uri") != redirect {
		t.Errorf("exchange body %v", form)
	}
	cur, err := c.Token()
	if err != nil || cur.AccessToken != tok.AccessToken {
		t.Errorf("the exchanged token is not the current one: %v", err)
	}
	// A code works once.
	if _, err := c.AuthorizationCodeGrant(code, redirect); !errors.Is(err, ErrInvalidGrant) {
		t.Errorf("reused code: %v", err)
	}
	// Without a state to check, any state passes.
	if _, err := ParseCodeRedirect(loc, ""); err != nil {
		t.Errorf("unchecked state: %v", err)
	}
}

func TestAuthorizeURLRefusesPlainHTTPRedirect(t *testing.T) {
	c := newClient(t, nil)
	_, err := c.AuthorizeURL("http://app.example.com/callback", "code", "")
	if !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("http redirect_uri: %v", err)
	}
	if _, err := c.AuthorizeURL("https://app.example.com/cb", "magic", ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad response type: %v", err)
	}
}

func TestAccessDenied(t *testing.T) {
	resetMock(t)
	configMock(t, map[string]interface{}{"deny": true})
	c := newClient(t, nil)
	state := NewState()
	au, err := c.AuthorizeURL("https://app.example.com/callback", "code", state)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseCodeRedirect(browse(t, au), state)
	var te *Error
	if !errors.Is(err, ErrAccessDenied) || !errors.As(err, &te) || te.OAuthCode != "access_denied" {
		t.Fatalf("declined: %v", err)
	}
	resetMock(t)
}

func TestImplicitFlow(t *testing.T) {
	resetMock(t)
	c := newClient(t, func(c *Config) { c.Username, c.Password, c.Grant = "", "", "none" })
	state := NewState()
	au, err := c.AuthorizeURL("https://app.example.com/callback", "token", state)
	if err != nil {
		t.Fatal(err)
	}
	loc := browse(t, au)
	if !strings.Contains(loc, "#access_token=") {
		t.Fatalf("redirect %s has no token fragment", loc)
	}
	if _, err := ParseImplicitRedirect(loc, "other"); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("wrong state: %v", err)
	}
	tok, err := ParseImplicitRedirect(loc, state)
	if err != nil {
		t.Fatalf("ParseImplicitRedirect: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken != "" || tok.ExpiresIn <= 0 || tok.Expiry.IsZero() {
		t.Errorf("implicit token %v", tok)
	}
	// A client with grant "none" has nothing to call with until given the token.
	if _, err := c.Token(); !errors.Is(err, ErrNoToken) {
		t.Errorf("Token() without any token: %v", err)
	}
	if err := c.SetToken(tok); err != nil {
		t.Fatalf("SetToken: %v", err)
	}
	resp, err := c.Request("GET", "/v1/private/business-units/abc", nil, "")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Request with the implicit token: %v %v", resp, err)
	}
	if got := lastAPIRequest(t).header("authorization"); got != "Bearer "+tok.AccessToken {
		t.Errorf("Authorization = %q", got)
	}
	if stats(t).TokenRequests != 0 {
		t.Errorf("the implicit flow made token requests")
	}
}

func TestRefreshAndRotation(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	first, err := c.PasswordGrant(mockUser, mockPassword)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Refresh("")
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	w := lastTokenRequest(t)
	form, _ := url.ParseQuery(w.Body)
	if w.Path != "/v1/oauth/oauth-business-users-for-applications/refresh" || form.Get("grant_type") != "refresh_token" ||
		form.Get("refresh_token") != first.RefreshToken {
		t.Errorf("refresh request %s %v", w.Path, form)
	}
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken || second.RefreshToken == "" {
		t.Errorf("refresh did not give new tokens")
	}
	cur, _ := c.Token()
	if cur == nil || cur.AccessToken != second.AccessToken {
		t.Errorf("the refreshed token is not the current one")
	}
	// The rotated refresh token is void.
	_, err = c.Refresh(first.RefreshToken)
	var te *Error
	if !errors.Is(err, ErrInvalidGrant) || !errors.As(err, &te) || te.HTTPStatus != 400 || te.OAuthCode != "invalid_grant" {
		t.Errorf("old refresh token: %v", err)
	}
	if strings.Contains(err.Error(), first.RefreshToken) {
		t.Errorf("error message shows the refresh token: %v", err)
	}
	// An explicit refresh token, to the accesstoken endpoint when so configured.
	c2 := newClient(t, func(c *Config) { c.Options = map[string]string{"refresh_endpoint": "accesstoken"} })
	third, err := c2.Refresh(second.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh(rt) via accesstoken: %v", err)
	}
	if w := lastTokenRequest(t); w.Path != "/v1/oauth/oauth-business-users-for-applications/accesstoken" {
		t.Errorf("refresh_endpoint=accesstoken went to %s", w.Path)
	}
	if third.AccessToken == "" {
		t.Errorf("no access token")
	}
}

func TestNothingToRefreshOrRevoke(t *testing.T) {
	c := newClient(t, nil)
	if _, err := c.Refresh(""); !errors.Is(err, ErrNoToken) {
		t.Errorf("Refresh on a new client: %v", err)
	}
	if err := c.Revoke(""); !errors.Is(err, ErrNoToken) {
		t.Errorf("Revoke on a new client: %v", err)
	}
}

func TestRevoke(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	tok, err := c.PasswordGrant(mockUser, mockPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(""); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	w := lastTokenRequest(t)
	if w.Path != "/v1/oauth/oauth-business-users-for-applications/revoke" || w.Body != "token="+url.QueryEscape(tok.RefreshToken) {
		t.Errorf("revoke request %s %q", w.Path, w.Body)
	}
	if s := stats(t); s.RevokeRequests != 1 {
		t.Errorf("revoke_requests %d", s.RevokeRequests)
	}
	// The revoked refresh token no longer refreshes.
	if _, err := c.Refresh(tok.RefreshToken); !errors.Is(err, ErrInvalidGrant) {
		t.Errorf("refresh after revoke: %v", err)
	}
	// And its access token no longer opens the API: a client holding only it gets the 401.
	c2 := newClient(t, func(c *Config) { c.Grant = "none" })
	if err := c2.SetToken(&Token{AccessToken: tok.AccessToken}); err != nil {
		t.Fatal(err)
	}
	resp, err := c2.Request("GET", "/v1/private/x", nil, "")
	if err == nil && resp.StatusCode != 401 {
		t.Errorf("revoked access token still works: %d", resp.StatusCode)
	}
}

func TestInvalidateToken(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	tok, err := c.Token()
	if err != nil {
		t.Fatal(err)
	}
	// Invalidating another value leaves the current token alone.
	if err := c.InvalidateToken("not-the-current-token"); err != nil {
		t.Fatal(err)
	}
	if cur, _ := c.Token(); cur.AccessToken != tok.AccessToken || stats(t).TokenRequests != 1 {
		t.Fatalf("invalidating a stale value renewed the token")
	}
	if err := c.InvalidateToken(tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	cur, err := c.Token()
	if err != nil {
		t.Fatal(err)
	}
	s := stats(t)
	if cur.AccessToken == tok.AccessToken || s.TokenRequests != 2 {
		t.Errorf("after InvalidateToken: same token %v, token requests %d", cur.AccessToken == tok.AccessToken, s.TokenRequests)
	}
	// It renewed with the refresh token rather than the password.
	if s.Grants["refresh_token"] != 1 {
		t.Errorf("grants %v", s.Grants)
	}
}

func TestSetTokenRoundTripsThroughJSON(t *testing.T) {
	resetMock(t)
	a := newClient(t, nil)
	tok, err := a.PasswordGrant(mockUser, mockPassword)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	var back Token
	if err := json.Unmarshal(stored, &back); err != nil {
		t.Fatal(err)
	}
	b := newClient(t, func(c *Config) { c.Grant = "none" })
	if err := b.SetToken(&back); err != nil {
		t.Fatalf("SetToken: %v", err)
	}
	cur, err := b.Token()
	if err != nil {
		t.Fatal(err)
	}
	if cur.AccessToken != tok.AccessToken || cur.RefreshToken != tok.RefreshToken || cur.TokenType != tok.TokenType ||
		cur.ExpiresIn != tok.ExpiresIn || !cur.Expiry.Equal(tok.Expiry) || string(cur.Raw) != string(tok.Raw) {
		t.Errorf("round trip changed the token:\n got %+v %s\nwant %+v %s", cur, cur.Raw, tok, tok.Raw)
	}
	if stats(t).TokenRequests != 1 {
		t.Errorf("SetToken/Token made token requests")
	}
	// The set token's refresh token works for b.
	refreshed, err := b.Refresh("")
	if err != nil {
		t.Fatalf("refresh of a set token: %v", err)
	}
	// An expired token given to SetToken is renewed by the next Token(), with its refresh token.
	exp := &Token{AccessToken: "expired-value", RefreshToken: refreshed.RefreshToken, Expiry: time.Now().Add(-time.Hour)}
	c := newClient(t, nil)
	if err := c.SetToken(exp); err != nil {
		t.Fatal(err)
	}
	before := stats(t).Grants["refresh_token"]
	got, err := c.Token()
	if err != nil || got.AccessToken == "expired-value" {
		t.Fatalf("Token() after setting an expired token: %v", err)
	}
	if stats(t).Grants["refresh_token"] != before+1 {
		t.Errorf("the expired token was not renewed by its refresh token")
	}
	if err := c.SetToken(&Token{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("SetToken(empty): %v", err)
	}
}

// A token built by hand with ExpiresIn alone (no Expiry, as oauth2.Token's wire field) is taken
// as received now: it keeps its lifetime instead of becoming a token of unknown expiry.
func TestSetTokenWithExpiresInOnly(t *testing.T) {
	c := newClient(t, func(c *Config) { c.Grant = "none" })
	if err := c.SetToken(&Token{AccessToken: "hand-made", ExpiresIn: 3600}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Token()
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != "hand-made" || got.ExpiresIn != 3600 || got.Expiry.Before(time.Now().Add(3590*time.Second)) ||
		got.Expiry.After(time.Now().Add(3601*time.Second)) {
		t.Errorf("got %+v, expiry %v; want ExpiresIn 3600 and an expiry an hour from now", got, got.Expiry)
	}
	// Neither ExpiresIn nor Expiry: no known expiry.
	if err := c.SetToken(&Token{AccessToken: "no-expiry"}); err != nil {
		t.Fatal(err)
	}
	if got, err = c.Token(); err != nil || got.ExpiresIn != -1 || !got.Expiry.IsZero() {
		t.Errorf("no-expiry token: %+v %v", got, err)
	}
}

func TestRequest(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	resp, err := c.Request("GET", "/v1/private/business-units/123/reviews?page=2", nil, "")
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("response %d %v", resp.StatusCode, resp.Header)
	}
	var echo map[string]interface{}
	if err := json.Unmarshal(resp.Body, &echo); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	if echo["method"] != "GET" || echo["path"] != "/v1/private/business-units/123/reviews" || echo["query"] != "page=2" {
		t.Errorf("echo %v", echo)
	}
	tok, _ := c.Token()
	w := lastAPIRequest(t)
	if w.header("authorization") != "Bearer "+tok.AccessToken || w.header("apikey") != mockKey {
		t.Errorf("API request headers %v", w.Headers)
	}
	// A body (binary, with a NUL) and a content type; a full URL.
	body := []byte("{\"a\":1}\x00\xff")
	resp, err = c.Request("POST", mockBase+"/v1/private/things", body, "application/octet-stream")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST: %v %v", resp, err)
	}
	echo = nil
	_ = json.Unmarshal(resp.Body, &echo)
	if echo["method"] != "POST" || echo["content_type"] != "application/octet-stream" {
		t.Errorf("echo %v", echo)
	}
	if w := lastAPIRequest(t); w.Body != string(body) && !strings.HasPrefix(w.Body, "{\"a\":1}") {
		t.Errorf("body on the wire %q", w.Body)
	}
	// An API error is a Response, not an error.
	faultMock(t, map[string]interface{}{"kind": "html_500", "target": "api"})
	resp, err = c.Request("GET", "/v1/private/x", nil, "")
	if err != nil || resp.StatusCode != 500 {
		t.Errorf("500 from the API: %v %v", resp, err)
	}
}

func TestRequestRenewsOnce401(t *testing.T) {
	resetMock(t)
	c := newClient(t, nil)
	if _, err := c.Token(); err != nil {
		t.Fatal(err)
	}
	mockPost(t, "/_mock/expire", nil)
	resp, err := c.Request("GET", "/v1/private/x", nil, "")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Request after expiry: %v %v", resp, err)
	}
	s := stats(t)
	if s.API401 != 1 || s.TokenRequests != 2 || s.APIRequests != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestNewFromEnv(t *testing.T) {
	resetMock(t)
	t.Setenv("TRUSTPILOT_API_KEY", mockKey)
	t.Setenv("TRUSTPILOT_API_SECRET", mockSecret)
	t.Setenv("TRUSTPILOT_USERNAME", mockUser)
	t.Setenv("TRUSTPILOT_PASSWORD", mockPassword)
	t.Setenv("TRUSTPILOT_API_HOST", mockBase)
	t.Setenv("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true")
	c, err := NewFromEnv()
	if err != nil {
		t.Fatalf("NewFromEnv: %v", err)
	}
	defer c.Close()
	if _, err := c.Token(); err != nil {
		t.Fatalf("Token: %v", err)
	}
	if s := stats(t); s.Grants["password"] != 1 {
		t.Errorf("grants %v", s.Grants)
	}
	t.Setenv("TRUSTPILOT_API_KEY", "")
	t.Setenv("TRUSTPILOT_API_SECRET", "")
	if c, err := NewFromEnv(); !errors.Is(err, ErrInvalidArgument) {
		if c != nil {
			c.Close()
		}
		t.Errorf("NewFromEnv without a key: %v", err)
	}
}

func TestClose(t *testing.T) {
	c, err := New(mockConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := c.Token(); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Token after Close: %v", err)
	}
	if _, err := c.Request("GET", "/x", nil, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Request after Close: %v", err)
	}
}

func TestTimeoutOption(t *testing.T) {
	resetMock(t)
	faultMock(t, map[string]interface{}{"kind": "slow", "delay_ms": 3000, "count": 1})
	c := newClient(t, func(c *Config) {
		c.Timeout = 300 * time.Millisecond
		c.Options = map[string]string{"max_retries": "0"}
	})
	start := time.Now()
	_, err := c.PasswordGrant(mockUser, mockPassword)
	var te *Error
	if !errors.Is(err, ErrTimeout) || !errors.As(err, &te) || !te.Timeout() {
		t.Fatalf("slow server: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the 300ms timeout took %v", d)
	}
	// The mock still answers the abandoned request when its delay ends (and issues a token):
	// wait for that, so that it does not land in the next test's counts.
	for deadline := time.Now().Add(30 * time.Second); stats(t).Grants["password"] == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	resetMock(t)
}
