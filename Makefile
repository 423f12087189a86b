# groupie: a plain GNU Makefile. Everything is built out of tree, under
# $(BUILD); `make SAN=1 BUILD=build/san` is the sanitizer build the tests use.
#
#   make            build/groupied
#   make run        install what is missing, build, start the demo server
#   make test       install, lint, build with ASan+UBSan, run every test (the console's
#                   too, in headless chromium)
#   make lint       clang-format and cppcheck
#   make clean

.DEFAULT_GOAL := all

BUILD ?= build
SAN   ?= 0
CC    ?= cc

# Libraries found through pkg-config. libcsv ships no .pc file; it is linked by name.
PKGS := libmicrohttpd jansson sqlite3 libpq libcurl libcrypto

# Recursive '=' on purpose: pkg-config is asked when a recipe needs the
# flags, after `make deps` had the chance to install the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))

CFLAGS_WARN := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -Wvla -Wformat=2
ifeq ($(SAN),1)
CFLAGS_OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all
LDFLAGS_SAN := -fsanitize=address,undefined
else
CFLAGS_OPT := -O2 -g
LDFLAGS_SAN :=
endif

CPPFLAGS_ALL = -Isrc -Iinclude $(PKG_CFLAGS)
CFLAGS_ALL   = $(CFLAGS_WARN) $(CFLAGS_OPT) $(CFLAGS) -MMD -MP
LDLIBS_ALL   = $(LDFLAGS_SAN) $(LDFLAGS) $(PKG_LIBS) -lcsv -lpthread -lm

# --- sources ---------------------------------------------------------------

SERVER_SRCS := $(wildcard src/common/*.c src/core/*.c src/store/*.c src/directory/*.c \
                          src/server/*.c)
SERVER_MAIN := src/server/main.c
CORE_SRCS   := $(filter-out $(SERVER_MAIN),$(SERVER_SRCS))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

CORE_OBJS   := $(call obj,$(CORE_SRCS))
SERVER_LIB  := $(BUILD)/libgroupied.a

# Tests are found by file name; tests/README.md says what each name means.
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
UNIT_SUPPORT_OBJS := $(call obj,$(wildcard tests/unit/support/*.c))
INTEG_SRCS  := $(wildcard tests/integration/test_*.c)
INTEG_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(INTEG_SRCS))
INTEG_SUPPORT_OBJS := $(call obj,$(filter-out $(INTEG_SRCS),$(wildcard tests/integration/*.c)))

ALL_OBJS := $(call obj,$(SERVER_SRCS) $(UNIT_SRCS) $(INTEG_SRCS)) $(UNIT_SUPPORT_OBJS) \
            $(INTEG_SUPPORT_OBJS)

# Further parts of the project (the client library and CLI, benchmarks, ...)
# live in mk/*.mk. Each may add to EXTRA_ALL (built by `make`), EXTRA_TEST_BINS
# (built before the tests run) and EXTRA_OBJS (for header dependencies).
EXTRA_ALL :=
EXTRA_TEST_BINS :=
EXTRA_OBJS :=
include $(sort $(wildcard mk/*.mk))

# --- top-level targets -----------------------------------------------------

.PHONY: all run test lint clean deps deps-test test-bins check-pkgs console-screenshots

all: check-pkgs $(BUILD)/groupied $(EXTRA_ALL)

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

check-pkgs:
	@pkg-config --exists $(PKGS) && test -f /usr/include/csv.h || { \
	  echo "groupie: build libraries are missing; run 'make deps' (as root) or see README.md" >&2; \
	  exit 1; }

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/groupied --db sqlite:groupie.db --demo --sandbox

# The test command: packages, lint, the optimised build (so -Werror sees -O2's
# warnings too), then every test on the sanitizer build.
test: deps-test
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SAN=1 BUILD=build/san test-bins
	@tests/run.sh build/san

test-bins: all $(UNIT_BINS) $(INTEG_BINS) $(EXTRA_TEST_BINS)

# The README's pictures of the console: the browser tests, saving
# screenshots at 1280 and 390 px into docs/console/.
console-screenshots: deps-test all
	GROUPIED=$(CURDIR)/$(BUILD)/groupied GROUPIE_SCREENSHOTS=docs/console \
	  node --test tests/browser/console.test.mjs

FORMAT_FILES = $(shell git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null)

lint:
	@echo "lint: clang-format"
	@clang-format --dry-run -Werror $(FORMAT_FILES)
	@echo "lint: cppcheck"
	@cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	  --inline-suppr --suppress=missingIncludeSystem -D__GNUC__ -Isrc -Iinclude \
	  src tests $(wildcard include)

clean:
	rm -rf build

# --- rules -----------------------------------------------------------------

$(BUILD)/groupied: $(call obj,$(SERVER_MAIN)) $(SERVER_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(SERVER_LIB): $(CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_SUPPORT_OBJS) $(SERVER_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL) -lcmocka

$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(INTEG_SUPPORT_OBJS) \
                              $(SERVER_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL) -lcmocka

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

-include $(ALL_OBJS:.o=.d) $(EXTRA_OBJS:.o=.d)
