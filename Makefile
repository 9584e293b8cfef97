# ctrun for Linux. `make` builds bin/ (ctrun and its companions), `make
# test` runs every test, `make bench` the benchmarks (see hack/).

GO       ?= $(shell command -v go || echo /usr/local/go/bin/go)
PREFIX   ?= /usr/local
DESTDIR  ?=
# Static and stripped: a contract's init skips the dynamic loader, and an
# unprivileged start copies a smaller binary (libcontainer seals a copy).
GOFLAGS_BUILD := -trimpath -tags netgo,osusergo
LDFLAGS       := -s -w -extldflags -static
COMMANDS      := ctrun ctstat ctwatch ctkill
BINARIES      := $(addprefix bin/,$(COMMANDS))
SOURCES       := $(shell find . -name '*.go' -o -name '*.c' -o -name '*.h' | grep -v '^./test/') go.mod go.sum

.PHONY: all test bench install clean

all: $(BINARIES)

bin/%: $(SOURCES)
	CGO_ENABLED=1 $(GO) build $(GOFLAGS_BUILD) -ldflags "$(LDFLAGS)" -o $@ ./cmd/$*

# The integration tests run a second time under a cgroup v2 view: the
# unified hierarchy mounted at /sys/fs/cgroup in a private mount namespace
# (test/restrict -cgroup2), so that v2 stays green on a v1 host.
# CTRUN_TEST_CGROUP=v2 makes the pass check that it really is under v2.
test: all
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) run ./test/restrict -cgroup2 -- env CTRUN_TEST_CGROUP=v2 $(GO) test -count=1 -timeout 20m ./test/

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

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BINARIES) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf bin
