# mk/fuzz.mk -- `make fuzz`: libFuzzer harnesses for what groupie parses
# from strangers (docs/SECURITY.md). Each harness in tests/fuzz/fuzz_*.c
# runs for FUZZ_SECONDS (default 60) from its seed corpus in
# tests/fuzz/corpus/NAME/; new inputs it finds go to build/fuzz/corpus/NAME/
# (the seeds stay as committed). A crash stops `make fuzz` with the
# reproducer's path: turn it into a unit test.
#
#   make fuzz                            every harness, 60 s each
#   make fuzz FUZZ_SECONDS=600           longer
#   make fuzz-run FUZZ=fuzz_phone FUZZ_ARGS=-runs=10000000
#
# clang and its libFuzzer runtime come from `scripts/deps.sh fuzz`.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = $(CPPFLAGS_ALL) -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
                -fsanitize=fuzzer-no-link -MMD -MP

FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_NAMES))
# Every server module (the router's table names every handler, so whatever
# the handlers call: the engines, webhooks, the console's embedded assets)
# and the client's input and journal, built once with the fuzzer's
# instrumentation. Named by directory here: mk/webhook.mk is read after
# this file.
FUZZ_LIB_SRCS := $(sort $(CORE_SRCS) $(wildcard src/engine/*.c src/webhook/*.c) \
                        $(CLIENT_ENGINE_SRCS))
FUZZ_GEN      := openapi_json console_assets
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRCS)) \
                 $(patsubst %,$(FUZZ_DIR)/obj/gen/%.o,$(FUZZ_GEN))
FUZZ_LIB      := $(FUZZ_DIR)/libfuzzgroupie.a

.PHONY: fuzz fuzz-deps fuzz-bins fuzz-run

fuzz-deps:
	@scripts/deps.sh fuzz

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-bins
	@for f in $(FUZZ_NAMES); do \
	  $(MAKE) --no-print-directory fuzz-run FUZZ=$$f \
	    FUZZ_ARGS="-max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS)" || exit 1; \
	done
	@echo "fuzz: every harness ran $(FUZZ_SECONDS) s without a crash"

fuzz-bins: $(FUZZ_BINS)

# One harness: new inputs go to build/fuzz/corpus/NAME, read together with
# the committed seeds; a crash leaves build/fuzz/NAME-crash-*.
fuzz-run: $(FUZZ_DIR)/$(FUZZ)
	@mkdir -p $(FUZZ_DIR)/corpus/$(FUZZ) tests/fuzz/corpus/$(FUZZ)
	@echo "fuzz: $(FUZZ) $(FUZZ_ARGS)"
	@cd $(FUZZ_DIR) && { ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ./$(FUZZ) -print_final_stats=1 -artifact_prefix=$(FUZZ)- $(FUZZ_ARGS) \
	  corpus/$(FUZZ) $(CURDIR)/tests/fuzz/corpus/$(FUZZ) >$(FUZZ)-last.log 2>&1; rc=$$?; \
	  grep -E '^(stat::number_of_executed_units|#[0-9]+ +DONE|==[0-9]+==ERROR|SUMMARY)' \
	    $(FUZZ)-last.log; \
	  [ $$rc -eq 0 ] || echo "fuzz: $(FUZZ) failed; see $(FUZZ_DIR)/$(FUZZ)-last.log"; \
	  exit $$rc; }

$(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/tests/fuzz/%.o $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(PKG_LIBS) -lcsv -lpthread -lm

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# The CSV reader reads 61 bytes at a time here (client/input.c): records,
# quotes and UTF-8 sequences split across reads.
$(FUZZ_DIR)/obj/src/client/input.o: FUZZ_CFLAGS += -DINPUT_READ_CHUNK=61

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

-include $(FUZZ_LIB_OBJS:.o=.d) $(patsubst %,$(FUZZ_DIR)/obj/tests/fuzz/%.d,$(FUZZ_NAMES))
