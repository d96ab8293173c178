# make demo: grow a replace111 bonsai end to end.   make test: the test suite (make quick: its fast part).
# make bench: the benchmark.
# All set everything up on a fresh Debian/Ubuntu machine first: Debian packages, a .venv, the pip packages.
PY := .venv/bin/python
APT_PACKAGES := clang graphviz pocl-opencl-icd ocl-icd-libopencl1 chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUN := runs/replace111-s0

.PHONY: setup demo test quick mutants bench lint clean examples docs

setup: .venv/.installed
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

# requirements.txt: what the pipeline needs; dev/requirements.txt: the tests and the developer tools
.venv/.installed: requirements.txt dev/requirements.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r dev/requirements.txt
	touch $@

demo: setup
	$(PY) train.py --task replace111 --seed 0 --force -o $(RUN).npz
	@if [ -f extract.py ] && [ -f prune.py ] && [ -f render.py ]; then \
	  $(PY) extract.py $(RUN).npz -o $(RUN).json && \
	  $(PY) prune.py $(RUN).json -o $(RUN)-pruned.json && \
	  $(PY) render.py $(RUN)-pruned.json -o $(RUN).svg && \
	  echo "the bonsai: $(RUN).svg (graph: $(RUN)-pruned.json)"; \
	fi

test: setup .venv/.ray-installed
	$(PY) -m pytest -q --durations=15

# Ray, for the test of bench.py --ray only: the pipeline and make demo never need it (where pip has no Ray for this
# machine, that one test is skipped and says why)
.venv/.ray-installed: dev/requirements-ray.txt .venv/.installed
	$(PY) -m pip install -q -r dev/requirements-ray.txt || echo "Ray did not install: the test of bench.py --ray is skipped"
	touch $@

# the tests that need no training, browser or OpenCL: seconds, for while you edit
quick: setup
	$(PY) -m pytest -q -m "not slow and not browser and not opencl"

# the tests against deliberate bugs: each of dev/mutants.py's small mutations must make its tests fail
mutants: setup
	$(PY) dev/mutants.py

bench: setup
	$(PY) dev/bench.py

# examples/: one pruned graph per task (TASK:SEED), grown by the same commands a user types (gated takes minutes).
# loop3's seed 0 grows a quasi-periodic analog oscillator that no finite machine describes; seed 3 a boolean one.
EXAMPLES := delay1:0 delay2:0 loop3:3 replace111:0
examples: setup
	mkdir -p runs examples
	for ts in $(EXAMPLES); do t=$${ts%:*}; s=$${ts#*:}; \
	  $(PY) train.py --task $$t --seed $$s --force -o runs/$$t-s$$s.npz && \
	  $(PY) extract.py runs/$$t-s$$s.npz | $(PY) prune.py -o examples/$$t.json || exit 1; \
	done
	# parens: train and prune alone count the depth in a state that drifts; grown (re-fit, pruned again), seed 1
	# counts it exactly, proven for every length
	$(PY) grow.py --task parens --seed 1 --force -o examples/parens.json
	# gated: grown from its generic 8x6 on the smooth activation with state noise (tasks.py), proven by cells
	$(PY) grow.py --task gated --seed 0 --force -o examples/gated.json
	# cpu: trained on the write-up's activation with state noise (tasks.py), then settled: 12000 steps more on the
	# smooth activation with more noise, which pulls its analog states onto the flat peaks; proven by cells
	$(PY) train.py --task cpu --seed 0 --force -o runs/cpu-s0.npz
	$(PY) train.py --resume runs/cpu-s0.npz --factor 0 --state-noise 0.2 --steps 36000
	$(PY) extract.py runs/cpu-s0.npz | $(PY) prune.py -o examples/cpu.json
	# replace111 grows a one-state analog counter by default; with two states it grows the write-up's boolean one
	$(PY) train.py --task replace111 --cells 1x2 --seed 1 --force -o runs/replace111-1x2-s1.npz
	$(PY) extract.py runs/replace111-1x2-s1.npz | $(PY) prune.py -o examples/replace111-boolean.json

# docs/: the README's pictures, programs and machines, drawn from examples/ by render.py, and the page's screenshot.
docs: setup
	for g in examples/*.json; do t=$$(basename $$g .json); \
	  $(PY) render.py $$g -o docs/$$t.svg && $(PY) render.py $$g -o docs/$$t.py && \
	  $(PY) render.py $$g --fsm -o docs/$$t-fsm.svg || exit 1; \
	done
	mkdir -p runs
	$(PY) render.py examples/replace111.json -o runs/replace111.html
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1150 \
	  --screenshot=docs/page.png file://$(CURDIR)/runs/replace111.html

lint: setup
	.venv/bin/ruff check .

clean:
	rm -rf runs .pytest_cache .ruff_cache .hypothesis __pycache__
