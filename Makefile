# havoc - chaos testing orchestrator.
#
#   make              build build/havoc
#   make test         install what is missing, build, run every test
#                     (unit, unit under ASan+UBSan, integration, lab)
#   make demo         install what is missing, build, run the demo
#   make check        style and static checks, then make test
#   make bench        the benchmarks: start-up, SSH fan-out (needs root
#                     for the lab), reports over 10,000 runs
#   make bench-daemon the game-day daemon against cron (30 minutes)
#   make fuzz         fuzz every loader for FUZZ_SECONDS each (clang)
#   make install      honours PREFIX and DESTDIR
#
# SANITIZE=address,undefined builds into build/san instead of build.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
UNITDIR	?= $(PREFIX)/lib/systemd/system
DESTDIR	?=

CC		?= cc
PKG_CONFIG	?= pkg-config
# libxml2: its headers only; xml.c loads the library when it first parses.
LINK_PKGS	 = yaml-0.1 libssh2 libcurl jansson sqlite3
PKGS		 = $(LINK_PKGS) libxml-2.0

ifdef SANITIZE
BUILD		?= build/san
SANFLAGS	 = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
else
BUILD		?= build
endif

WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Wpointer-arith -Wvla
ifdef WERROR
WARN	+= -Werror
endif

CFLAGS	?= -O2 -g
PKG_CFLAGS	= $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS	= $(shell $(PKG_CONFIG) --libs $(LINK_PKGS))
ALL_CFLAGS	= -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) \
		  -Iorchestrator -Iprobes -Ireports $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS	= $(LDFLAGS) $(SANFLAGS)
LIBS		= $(PKG_LIBS) -lm

# The data flow, left to right: YAML in, plan, run, drivers, store, out.
SRCS	:= $(wildcard orchestrator/*.c orchestrator/actions/*.c \
	   probes/*.c reports/*.c)
# The shell function library of host commands, built in as C made by
# hostlib.awk (under the build folder; never checked in).
HOSTLIB	:= orchestrator/actions/hostlib.sh
OBJS	:= $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/hostlib.o
LIBOBJS	:= $(filter-out $(BUILD)/orchestrator/main.o,$(OBJS))

# Test programs that link havoc's modules (tests/tools/*.c).
TOOL_SRCS	:= $(wildcard tests/tools/*.c)
TOOL_BINS	:= $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

UNIT_SRCS	:= $(wildcard tests/unit/test-*.c)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELPERS	:= $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_HOBJS	:= $(UNIT_HELPERS:%.c=$(BUILD)/%.o)

.PHONY: all tools test unit unit-san integration lab-test check style demo \
	bench bench-daemon deps install uninstall clean fuzz fuzz-replay \
	fuzzers replayers

all: $(BUILD)/havoc $(TOOL_BINS)

$(BUILD)/havoc: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/hostlib.c: $(HOSTLIB) orchestrator/actions/hostlib.awk
	@mkdir -p $(dir $@)
	awk -f orchestrator/actions/hostlib.awk $(HOSTLIB) >$@.tmp
	mv $@.tmp $@

$(BUILD)/gen/hostlib.o: $(BUILD)/gen/hostlib.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBOBJS) $(UNIT_HOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(UNIT_HOBJS) $(LIBOBJS) $(LIBS) \
	    $(shell $(PKG_CONFIG) --libs cmocka)

# The HTML report's style sheet, inlined as a C string at build time.
$(BUILD)/reports/style-css.h: reports/style.css
	@mkdir -p $(dir $@)
	{ echo '/* Made from reports/style.css by the Makefile. */'; \
	  echo 'static const char style_css[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } >$@.tmp && mv $@.tmp $@
$(BUILD)/reports/html.o: $(BUILD)/reports/style-css.h
$(BUILD)/reports/html.o: ALL_CFLAGS += -I$(BUILD)/reports

$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBOBJS) $(LIBS)

tools: $(TOOL_BINS)

# The runner's tests find their fake drivers through the registry seam.
$(BUILD)/tests/test-runner: ALL_LDFLAGS += -Wl,--wrap=hv_driver_find

# Unit tests: one cmocka binary per module.
unit: $(UNIT_BINS) $(BUILD)/havoc
	@sh tests/run-unit.sh $(BUILD)/tests $(UNIT_BINS)

unit-san:
	$(MAKE) SANITIZE=address,undefined unit

