# Two commands on a fresh machine: `make run` (install, index corpus/, open the chat) and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip
CMAKE_FLAGS := -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

.PHONY: install install-test run test bench index clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# torch first, by exact version, so pip takes the CPU wheel on this disk and nothing resolves a CUDA build.
install: $(BIN)/python
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e .

install-test: install
	CMAKE_ARGS="$(CMAKE_FLAGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(PIP) install -q -e '.[local,fixtures,test]'
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium chromium-driver)

index: install
	$(BIN)/rag index

run: index
	$(BIN)/rag serve

test: install-test
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) index/chroma index/manifest.sqlite index/bm25
