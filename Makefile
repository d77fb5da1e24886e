# Every check a change must pass: `make test` (what .ci/run calls). Each step is also a
# target of its own; `make help` lists them. The only thing needed beforehand is
# python3.11: the first target that needs tools builds .venv from tests/requirements-lock.txt.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# Rebuilt whenever a requirement file is newer than this stamp.
STAMP := $(VENV)/.requirements-installed
# The development tools (intents) and their lock, every package pinned. The collection's
# runtime requirements are requirements.txt and bindep.txt at the root (for ansible-builder
# and Galaxy); the development venv does not install them (see tests/requirements.txt).
DEV_REQUIREMENTS := tests/requirements.txt
DEV_LOCK := tests/requirements-lock.txt
BUILD := $(CURDIR)/.build
# A folder holding ansible_collections/ocs/firewall -> this checkout, so that tools which
# find collections through ANSIBLE_COLLECTIONS_PATH see the working tree.
COLLECTIONS := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/ocs/firewall

export PATH := $(BIN):$(PATH)
# Keep ansible's own output about the checks, not about the machine's set-up.
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0

header = @printf '\n==> %s\n' '$(1)'

# make test's steps are TEST_STAGES, below. The reliability suite (faults, bad input,
# hostile data, load: a minute of lab runs) and the documentation's commands are targets
# of their own, to keep make test short; .ci/run runs them after make test.

.PHONY: help venv lock lint fix format typecheck unit integration ansible-lint sanity \
	smoke galaxy ee molecule molecule-windows acceptance reliability docs-commands test demo bench clean \
	distclean system-deps docs-lint docs render render-check

help:
	@echo 'make test          the checks below but reliability, docs and docs-commands, in two stages whose'
	@echo '                   steps run at once, stopping after a stage with a failure'
	@echo '                   (make test KEEP_GOING=1 runs them all, then fails if any failed)'
	@echo 'make venv          build .venv from tests/requirements-lock.txt (when a requirement file changed)'
	@echo 'make lint          ruff check, shellcheck on the shell scripts, antsibull-changelog lint'
	@echo 'make docs-lint     antsibull-docs lint-collection-docs: plugin, role and guide docs'
	@echo 'make format        ruff format --check (make fix rewrites the files instead)'
	@echo 'make typecheck     mypy on plugins/'
	@echo 'make unit          pytest tests/unit dev/tests/lab dev/tests/bench, and that every documented command is listed'
	@echo 'make integration   pytest dev/tests/integration (after make system-deps)'
	@echo 'make system-deps   apt-get install graphviz and chromium when they are missing'
	@echo 'make ansible-lint  ansible-lint --offline, production profile'
	@echo 'make sanity        ansible-test sanity on a clean git copy under .build/sanity'
	@echo 'make smoke         build the collection, install the tarball offline, use it'
	@echo 'make galaxy        galaxy-importer on the tarball (its own venv, .build/importer-venv)'
	@echo 'make ee            ansible-builder create: the execution environment build context in'
	@echo '                   .build/ee/context, checked (no image is built: no container engine)'
	@echo 'make molecule      molecule test -s default'
	@echo 'make molecule-windows  molecule test -s windows on the real hosts of'
	@echo '                   $$OCS_FIREWALL_WINDOWS_INVENTORY (reported SKIPPED without one)'
	@echo 'make acceptance    compare the real-host records of tests/data/acceptance/ with the lab'
	@echo 'make reliability   pytest dev/tests/reliability'
	@echo 'make docs-commands every command of the README, the docs site and the lab README, run as written'
	@echo 'make demo          scripts/demo.sh'
	@echo 'make docs          the docs site (antsibull-docs + Sphinx) in .build/docs'
	@echo 'make bench [H=N] [SCOPE=inventory] [W2003=N]   dev/bench/run.py (W2003: every Nth host on Windows Server 2003)'
	@echo 'make render        rewrite what scripts/render.py derives (roles, role READMEs, playbook host'
	@echo '                   lists, the README table, RETURN rule fields); make render-check only reports'
	@echo 'make lock          re-resolve tests/requirements.txt into tests/requirements-lock.txt'
	@echo 'make clean         remove build output and tool caches (make distclean: .venv too)'

# --- environment -----------------------------------------------------------------------

venv: $(STAMP)

