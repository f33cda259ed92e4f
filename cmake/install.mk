# A plain `make install` for those who do not drive CMake themselves:
#   make -f cmake/install.mk install PREFIX=/usr/local [DESTDIR=/tmp/stage] [CMAKE_ARGS=-D...]
# Builds libtpauth (scripts/build-native.sh) and installs it with CMake (see CMakeLists.txt).
PREFIX ?= /usr/local
CMAKE ?= cmake
CMAKE_ARGS ?=
SRC_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BUILD_DIR ?= $(SRC_DIR)/target/cmake

.PHONY: all install uninstall
all:
	$(CMAKE) -S "$(SRC_DIR)" -B "$(BUILD_DIR)" -DCMAKE_INSTALL_PREFIX="$(PREFIX)" $(CMAKE_ARGS)
	$(CMAKE) --build "$(BUILD_DIR)"

install: all
	DESTDIR="$(DESTDIR)" $(CMAKE) --install "$(BUILD_DIR)" --prefix "$(PREFIX)"

uninstall:
	xargs -r -d '\n' rm -f < "$(BUILD_DIR)/install_manifest.txt"
