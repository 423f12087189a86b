# mk/engine.mk -- the WhatsApp engine seam and its remote clients (src/engine),
# linked into libgroupied.a, and the engine contract fakes the tests run
# against (tests/engines: a fake WAHA and a fake Evolution API, real HTTP
# servers on libmicrohttpd).
#
#   $(BUILD)/tests/engines/fake-waha        the fake WAHA (NOWEB, GOWS or WEBJS shapes)
#   $(BUILD)/tests/engines/fake-evolution   the fake Evolution API
#
# The fakes are test programs, never installed; the engine clients' suites
# (tests/integration/test_engine_*) start them as child processes.

ENGINE_SRCS := $(wildcard src/engine/*.c)
ENGINE_OBJS := $(call obj,$(ENGINE_SRCS))

$(SERVER_LIB): $(ENGINE_OBJS)

FAKE_COMMON_SRCS := tests/engines/fake_world.c tests/engines/fake_http.c
FAKE_COMMON_OBJS := $(call obj,$(FAKE_COMMON_SRCS))
FAKE_WAHA        := $(BUILD)/tests/engines/fake-waha
FAKE_EVOLUTION   := $(BUILD)/tests/engines/fake-evolution
FAKE_PROC_OBJ    := $(call obj,tests/engines/fake_proc.c)

ENGINE_INTEG_SRCS := $(wildcard tests/integration/test_engine_*.c)

EXTRA_TEST_BINS += $(FAKE_WAHA) $(FAKE_EVOLUTION)
EXTRA_OBJS += $(ENGINE_OBJS) $(FAKE_COMMON_OBJS) $(FAKE_PROC_OBJ) \
              $(call obj,tests/engines/fake_waha.c tests/engines/fake_evolution.c)

$(FAKE_COMMON_OBJS) $(FAKE_PROC_OBJ) $(call obj,$(ENGINE_INTEG_SRCS)) \
  $(call obj,tests/engines/fake_waha.c tests/engines/fake_evolution.c): \
  CPPFLAGS_ALL += -Itests/engines

$(FAKE_WAHA): $(call obj,tests/engines/fake_waha.c) $(FAKE_COMMON_OBJS) $(SERVER_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(FAKE_EVOLUTION): $(call obj,tests/engines/fake_evolution.c) $(FAKE_COMMON_OBJS) $(SERVER_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

# More specific than the Makefile's $(BUILD)/tests/integration/% rule: the
# engine suites also link the fakes' launcher, and need the fakes built.
$(BUILD)/tests/integration/test_engine_%: $(BUILD)/obj/tests/integration/test_engine_%.o \
                                          $(FAKE_PROC_OBJ) $(INTEG_SUPPORT_OBJS) $(SERVER_LIB) \
                                          | $(FAKE_WAHA) $(FAKE_EVOLUTION)
	@mkdir -p $(@D)
	$(CC) -o $@ $(filter %.o %.a,$^) $(LDLIBS_ALL) -lcmocka
