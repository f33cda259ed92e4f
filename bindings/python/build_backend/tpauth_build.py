"""trustpilot-auth's build backend: maturin's, after one check.

pip builds from the sdist only where no wheel fits (another OS or CPU, an old pip that cannot
read the wheels' tags). Building needs Rust; without it maturin downloads a whole toolchain
(~900 MB) or, offline, fails with a long traceback that never says why. So a build without
``cargo`` on PATH stops first, saying what to do. ``TPAUTH_ALLOW_RUST_BOOTSTRAP=1`` lets maturin
download Rust instead.
"""

from __future__ import annotations

import os
import shutil

import maturin as _maturin

NO_RUST = (
    "trustpilot-auth: no wheel for this platform; install Rust or use a supported platform. "
    "Prebuilt wheels (Python 3.9+): Linux x86_64/aarch64 (glibc 2.17+, musl 1.2+), macOS 11+ arm64 and "
    "10.13+ x86_64, Windows x64; elsewhere pip builds from source, which needs Rust "
    "(https://rustup.rs: cargo on PATH), or set TPAUTH_ALLOW_RUST_BOOTSTRAP=1 to let maturin download a "
    "toolchain (~900 MB)."
)


def _need_rust() -> None:
    if shutil.which("cargo") is None and not os.environ.get("TPAUTH_ALLOW_RUST_BOOTSTRAP"):
        raise SystemExit(NO_RUST)


def get_requires_for_build_wheel(config_settings=None):
    _need_rust()
    return _maturin.get_requires_for_build_wheel(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _need_rust()
    return _maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _need_rust()
    return _maturin.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _need_rust()
    return _maturin.build_editable(wheel_directory, config_settings, metadata_directory)


def get_requires_for_build_sdist(config_settings=None):
    return _maturin.get_requires_for_build_sdist(config_settings)


def build_sdist(sdist_directory, config_settings=None):
    return _maturin.build_sdist(sdist_directory, config_settings)
