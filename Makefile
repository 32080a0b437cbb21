# ipcats: six cat-like tools, one per Unix IPC mechanism.
# `make demo` builds them into bin/ and runs a round trip through each;
# `make test` is what CI runs.

GO      ?= go
TOOLS   := $(sort $(notdir $(wildcard cmd/*)))
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=
BENCH   ?= .
BENCHTIME ?= 3x

.PHONY: all build demo test fmt-check vet lint unit man-lint bench install clean

all: build

# Static binaries (no cgo: the pure-Go resolver): they start in half the
# time of a dynamically linked one, which -z probe loops and per-message
# scripts feel, and they run in any container.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/...

# Each tool's cmd/TOOL/demo.sh shows a short round trip with bin/ on PATH.
demo: build
	@for t in $(TOOLS); do \
		if [ -f cmd/$$t/demo.sh ]; then \
			echo "== $$t"; PATH="$(CURDIR)/bin:$$PATH" sh cmd/$$t/demo.sh || exit 1; \
		fi; \
	done

test: fmt-check vet lint man-lint unit

fmt-check:
	@out=$$(gofmt -s -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt -s would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck is pinned in go.mod's tool block: no install step.
lint:
	$(GO) tool staticcheck ./...

unit:
	$(GO) test -race -timeout 8m ./...

# Every tool has a page; every page renders without warnings. Which flags a
# page documents is checked against the binary by each tool's TestManPage,
# run here and by `unit`.
man-lint:
	@for t in $(TOOLS); do [ -f man/$$t.1 ] || { echo "cmd/$$t has no man/$$t.1"; exit 1; }; done
	@out=$$(groff -mandoc -ww -z man/*.1 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	$(GO) test -run 'TestManPage' ./cmd/...

# Each benchmark runs our tool and its peer (cat, dd, nc, socat...) on the
# same data in the same run; compare the MB/s columns.
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) ./...

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPDIR)
	for t in $(TOOLS); do \
		install -m 0755 bin/$$t $(DESTDIR)$(BINDIR)/$$t; \
		install -m 0644 man/$$t.1 $(DESTDIR)$(MANDIR)/man1/$$t.1; \
		ln -sf ipcats $(DESTDIR)$(COMPDIR)/$$t; \
	done
	install -m 0644 completion/ipcats.bash $(DESTDIR)$(COMPDIR)/ipcats

clean:
	rm -rf bin
