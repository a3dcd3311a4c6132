# iolab: a QEMU lab for Linux file-system I/O paths.
#
#   make            build ./build/iolab and the guest agent
#   make test       format check, unit + integration tests (sanitized build), installs what is missing
#   make kernel     build the default guest kernel into the cache
#   make bench      install, build kernel + image, run bench/cover-letter.conf, print tables
#   make kernel-bench / vm-bench / jobs-bench   print the stage performance figures

.DEFAULT_GOAL := all
CC       ?= cc
PKGS     := jansson sqlite3 inih libcrypto libRmath libxml-2.0
# Every run records the lab's own version: the commit it was built from.
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CSTD     := -std=c11 -D_GNU_SOURCE -DIOLAB_VERSION='"$(VERSION)"'
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
# The compiler lists each object's headers (foo.d beside foo.o): editing one header
# rebuilds the objects that include it, not every object.
DEPFLAGS := -MMD -MP
OPT      ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

BUILD    ?= build
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRCS     := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
TEST_SRCS:= $(wildcard tests/unit/test_*.c)
AGENT_SRCS := $(wildcard vm/guest/*.c)
GUEST_OPS_SRCS := $(filter-out vm/guest/agent.c,$(AGENT_SRCS))

# Matrix, kernel and image defaults a user may override on the command line.
MATRIX   ?= bench/cover-letter.conf
SERIES   ?= ext4-iomap-buffered-io
RUNTIME  ?=
REPS     ?=

# Two flavours from one source: plain (build/) and sanitized (build/san/).
define flavour
# An object without its .d (built before there were any) is rebuilt once to get one.
$(1)/obj/%.o: src/%.c $(1)/obj/%.d
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	@$$(CC) $$(CSTD) $$(WARN) $$(DEPFLAGS) $$(OPT) $(2) $$(PKG_CFLAGS) -Isrc -c $$< -o $$@
# Named, not matched by a pattern: a missing file a pattern rule would make is
# "intermediate", and make does not rebuild an object for a missing intermediate.
$$(patsubst src/%.c,$(1)/obj/%.d,$$(LIB_SRCS) src/main.c): ;

$(1)/libiolab.a: $$(patsubst src/%.c,$(1)/obj/%.o,$$(LIB_SRCS))
	@rm -f $$@
	@ar rcs $$@ $$^

$(1)/iolab: $(1)/obj/main.o $(1)/libiolab.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS) -lm

$(1)/tests/%: tests/unit/%.c $(1)/libiolab.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CSTD) $$(WARN) $$(DEPFLAGS) $$(OPT) $(2) $$(PKG_CFLAGS) -Isrc -Itests/unit $$< $$(TEST_EXTRA) \
		$(1)/libiolab.a -o $$@ $$(PKG_LIBS) -lcmocka -lm

# test_vm_agent calls the guest agent's op handlers directly and drives the agent binary.
# With several sources gcc's .d holds only the last one's headers: name them here.
$(1)/tests/test_vm_agent: TEST_EXTRA = -Ivm/guest $$(GUEST_OPS_SRCS)
$(1)/tests/test_vm_agent: $$(GUEST_OPS_SRCS) $$(wildcard vm/guest/*.h) $(BUILD)/iolab-agent
endef

$(eval $(call flavour,$(BUILD),))
$(eval $(call flavour,$(BUILD)/san,$(SAN)))

# The version is compiled into the run records (bench_run.c) only: its object
# must be rebuilt when the commit changes, or a run would name an old commit.
$(BUILD)/version: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/obj/bench_run.o $(BUILD)/san/obj/bench_run.o: $(BUILD)/version
.PHONY: FORCE
FORCE:

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/san/obj/*.d $(BUILD)/tests/*.d $(BUILD)/san/tests/*.d)

UNIT_TESTS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
SAN_UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/%,$(TEST_SRCS))

# The guest agent is the guest's init: static, so the image needs no loader for it.
$(BUILD)/iolab-agent: $(AGENT_SRCS) $(wildcard vm/guest/*.h) src/vm_proto.c src/vm_proto.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O2 -static -Isrc $(shell pkg-config --cflags jansson) -o $@ \
		$(AGENT_SRCS) src/vm_proto.c -ljansson

.PHONY: all deps test unit-tests integration-tests kernel image bench kernel-bench vm-bench jobs-bench trace-cost \
	format check-format clean

all: $(BUILD)/iolab $(BUILD)/iolab-agent

deps:
	@scripts/install-deps

unit-tests: $(SAN_UNIT_TESTS)

# The tests also need Chromium (the HTML report), tmux (vm shell) and python3.
test:
	@IOLAB_TEST_DEPS=1 scripts/install-deps
	@$(MAKE) --no-print-directory check-format
	@$(MAKE) --no-print-directory all $(BUILD)/san/iolab $(SAN_UNIT_TESTS)
	@tests/run-tests $(SAN_UNIT_TESTS)

kernel: deps all
	$(BUILD)/iolab kernel build --series $(SERIES) --allow-missing-series

image: deps all
	$(BUILD)/iolab image build

bench: deps all
	@scripts/make-bench "$(MATRIX)" "$(RUNTIME)" "$(REPS)"

kernel-bench: deps all
	@bench/kernel-bench

vm-bench: deps all
	@bench/vm-bench

jobs-bench: deps all
	@bench/jobs-bench

trace-cost: deps all
	@bench/trace-cost

format:
	clang-format -i src/*.[ch] tests/unit/*.[ch] vm/guest/*.[ch]

check-format:
	clang-format --dry-run -Werror src/*.[ch] tests/unit/*.[ch] vm/guest/*.[ch]

clean:
	rm -rf $(BUILD)
