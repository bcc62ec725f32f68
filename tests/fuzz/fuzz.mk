# fuzz.mk - the libFuzzer targets of tests/fuzz/ (make fuzz) and their
# replay runners (make test); included by the Makefile.
#
# Every tests/fuzz/*.c but replay.c is one target that defines only
# LLVMFuzzerTestOneInput.  It is linked twice: with clang's
# -fsanitize=fuzzer in the SANITIZE=fuzz build (objects and binaries under
# build/fuzz/), and with replay.c as $(OBJ)/tests/test_fuzz_NAME in the
# ordinary builds, which tests/run.sh runs beside the unit tests on the
# committed seeds and regressions: replaying needs no clang.  A target
# named after a program directory (capture_*, enrich_*, sink_*) links that
# program's archive, as the unit tests do.

FUZZ_CC      ?= clang-19
FUZZ_SECONDS ?= 20
FUZZ_SRCS    := $(filter-out tests/fuzz/replay.c,$(wildcard tests/fuzz/*.c))
FUZZ_NAMES   := $(basename $(notdir $(FUZZ_SRCS)))
FUZZ_REPLAY_BINS := $(FUZZ_NAMES:%=$(OBJ)/tests/test_fuzz_%)

.PHONY: fuzz fuzz-bins fuzz-deps clean-fuzz
unit-bins: $(FUZZ_REPLAY_BINS)

$(OBJ)/tests/test_fuzz_%: $(OBJ)/tests/fuzz/%.o $(OBJ)/tests/fuzz/replay.o \
                          $$(call test_prog_lib,$$*) $(LIB)
	@mkdir -p $(@D)
	$(Q)$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

ifeq ($(SANITIZE),fuzz)
FUZZ_BINS := $(FUZZ_NAMES:%=$(BIN)/%)
fuzz-bins: $(FUZZ_BINS)
$(BIN)/%: $(OBJ)/tests/fuzz/%.o $$(call test_prog_lib,$$*) $(LIB)
	@mkdir -p $(@D)
	$(Q)$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)
endif

fuzz-deps:
	@sh scripts/install-fuzz-deps.sh $(FUZZ_CC)

# FUZZ_SECONDS per target (default 20: about three minutes for all);
# FUZZ_TARGETS="pjson sink_bulk" runs some only.
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory SANITIZE=fuzz CC=$(FUZZ_CC) fuzz-bins
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CC=$(FUZZ_CC) sh tests/fuzz/run.sh $(FUZZ_TARGETS)

# The fuzz build goes with make clean; the corpus, which only grows in
# value, goes with make distclean.
clean: clean-fuzz
clean-fuzz:
	rm -rf $(BUILD)/fuzz/obj $(BUILD)/fuzz/bin
