"""The mypy-checked example that uses the whole API also runs, against the mock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import Mock


def test_whole_api_example_runs(mock: Mock) -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "whole_api.py"
    out = subprocess.run([sys.executable, str(example), mock.base], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "requests: 200" in out.stdout and "httpx: 200" in out.stdout and "aio: [200, 200]" in out.stdout
    assert "revoked: INVALID_GRANT 400 invalid_grant None" in out.stdout
    assert "mock-password" not in out.stdout + out.stderr
