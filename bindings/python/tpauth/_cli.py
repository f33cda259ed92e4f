"""The ``tpauth`` command (``tpauth mock``, ``tpauth token``, ``tpauth demo``, ...), installed with the
wheel: it runs the native program the wheel carries beside this module (``tpauth/_bin/tpauth``), so
that ``pip install trustpilot-auth`` then ``tpauth mock`` works with no Rust and no other download."""

from __future__ import annotations

import os
import sys


def _program() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bin", "tpauth.exe" if os.name == "nt" else "tpauth")


def main() -> None:
    exe = _program()
    if not os.path.isfile(exe):
        sys.stderr.write(
            "tpauth: this installation has no tpauth program (it ships in the prebuilt wheels; a build from "
            "source has none): install a wheel, or build it from a checkout with "
            "`cargo build --release --features cli --bin tpauth`\n"
        )
        sys.exit(2)
    if os.name == "nt":
        import subprocess

        sys.exit(subprocess.call([exe, *sys.argv[1:]]))
    os.execv(exe, [exe, *sys.argv[1:]])


if __name__ == "__main__":
    main()
