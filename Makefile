# mod_certauthz: `make`, `make install`, `make test`, `make demo`, `make bench`.
# Missing Debian packages are installed first (scripts/deps.sh).

APXS ?= $(shell command -v apxs 2>/dev/null || command -v apxs2 2>/dev/null || echo apxs)
CC ?= cc

SRC_C = src/certinfo.c src/reason.c src/rule.c src/hexid.c src/logfields.c \
	src/status.c src/revocation.c
SRC_H = $(SRC_C:.c=.h)
LIBS = -lcrypto -lpcre2-8

WFLAGS = -Wall -Wextra -Werror
APXS_CFLAGS = $(foreach f,$(WFLAGS) -Wno-missing-field-initializers,-Wc,$(f))

MODULE = .libs/mod_certauthz.so

.PHONY: all deps install clean test unit demo format bench-rule bench bench-tools

all: $(MODULE)

deps:
	@sh scripts/deps.sh

$(MODULE): mod_certauthz.c $(SRC_C) $(SRC_H)
	@mkdir -p build
	@echo "apxs: building $(MODULE)"
	@$(APXS) -c $(APXS_CFLAGS) -o mod_certauthz.la mod_certauthz.c $(SRC_C) $(LIBS) >build/apxs.log 2>&1 \
	    || { cat build/apxs.log; exit 1; }

install: $(MODULE)
	$(APXS) -i -n certauthz mod_certauthz.la
	@echo "conf/certauthz.load and conf/certauthz.conf: copy to /etc/apache2/mods-available/ and a2enmod certauthz"

# C unit tests of src/, built twice: plain, and with AddressSanitizer and
# UndefinedBehaviorSanitizer.
APR_CFLAGS = $(shell apr-1-config --cflags --cppflags --includes 2>/dev/null)
APR_LIBS = $(shell apr-1-config --link-ld 2>/dev/null)
UNIT_SRC = $(wildcard t/unit/test_*.c)
UNIT_BIN = $(patsubst t/unit/%.c,build/unit/%,$(UNIT_SRC))
UNIT_SAN = $(patsubst t/unit/%.c,build/unit-san/%,$(UNIT_SRC))
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

unit: $(UNIT_BIN) $(UNIT_SAN)

build/unit/%: t/unit/%.c t/unit/tap.h $(SRC_C) $(SRC_H)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 $(WFLAGS) $(APR_CFLAGS) -I. -o $@ $< $(SRC_C) $(APR_LIBS) $(LIBS)

build/unit-san/%: t/unit/%.c t/unit/tap.h $(SRC_C) $(SRC_H)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 $(SAN_FLAGS) $(WFLAGS) $(APR_CFLAGS) -I. -o $@ $< $(SRC_C) $(APR_LIBS) $(LIBS)

# Micro-benchmark of one Require decision in src/ (optimised, no sanitizers).
build/bench/bench_rule: bench/bench_rule.c t/unit/certgen.h $(SRC_C) $(SRC_H)
	@mkdir -p $(dir $@)
	$(CC) -O2 $(WFLAGS) $(APR_CFLAGS) -I. -o $@ $< $(SRC_C) $(APR_LIBS) $(LIBS)

bench-rule: build/bench/bench_rule
	@build/bench/bench_rule

test: deps
	@$(MAKE) --no-print-directory all unit
	@sh scripts/run-tests.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

# Benchmarks (docs/PERFORMANCE.md): not part of `make test`, they take
# minutes.  BENCH_QUICK=1 for a short check run.  The revocation sections of
# the micro benchmark join when src/revocation.h is on the branch.
MICRO_SRC = bench/micro.c $(if $(wildcard src/revocation.h),bench/micro_revocation.c)
MICRO_DEFS = $(if $(wildcard src/revocation.h),-DCERTAUTHZ_BENCH_REVOCATION)
BENCH_TOOLS = build/bench/micro build/bench/genlists

bench-tools: $(BENCH_TOOLS)

build/bench/micro: $(MICRO_SRC) bench/micro.h t/unit/certgen.h $(SRC_C) $(SRC_H)
	@mkdir -p $(dir $@)
	$(CC) -g -O2 $(WFLAGS) $(MICRO_DEFS) $(APR_CFLAGS) -I. -o $@ $(MICRO_SRC) $(SRC_C) $(APR_LIBS) $(LIBS)

build/bench/genlists: bench/genlists.c
	@mkdir -p $(dir $@)
	$(CC) -g -O2 $(WFLAGS) -o $@ $< -lcrypto

bench: deps
	@sh scripts/deps.sh apache2-utils valgrind util-linux
	@$(MAKE) --no-print-directory all bench-tools
	@perl bench/bench.pl

format:
	clang-format -i mod_certauthz.c src/*.c src/*.h t/unit/*.c t/unit/*.h bench/*.c bench/*.h

clean:
	rm -rf .libs build src/.libs *.la *.lo *.slo *.o src/*.lo src/*.slo src/*.o \
	    t/pki/out t/modules.conf t/logs t/conf/apache_test_config.pm \
	    t/conf/httpd.conf t/conf/extra.conf t/conf/features/*.conf t/conf/modules.conf \
	    t/htdocs/index.html demo/run
