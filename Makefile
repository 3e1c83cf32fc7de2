# make demo: set everything up on a fresh machine, then run the main job.
# make test: set everything up (Chromium included) and run every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
SETUP := $(VENV)/.setup-done
STATIC := dlp_widgets/static/summary.js dlp_widgets/static/builder.js dlp_widgets/static/history.js dlp_widgets/static/transforms.js dlp_widgets/static/quiz.js
JS_SOURCES := $(wildcard js/*.js js/*.css) js/package.json js/package-lock.json
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# torch and torchvision: the pinned pair this machine's pip takes from local disk
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

.PHONY: demo demo-headless test setup js lint bench clean

setup: $(SETUP) $(STATIC)

$(SETUP): pyproject.toml js/package.json js/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_PINS)
	cd js && npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

# The built ESM ships inside the package; rebuild it whenever a front-end source changes.
$(STATIC): $(JS_SOURCES) | $(SETUP)
	cd js && npm run build

js: $(SETUP)
	cd js && npm run build

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

lint: setup
	$(BIN)/ruff check dlp_widgets tests benchmarks

# JupyterLab on the quickstart notebook (a Playground on Iris). PORT=… to choose the port.
PORT ?= 8888
demo: setup
	$(BIN)/jupyter lab notebooks/01_quickstart.ipynb --port=$(PORT) --ServerApp.port_retries=50 $(if $(filter 0,$(shell id -u)),--allow-root,)

# The same job without a browser: shapes, code, a refused model, a trained LeNet-5.
demo-headless: setup
	@echo "== shapes of LeNet-5, inferred without a forward pass"
	$(BIN)/dlp shapes examples/lenet5.json
	@echo "== the PyTorch source of the same model"
	$(BIN)/dlp code examples/lenet5.json
	@echo "== the original playground's default image model: refused, with the reason"
	-$(BIN)/dlp shapes examples/original-image-default.json
	@echo "== LeNet-5 trained on the digits (resized to 28x28), kept in the run store"
	$(BIN)/dlp train examples/lenet5.json
	$(BIN)/dlp runs

# Runs of the tests' notebook kernels go to a throw-away store, never the user's.
TEST_HOME := $(CURDIR)/.test-home
test: setup $(CHROMIUM) lint
	rm -rf $(TEST_HOME)
	DLP_HOME=$(TEST_HOME) $(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/shape_inference.py
	$(BIN)/python benchmarks/csv_to_tensors.py
	$(BIN)/python benchmarks/train_overhead.py
	$(BIN)/python benchmarks/widgets_bench.py

clean:
	rm -rf $(VENV) js/node_modules dlp_widgets/static/*.js dlp_widgets/static/*.css tests/artifacts
