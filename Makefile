# Build Machines: the panel, its tests and the seed's commands.
#   make start        the panel (Electron window, or browser mode where Electron cannot run)
#   make test         everything CI runs: installs what the tests need, then every suite
# The seed's targets (remote-build, remote-test, ...) take PROJECT=<folder> and VM=<name>.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NPX := npx --no-install
BM := $(NPX) tsx electron/cli/main.ts
# The registry: REGISTRY=, else $BM_REGISTRY (the lab's env file sets it), else the repo's.
REGISTRY ?= $(or $(BM_REGISTRY),$(CURDIR)/port-registry.yml)
VM ?=
PROJECT ?=
GHC ?=
# Extra flags for the bm CLI, e.g. BM_FLAGS="--key ~/.ssh/other_key".
BM_FLAGS ?=

# Debian packages the lab and the tests use (real OpenSSH, autossh, rsync, GHC, cabal, Chromium,
# Packer for its machine-readable output, shellcheck).
LAB_PACKAGES := ghc cabal-install openssh-server openssh-client autossh rsync chromium packer \
	shellcheck iproute2 procps curl util-linux systemd sudo tmux
LAB_PROGRAMS := ghc cabal sshd autossh rsync chromium packer shellcheck ip curl unshare sudo \
	tmux systemd-analyze

.PHONY: help deps node-deps lab-deps build start electron test lint typecheck unit lab-test e2e-test \
	lab lab-down bench dist remote-build remote-test status clean image

help:
	@echo "Build Machines (README.md has the details)"
	@echo "  start | test | lab [LAB_PORT=] | lab-down | bench | dist | electron"
	@echo "  image [GHC=9.8.4,9.6.6] | import OVA= [NAME=] | setup-vm VM= | start-vm VM= |" \
	  "stop-vm VM= | vm-info"
	@echo "  keygen | inject-keys VM_IP= VM= | install-ssh-config | bridge-status | status |" \
	  "doctor | smoke-test"
	@echo "  remote-build PROJECT= [VM=] [GHC=] | remote-test | remote-ghci | fetch-artifacts" \
	  "[DEST=] | ghc-versions"
	@echo "  build | typecheck | lint | unit | lab-test"

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

node-deps: node_modules/.installed

# Installs the Debian packages only when a program is missing, so a warm machine skips apt.
lab-deps:
	@missing=""; for p in $(LAB_PROGRAMS); do \
	  command -v $$p >/dev/null || [ -x /usr/sbin/$$p ] || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages (missing:$$missing)"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "need root for apt-get; run: sudo make lab-deps"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(LAB_PACKAGES); \
	fi

deps: node-deps

out/.built: node_modules/.installed $(shell find electron renderer -type f -not -name '*.test.ts') \
		electron.vite.config.ts
	$(NPX) electron-vite build
	touch $@

build: out/.built

# The Electron window where an Electron binary and a display exist; otherwise browser mode.
start: deps build
	@if reason=$$(node e2e/electron/electron-available.mjs); then \
	  BM_REGISTRY=$(REGISTRY) $(NPX) electron .; \
	else \
	  echo "No Electron window: $$reason. Serving the panel in browser mode instead."; \
	  $(BM) serve --registry $(REGISTRY); \
	fi

# Downloads the Electron binary (the electron package fetches it on first use, not at install).
electron: node-deps
	node node_modules/electron/install.js

typecheck: node-deps
	$(NPX) tsc --noEmit -p tsconfig.json