# Fuzzing (tests/fuzz/README.md): a target per loader, fuzz-NAME.c, with
# its seed corpus in tests/fuzz/corpus/NAME and the inputs that once
# crashed it in tests/fuzz/crashes/NAME. `make fuzz` runs each target
# under libFuzzer (clang) with ASan and UBSan for FUZZ_SECONDS; `make
# fuzz-replay` (part of make test) replays the corpus and the crash files
# through the same targets built with cc and the sanitizers.
FUZZ_SRCS	:= $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_NAMES	:= $(FUZZ_SRCS:tests/fuzz/fuzz-%.c=%)
FUZZ_HOBJS	:= $(BUILD)/tests/fuzz/fuzz.o
FUZZ_SECONDS	?= 60
FUZZ_CC		?= clang
FUZZ_SAN	 = -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all

$(BUILD)/fuzzers/%: $(BUILD)/tests/fuzz/fuzz-%.o $(FUZZ_HOBJS) $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

$(BUILD)/replay/%: $(BUILD)/tests/fuzz/fuzz-%.o $(BUILD)/tests/fuzz/replay.o \
    $(FUZZ_HOBJS) $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Kept between builds, as make would remove them as intermediates.
.SECONDARY: $(FUZZ_SRCS:%.c=$(BUILD)/%.o) $(FUZZ_HOBJS) \
    $(BUILD)/tests/fuzz/replay.o

fuzzers: $(FUZZ_NAMES:%=$(BUILD)/fuzzers/%)
replayers: $(FUZZ_NAMES:%=$(BUILD)/replay/%)

fuzz:
	$(MAKE) BUILD=build/fuzz CC=$(FUZZ_CC) \
	    SANFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
	    WARN="$(WARN) -Wno-missing-field-initializers" fuzzers
	@sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-replay:
	$(MAKE) SANITIZE=address,undefined replayers
	@for t in $(FUZZ_NAMES); do \
	    printf 'replay %-12s ' "$$t"; \
	    build/san/replay/$$t tests/fuzz/corpus/$$t \
	        tests/fuzz/crashes/$$t || exit 1; \
	done

# Integration tests: the real binary against real local servers.
integration: all
	@sh tests/integration/all.sh $(BUILD)/havoc

# Lab tests: real hosts in network namespaces (root only).
lab-test: all
	@sh tests/lab/run-tests.sh $(BUILD)/havoc

deps:
	@sh tests/deps.sh

test: deps
	$(MAKE) all unit
	$(MAKE) unit-san
	$(MAKE) fuzz-replay
	$(MAKE) integration
	$(MAKE) lab-test

demo: deps
	$(MAKE) all
	@sh experiments/demo/demo.sh $(BUILD)/havoc

bench: deps
	$(MAKE) all
	@bash tests/bench/validate.sh $(BUILD)/havoc
	@bash tests/bench/ssh-fanout.sh $(BUILD)/havoc
	@bash tests/bench/report.sh $(BUILD)/havoc
	@bash tests/bench/aws.sh $(BUILD)/havoc

bench-daemon: deps
	$(MAKE) all
	@bash tests/bench/gameday-daemon.sh $(BUILD)/havoc

# Style: banned functions, and library headers only behind their seam;
# the host shell library parses (sh -n, bash -n) and passes shellcheck.
style:
	@sh tests/style.sh
	sh -n $(HOSTLIB)
	bash -n $(HOSTLIB)
	shellcheck -s sh $(HOSTLIB)

# cppcheck does not read system headers: tests/cppcheck.h tells it what
# it must know of them.
check: deps style
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr -D_GNU_SOURCE -Iorchestrator -Iprobes \
	    --include=tests/cppcheck.h $(SRCS)
	$(MAKE) test

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/havoc $(DESTDIR)$(BINDIR)/havoc
	install -m 644 man/havoc.1 $(DESTDIR)$(MANDIR)/man1/havoc.1
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' dist/havoc-daemon.service \
	    >$(DESTDIR)$(UNITDIR)/havoc-daemon.service
	chmod 644 $(DESTDIR)$(UNITDIR)/havoc-daemon.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/havoc $(DESTDIR)$(MANDIR)/man1/havoc.1 \
	    $(DESTDIR)$(UNITDIR)/havoc-daemon.service

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%.d) \
	$(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/tools/%.d) \
	$(wildcard $(BUILD)/tests/fuzz/*.d)
