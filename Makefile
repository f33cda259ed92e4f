# Conveniences over the scripts; the scripts are the source of truth.
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all test demo install bench headers
all:
	scripts/build-native.sh
test:
	scripts/test-all.sh
demo:
	cargo run --release --features cli --bin tpauth -- demo
install: all
	$(MAKE) -f cmake/install.mk install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
headers:
	scripts/gen-headers.sh
bench:
	bench/run.sh
