"""What test_all.py and dev/test_fuzz.py share: running a script as a user does, the one-line error every bad input
gets, graphs built by hand, a run file of random weights, and Debian's Chromium (pytest's `pythonpath` in
pyproject.toml puts this folder on the path)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent  # the repo: the stages, examples/ and docs/
PY = sys.executable


def run_script(*args, stdin=None, env=None, cwd=ROOT):
  """Run one of the repo's scripts as a user would; returns the CompletedProcess."""
  return subprocess.run([PY, *map(str, args)], input=stdin, capture_output=True, cwd=cwd, timeout=600,
                        env={**os.environ, **(env or {})})


def assert_clean_error(proc, *words):
  """Bad input: exit 2, one line on stderr naming the problem, no traceback."""
  err = proc.stderr.decode() if isinstance(proc.stderr, bytes) else proc.stderr
  assert proc.returncode == 2, err
  assert "Traceback" not in err, err
  lines = [ln for ln in err.strip().splitlines() if ln.strip()]
  assert len(lines) == 1, err
  for w in words:
    assert w in lines[0], lines[0]


def hand_graph(nodes, edges, task="delay1", factor=0.5, leak=0.1):
  return {"directed": True, "multigraph": False,
          "graph": {"task": task, "activation": {"factor": factor, "leak": leak}}, "nodes": nodes, "edges": edges}


def inp(i):
  return {"id": f"in{i}", "kind": "input", "index": i}


def state(j, init, cell=0):
  return {"id": f"c{cell}_s{j}", "kind": "state", "cell": cell, "index": j, "init": init}


def neuron(name, bias, cell=0):  # name "o3" or "r1"
  role = {"o": "output", "r": "recurrent"}[name[0]]
  return {"id": f"c{cell}_{name}", "kind": "neuron", "role": role, "cell": cell, "index": int(name[1:]), "bias": bias}


def out(i, bias=0.0):
  return {"id": f"out{i}", "kind": "output", "index": i, "bias": bias}


def edge(source, target, weight):
  e = {"source": source, "target": target, "weight": weight}
  return {**e, "feedback": True} if "_s" in target else e


def delay1_graph(extra_nodes=(), extra_edges=()):
  """y[n] = x[n-1] by hand: r0 = A(-x) = x for x = ±1 is stored in s0 (init -1); o0 = A(-s0) = s0; out0 = o0."""
  nodes = [inp(0), state(0, -1.0), neuron("r0", 0.0), neuron("o0", 0.0), *extra_nodes, out(0)]
  edges = [edge("in0", "c0_r0", -1.0), edge("c0_r0", "c0_s0", 1.0), edge("c0_s0", "c0_o0", -1.0),
           edge("c0_o0", "out0", 1.0), *extra_edges]
  return hand_graph(nodes, edges)


def random_run(path, seed=5, cells=((5, 3), (4, 2)), n_in=3, n_out=2, **changes):
  """A run file with random (untrained) weights, two stacked cells; `changes` replace or (None) drop arrays."""
  rng = np.random.default_rng(seed)
  import train  # here: only run files need tinygrad
  w = train.init_weights(rng, n_in, [tuple(c) for c in cells], n_out)
  meta = {"task": "gated", "n_in": n_in, "n_out": n_out, "cells": [list(c) for c in cells], "factor": 0.3,
          "leak": 0.05}
  arrays = {**w, "meta": np.array(json.dumps(meta)), "history": np.array([[10, 0.5, 0.1, 0.25, 40]], np.float32)}
  for k, v in changes.items():
    if v is None:
      arrays.pop(k)
    else:
      arrays[k] = v
  np.savez(path, **arrays)
  return w, meta


@pytest.fixture(scope="module")
def browser():
  """Debian's Chromium (apt-get install chromium), headless, driven by Playwright; never a downloaded browser."""
  import shutil

  from playwright.sync_api import sync_playwright
  chromium = os.environ.get("BONSAI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
  if not Path(chromium).exists():
    missing = f"no Chromium at {chromium}: apt-get install chromium (or set BONSAI_CHROMIUM)"
    assert not os.environ.get("CI"), missing  # CI must run these; elsewhere they are skipped, with the reason
    pytest.skip(missing)
  with sync_playwright() as p:
    b = p.chromium.launch(executable_path=chromium, args=[
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"])
    yield b
    b.close()


def open_page(browser, path):
  """A fresh tab on a page file; returns (tab, problems) where problems collects requests and errors as they come."""
  tab = browser.new_page(viewport={"width": 1200, "height": 900})
  problems = []
  tab.on("request", lambda r: r.url != path.as_uri() and problems.append(f"request {r.url}"))
  tab.on("pageerror", lambda e: problems.append(f"error {e}"))
  tab.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"console {m.text}"))
  tab.clock.install()  # the page's timers run only when the test says so (no sleeps)
  tab.goto(path.as_uri())
  return tab, problems