# The development venv: the pinned lock, then the intents (which it must already satisfy).
$(STAMP): $(DEV_REQUIREMENTS) $(DEV_LOCK)
	$(call header,venv: building .venv from $(DEV_LOCK))
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-r $(DEV_LOCK) -r $(DEV_REQUIREMENTS)
	$(BIN)/python -m pip check
	@# A package in the venv that the lock does not name means the lock is stale.
	@if ! diff -u <(grep -v '^#' $(DEV_LOCK) | sort -f) \
		<($(BIN)/python -m pip freeze | sort -f); then \
		echo '$(DEV_LOCK) does not match what $(DEV_REQUIREMENTS) needs: run make lock'; \
		exit 1; fi
	touch $@

lock:
	$(call header,lock: resolving $(DEV_REQUIREMENTS) in a scratch venv)
	rm -rf $(BUILD)/lock-venv
	$(PYTHON) -m venv $(BUILD)/lock-venv
	$(BUILD)/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check \
		-r $(DEV_REQUIREMENTS)
	mkdir -p $(BUILD)
	{ echo '# Generated by `make lock` from $(DEV_REQUIREMENTS): every package, pinned. Do not edit by hand.'; \
	  $(BUILD)/lock-venv/bin/python -m pip freeze; } > $(BUILD)/requirements-lock.txt
	rm -rf $(BUILD)/lock-venv
	@# Rewrite only on a change, so that an unchanged lock does not rebuild .venv.
	if cmp -s $(BUILD)/requirements-lock.txt $(DEV_LOCK); then \
		rm $(BUILD)/requirements-lock.txt; echo 'lock: $(DEV_LOCK) unchanged'; \
	else mv $(BUILD)/requirements-lock.txt $(DEV_LOCK); fi

# Made by the harness (dev/harness: collections_root), as for the tests, the bench, the
# demo and Molecule.
$(COLLECTION_LINK): | venv
	PYTHONPATH=$(CURDIR)/dev $(BIN)/python -m harness collections $(COLLECTIONS) >/dev/null

# --- static checks ---------------------------------------------------------------------

