# make demo: grow a replace111 bonsai end to end.   make test: the test suite.   make bench: the benchmark.
# Both set everything up on a fresh Debian/Ubuntu machine first: Debian packages, a .venv, the pip packages.
PY := .venv/bin/python
APT_PACKAGES := clang graphviz pocl-opencl-icd ocl-icd-libopencl1 chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUN := runs/replace111-s0

.PHONY: setup demo test bench lint clean

setup: .venv/.installed
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

.venv/.installed: requirements.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

demo: setup
	$(PY) train.py --task replace111 --seed 0 -o $(RUN).npz
	@if [ -f extract.py ] && [ -f prune.py ] && [ -f render.py ]; then \
	  $(PY) extract.py $(RUN).npz -o $(RUN).json && \
	  $(PY) prune.py $(RUN).json -o $(RUN)-pruned.json && \
	  $(PY) render.py $(RUN)-pruned.json -o $(RUN).svg && \
	  echo "the bonsai: $(RUN).svg (graph: $(RUN)-pruned.json)"; \
	fi

test: setup
	$(PY) -m pytest -q test_all.py

bench: setup
	$(PY) bench.py

lint: setup
	.venv/bin/ruff check .

clean:
	rm -rf runs .pytest_cache .ruff_cache __pycache__
