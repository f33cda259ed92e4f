"""The Python files and the compiled core (``_tpauth``) must come from one release: checked at import."""

from __future__ import annotations

from typing import Optional


def mismatch(core: str, package: Optional[str]) -> Optional[str]:
    """Why a core of version ``core`` cannot serve package files of version ``package`` (None: it can,
    or the package's version is unknown, as in a source checkout)."""
    if package is None or package == core:
        return None
    return (
        f"tpauth: the Python package is version {package} but its compiled core (tpauth._tpauth) is {core}: "
        "reinstall the package so that both come from the same wheel"
    )


def installed_version() -> Optional[str]:
    """The version of the installed distribution that ships this package, if any."""
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover (Python < 3.8)
        return None
    for name in ("trustpilot-auth", "tpauth"):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if any(str(f).replace("\\", "/").startswith("tpauth/_tpauth") for f in dist.files or ()):
            return dist.version
    return None
