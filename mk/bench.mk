# mk/bench.mk -- `make bench`: groupied against nginx with wrk (bench/run.sh).
# Never part of `make test`: timings on a shared machine are not assertions.

EXTRA_OBJS += $(call obj,bench/setup.c bench/idle.c)

.PHONY: bench
bench:
	@scripts/deps.sh bench
	@bench/run.sh

$(BUILD)/bench-setup: $(call obj,bench/setup.c)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/bench-idle: $(call obj,bench/idle.c)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_ALL)