SHELL_SCRIPTS = $(wildcard scripts/*.sh) .ci/run

lint: venv
	$(call header,lint: ruff check)
	ruff check .
	$(call header,lint: shellcheck $(SHELL_SCRIPTS))
	shellcheck $(SHELL_SCRIPTS)
	$(call header,lint: antsibull-changelog lint)
	antsibull-changelog lint
	antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

# Every plugin's and role's documentation as the docs site renders it, and the guides of
# docs/docsite/; references to plugins, options and labels must resolve.
docs-lint: venv $(COLLECTION_LINK)
	$(call header,docs-lint: antsibull-docs lint-collection-docs)
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all \
		--disallow-unknown-collection-refs --check-extra-docs-refs $(COLLECTION_LINK)

# What scripts/render.py derives from the catalogue and the registry of variables; unit
# (tests/unit/scripts/test_render.py) fails when a derived file is stale.
render: venv
	$(call header,render: scripts/render.py)
	$(BIN)/python scripts/render.py

render-check: venv
	$(call header,render-check: scripts/render.py --check)
	$(BIN)/python scripts/render.py --check

format: venv
	$(call header,format: ruff format --check)
	ruff format --check .

fix: venv
	ruff check --fix .
	ruff format .

# mypy runs from the folder that holds ansible_collections/, so every plugin file has the
# module name its imports use (ansible_collections.ocs.firewall.plugins...).
typecheck: venv $(COLLECTION_LINK)
	$(call header,typecheck: mypy plugins/)
	cd $(COLLECTIONS) && mypy --config-file $(CURDIR)/pyproject.toml \
		--cache-dir $(CURDIR)/.mypy_cache ansible_collections/ocs/firewall/plugins

# --- tests -----------------------------------------------------------------------------

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
# The suites run on every core (pytest-xdist), a test module to a worker: a module's lab
# hosts and fixtures stay in one process. WORKERS=1 runs them in one process instead.
WORKERS ?= auto
PYTEST_WORKERS = $(if $(filter 1,$(WORKERS)),-p no:xdist,-n $(WORKERS) --dist loadfile)
pytest = echo 'python -m pytest $(1)'; rc=0; $(BIN)/python -m pytest $(PYTEST_WORKERS) $(1) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo 'FAILED: pytest collected no test in $(1)'; fi; exit $$rc

unit: venv
	$(call header,unit: pytest tests/unit dev/tests/lab dev/tests/bench dev/tests/docs/test_listed.py)
	@$(call pytest,tests/unit dev/tests/lab dev/tests/bench dev/tests/docs/test_listed.py)

# Debian packages the integration suite needs: Graphviz's dot draws the port matrix's
# diagram (playbooks/port_matrix.yml) and Chromium opens its page in a real browser.
# Installed with apt-get when missing (as root, or with sudo); otherwise the step fails
# and says what to install.
SYSTEM_PACKAGES := dot:graphviz chromium:chromium

system-deps:
	@missing=''; for pair in $(SYSTEM_PACKAGES); do \
		command -v "$${pair%%:*}" >/dev/null || missing+=" $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
		printf '\n==> system-deps: apt-get install%s\n' "$$missing"; \
		if [ "$$(id -u)" = 0 ]; then sudo=''; elif command -v sudo >/dev/null; then sudo=sudo; \
		else echo "system-deps: install the Debian packages$$missing (needs root)"; exit 1; fi; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

integration: venv system-deps
	$(call header,integration: pytest dev/tests/integration)
	@$(call pytest,dev/tests/integration)

# Bad input, hostile data, ownership, faults and load: real ansible-playbook runs against
# the lab.
reliability: venv
	$(call header,reliability: pytest dev/tests/reliability)
	@$(call pytest,dev/tests/reliability)

# Every command the README, the docs site's guides and the lab's README show, run as
# written (dev/tests/docs/test_commands.py): in a copy of the checkout and in a user's
# folder, with a HOME of its own, against lab hosts; the install commands into a new venv
# (pip's cache kept). Minutes of playbook runs and downloads: not in make test, whose unit
# step only checks that every command is listed; .ci/run runs this after make test. The
# table of every command (ran, skipped and why) is printed and kept in .build/.
docs-commands: venv system-deps
	$(call header,docs-commands: every command of the documentation run as written)
	@rc=0; ( $(call pytest,dev/tests/docs/test_commands.py) ) || rc=$$?; \
	cat $(BUILD)/docs-commands.md 2>/dev/null || true; exit $$rc

# ansible-lint puts $ANSIBLE_HOME/collections (default ~/.ansible/collections) before
# ANSIBLE_COLLECTIONS_PATH, so any ocs.firewall installed there would be linted against
# instead of this checkout: give it an ANSIBLE_HOME of its own, which stays empty offline.
# dev/awx-stub: the options of the awx.awx modules examples/awx_workflow.yml uses (that
# collection is on Galaxy only), so that the example's options are checked offline.
ansible-lint: venv $(COLLECTION_LINK)
	$(call header,ansible-lint: --offline (production profile from .ansible-lint))
	ANSIBLE_HOME=$(BUILD)/ansible-lint-home \
		ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS):$(CURDIR)/dev/awx-stub ansible-lint --offline

sanity: venv
	$(call header,sanity: ansible-test sanity)
	scripts/sanity.sh

smoke: venv
	$(call header,smoke: build + offline install + use the installed collection)
	scripts/smoke.sh

# galaxy-importer needs attrs<24, which the development lock cannot hold: it gets a venv of
# its own, rebuilt only when tests/importer-requirements.txt changes.
IMPORTER_VENV := $(BUILD)/importer-venv
IMPORTER_STAMP := $(IMPORTER_VENV)/.requirements-installed

$(IMPORTER_STAMP): tests/importer-requirements.txt
	$(call header,galaxy: building $(IMPORTER_VENV) from tests/importer-requirements.txt)
	rm -rf $(IMPORTER_VENV)
	$(PYTHON) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r tests/importer-requirements.txt
	$(IMPORTER_VENV)/bin/python -m pip check
	touch $@

galaxy: venv $(IMPORTER_STAMP)
	$(call header,galaxy: galaxy-importer on the collection tarball)
	IMPORTER_VENV=$(IMPORTER_VENV) scripts/galaxy.sh

# The execution environment (execution-environment.yml): the collection tarball under the
# name the file gives it, then `ansible-builder create` (the build context, no image), then
# the checks of dev/tests/ee: the context, and what the image build would install, replayed.
EE := $(BUILD)/ee
ee: venv
	$(call header,ee: ansible-builder create into $(EE)/context)
	rm -rf $(EE)
	ansible-galaxy collection build --force --output-path $(EE)/dist $(CURDIR) >/dev/null
	cp $(EE)/dist/ocs-firewall-*.tar.gz $(EE)/ocs-firewall.tar.gz
	ansible-builder create -f execution-environment.yml -c $(EE)/context \
		--output-filename Containerfile
	$(call header,ee: pytest dev/tests/ee)
	@$(call pytest,dev/tests/ee)

# A scenario with molecule's prerun enabled installs the collection under
# $ANSIBLE_HOME/collections, where it would outlive the run and shadow the checkout for
# other tools; ANSIBLE_HOME under .build keeps that away from ~/.ansible.
molecule: venv $(COLLECTION_LINK)
	$(call header,molecule: molecule test -s default)
	cd $(CURDIR) && ANSIBLE_HOME=$(BUILD)/molecule-home ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) \
		molecule test -s default
	$(BIN)/python scripts/acceptance.py $(BUILD)/acceptance-default.json

# The same converge and verify on real Windows hosts. Without an inventory there is
# nothing to test: the step says so and `make test` lists it as SKIPPED, never as ok.
SKIPPED := $(BUILD)/skipped
molecule-windows: venv $(COLLECTION_LINK)
	$(call header,molecule-windows: molecule test -s windows)
	@rm -f $(SKIPPED)/molecule-windows
	@if [ -z "$${OCS_FIREWALL_WINDOWS_INVENTORY:-}" ]; then \
		mkdir -p $(SKIPPED); touch $(SKIPPED)/molecule-windows; \
		echo 'SKIPPED, NOT TESTED: no real Windows hosts named. Set'; \
		echo 'OCS_FIREWALL_WINDOWS_INVENTORY=/abs/path/inventory.yml to run the scenario.'; \
	else \
		cd $(CURDIR) && ANSIBLE_HOME=$(BUILD)/molecule-home \
			ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) molecule test -s windows \
		&& $(BIN)/python scripts/acceptance.py $(BUILD)/acceptance-windows.json \
		&& echo 'Send $(BUILD)/acceptance-windows.json to the maintainers (rule data and versions only).'; \
	fi

# The real-host records contributed so far (tests/data/acceptance/*.json) against the lab.
acceptance: venv
	$(call header,acceptance: real-host records against the lab)
	@records=$$(ls tests/data/acceptance/*.json 2>/dev/null || true); \
	if [ -z "$$records" ]; then echo 'acceptance: no real-host record yet (tests/data/acceptance/)'; \
	else for r in $$records; do $(BIN)/python scripts/acceptance.py "$$r" || exit 1; done; fi

# Runs each step in its own make, into its own log (.build/test-logs/<step>.log), timed.
# The steps come in two stages: the quick checks and the unit tests, then the rest. The
# steps of a stage run at the same time: most of them are one process each, so alone they
# would leave the other core idle. Each step's log is shown whole as soon as it ends; the
# summary lists them in the order below. make test stops after the first stage in which a
# step failed (the other steps of that stage finish first); `make test KEEP_GOING=1` runs
# every stage and fails at the end if any step failed. `make <step>` runs one step alone.
comma := ,
TEST_STAGES := lint,docs-lint,format,typecheck,unit \
	integration,ansible-lint,sanity,smoke,galaxy,ee,molecule,molecule-windows
TEST_STEPS := $(subst $(comma), ,$(TEST_STAGES))
TEST_LOGS := $(BUILD)/test-logs

test: venv $(COLLECTION_LINK)
	@declare -A status=() took=(); failed=''; skipped=''; stopped=''; total_start=$$(date +%s); \
	rm -rf $(TEST_LOGS); mkdir -p $(TEST_LOGS); \
	for stage in $(TEST_STAGES); do \
		steps=$${stage//$(comma)/ }; pending=" $$steps "; \
		printf '\n==> make test: at once: %s\n' "$$steps"; \
		for step in $$steps; do \
			( start=$$(date +%s); rc=0; $(MAKE) $$step > $(TEST_LOGS)/$$step.log 2>&1 || rc=$$?; \
			  echo "$$rc $$(( $$(date +%s) - start ))" > $(TEST_LOGS)/$$step.part; \
			  mv $(TEST_LOGS)/$$step.part $(TEST_LOGS)/$$step.done ) & \
		done; \
		while [ -n "$${pending// /}" ]; do \
			sleep 1; running=$$(jobs -pr); \
			for step in $$pending; do \
				[ -e $(TEST_LOGS)/$$step.done ] || continue; \
				pending=$${pending/ $$step / }; \
				cat $(TEST_LOGS)/$$step.log; \
				read -r rc secs < $(TEST_LOGS)/$$step.done; \
				if [ "$$rc" != 0 ]; then status[$$step]=FAILED; failed+=" $$step"; \
				elif [ -e $(SKIPPED)/$$step ]; then status[$$step]=SKIPPED; skipped+=" $$step"; \
				else status[$$step]=ok; fi; \
				took[$$step]=$$secs; \
				printf '\n==> make test: %s %s (%ss)\n' "$$step" "$${status[$$step]}" "$$secs"; \
			done; \
			if [ -z "$$running" ]; then for step in $$pending; do \
				status[$$step]=FAILED; failed+=" $$step"; echo "make test: $$step ended without a result"; \
			done; pending=''; fi; \
		done; \
		wait; \
		if [ -n "$$failed" ] && [ -z '$(KEEP_GOING)' ]; then stopped=yes; break; fi; \
	done; \
	summary=''; \
	for step in $(TEST_STEPS); do \
		summary+=$$(printf '  %-17s %-8s %5s' "$$step" "$${status[$$step]:-not run}" \
			"$${took[$$step]:+$${took[$$step]}s}")$$'\n'; \
	done; \
	total=$$(( $$(date +%s) - total_start )); \
	if [ -n "$$stopped" ]; then \
		printf '\n==> make test: stopped, FAILED:%s (%ss)\n%s' "$$failed" "$$total" "$$summary"; exit 1; \
	fi; \
	if [ -n "$$failed" ]; then \
		printf '\n==> make test: FAILED:%s (%ss)\n%s' "$$failed" "$$total" "$$summary"; exit 1; \
	fi; \
	if [ -n "$$skipped" ]; then \
		printf '\n==> make test: every step that ran passed; SKIPPED, not tested:%s (%ss)\n%s' \
			"$$skipped" "$$total" "$$summary"; \
	else \
		printf '\n==> make test: all steps passed (%ss)\n%s' "$$total" "$$summary"; \
	fi

# --- other entry points ----------------------------------------------------------------

# Both make a collection root of their own through the harness (the demo in its temporary
# folder, the bench under .build/bench-work), so they need none from here.
demo: venv system-deps
	bash scripts/demo.sh

# The docs site: antsibull-docs makes a Sphinx project (.build/docs-src) and the pages of
# every plugin and role plus the guides of docs/docsite/rst/; Sphinx turns any warning into
# a failure. Offline: intersphinx reads a local inventory (scripts/docs_site.py offline).
DOCS_SRC := $(BUILD)/docs-src
DOCS_SITE := $(BUILD)/docs
docs: venv $(COLLECTION_LINK)
	$(call header,docs: antsibull-docs + sphinx-build into $(DOCS_SITE))
	rm -rf $(DOCS_SRC) $(DOCS_SITE)
	@# antsibull-docs refuses a destination that others can write to.
	mkdir -m 755 -p $(DOCS_SRC)
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/antsibull-docs sphinx-init --use-current \
		--dest-dir $(DOCS_SRC) ocs.firewall >/dev/null
	chmod og-w $(DOCS_SRC)/rst
	$(BIN)/python scripts/docs_site.py offline $(DOCS_SRC)
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/antsibull-docs \
		--config-file $(DOCS_SRC)/antsibull-docs.cfg collection --use-current --fail-on-error \
		--cleanup everything --dest-dir $(DOCS_SRC)/rst ocs.firewall
	$(BIN)/sphinx-build -b html -q -W --keep-going -c $(DOCS_SRC) -d $(DOCS_SRC)/doctrees \
		$(DOCS_SRC)/rst $(DOCS_SITE)
	$(BIN)/python scripts/docs_site.py check $(DOCS_SITE)

bench: venv
	$(BIN)/python dev/bench/run.py $(if $(H),--hosts $(H)) $(if $(SCOPE),--scope $(SCOPE)) $(if $(W2003),--windows-2003 $(W2003))

clean:
	rm -rf $(BUILD) tests/output .mypy_cache .pytest_cache .ruff_cache changelogs/.plugin-cache.yaml
	find . -path ./.venv -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
