"""Construction, options, from_env, bad input, Token persistence and repr: no secret anywhere."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import pytest

import tpauth
import tpauth.aio
from conftest import KEY, PASSWORD, SECRET, USER, Mock, header, make_auth


def test_unknown_keyword_is_a_type_error_naming_it(mock: Mock) -> None:
    with pytest.raises(TypeError, match="tiemout_ms"):
        make_auth(mock, tiemout_ms=5)
    with pytest.raises(TypeError, match="bogus"):
        tpauth.Auth.from_env(bogus=1)


def test_unknown_keyword_is_also_invalid_argument(mock: Mock) -> None:
    # The contract (docs/contract.md §2): an unknown option gives TP_ERR_INVALID_ARGUMENT; in Python that is tpauth.InvalidArgument.
    with pytest.raises(tpauth.InvalidArgument, match="bogus") as info:
        make_auth(mock, bogus=1)
    assert info.value.status == tpauth.Status.INVALID_ARGUMENT == 1
    assert isinstance(info.value, tpauth.Error) and isinstance(info.value, TypeError)
    with pytest.raises(tpauth.Error):
        tpauth.Auth.from_env(bogus=1)
    assert mock.stats()["token_requests"] == 0


def test_option_keywords_are_converted(mock: Mock) -> None:
    auth = make_auth(mock, max_retries=0, refresh_leeway_s=5, user_agent="my-app/1.0", connect_timeout_ms=2000)
    auth.get_token()
    assert header(mock.last_token_request(), "user-agent") == "my-app/1.0"
    assert tpauth.OPTION_KEYS[0] == "api_base_url" and "token_cache" in tpauth.OPTION_KEYS


@pytest.mark.parametrize(
    "kw",
    [
        {"grant": "bogus"},
        {"client_auth": "nope"},
        {"refresh_endpoint": "x"},
        {"max_retries": -1},
        {"timeout": 0},
        {"timeout": -1.0},
        {"timeout": float("nan")},
        {"api_base_url": "not a url"},
        {"proxy": "socks5://x"},
    ],
)
def test_bad_option_values_are_invalid_argument(mock: Mock, kw: Any) -> None:
    with pytest.raises(tpauth.InvalidArgument) as ei:
        make_auth(mock, **kw)
    assert ei.value.status == tpauth.Status.INVALID_ARGUMENT and isinstance(ei.value, ValueError)


def test_http_needs_allow_insecure_http_and_loopback() -> None:
    with pytest.raises(tpauth.InvalidArgument):
        tpauth.Auth(KEY, SECRET, api_base_url="http://127.0.0.1:1")
    with pytest.raises(tpauth.InvalidArgument):
        tpauth.Auth(KEY, SECRET, api_base_url="http://example.com", allow_insecure_http=True)
    tpauth.Auth(KEY, SECRET, api_base_url="http://localhost:1", allow_insecure_http=True)


@pytest.mark.parametrize(
    "call",
    [
        lambda: tpauth.Auth(None, SECRET),  # type: ignore[arg-type]
        lambda: tpauth.Auth(KEY, 123),  # type: ignore[arg-type]
        lambda: tpauth.Auth(KEY, SECRET, api_base_url=5),  # type: ignore[arg-type]
        lambda: tpauth.Auth(KEY, SECRET, timeout="slow"),  # type: ignore[arg-type]
        lambda: tpauth.Auth(KEY, SECRET, allow_insecure_http="yes"),  # type: ignore[arg-type]
        lambda: tpauth.Auth(KEY),  # type: ignore[call-arg]
        lambda: tpauth.parse_code_redirect(None),  # type: ignore[arg-type]
        lambda: tpauth.Token.from_json(b"{}"),  # type: ignore[arg-type]
        lambda: tpauth.Token(),  # type: ignore[call-arg]
    ],
)
def test_wrong_types_are_type_errors(call: Any) -> None:
    with pytest.raises(TypeError):
        call()


def test_wrong_types_on_methods(mock: Mock, auth: tpauth.Auth) -> None:
    for call in (
        lambda: auth.password_grant(None, PASSWORD),
        lambda: auth.password_grant(USER, 42),
        lambda: auth.authorization_code_grant(None, "https://x/cb"),
        lambda: auth.refresh(12),
        lambda: auth.revoke(b"rt"),
        lambda: auth.invalidate_token(None),
        lambda: auth.set_token(None),
        lambda: auth.authorize_url(None),
        lambda: auth.request("GET", None),
        lambda: auth.request("POST", "/x", body=123),
        lambda: auth.request("POST", "/x", body={"a": 1}),
        lambda: auth.password_grant(USER, PASSWORD, "extra"),
        lambda: auth.get_token(force=True),
    ):
        with pytest.raises(TypeError):
            call()  # type: ignore[no-untyped-call]
    for call in (
        lambda: auth.password_grant("", PASSWORD),
        lambda: auth.password_grant(USER, ""),
        lambda: auth.refresh(""),
        lambda: auth.invalidate_token(""),
        lambda: auth.request("GET", "/x\r\nInjected: 1"),
    ):
        with pytest.raises(tpauth.InvalidArgument):
            call()
    assert mock.stats()["token_requests"] == 0


def test_from_env(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPILOT_API_KEY", KEY)
    monkeypatch.setenv("TRUSTPILOT_API_SECRET", SECRET)
    monkeypatch.setenv("TRUSTPILOT_USERNAME", USER)
    monkeypatch.setenv("TRUSTPILOT_PASSWORD", PASSWORD)
    monkeypatch.setenv("TRUSTPILOT_API_HOST", mock.base)
    monkeypatch.setenv("TRUSTPILOT_USER_AGENT", "from-env/2")
    with pytest.raises(tpauth.InvalidArgument):
        tpauth.Auth.from_env()  # http:// needs allow_insecure_http
    auth = tpauth.Auth.from_env(allow_insecure_http=True)  # keyword override; a bool becomes "true"
    assert auth.api_key == KEY and auth.api_base_url == mock.base
    assert auth.request("GET", "/v1/x").status == 200
    req = mock.last_token_request()
    assert "grant_type=password" in req["body"] and header(req, "user-agent") == "from-env/2"
    monkeypatch.setenv("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true")
    monkeypatch.setenv("TRUSTPILOT_BUSINESS_USER_ID", "bu-1")
    assert tpauth.Auth.from_env().business_user_id == "bu-1"
    monkeypatch.delenv("TRUSTPILOT_API_KEY")
    with pytest.raises(tpauth.InvalidArgument):
        tpauth.Auth.from_env()


def test_from_env_api_base_url_wins_and_unknown_names_warn(
    mock: Mock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for k, v in {"TRUSTPILOT_API_KEY": KEY, "TRUSTPILOT_API_SECRET": SECRET, "TRUSTPILOT_USERNAME": USER,
                 "TRUSTPILOT_PASSWORD": PASSWORD, "TRUSTPILOT_ALLOW_INSECURE_HTTP": "true"}.items():
        monkeypatch.setenv(k, v)
    # The option's own name wins over the official client's (here a closed port).
    monkeypatch.setenv("TRUSTPILOT_API_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("TRUSTPILOT_API_BASE_URL", mock.base)
    monkeypatch.setenv("TRUSTPILOT_TOKENCACHE", "/tmp/value-never-logged")
    with caplog.at_level("WARNING", logger="tpauth"):
        auth = tpauth.Auth.from_env()
    assert auth.api_base_url == mock.base
    assert auth.request("GET", "/v1/x").status == 200
    warnings = [r.getMessage() for r in caplog.records if r.name == "tpauth"]
    assert len(warnings) == 1 and "TRUSTPILOT_TOKENCACHE" in warnings[0], warnings
    assert "value-never-logged" not in warnings[0]


def test_token_json_roundtrip_and_pickle(mock: Mock, auth: tpauth.Auth) -> None:
    tok = auth.get_token()
    s = tok.to_json()
    back = tpauth.Token.from_json(s)
    for attr in ("access_token", "refresh_token", "token_type", "expires_in", "expires_at", "raw"):
        assert getattr(back, attr) == getattr(tok, attr), attr
    p = pickle.loads(pickle.dumps(tok))
    assert p.access_token == tok.access_token and p.expires_at == tok.expires_at
    plain = tpauth.Token.from_json('{"access_token": "AT", "expires_in": 10}')
    assert plain.access_token == "AT" and plain.expires_in == 10 and plain.refresh_token is None
    noexp = tpauth.Token.from_json('{"access_token": "AT"}')
    assert noexp.expires_in is None and noexp.expires_at is None and not noexp.is_expired(10**6)
    for bad in ("", "not json", "[]", '{"no": "token"}'):
        with pytest.raises(tpauth.Error):
            tpauth.Token.from_json(bad)


def test_no_secret_in_any_repr_or_error(mock: Mock) -> None:
    secret_pw = "pw-SENSITIVE-1"
    mock.config(password=secret_pw)
    auth = make_auth(mock, password=secret_pw)
    tok = auth.get_token()
    resp = auth.request("GET", "/v1/x")
    secrets = [SECRET, secret_pw, tok.access_token, tok.refresh_token]
    texts = [repr(auth), str(auth), repr(tok), str(tok), repr(resp), repr(tpauth.RequestsAuth(auth)), repr(tpauth.HttpxAuth(auth))]
    assert "<redacted>" in repr(tok) and "BearerToken" in repr(tok)
    for call in (
        lambda: auth.password_grant(USER, secret_pw + "x"),
        lambda: auth.refresh(tok.refresh_token + "x"),  # type: ignore[operator]
        lambda: tpauth.Auth(KEY, SECRET, api_base_url="http://bad host", password=secret_pw),
        lambda: tpauth.Token.from_json('{"access_token": "' + tok.access_token + '", "expires_in": "x"}'),
    ):
        with pytest.raises(tpauth.Error) as ei:
            call()
        texts += [str(ei.value), repr(ei.value)]
    for t in texts:
        for s in secrets:
            assert s is not None and s not in t, (s, t)


def test_the_compiled_core_is_the_packages_release() -> None:
    from tpauth import _version

    # The wheel installed for these tests ships both: same version, checked at import.
    assert _version.installed_version() == tpauth.__version__
    assert _version.mismatch(tpauth.__version__, tpauth.__version__) is None
    msg = _version.mismatch(tpauth.__version__, "9.9.9")
    assert msg is not None and "9.9.9" in msg and tpauth.__version__ in msg


def test_repr_shows_api_base_url_as_the_core_redacts_it(mock: Mock) -> None:
    auth = make_auth(mock, api_base_url="https://user:s3cr3t-pw@api.example.com/base?token=q-s3cret")
    for text in (repr(auth), repr(tpauth.RequestsAuth(auth)), repr(tpauth.HttpxAuth(auth)), repr(tpauth.aio.Auth.wrap(auth))):
        assert "'https://***@api.example.com/base'" in text, text
        assert "s3cr3t-pw" not in text and "q-s3cret" not in text and "user:" not in text, text


def test_status_is_the_cores_table() -> None:
    from tpauth import _tpauth
    from tpauth._errors import _BY_STATUS

    header = (Path(__file__).resolve().parents[3] / "include" / "tpauth.h").read_text()
    c_names = [(m.group(1)[3:].replace("ERR_", "", 1), int(m.group(2))) for m in re.finditer(r"^\s+(TP_OK|TP_ERR_[A-Z_]+) = (\d+),?$", header, re.M)]
    assert len(c_names) >= 14
    assert [(s.name, s.value) for s in tpauth.Status] == c_names == [(n, c) for c, n in _tpauth.STATUSES]
    # every status but OK has its exception class (named here, or made from its name)
    for s in tpauth.Status:
        if s.value:
            assert _BY_STATUS[s.value].default_status is s
