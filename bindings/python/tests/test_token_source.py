"""token_source=serve:…: the binding takes its token from `tpauth serve` (no API secret in this
process), and a 401 from the API is reported to the service, which renews once."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

import tpauth

from conftest import KEY, PASSWORD, REPO, SECRET, USER, Mock


@pytest.fixture
def service(mock: Mock, tmp_path: Path) -> Iterator[Path]:
    binary = os.environ.get("TPAUTH_BIN", str(REPO / "target" / "release" / "tpauth"))
    sock = tmp_path / "tp.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPILOT_")}
    env.update(
        TRUSTPILOT_API_KEY=KEY,
        TRUSTPILOT_API_SECRET=SECRET,
        TRUSTPILOT_USERNAME=USER,
        TRUSTPILOT_PASSWORD=PASSWORD,
        TRUSTPILOT_API_HOST=mock.base,
        TRUSTPILOT_ALLOW_INSECURE_HTTP="true",
    )
    proc = subprocess.Popen(
        [binary, "serve", "--listen", f"unix:{sock}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"unix:{sock}"
        yield sock
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_the_token_comes_from_the_service_and_a_401_renews_it_there(mock: Mock, service: Path) -> None:
    clients = [
        tpauth.Auth(KEY, "", api_base_url=mock.base, allow_insecure_http=True, token_source=f"serve:unix:{service}")
        for _ in range(4)
    ]
    first = clients[0].get_token().access_token
    assert all(c.get_token().access_token == first for c in clients)
    assert all(c.request("GET", "/v1/private/x").status == 200 for c in clients)
    assert mock.stats()["token_requests"] == 1
    mock.expire()
    assert all(c.request("GET", "/v1/private/x").status == 200 for c in clients)
    assert mock.stats()["token_requests"] == 2, "four 401s, one renewal at the service"
    renewed = clients[0].get_token().access_token
    assert renewed != first and all(c.get_token().access_token == renewed for c in clients)


def test_from_env_needs_no_secret_with_a_service(mock: Mock, service: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("TRUSTPILOT_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("TRUSTPILOT_API_KEY", KEY)
    monkeypatch.setenv("TRUSTPILOT_API_HOST", mock.base)
    monkeypatch.setenv("TRUSTPILOT_ALLOW_INSECURE_HTTP", "true")
    monkeypatch.setenv("TRUSTPILOT_TOKEN_SOURCE", f"serve:unix:{service}")
    auth = tpauth.Auth.from_env()
    assert auth.request("GET", "/v1/private/x").status == 200


def test_no_service_is_a_network_error(mock: Mock, tmp_path: Path) -> None:
    auth = tpauth.Auth(KEY, "", token_source=f"serve:unix:{tmp_path / 'none.sock'}")
    with pytest.raises(tpauth.NetworkError) as e:
        auth.get_token()
    assert "none.sock" in str(e.value)
