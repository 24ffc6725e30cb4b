# mod_certauthz: `make`, `make install`, `make test`, `make demo`, `make bench`,
# `make deb`, `make deb-test`.
# Missing Debian packages are installed first (scripts/deps.sh).

APXS ?= $(shell command -v apxs 2>/dev/null || command -v apxs2 2>/dev/null || echo apxs)
CC ?= cc

SRC_C = src/certinfo.c src/names.c src/der.c src/pem.c src/sha256.c src/utf8.c \
	src/reason.c src/rule.c src/hexid.c src/logfields.c src/status.c src/bigbuf.c \
	src/file.c src/revindex.c src/revlist_text.c src/crl.c src/crl_verify.c \
	src/revocation.c src/revshm.c src/loader.c src/revview.c src/confcheck.c \
	src/metrics.c src/storekey.c src/storecache.c
SRC_H = $(wildcard src/*.h)
LIBS = -lcrypto -lpcre2-8
# The module also reads the connection's SSL (mod_certauthz_identity.c),
# and its loader fetches distribution points with libcurl (src/fetch.c,
# which nothing else links).
MOD_SRC_C = src/fetch.c
MOD_LIBS = $(LIBS) -lssl -lcurl

WFLAGS = -Wall -Wextra -Werror
APXS_CFLAGS = $(foreach f,$(WFLAGS) -Wno-missing-field-initializers,-Wc,$(f))

MODULE = .libs/mod_certauthz.so

# The certauthz command (docs/certauthz.1): cli/, on the module's src/ and
# a few httpd-free parts of its own there.
CLI = build/certauthz
CLI_LIB_C = src/cadb.c src/requireline.c
CLI_C = $(wildcard cli/*.c)
PREFIX ?=
BINDIR ?= $(if $(PREFIX),$(PREFIX)/bin,$(shell $(APXS) -q BINDIR 2>/dev/null || echo /usr/local/bin))
MANDIR ?= $(if $(PREFIX),$(PREFIX)/share/man,/usr/share/man)

.PHONY: all deps install clean test unit demo format bench-rule bench bench-tools fuzz fuzz-build memcheck asan soak cli deb deb-test

all: $(MODULE) $(CLI)

cli: $(CLI)

$(CLI): $(CLI_C) cli/cli.h $(SRC_C) $(SRC_H) $(CLI_LIB_C) $(CLI_LIB_C:.c=.h)
	@mkdir -p build
	$(CC) -g -O2 $(WFLAGS) $(CPPFLAGS) $(CFLAGS) $(APR_CFLAGS) -I. -o $@ $(CLI_C) $(SRC_C) $(CLI_LIB_C) $(LDFLAGS) $(APU_LIBS) $(APR_LIBS) $(LIBS)

deps:
	@sh scripts/deps.sh

GLUE_C = mod_certauthz.c mod_certauthz_config.c mod_certauthz_identity.c \
	mod_certauthz_authz.c mod_certauthz_log.c mod_certauthz_revocation.c \
	mod_certauthz_status.c mod_certauthz_loader.c mod_certauthz_warnings.c \
	mod_certauthz_forward.c mod_certauthz_store.c
GLUE_H = mod_certauthz.h

$(MODULE): $(GLUE_C) $(GLUE_H) $(SRC_C) $(MOD_SRC_C) $(SRC_H)
	@mkdir -p build
	@echo "apxs: building $(MODULE)"
	@$(APXS) -c $(APXS_CFLAGS) -o mod_certauthz.la $(GLUE_C) $(SRC_C) $(MOD_SRC_C) $(MOD_LIBS) >build/apxs.log 2>&1 \
	    || { cat build/apxs.log; exit 1; }

install: $(MODULE) $(CLI)
	$(APXS) -i -n certauthz mod_certauthz.la
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/certauthz
	install -m 644 docs/certauthz.1 $(DESTDIR)$(MANDIR)/man1/certauthz.1
	@echo "certauthz installed in $(BINDIR), its man page in $(MANDIR)/man1"
	@echo "conf/certauthz.load and conf/certauthz.conf: copy to /etc/apache2/mods-available/ and a2enmod certauthz"

# C unit tests of src/, built twice: plain, and with AddressSanitizer and
# UndefinedBehaviorSanitizer (with t/unit/pool_asan.c, so that ASan sees
# every APR pool allocation).
APR_CFLAGS = $(shell apr-1-config --cflags --cppflags --includes 2>/dev/null)
APR_LIBS = $(shell apr-1-config --link-ld 2>/dev/null)
# APR-util: the command's Redis client (cli/store.c).
APU_LIBS = $(shell apu-1-config --link-ld 2>/dev/null)
UNIT_SRC = $(wildcard t/unit/test_*.c)
UNIT_BIN = $(patsubst t/unit/%.c,build/unit/%,$(UNIT_SRC))
UNIT_SAN = $(patsubst t/unit/%.c,build/unit-san/%,$(UNIT_SRC))
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

unit: $(UNIT_BIN) $(UNIT_SAN)

# src/ compiled once per flavour into a static library the tests link.
LIB_C = $(SRC_C) $(CLI_LIB_C)
LIB_H = $(SRC_H)
LIB_OBJ = $(patsubst %.c,build/obj/%.o,$(LIB_C))
LIB_OBJ_SAN = $(patsubst %.c,build/obj-san/%.o,$(LIB_C))
LIB = build/libcertauthz.a
LIB_SAN = build/libcertauthz-san.a

build/obj/%.o: %.c $(LIB_H)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 $(WFLAGS) $(APR_CFLAGS) -I. -c -o $@ $<

build/obj-san/%.o: %.c $(LIB_H)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 $(SAN_FLAGS) $(WFLAGS) $(APR_CFLAGS) -I. -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIB_SAN): $(LIB_OBJ_SAN)
	@rm -f $@
	ar rcs $@ $^

build/unit/%: t/unit/%.c $(wildcard t/unit/*.h) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 $(WFLAGS) $(APR_CFLAGS) -I. -o $@ $< $(LIB) $(APR_LIBS) $(LIBS)

build/unit-san/%: t/unit/%.c $(wildcard t/unit/*.h) t/unit/pool_asan.c $(LIB_SAN)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 $(SAN_FLAGS) $(WFLAGS) $(APR_CFLAGS) -I. -o $@ $< t/unit/pool_asan.c $(LIB_SAN) $(APR_LIBS) $(LIBS) -ldl

# Micro-benchmark of one Require decision in src/ (optimised, no sanitizers).
build/bench/bench_rule: bench/bench_rule.c t/unit/certgen.h $(SRC_C) $(SRC_H)
	@mkdir -p $(dir $@)
	$(CC) -O2 $(WFLAGS) $(APR_CFLAGS) -I. -o $@ $< $(SRC_C) $(APR_LIBS) $(LIBS)

bench-rule: build/bench/bench_rule
	@build/bench/bench_rule

# The plain unit tests once more under valgrind memcheck: no invalid access,
# no definite leak (also part of `make test`).
memcheck: $(UNIT_BIN)
	@sh scripts/deps.sh valgrind
	@perl scripts/harness.pl $(addprefix memcheck:,$(UNIT_BIN))

# One keep-alive connection of 100,000 requests must not grow the memory of
# the child serving it (t/soak/keepalive.t; about a minute).
soak: deps
	@$(MAKE) --no-print-directory all $(TEST_TOOLS)
	@CERTAUTHZ_SOAK=1 sh scripts/run-tests.sh

# The module built with AddressSanitizer and UndefinedBehaviorSanitizer, for
# the second pass of the server suite (scripts/run-tests.sh with
# CERTAUTHZ_ASAN=1 preloads the matching runtime into httpd).  Built
# directly rather than through apxs so that its objects never mix with the
# plain build's.
ASAN_MODULE = build/asan/mod_certauthz.so
APXS_INCLUDES = $(shell $(APXS) -q EXTRA_CPPFLAGS 2>/dev/null) $(shell $(APXS) -q EXTRA_INCLUDES 2>/dev/null)

# The certauthz command likewise, for the tests of the second pass
# (t/lib/CertAuthzCLI.pm runs it with leak detection on).
ASAN_CLI = build/asan/certauthz

asan: $(ASAN_MODULE) $(ASAN_CLI)

$(ASAN_CLI): $(CLI_C) cli/cli.h $(LIB_SAN)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 $(SAN_FLAGS) $(WFLAGS) $(APR_CFLAGS) -I. -o $@ $(CLI_C) $(LIB_SAN) $(APU_LIBS) $(APR_LIBS) $(LIBS)

$(ASAN_MODULE): $(GLUE_C) $(GLUE_H) $(SRC_C) $(MOD_SRC_C) $(SRC_H)
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -g -O1 $(SAN_FLAGS) $(WFLAGS) -Wno-missing-field-initializers \
	    $(APXS_INCLUDES) -I. -o $@ $(GLUE_C) $(SRC_C) $(MOD_SRC_C) $(MOD_LIBS)

# libFuzzer targets for every parser of outside input (fuzz/fuzz_*.c), run
# FUZZ_SECONDS each from seeds generated by fuzz/seeds.sh.
FUZZ_SECONDS ?= 20
FUZZ_CC ?= clang-14
FUZZ_SRC = $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN = $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

fuzz:
	@sh scripts/deps.sh clang-14 libclang-rt-14-dev
	@$(MAKE) --no-print-directory fuzz-build
	@sh fuzz/seeds.sh build/fuzz/seeds
	@sh scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

fuzz-build: $(FUZZ_BIN)

build/fuzz/%: fuzz/%.c $(wildcard fuzz/*.h) $(wildcard t/unit/*.h) t/unit/pool_asan.c $(SRC_C) $(SRC_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WFLAGS) $(APR_CFLAGS) -I. -o $@ $< t/unit/pool_asan.c $(SRC_C) $(APR_LIBS) $(LIBS) -ldl

# Test clients the server suite runs (t/tools/).
TEST_TOOLS = build/tools/tls_client

build/tools/%: t/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) -g -O1 $(WFLAGS) -o $@ $< -lssl -lcrypto

# The browser test (t/browser.t) needs Chromium and NSS's tools; t/cli.t
# pk12util too; t/metrics.t the reference parser of the Prometheus format;
# t/fleet.t a real Redis server.
TEST_PKGS = chromium libnss3-tools python3-prometheus-client redis-server

test: deps
	@sh scripts/deps.sh $(TEST_PKGS)
	@$(MAKE) --no-print-directory -j$$(nproc 2>/dev/null || echo 2) all unit asan $(TEST_TOOLS)
	@CERTAUTHZ_PROMTOOL=$$(sh scripts/promtool.sh) CERTAUTHZ_ASAN=1 CERTAUTHZ_MEMCHECK=1 sh scripts/run-tests.sh

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

# The Debian package (debian/, scripts/deb.sh): `make deb` builds
# libapache2-mod-certauthz_VERSION_ARCH.deb here; `make deb-test` also checks
# its contents, runs lintian and installs it with apt into a throwaway root.
DEB_PKGS = debhelper dpkg-dev fakeroot lintian man-db

deb: deps
	@sh scripts/deps.sh $(DEB_PKGS)
	@sh scripts/deb.sh build

deb-test: deps
	@sh scripts/deps.sh $(DEB_PKGS)
	@sh scripts/deb.sh test

format:
	clang-format -i $(GLUE_C) $(GLUE_H) src/*.c src/*.h cli/*.c cli/*.h t/unit/*.c t/unit/*.h bench/*.c bench/*.h

clean:
	rm -rf .libs build src/.libs *.la *.lo *.slo *.o src/*.lo src/*.slo src/*.o \
	    t/pki/out t/modules.conf t/logs t/conf/apache_test_config.pm \
	    t/conf/httpd.conf t/conf/extra.conf t/conf/features/*.conf t/conf/modules.conf \
	    t/htdocs/index.html demo/run t/logs.* libapache2-mod-certauthz_*.deb
