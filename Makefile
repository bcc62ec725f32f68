# Makefile - builds tetra-capture, tetra-enrich and tetra-sink, their shared
# library, the unit tests, and drives the local test services.
#
# Why it is shaped so: every source directory is picked up by wildcard, so a
# new file in common/*/, a program directory or one folder below it, or
# tests/unit/ needs no edit
# here.  Generated protobuf-c code lives under build/ and is made from
# proto/ on every build; nothing generated is committed.  Object files of the
# normal and the sanitizer build live in different folders so the two never
# mix (make SANITIZE=1).

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=
CC       ?= cc
SANITIZE ?= 0
V        ?= 0
# Quiet by default (make V=1 shows every command).
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = printf '  %-5s %s\n' $(1) $(2);
endif

BUILD   := build
GEN     := $(BUILD)/gen
ifeq ($(SANITIZE),1)
OBJ     := $(BUILD)/san
BIN     := $(BUILD)/san/bin
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(SANITIZE),fuzz)
# make fuzz: clang with libFuzzer's coverage (tests/fuzz/fuzz.mk)
OBJ     := $(BUILD)/fuzz/obj
BIN     := $(BUILD)/fuzz/bin
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
else
OBJ     := $(BUILD)/obj
BIN     := bin
SANFLAGS :=
endif

PKGS     := libprotobuf-c rdkafka jansson libcurl yaml-0.1 libdeflate libmicrohttpd libcrypto
DEPS_OK  := $(BUILD)/.deps-ok
# Recursive (=) on purpose: pkg-config must run after the deps stamp has
# installed the packages, not when make reads this file.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lm -lpthread
# zlib only in tests: they inflate what libdeflate wrote with a second,
# independent implementation
CHECK_LIBS = $(shell pkg-config --libs check) -lz

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -Icommon -I$(GEN) \
             -I$(GEN)/proto $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

# --- schemas -----------------------------------------------------------------
PROTOS     := $(wildcard proto/tetragon/*.proto proto/tetragonsidekick/*.proto)
WKT_DIR    := /usr/include
WKT        := google/protobuf/timestamp.proto google/protobuf/duration.proto \
              google/protobuf/wrappers.proto google/protobuf/struct.proto
TEST_PROTOS := $(wildcard tests/proto/*.proto)
GEN_SRCS   := $(patsubst proto/%.proto,$(GEN)/%.pb-c.c,$(PROTOS)) \
              $(patsubst %.proto,$(GEN)/%.pb-c.c,$(WKT))
TEST_GEN_SRCS := $(patsubst tests/proto/%.proto,$(GEN)/test/%.pb-c.c,$(TEST_PROTOS))
GEN_STAMP  := $(GEN)/.stamp
TEST_GEN_STAMP := $(GEN)/test/.stamp

# --- sources -------------------------------------------------------------------
COMMON_SRCS := $(wildcard common/*/*.c)
LIB_OBJS    := $(COMMON_SRCS:%.c=$(OBJ)/%.o) $(GEN_SRCS:$(GEN)/%.c=$(OBJ)/gen/%.o)
LIB         := $(OBJ)/libtetra.a
PROG_DIRS   := $(foreach p,capture enrich sink,$(if $(wildcard $(p)/main.c),$(p)))
PROGRAMS    := $(PROG_DIRS:%=$(BIN)/tetra-%)
# Each program's objects but main.o, for the unit tests named after it
# (tests/unit/test_sink_*.c links libsink.a): a test then links the module
# it tests instead of compiling the module's source into itself.
PROG_LIBS   := $(PROG_DIRS:%=$(OBJ)/lib%.a)
TOOLS       := $(if $(wildcard tools/mockbroker/*.c),$(BIN)/tetra-mockbroker)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(OBJ)/tests/%)
TEST_SUPPORT := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
TEST_OBJS   := $(TEST_SUPPORT:%.c=$(OBJ)/%.o) $(TEST_GEN_SRCS:$(GEN)/%.c=$(OBJ)/gen/%.o)

.PHONY: all deps test test-unit test-integration test-k8s check check-built check-style format \
        demo bench install uninstall clean distclean services-up services-down man-check \
        bench-check image
.DEFAULT_GOAL := all

all: $(PROGRAMS) $(PROG_LIBS) $(TOOLS)

deps: $(DEPS_OK)
$(DEPS_OK): scripts/install-deps.sh
	@sh scripts/install-deps.sh
	@mkdir -p $(@D) && touch $@

$(GEN_STAMP): $(PROTOS) | $(DEPS_OK)
	@mkdir -p $(GEN)
	$(Q)$(call say,PROTO,$(GEN))protoc-c -Iproto -I$(WKT_DIR) --c_out=$(GEN) $(PROTOS:proto/%=%) $(WKT)
	@touch $@

$(TEST_GEN_STAMP): $(TEST_PROTOS) | $(DEPS_OK)
	@mkdir -p $(GEN)/test
	$(Q)$(call say,PROTO,$(GEN)/test)protoc-c -Itests/proto -I$(WKT_DIR) --c_out=$(GEN)/test $(TEST_PROTOS:tests/proto/%=%)
	@touch $@

$(GEN_SRCS): $(GEN_STAMP)
$(TEST_GEN_SRCS): $(TEST_GEN_STAMP)

$(OBJ)/gen/%.o: $(GEN)/%.c $(GEN_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call say,CC,$@)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -Wno-shadow -c -o $@ $<

$(OBJ)/%.o: %.c $(GEN_STAMP) $(TEST_GEN_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call say,CC,$@)$(CC) $(ALL_CFLAGS) -I$(GEN)/test -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(Q)$(call say,AR,$@)ar rcs $@ $^

.SECONDARY:
.SECONDEXPANSION:
# No '%' inside the prerequisite: make would put the stem there before the
# second expansion.
$(BIN)/tetra-%: $$(addprefix $(OBJ)/,$$(subst .c,.o,$$(wildcard $$*/*.c $$*/*/*.c))) $(LIB)
	@mkdir -p $(@D)
	$(Q)$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Expanded a second time with the stem in $$*: the objects of one program
# directory without its main.o, found by wildcard.
prog_objs = $(patsubst %.c,$(OBJ)/%.o,$(filter-out $(1)/main.c,$(wildcard $(1)/*.c $(1)/*/*.c)))
$(PROG_LIBS): $(OBJ)/lib%.a: $$(call prog_objs,$$*)
	@rm -f $@
	$(Q)$(call say,AR,$@)ar rcs $@ $^

