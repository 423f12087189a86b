# mk/console.mk -- embeds the web console (src/console/*: HTML, CSS, ES
# modules, an icon) in libgroupied.a, so that groupied serves it at
# /console with nothing else installed and nothing fetched from elsewhere.
# Each file becomes a C array, as docs/openapi.json does in mk/openapi.mk;
# server/console.c finds them by name.

CONSOLE_FILES := $(sort $(wildcard src/console/*.html src/console/*.css src/console/*.js \
                                   src/console/*.svg))
CONSOLE_C     := $(BUILD)/gen/console_assets.c
CONSOLE_OBJ   := $(BUILD)/obj/gen/console_assets.o

$(CONSOLE_C): $(CONSOLE_FILES) mk/console.mk
	@mkdir -p $(@D)
	@{ echo '/* generated from src/console/ by mk/console.mk; do not edit */'; \
	  echo '#include "server/console.h"'; \
	  i=0; for f in $(CONSOLE_FILES); do \
	    echo "static const unsigned char asset_$$i[] = {"; \
	    od -An -v -tx1 $$f | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	    echo '0x00};'; i=$$((i+1)); \
	  done; \
	  echo 'const struct console_asset console_assets[] = {'; \
	  i=0; for f in $(CONSOLE_FILES); do \
	    echo "    {\"$$(basename $$f)\", asset_$$i, $$(wc -c < $$f)},"; i=$$((i+1)); \
	  done; \
	  echo '    {0, 0, 0}};'; } > $@.tmp && mv $@.tmp $@

$(CONSOLE_OBJ): $(CONSOLE_C)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(SERVER_LIB): $(CONSOLE_OBJ)
EXTRA_OBJS += $(CONSOLE_OBJ)
