# ctrun for Linux. `make` builds bin/ (ctrun and its companions), `make
# test` runs every test, `make bench` the benchmarks and `make soak` (and
# `make soak-many`) the soak benchmarks (see hack/).

GO       ?= $(shell command -v go || echo /usr/local/go/bin/go)
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man/man1
# Where bash-completion looks for a command's completion by its name.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Where systemd-tmpfiles reads the line that keeps /tmp's cleaning away from
# the users' contract records (/tmp/ctrun-<uid>).
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
# `make deb` writes ctrun_<version>_<arch>.deb here.
DEBOUT   ?= bin
# The version --version prints: git describe of the work tree, unless given
# on the command line (make VERSION=1.2.0, for a tarball without git). An
# empty one leaves it to the binary's fallback (version/).
ifneq ($(origin VERSION),command line)
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null)
endif
# Static and stripped: a contract's init skips the dynamic loader, and an
# unprivileged start copies a smaller binary (libcontainer seals a copy).
GOFLAGS_BUILD := -trimpath -tags netgo,osusergo
LDFLAGS       := -s -w -extldflags -static -X github.com/ctrun/ctrun/version.Version=$(VERSION)
COMMANDS      := ctrun ctstat ctwatch ctkill
BINARIES      := $(addprefix bin/,$(COMMANDS))
# Man pages gzip -9n'd (no name, no time stamp: the same bytes each build),
# installed as the Debian package has them.
MANPAGES      := $(addprefix bin/man/,$(addsuffix .1.gz,$(COMMANDS)))
SOURCES       := $(shell find . -name '*.go' -o -name '*.c' -o -name '*.h' | grep -v '^./test/') go.mod go.sum

.PHONY: all test bench install uninstall deb clean FORCE

all: $(BINARIES)

bin/%: $(SOURCES) bin/.version
	CGO_ENABLED=1 $(GO) build $(GOFLAGS_BUILD) -ldflags "$(LDFLAGS)" -o $@ ./cmd/$*

# The binaries carry the version: rebuilt when it changes (a commit, a
# tag, a tree that turns dirty), though no source file did.
bin/.version: FORCE
	@mkdir -p bin
	@[ "$$(cat $@ 2>/dev/null)" = '$(VERSION)' ] || echo '$(VERSION)' > $@

bin/man/%.1.gz: docs/%.1
	@mkdir -p bin/man
	gzip -9n < $< > $@

# The Debian package is built, checked with lintian, installed and run
# last, on its own: it starts a contract (ctrun true), which must not run
# beside the integration tests (they kill every contract-init they see),
# and lintian is slow enough to disturb their timings.
#
# The integration tests run a second time under a cgroup v2 view: the
# unified hierarchy mounted at /sys/fs/cgroup in a private mount namespace
# (test/restrict -cgroup2), so that v2 stays green on a v1 host.
# CTRUN_TEST_CGROUP=v2 makes the pass check that it really is under v2.
test: all
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) run ./test/restrict -cgroup2 -- env CTRUN_TEST_CGROUP=v2 $(GO) test -count=1 -timeout 20m ./test/
	CTRUN_TEST_DEB=1 $(GO) test -count=1 -timeout 15m -run TestDeb ./packaging/

# The real-Docker suite (test/docker, issue 10): a private dockerd, an image
# of busybox and bin/, the container cases. As root; installs docker.io and
# busybox-static when missing. Not alongside `make test`: both start
# contracts, and the integration tests kill every contract-init they see.
.PHONY: test-docker
test-docker: all
	bash test/docker/dockerd.sh install
	$(GO) test -tags docker -count=1 -timeout 30m ./test/docker

bench: all
	hack/bench.sh

# The soak benchmark (issue 11, hack/soak): one holder through 1,000
# restarts with ctwatch -f attached, a contract of 10^5 forks reported
# (-v) and logged (-E), 100 ctwatch clients in turn. It prints VmRSS, open
# descriptors and threads at checkpoints and their growth; no timings.
# About half an hour. It starts contracts: not beside make test.
# SOAKFLAGS: e.g. -restarts 100 -forks 10000 -run restarts,forks.
.PHONY: soak
soak: all
	$(GO) run ./hack/soak -bin bin $(SOAKFLAGS)

# Many at once (issue 11, hack/soak -run many): 100 holders crashing and
# restarting for 10 minutes, SIGKILLed at random, ctstat checked against
# the process table throughout, nothing left after the clean-up; as root,
# then as uid 65534. It prints counts and a verdict per check, and fails if
# one does. As root (the harness reads every process and cgroup); it
# starts contracts: not beside make test. MANYFLAGS: e.g. -contracts 10
# -duration 1m.
.PHONY: soak-many
soak-many: all
	$(GO) build -o bin/soak ./hack/soak
	bin/soak -bin bin -run many $(MANYFLAGS)
	bin/soak -bin bin -run many -uid 65534 $(MANYFLAGS)

# The commands, their man pages, the bash completion (one file; the
# other commands' names link to it, as bash-completion looks a completion up
# by the command's name) and the tmpfiles.d line. An uncompressed page an older `make install` left
# is replaced by the compressed one. `make uninstall` removes exactly these.
INSTALLED := $(addprefix $(BINDIR)/,$(COMMANDS)) \
	$(addprefix $(MANDIR)/,$(addsuffix .1.gz,$(COMMANDS))) \
	$(addprefix $(BASHCOMPDIR)/,$(COMMANDS)) \
	$(TMPFILESDIR)/ctrun.conf

install: all $(MANPAGES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(BINARIES) $(DESTDIR)$(BINDIR)/
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/,$(addsuffix .1,$(COMMANDS)))
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/
	install -m 0644 completion/ctrun $(DESTDIR)$(BASHCOMPDIR)/ctrun
	for c in $(filter-out ctrun,$(COMMANDS)); do ln -sfn ctrun $(DESTDIR)$(BASHCOMPDIR)/$$c; done
	install -m 0644 packaging/tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/ctrun.conf

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# A Debian package of what `make install` installs under /usr, built with
# dpkg-deb alone (packaging/mkdeb.sh says how).
deb: all $(MANPAGES)
	GO="$(GO)" MAKE="$(MAKE)" VERSION="$(VERSION)" packaging/mkdeb.sh "$(DEBOUT)"

clean:
	rm -rf bin