$(BIN)/tetra-mockbroker: $(OBJ)/tools/mockbroker/mockbroker.o $(LIB)
	@mkdir -p $(@D)
	$(Q)$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The program archive a test links, by its name: test_sink_bulk gets
# libsink.a; test_buf gets none.  Listed before $(LIB), which it uses.
test_prog_lib = $(foreach p,$(PROG_DIRS),$(if $(filter $(p)_%,$(1)),$(OBJ)/lib$(p).a))
$(OBJ)/tests/test_%: $(OBJ)/tests/unit/test_%.o $(TEST_OBJS) $$(call test_prog_lib,$$*) $(LIB)
	@mkdir -p $(@D)
	$(Q)$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

-include $(shell find $(OBJ) -name '*.d' -type f 2>/dev/null)

# --- tests -----------------------------------------------------------------------
# make check: the quick tier, no services.  First what takes seconds: the
# style check (banned functions, clang-format) and the include arrows
# between the folders (tests/check/layout.sh); then the -Werror build, the
# man-page drift test (it reads only --help and man/*.1), and the unit
# tests with the fuzz targets' replays.  On the plain build by default;
# make test runs it on the sanitizer build.
CHECK_SANITIZE ?= 0
CHECK_SCRIPTS := tests/integration/05_manpages.sh

check: $(DEPS_OK)
	@sh scripts/check-style.sh
	@sh tests/check/layout.sh
	@$(MAKE) --no-print-directory SANITIZE=$(CHECK_SANITIZE) check-built

check-built: all unit-bins
	@for t in $(CHECK_SCRIPTS); do \
	    ROOT=$(CURDIR) BIN=$(CURDIR)/$(BIN) sh $$t || exit 1; done
	@sh tests/run.sh --san $(SANITIZE) unit

# make format: rewrite every C file to .clang-format (what check-style.sh
# checks, on the same file list).
format: $(DEPS_OK)
	@sh scripts/check-style.sh --fix

# make test: make check on the sanitizer build, then the integration
# tests (against real services that tests/run.sh starts and always stops)
# and the k8s tests; both run even when the first fails.
TEST_SANITIZE ?= 1

test:
	@$(MAKE) --no-print-directory CHECK_SANITIZE=$(TEST_SANITIZE) check
	@$(MAKE) --no-print-directory all
	@rc=0; sh tests/run.sh --san $(TEST_SANITIZE) integration || rc=1; \
	 sh tests/run.sh --san $(TEST_SANITIZE) k8s || rc=1; exit $$rc

test-unit:
	@$(MAKE) --no-print-directory SANITIZE=$(TEST_SANITIZE) all unit-bins
	@sh tests/run.sh --san $(TEST_SANITIZE) unit

test-integration:
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=$(TEST_SANITIZE) all unit-bins
	@sh tests/run.sh --san $(TEST_SANITIZE) integration

test-k8s:
	@$(MAKE) --no-print-directory SANITIZE=$(TEST_SANITIZE) all
	@sh tests/run.sh --san $(TEST_SANITIZE) k8s

.PHONY: unit-bins
unit-bins: $(UNIT_BINS)

include tests/fuzz/fuzz.mk

# --- services, demo, benchmarks -------------------------------------------------------
SERVICES ?= kafka opensearch llm

services-up: $(TOOLS)
	@sh tests/services/services.sh up $(SERVICES)

services-down:
	@sh tests/services/services.sh down

demo: all
	@sh examples/demo.sh

bench: all
	@sh bench/run.sh

# The quick benchmarks (capture, enrich; 20,000 events) against
# bench/baseline.json, as ratios to jq measured in the same run; fails on
# a drop of more than 25%.  Not part of make test: timing is no test.
bench-check: all
	@sh bench/check.sh

# --- container image -------------------------------------------------------------------
# One image with the three filters, built with podman from
# examples/container/Containerfile (docs/CONTAINERS.md); installs podman
# when missing, makes the base image offline, prints the image's size.
IMAGE ?= tetragonsidekick:dev

image:
	@sh scripts/image.sh build $(IMAGE)

# --- install -------------------------------------------------------------------------
MANPAGES := $(wildcard man/*.1)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1

uninstall:
	rm -f $(PROGRAMS:$(BIN)/%=$(DESTDIR)$(BINDIR)/%) $(MANPAGES:man/%=$(DESTDIR)$(MANDIR)/man1/%)

check-style:
	@sh scripts/check-style.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/san $(GEN) bin

distclean: clean
	rm -rf $(BUILD)