lint: node-deps
	$(NPX) eslint .
	$(NPX) prettier --check . >/dev/null || { $(NPX) prettier --list-different .; exit 1; }
	shellcheck e2e/lab/*.sh .ci/run $$(find packer bench -name '*.sh') packer/haskell/files/build-agent
	shellcheck -x e2e/agent/*.sh e2e/hub/*.sh

unit: node-deps lab-deps
	$(NPX) vitest run --project unit

# Integration and browser tests on a fresh lab, torn down afterwards (needs root).
lab-test: node-deps lab-deps build
	bash e2e/lab/with-lab.sh -- $(NPX) vitest run --project lab

test: deps lab-deps typecheck lint unit lab-test

# A lab to click through: the panel runs on the lab's workstation and is bridged to
# 127.0.0.1:$(LAB_PORT) here. Stop with Ctrl-C; `make lab-down` removes leftovers.
LAB_PORT ?= 8420
lab: deps lab-deps build
	bash e2e/lab/run-panel.sh $(LAB_PORT)

lab-down:
	bash e2e/lab/lab.sh down-all

bench: deps lab-deps
	bash bench/sync/run.sh

dist: deps build
	@if reason=$$(node e2e/electron/electron-available.mjs); then \
	  $(NPX) electron-builder --linux AppImage deb; \
	else \
	  echo "Cannot package: $$reason."; exit 1; \
	fi

remote-build: deps
	@$(BM) remote-build --registry $(REGISTRY) --project "$(PROJECT)" \
	  $(if $(VM),--vm $(VM)) $(if $(GHC),--ghc $(GHC)) $(BM_FLAGS)

remote-test: deps
	@$(BM) remote-test --registry $(REGISTRY) --project "$(PROJECT)" \
	  $(if $(VM),--vm $(VM)) $(if $(GHC),--ghc $(GHC)) $(BM_FLAGS)

# GHCi on the VM in this terminal (cabal repl in the synced project), the built executables back
# to DEST (default PROJECT/bin, SHA-256 checked), and the VM's GHC versions (* = default).
.PHONY: remote-ghci fetch-artifacts ghc-versions
DEST ?=
remote-ghci: deps
	@$(BM) remote-ghci --registry $(REGISTRY) $(if $(PROJECT),--project "$(PROJECT)") \
	  $(if $(VM),--vm $(VM)) $(if $(GHC),--ghc $(GHC))

fetch-artifacts: deps
	@$(BM) fetch-artifacts --registry $(REGISTRY) --project "$(PROJECT)" \
	  $(if $(DEST),--dest "$(DEST)") $(if $(VM),--vm $(VM))

ghc-versions: deps
	@$(BM) ghc-list --registry $(REGISTRY) $(if $(VM),--vm $(VM))

# The build-machine OVA with Packer (>= 1.10 and VirtualBox 7 on this machine), as the seed's
# `cd packer/haskell && packer init . && packer build .` does, with a live log and the OVA path:
# make image [GHC=9.8.4,9.6.6]   (first version = default ghc; Ctrl-C cancels cleanly)
image: deps
	@$(BM) build-image $(if $(GHC),--ghc $(GHC))

status: deps
	@$(BM) status --registry $(REGISTRY)

# VM lifecycle (issue 3): VM=<name>, OVA=<file>, NAME=<vm name>, VBOX_HOST=<host id>.
OVA ?=
NAME ?=
VBOX_HOST ?=
VBOX_FLAGS = --registry $(REGISTRY) $(if $(VBOX_HOST),--vbox-host $(VBOX_HOST))

.PHONY: vm-info setup-vm import start-vm stop-vm

vm-info: deps
	@$(BM) vm-info $(VBOX_FLAGS) $(VM)

setup-vm: deps
	@$(BM) setup-vm $(VBOX_FLAGS) $(VM)

import: deps
	@$(BM) import $(VBOX_FLAGS) "$(OVA)" $(if $(NAME),--name $(NAME))

start-vm: deps
	@$(BM) start $(VBOX_FLAGS) "$(VM)"

stop-vm: deps
	@$(BM) stop $(VBOX_FLAGS) "$(VM)"

# Credentials, SSH config and tunnel health (issue 5): the seed's steps 4 to 6.
# make keygen; make inject-keys VM_IP=<vm-ip> VM=<name or ~/vm-keys/<name>>
# make install-ssh-config; make bridge-status; make doctor VM=<name>; make smoke-test VM=<name>
VM_IP ?=
.PHONY: keygen inject-keys install-ssh-config bridge-status doctor smoke-test

keygen: deps
	@$(BM) keygen

inject-keys: deps
	@$(BM) inject-keys --registry $(REGISTRY) "$(VM_IP)" "$(VM)"

install-ssh-config: deps
	@$(BM) install-ssh-config --registry $(REGISTRY)

bridge-status: deps
	@$(BM) bridge-status --registry $(REGISTRY)

doctor: deps
	@$(BM) doctor --registry $(REGISTRY) $(if $(VM),--vm $(VM))

smoke-test: deps
	@$(BM) smoke-test --registry $(REGISTRY) $(if $(VM),--vm $(VM))

clean:
	rm -rf out
