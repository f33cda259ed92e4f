"""The Python files and the compiled core (``_tpauth``) must come from one release: checked at import.

``__version__`` is the compiled core's (``tp_version``). The package's own is read from the name of
the wheel's ``.dist-info`` folder beside it, which costs one directory listing at ``import tpauth``
(``importlib.metadata`` would import ``email``, ``zipfile`` and more: tens of milliseconds)."""

from __future__ import annotations

import os

# The distribution's name as wheels spell it in their folder names (PEP 427); PyPI's `tpauth` is
# another project, so a folder of that name counts only if its RECORD lists our compiled core.
_DIST_PREFIXES = ("trustpilot_auth-", "tpauth-")
_SUFFIX = ".dist-info"


def mismatch(core: str, package: str | None) -> str | None:
    """Why a core of version ``core`` cannot serve package files of version ``package`` (None: it can,
    or the package's version is unknown, as in a source checkout)."""
    if package is None or package == core:
        return None
    return (
        f"tpauth: the Python package is version {package} but its compiled core (tpauth._tpauth) is {core}: "
        "reinstall the package so that both come from the same wheel"
    )


def installed_version() -> str | None:
    """The version of the installed distribution that ships this package, if any (None in a source
    checkout or an editable install, whose package folder has no ``.dist-info`` beside it)."""
    site = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        names = os.listdir(site)
    except OSError:
        return None
    for name in names:
        if not name.endswith(_SUFFIX) or not name.startswith(_DIST_PREFIXES):
            continue
        try:
            with open(os.path.join(site, name, "RECORD"), encoding="utf-8") as f:
                ships_core = "tpauth/_tpauth" in f.read()
        except OSError:
            continue
        if ships_core:
            return name[name.index("-") + 1 : -len(_SUFFIX)]
    return None
