# mk/client.mk -- libgroupie (static, shared, pkg-config), the groupie CLI,
# their tests and the client benchmark. Included by the Makefile; uses its
# BUILD, CC, flags and obj().
#
#   make                  also builds $(BUILD)/libgroupie.a, libgroupie.so,
#                         groupie.pc and groupie
#   make bench-client     times reading, cleaning, validating and
#                         de-duplicating a 1,000,000-row CSV (optimised build)
#   make install-client   PREFIX=/usr/local DESTDIR=

GROUPIE_VERSION := 0.2.0
GROUPIE_SOVER   := 1
PREFIX          ?= /usr/local

CLIENT_PKGS     := libcurl jansson sqlite3
CLIENT_LIBS      = $(LDFLAGS_SAN) $(LDFLAGS) $(shell pkg-config --libs $(CLIENT_PKGS)) -lcsv \
                   -lpthread -lm

# The library: the HTTP client and its JSON, plus the modules it shares
# with the server (linked from the same sources, never copied).
LIBGROUPIE_SRCS := src/client/client.c src/client/wire.c src/common/phone.c src/common/arena.c
# What the CLI adds on top: input, cleaning, the journal, pacing, the run
# (every other module of src/client).
CLIENT_ENGINE_SRCS := $(filter-out $(LIBGROUPIE_SRCS),$(wildcard src/client/*.c)) src/common/clock.c
CLI_SRCS := $(wildcard src/cli/*.c)

# The test hooks (GROUPIE_TEST_CRASH_AFTER_ANSWERS: die at one exact
# instant) are compiled into the sanitizer build the tests run, never into
# the optimised build that is installed. TEST_HOOKS=1 forces them in.
TEST_HOOKS ?= $(SAN)

LIBGROUPIE_OBJS     := $(call obj,$(LIBGROUPIE_SRCS))
LIBGROUPIE_PIC_OBJS := $(patsubst %.c,$(BUILD)/pic/%.o,$(LIBGROUPIE_SRCS))
CLIENT_ENGINE_OBJS  := $(call obj,$(CLIENT_ENGINE_SRCS))
CLI_OBJS            := $(call obj,$(CLI_SRCS))

LIBGROUPIE_A   := $(BUILD)/libgroupie.a
LIBGROUPIE_SO  := $(BUILD)/libgroupie.so
LIBGROUPIE_SO0 := $(BUILD)/libgroupie.so.$(GROUPIE_SOVER)
CLIENT_ENGINE_A := $(BUILD)/libgroupie-engine.a
GROUPIE_PC     := $(BUILD)/groupie.pc
GROUPIE_CLI    := $(BUILD)/groupie

# Tests: unit tests of the client's modules, integration tests that run the
# library and the CLI against a real groupied (the names' rules:
# tests/README.md).
CLIENT_UNIT_SRCS  := $(wildcard tests/unit/test_client_*.c)
CLIENT_UNIT_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(CLIENT_UNIT_SRCS))
CLIENT_INTEG_SRCS := $(wildcard tests/integration/test_client_*.c tests/integration/test_cli_*.c)
CLIENT_INTEG_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(CLIENT_INTEG_SRCS))
# Helpers of the CLI tests live in a subdirectory, so that the Makefile's
# tests/integration/*.c (linked into every suite) does not pick them up.
CLI_TEST_SUPPORT_SRCS := $(wildcard tests/integration/cli/*.c)
CLI_TEST_SUPPORT_OBJS := $(call obj,$(CLI_TEST_SUPPORT_SRCS))

BENCH_CLIENT := $(BUILD)/bench/bench_client
BENCH_CLIENT_OBJ := $(call obj,bench/bench_client.c)

ifeq ($(TEST_HOOKS),1)
$(CLIENT_ENGINE_OBJS) $(CLI_OBJS): CFLAGS_ALL += -DGROUPIE_TEST_HOOKS
endif

# The CLI suites' helpers include the shared harness (tests/integration/harness.h).
$(CLI_TEST_SUPPORT_OBJS) $(call obj,$(CLIENT_INTEG_SRCS)): CPPFLAGS_ALL += -Itests/integration

EXTRA_ALL += $(LIBGROUPIE_A) $(LIBGROUPIE_SO) $(GROUPIE_PC) $(GROUPIE_CLI)
EXTRA_TEST_BINS += $(CLIENT_UNIT_BINS) $(CLIENT_INTEG_BINS)
EXTRA_OBJS += $(LIBGROUPIE_OBJS) $(LIBGROUPIE_PIC_OBJS) $(CLIENT_ENGINE_OBJS) $(CLI_OBJS) \
              $(call obj,$(CLIENT_UNIT_SRCS) $(CLIENT_INTEG_SRCS)) $(CLI_TEST_SUPPORT_OBJS) \
              $(BENCH_CLIENT_OBJ)

.PHONY: bench-client install-client

$(LIBGROUPIE_A): $(LIBGROUPIE_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(CLIENT_ENGINE_A): $(CLIENT_ENGINE_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# Position-independent objects for the shared library.
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -fPIC -c -o $@ $<

# Only the groupie_* functions are exported (src/client/libgroupie.map).
$(LIBGROUPIE_SO0): $(LIBGROUPIE_PIC_OBJS) src/client/libgroupie.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libgroupie.so.$(GROUPIE_SOVER) \
	  -Wl,--version-script=src/client/libgroupie.map -o $@ $(LIBGROUPIE_PIC_OBJS) $(CLIENT_LIBS)

$(LIBGROUPIE_SO): $(LIBGROUPIE_SO0)
	ln -sf $(notdir $<) $@

# The .pc names PREFIX, so install-client writes its own with the PREFIX it
# is given; this one (the default PREFIX) is for pkg-config --validate.
PC_FILL = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(GROUPIE_VERSION)|'

$(GROUPIE_PC): src/client/groupie.pc.in mk/client.mk
	@mkdir -p $(@D)
	$(PC_FILL) $< > $@
	pkg-config --validate $@

# groupie listen receives deliveries (libmicrohttpd) and checks their HMAC (libcrypto).
$(GROUPIE_CLI): $(CLI_OBJS) $(CLIENT_ENGINE_A) $(LIBGROUPIE_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(CLIENT_LIBS) $(shell pkg-config --libs libmicrohttpd libcrypto)

# More specific than the Makefile's $(BUILD)/tests/unit/% rule, so these win.
$(BUILD)/tests/unit/test_client_%: $(BUILD)/obj/tests/unit/test_client_%.o $(CLIENT_ENGINE_A) \
                                   $(LIBGROUPIE_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(CLIENT_LIBS) -lcmocka

# The library's suite links the shared library: it is what users link.
$(BUILD)/tests/integration/test_client_%: $(BUILD)/obj/tests/integration/test_client_%.o \
                                          $(INTEG_SUPPORT_OBJS) $(SERVER_LIB) $(LIBGROUPIE_SO)
	@mkdir -p $(@D)
	$(CC) -o $@ $(filter %.o %.a,$^) -L$(BUILD) -lgroupie -Wl,-rpath,$(abspath $(BUILD)) \
	  $(LDLIBS_ALL) -lcmocka

# The CLI suites run $(BUILD)/groupie; they link the engine only to read
# journals and reports the way the CLI writes them.
$(BUILD)/tests/integration/test_cli_%: $(BUILD)/obj/tests/integration/test_cli_%.o \
                                       $(CLI_TEST_SUPPORT_OBJS) $(INTEG_SUPPORT_OBJS) \
                                       $(SERVER_LIB) $(CLIENT_ENGINE_A) $(LIBGROUPIE_A) \
                                       | $(GROUPIE_CLI)
	@mkdir -p $(@D)
	$(CC) -o $@ $(filter %.o %.a,$^) $(LDLIBS_ALL) -lcmocka

$(BENCH_CLIENT): $(BENCH_CLIENT_OBJ) $(CLIENT_ENGINE_A) $(LIBGROUPIE_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(CLIENT_LIBS)

# Always the optimised build: a sanitizer build measures the sanitizer.
bench-client:
	@$(MAKE) --no-print-directory SAN=0 BUILD=build build/bench/bench_client
	build/bench/bench_client

install-client: $(LIBGROUPIE_A) $(LIBGROUPIE_SO) $(GROUPIE_PC) $(GROUPIE_CLI)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
	  $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(LIBGROUPIE_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBGROUPIE_SO0) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libgroupie.so.$(GROUPIE_SOVER) $(DESTDIR)$(PREFIX)/lib/libgroupie.so
	$(PC_FILL) src/client/groupie.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/groupie.pc
	install -m 644 include/groupie.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(GROUPIE_CLI) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 man/groupie.1 $(DESTDIR)$(PREFIX)/share/man/man1/
