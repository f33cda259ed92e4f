"""The costs every caller pays: what `import tpauth` loads, and what a cached `get_token()` answers."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from typing import Set

import tpauth
from conftest import Mock, make_auth

# What CLI tools, serverless cold starts and test collection would pay for at `import tpauth`.
NOT_AT_IMPORT = ("asyncio", "importlib.metadata", "email")


def imported_by(code: str) -> Set[str]:
    """The modules `python -X importtime -c code` reports importing (the interpreter's own included),
    run outside bindings/python, whose tpauth/ folder would shadow the installed package."""
    cwd = tempfile.gettempdir()
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, cwd=cwd)
    return {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}


def test_import_tpauth_loads_neither_asyncio_nor_importlib_metadata_nor_email() -> None:
    baseline = imported_by("pass")
    # The interpreter alone loads none of them, so their absence below is tpauth's doing.
    assert not [m for m in NOT_AT_IMPORT if m in baseline], baseline
    pulled = imported_by("import tpauth") - baseline
    assert {"tpauth", "tpauth._tpauth"} <= pulled, pulled
    for name in NOT_AT_IMPORT:
        assert not [m for m in pulled if m == name or m.startswith(name + ".")], f"import tpauth loaded {name}: {sorted(pulled)}"
    # What a plain Auth needs beyond the import loads nothing more of them either; tpauth.aio, asked
    # for by name, still arrives (with asyncio).
    plain = "import tpauth; tpauth.Auth('k', 's').authorize_url('https://app.example/cb')"
    assert not [m for m in imported_by(plain) - baseline if m.split(".")[0] in ("asyncio", "email")]
    assert "asyncio" in imported_by("import tpauth; tpauth.aio.Auth")


def test_the_version_is_the_compiled_cores() -> None:
    assert tpauth.__version__ == tpauth._tpauth.__version__  # type: ignore[attr-defined]


def test_a_fresh_token_is_answered_as_the_same_token_object(mock: Mock) -> None:
    auth = make_auth(mock)
    first = auth.get_token()
    assert auth.get_token() is first and auth.get_token() is first
    assert mock.stats()["token_requests"] == 1
    # Once the API refused it, the next call renews: a new token in a new object, never the cached one.
    auth.invalidate_token(first.access_token)
    second = auth.get_token()
    assert second is not first and second.access_token != first.access_token
    assert auth.get_token() is second
    assert mock.stats()["token_requests"] == 2


def test_a_token_set_by_hand_replaces_the_cached_object(mock: Mock) -> None:
    auth = make_auth(mock)
    first = auth.get_token()
    mine = tpauth.Token.from_json('{"access_token": "set-by-hand", "expires_in": 3600}')
    auth.set_token(mine)
    assert auth.get_token().access_token == "set-by-hand"
    assert auth.get_token() is not first
