"""``tpauth.Status``: the C ABI's status numbers, built from the core's own table
(``tpauth::Status::ALL``, exported by the native module as ``STATUSES``): a status added to the core
is here without a change to this package. ``_status.pyi`` gives type checkers the same members; it
is generated from the same table (``scripts/gen-headers.sh``)."""

from __future__ import annotations

import enum

from ._tpauth import STATUSES

Status = enum.IntEnum("Status", [(name, code) for code, name in STATUSES], module=__name__, qualname="Status")
Status.__doc__ = "The C ABI's ``tp_status`` numbers (fixed forever), from the core's table."
