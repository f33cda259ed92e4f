"""Grants, refresh, revoke and the browser flows: the bytes on the wire and what the caller gets."""

from __future__ import annotations

import base64
import time
import urllib.parse

import pytest

import tpauth
from conftest import KEY, PASSWORD, SECRET, TOKEN_PATH, USER, Mock, header, make_auth

REFRESH_PATH = "/v1/oauth/oauth-business-users-for-applications/refresh"
REVOKE_PATH = "/v1/oauth/oauth-business-users-for-applications/revoke"
REDIRECT = "https://app.example.com/callback"


def form(body: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True))


def test_password_grant_wire_and_token(mock: Mock, auth: tpauth.Auth) -> None:
    before = time.time()
    tok = auth.password_grant(USER, PASSWORD)
    req = mock.last_token_request()
    assert req["method"] == "POST" and req["path"] == TOKEN_PATH
    assert header(req, "authorization") == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert header(req, "content-type", ).startswith("application/x-www-form-urlencoded")  # type: ignore[union-attr]
    assert req["body"] == "grant_type=password&username=user%40example.com&password=mock-password"
    assert isinstance(tok, tpauth.Token)
    assert tok.access_token and tok.refresh_token and tok.access_token != tok.refresh_token
    assert tok.token_type == "BearerToken"
    assert tok.expires_in == 359999
    assert tok.expires_at is not None and before + 359999 - 2 <= tok.expires_at <= time.time() + 359999 + 2
    raw = tok.raw
    assert isinstance(raw, dict) and raw["organization_name"] == "mock" and raw["expires_in"] == "359999"
    raw["access_token"] = "changed"
    assert tok.raw["access_token"] == tok.access_token  # raw is a fresh copy
    assert not tok.is_expired() and not tok.is_expired(leeway=1000)
    assert tok.is_expired(leeway=360000)
    assert mock.stats()["grants"]["password"] == 1


def test_password_with_reserved_characters_is_form_encoded(mock: Mock) -> None:
    pw = "p&ss=wo+rd %41ü/?#"
    mock.config(password=pw)
    auth = make_auth(mock, password=pw)
    auth.password_grant(USER, pw)
    body = mock.last_token_request()["body"]
    assert form(body)["password"] == pw
    assert "p%26ss%3Dwo%2Brd%20%2541%C3%BC%2F%3F%23" in body or "p%26ss%3Dwo%2Brd+%2541%C3%BC%2F%3F%23" in body


def test_wrong_password_is_invalid_grant_without_the_password(mock: Mock, auth: tpauth.Auth) -> None:
    with pytest.raises(tpauth.InvalidGrant) as ei:
        auth.password_grant(USER, "wrong-secret-pw")
    e = ei.value
    assert isinstance(e, tpauth.Error)
    assert e.status == tpauth.Status.INVALID_GRANT == 6
    assert e.http_status == 400 and e.oauth_code == "invalid_grant" and e.retry_after is None
    for text in (str(e), repr(e), e.message):
        assert "wrong-secret-pw" not in text and SECRET not in text


def test_wrong_secret_is_unauthorized(mock: Mock) -> None:
    auth = tpauth.Auth(KEY, "not-the-secret-xyz", api_base_url=mock.base, allow_insecure_http=True)
    with pytest.raises(tpauth.Unauthorized) as ei:
        auth.password_grant(USER, PASSWORD)
    e = ei.value
    assert e.status == tpauth.Status.UNAUTHORIZED and e.http_status == 401 and e.oauth_code == "invalid_client"
    assert "not-the-secret-xyz" not in str(e) + repr(e) and PASSWORD not in str(e)


@pytest.mark.parametrize("client_auth", ["basic", "basic_form", "post"])
def test_client_auth_option(mock: Mock, client_auth: str) -> None:
    auth = make_auth(mock, client_auth=client_auth)
    auth.password_grant(USER, PASSWORD)
    req = mock.last_token_request()
    if client_auth == "post":
        assert header(req, "authorization") is None
        assert form(req["body"])["client_secret"] == SECRET
    else:
        assert header(req, "authorization", ).startswith("Basic ")  # type: ignore[union-attr]


def test_client_credentials_grant(mock: Mock) -> None:
    auth = make_auth(mock, username=None, password=None, business_user_id="mock-business-user-id")
    tok = auth.client_credentials_grant()
    assert mock.last_token_request()["body"] == "grant_type=client_credentials"
    assert tok.refresh_token is None and tok.access_token
    resp = auth.request("GET", "/v1/private/business-units/x")
    assert resp.status == 200 and resp.json()["business_user_id"] == "mock-business-user-id"
    assert header(mock.last_api_request(), "x-business-user-id") == "mock-business-user-id"
    assert mock.stats()["grants"]["client_credentials"] == 1


