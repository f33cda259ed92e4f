"""Fixtures: one mock server (`tpauth mock --port 0`) for the session, reset before every test."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest

import tpauth

REPO = Path(__file__).resolve().parents[3]
KEY, SECRET = "mock-api-key", "mock-api-secret"
USER, PASSWORD = "user@example.com", "mock-password"
TOKEN_PATH = "/v1/oauth/oauth-business-users-for-applications/accesstoken"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Mock:
    """The running mock and its control endpoints (spoken with urllib, not with tpauth)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self._opener = urllib.request.build_opener(_NoRedirect)

    def _call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
        return json.loads(text) if text.strip() else None

    def stats(self) -> Dict[str, Any]:
        return self._call("GET", "/_mock/stats")  # type: ignore[no-any-return]

    def reset(self) -> None:
        self._call("POST", "/_mock/reset", {})

    def config(self, **cfg: Any) -> None:
        self._call("POST", "/_mock/config", cfg)

    def fault(self, kind: str, **kw: Any) -> None:
        self._call("POST", "/_mock/fault", {"kind": kind, **kw})

    def expire(self) -> None:
        self._call("POST", "/_mock/expire", {})

    def last_token_request(self) -> Dict[str, Any]:
        return self._call("GET", "/_mock/last_token_request")  # type: ignore[no-any-return]

    def last_api_request(self) -> Dict[str, Any]:
        return self._call("GET", "/_mock/last_api_request")  # type: ignore[no-any-return]

    def browse(self, url: str) -> str:
        """Follow the authorize URL like a browser and return the Location it redirects to."""
        try:
            with self._opener.open(url, timeout=10) as r:
                raise AssertionError(f"expected a redirect, got {r.status}")
        except urllib.error.HTTPError as e:
            assert e.code == 302, e.code
            return str(e.headers["Location"])


def header(req: Dict[str, Any], name: str) -> Optional[str]:
    for k, v in req["headers"]:
        if k == name:
            return str(v)
    return None


@pytest.fixture(scope="session")
def mock_server() -> Iterator[Mock]:
    binary = os.environ.get("TPAUTH_BIN", str(REPO / "target" / "release" / "tpauth"))
    proc = subprocess.Popen(
        [binary, "mock", "--port", "0", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip().isdigit(), f"mock did not print its port: {line!r}"
        yield Mock(int(line))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def mock(mock_server: Mock) -> Mock:
    mock_server.reset()
    return mock_server


def make_auth(mock: Mock, **kw: Any) -> tpauth.Auth:
    opts: Dict[str, Any] = dict(
        api_base_url=mock.base,
        authorize_url=mock.base + "/authenticate",
        allow_insecure_http=True,
        username=USER,
        password=PASSWORD,
    )
    opts.update(kw)
    return tpauth.Auth(KEY, SECRET, **opts)


@pytest.fixture
def auth(mock: Mock) -> tpauth.Auth:
    return make_auth(mock)
