# mk/webhook.mk -- webhooks (docs/WEBHOOKS.md): signing, events, the URL
# policy and the delivery engine (src/webhook/), the pieces of them that
# `groupie listen` uses, their tests and the test receiver (tests/webhook/).
# Included by the Makefile after mk/client.mk; uses its BUILD, flags, obj()
# and the client's archives.

WEBHOOK_SRCS := $(wildcard src/webhook/*.c)
WEBHOOK_OBJS := $(call obj,$(WEBHOOK_SRCS))

# groupied runs the engine, so libgroupied.a holds every module.
$(SERVER_LIB): $(WEBHOOK_OBJS)

# groupie listen checks signatures and knows the event types: those two
# modules and what they use join the CLI's engine archive (one archive, so
# the link order cannot matter).
WEBHOOK_CLI_OBJS := $(call obj,src/webhook/sign.c src/webhook/event.c src/common/token.c \
                                src/common/jw.c)
$(CLIENT_ENGINE_A): $(WEBHOOK_CLI_OBJS)

# The tests' own receiver (written from the spec, not from src/webhook) and
# an in-memory source of deliveries for the engine.
WEBHOOK_TEST_SUPPORT_SRCS := $(wildcard tests/webhook/*.c)
WEBHOOK_TEST_SUPPORT_OBJS := $(call obj,$(WEBHOOK_TEST_SUPPORT_SRCS))
WEBHOOK_UNIT_SRCS := $(wildcard tests/unit/test_webhook_*.c)

$(WEBHOOK_TEST_SUPPORT_OBJS) $(call obj,$(WEBHOOK_UNIT_SRCS)): CPPFLAGS_ALL += -Itests/webhook

EXTRA_OBJS += $(WEBHOOK_OBJS) $(WEBHOOK_TEST_SUPPORT_OBJS) $(call obj,$(WEBHOOK_UNIT_SRCS))

# More specific than the Makefile's $(BUILD)/tests/unit/% rule, so they win.
# The listener's suite links src/cli/listen.c itself (the CLI's main is
# elsewhere).
$(BUILD)/tests/unit/test_webhook_%: $(BUILD)/obj/tests/unit/test_webhook_%.o \
                                    $(WEBHOOK_TEST_SUPPORT_OBJS) $(SERVER_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL) -lcmocka

$(BUILD)/tests/unit/test_webhook_listen: $(BUILD)/obj/tests/unit/test_webhook_listen.o \
                                         $(call obj,src/cli/listen.c src/cli/common.c) \
                                         $(WEBHOOK_TEST_SUPPORT_OBJS) $(SERVER_LIB) \
                                         $(CLIENT_ENGINE_A) $(LIBGROUPIE_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL) $(CLIENT_LIBS) -lcmocka

# The end-to-end suites (tests/integration/test_webhooks.c, test_pg_webhooks.c)
# check deliveries with the tests' own receiver.
WEBHOOK_INTEG_SRCS := $(wildcard tests/integration/test_webhooks.c tests/integration/test_pg_webhooks.c)
$(call obj,$(WEBHOOK_INTEG_SRCS)): CPPFLAGS_ALL += -Itests/webhook

$(BUILD)/tests/integration/test_webhooks $(BUILD)/tests/integration/test_pg_webhooks: \
    $(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(INTEG_SUPPORT_OBJS) \
                                  $(WEBHOOK_TEST_SUPPORT_OBJS) $(SERVER_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL) -lcmocka