def test_authorization_code_flow(mock: Mock, auth: tpauth.Auth) -> None:
    state = tpauth.new_state()
    url = auth.authorize_url(REDIRECT, state=state)
    q = form(urllib.parse.urlsplit(url).query)
    assert url.startswith(mock.base + "/authenticate?")
    assert q == {"client_id": KEY, "redirect_uri": REDIRECT, "response_type": "code", "state": state}
    location = mock.browse(url)
    code = tpauth.parse_code_redirect(location, expected_state=state)
    assert code and tpauth.parse_code_redirect(location) == code
    tok = auth.authorization_code_grant(code, REDIRECT)
    assert tok.refresh_token
    assert form(mock.last_token_request()["body"]) == {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    with pytest.raises(tpauth.InvalidGrant):
        auth.authorization_code_grant(code, REDIRECT)  # single use
    assert mock.stats()["token_requests"] == 2  # the failed exchange is never retried


def test_redirect_uri_must_be_https(mock: Mock, auth: tpauth.Auth) -> None:
    with pytest.raises(tpauth.InvalidArgument):
        auth.authorize_url("http://app.example.com/cb")
    with pytest.raises(tpauth.InvalidArgument):
        auth.authorization_code_grant("some-code", "http://app.example.com/cb")
    assert mock.stats()["token_requests"] == 0


def test_implicit_flow(mock: Mock, auth: tpauth.Auth) -> None:
    state = tpauth.new_state()
    url = auth.authorize_url(REDIRECT, "token", state)
    assert form(urllib.parse.urlsplit(url).query)["response_type"] == "token"
    location = mock.browse(url)
    tok = tpauth.parse_implicit_redirect(location, expected_state=state)
    assert tok.access_token and tok.token_type == "bearer" and tok.refresh_token is None
    fresh = make_auth(mock, grant="none")
    fresh.set_token(tok)
    assert fresh.get_token().access_token == tok.access_token
    assert fresh.request("GET", "/v1/x").status == 200
    assert mock.stats()["token_requests"] == 0


def test_redirect_errors(mock: Mock, auth: tpauth.Auth) -> None:
    with pytest.raises(tpauth.StateMismatch) as ei:
        tpauth.parse_code_redirect("https://app.example.com/cb?code=abc&state=one", "two")
    assert ei.value.status == tpauth.Status.STATE_MISMATCH and ei.value.http_status is None
    with pytest.raises(tpauth.StateMismatch):
        tpauth.parse_implicit_redirect("https://app.example.com/cb#access_token=AT&state=one", "two")
    mock.config(deny=True)
    location = mock.browse(auth.authorize_url(REDIRECT, state="s1"))
    with pytest.raises(tpauth.AccessDenied) as e2:
        tpauth.parse_code_redirect(location, "s1")
    assert e2.value.oauth_code == "access_denied" and e2.value.http_status is None
    with pytest.raises(tpauth.InvalidArgument):
        tpauth.parse_code_redirect("not a url")
    with pytest.raises(tpauth.InvalidArgument):
        auth.authorize_url(REDIRECT, response_type="id_token")


def test_new_state() -> None:
    states = {tpauth.new_state() for _ in range(100)}
    assert len(states) == 100
    for s in states:
        assert len(s) >= 22 and urllib.parse.quote(s, safe="") == s


def test_refresh_rotates_and_voids_the_old_token(mock: Mock, auth: tpauth.Auth) -> None:
    first = auth.password_grant(USER, PASSWORD)
    second = auth.refresh()
    req = mock.last_token_request()
    assert req["path"] == REFRESH_PATH
    assert form(req["body"]) == {"grant_type": "refresh_token", "refresh_token": first.refresh_token}
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    assert auth.get_token().access_token == second.access_token
    with pytest.raises(tpauth.InvalidGrant):
        auth.refresh(first.refresh_token)
    third = auth.refresh(second.refresh_token)
    assert third.refresh_token != second.refresh_token


def test_refresh_endpoint_accesstoken(mock: Mock) -> None:
    auth = make_auth(mock, refresh_endpoint="accesstoken")
    auth.password_grant(USER, PASSWORD)
    auth.refresh()
    assert mock.last_token_request()["path"] == TOKEN_PATH


def test_revoke(mock: Mock, auth: tpauth.Auth) -> None:
    tok = auth.password_grant(USER, PASSWORD)
    auth.revoke()
    req = mock.last_token_request()
    assert req["path"] == REVOKE_PATH and form(req["body"]) == {"token": tok.refresh_token}
    assert mock.stats()["revoke_requests"] == 1
    with pytest.raises(tpauth.InvalidGrant):
        auth.refresh(tok.refresh_token)
    other = auth.password_grant(USER, PASSWORD)
    auth.revoke(other.refresh_token)
    assert form(mock.last_token_request()["body"]) == {"token": other.refresh_token}


def test_nothing_to_refresh_or_revoke_is_no_token(mock: Mock) -> None:
    auth = make_auth(mock, grant="none")
    for call in (auth.refresh, auth.revoke, auth.get_token):
        with pytest.raises(tpauth.NoToken) as ei:
            call()
        assert ei.value.status == tpauth.Status.NO_TOKEN
    cc = make_auth(mock, username=None, password=None)
    cc.client_credentials_grant()
    with pytest.raises(tpauth.NoToken):
        cc.refresh()
    assert mock.stats()["token_requests"] == 1
