# A plain `make install` for those who do not drive CMake themselves:
#   make -f cmake/install.mk install PREFIX=/usr/local [DESTDIR=/tmp/stage]
# Builds libtpauth (scripts/build-native.sh) and installs it with CMake (see CMakeLists.txt).
PREFIX ?= /usr/local
BUILD_DIR ?= target/cmake
CMAKE ?= cmake
SRC_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)

.PHONY: all install uninstall
all:
	$(CMAKE) -S "$(SRC_DIR)" -B "$(SRC_DIR)/$(BUILD_DIR)" -DCMAKE_INSTALL_PREFIX="$(PREFIX)"
	$(CMAKE) --build "$(SRC_DIR)/$(BUILD_DIR)"

install: all
	DESTDIR="$(DESTDIR)" $(CMAKE) --install "$(SRC_DIR)/$(BUILD_DIR)" --prefix "$(PREFIX)"

uninstall:
	xargs -r -d '\n' rm -f < "$(SRC_DIR)/$(BUILD_DIR)/install_manifest.txt"
