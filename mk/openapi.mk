# mk/openapi.mk -- embeds docs/openapi.json in libgroupied.a, so that
# GET /openapi.json serves exactly the committed document. The file becomes
# a C array (with od(1), which every system has) compiled into the library.

OPENAPI_JSON := docs/openapi.json
OPENAPI_C    := $(BUILD)/gen/openapi_json.c
OPENAPI_OBJ  := $(BUILD)/obj/gen/openapi_json.o

$(OPENAPI_C): $(OPENAPI_JSON) mk/openapi.mk
	@mkdir -p $(@D)
	@{ echo '/* generated from $(OPENAPI_JSON) by mk/openapi.mk; do not edit */'; \
	  echo '#include "server/openapi.h"'; \
	  echo 'const char openapi_json[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00};'; \
	  echo "const size_t openapi_json_len = $$(wc -c < $<);"; } > $@.tmp && mv $@.tmp $@

$(OPENAPI_OBJ): $(OPENAPI_C)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(SERVER_LIB): $(OPENAPI_OBJ)
EXTRA_OBJS += $(OPENAPI_OBJ)
