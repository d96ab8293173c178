"""The tests: `make test` (or `.venv/bin/python -m pytest -q test_all.py`).

Every test checks the code against something computed independently: the activation kernel against numpy
written from the formula tables, its backward against finite differences, the tasks against hand-worked
examples from the write-up, training against the task itself.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tasks
import train

ROOT = Path(__file__).resolve().parent
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


# ---- tasks ----

def seq(s):
  return np.array([[[float(v)] for v in s]], np.float32)


def test_parens_example_from_the_writeup():
  # ( ) ( ( ) ( ) )
  x = seq([-1, 1, -1, -1, 1, -1, 1, 1])
  assert tasks.TASKS["parens"].target(x)[0, :, 0].tolist() == [-1, 1, -1, -1, -1, -1, -1, 1]


def test_replace111_example_from_the_writeup():
  x = seq([-1, 1, -1, -1, -1, 1, -1, -1, -1, 1, -1])
  want = [-1, 1, 1, 1, -1, 1, 1, 1, -1, 1, 1]
  assert tasks.TASKS["replace111"].target(x)[0, :, 0].tolist() == want


def test_replace111_a_one_inside_the_window_restarts_it():
  x = seq([1, -1, 1, -1, -1, -1])
  assert tasks.TASKS["replace111"].target(x)[0, :, 0].tolist() == [1, 1, 1, 1, 1, -1]


def test_delays_and_loop():
  x = seq([1, -1, 1, 1, -1])
  assert tasks.TASKS["delay1"].target(x)[0, :, 0].tolist() == [-1, 1, -1, 1, 1]
  assert tasks.TASKS["delay2"].target(x)[0, :, 0].tolist() == [-1, -1, 1, -1, 1]
  assert tasks.TASKS["loop3"].target(x)[0, :, 0].tolist() == [-1, -1, 1, -1, -1]


def test_gated_modes_cycle_and_advance_before_the_output():
  a, b = [1, 1, -1, -1], [1, -1, 1, -1]  # all four operand pairs
  rows, want = [], []
  for mode, truth in enumerate([[-1, 1, 1, -1], [1, -1, -1, -1], [-1, -1, -1, 1], [-1, 1, 1, 1]]):
    for i in range(4):  # the first step of each block changes the mode (except the very first: XOR)
      rows.append([1 if (i == 0 and mode > 0) else -1, a[i], b[i]])
      want.append(truth[i])
  rows.append([1, 1, 1])  # NAND -> XOR again: 1 XOR 1 is false
  want.append(-1)
  x = np.array([rows], np.float32)
  assert tasks.TASKS["gated"].target(x)[0, :, 0].tolist() == want


def test_cpu_registers():
  # store +1 in r1, copy r1 -> r0, store -1 in r1, copy r0 -> r1 (r0 is +1)
  x = np.array([[[-1, 1, 1], [1, 1, -1], [-1, 1, -1], [1, -1, -1]]], np.float32)
  assert tasks.TASKS["cpu"].target(x)[0, :, 0].tolist() == [1, 1, -1, 1]


def test_parens_sampler_gives_valid_prefixes_that_reach_depth_8():
  x = tasks.TASKS["parens"].sample_inputs(np.random.default_rng(0), 500, 60)
  depth = np.cumsum(-x[:, :, 0], axis=1)
  assert depth.min() >= 0 and depth.max() == 8


def test_every_task_gives_pm1_of_the_right_shape():
  for task in tasks.TASKS.values():
    x, y = task.sample(np.random.default_rng(1), 7, 13)
    assert x.shape == (7, 13, task.n_in) and y.shape == (7, 13, task.n_out)
    assert set(np.unique(x)) <= {-1.0, 1.0} and set(np.unique(y)) <= {-1.0, 1.0}


def test_task_file_loader(tmp_path):
  f = tmp_path / "mine.py"
  f.write_text("from tasks import Task, shift\n"
               "LAG = Task(name='lag', n_in=1, n_out=1, target=lambda x: -shift(x, 1))\n")
  task = tasks.get_task(f"{f}:LAG")
  assert task.target(seq([1, 1, -1]))[0, :, 0].tolist() == [1, -1, -1]
  with pytest.raises(tasks.TaskError, match="has no NOPE"):
    tasks.get_task(f"{f}:NOPE")
  with pytest.raises(tasks.TaskError, match="does not exist"):
    tasks.get_task(f"{tmp_path}/missing.py:LAG")
  with pytest.raises(tasks.TaskError, match="unknown task"):
    tasks.get_task("nonsense")


# ---- activation.cl: the kernel against the formula tables and finite differences ----

def table_activation(x, f, leak):
  """A(x) and A'(x) straight from the tables in notes/original.md, in float64."""
  x = np.asarray(x, np.float64)
  lin = np.select([x < -3, x <= -1, x <= 1, x <= 3], [-1 + leak * (x + 3), x + 2, -x, x - 2], 1 + leak * (x - 3))
  dlin = np.select([x < -3, x <= -1, x <= 1, x <= 3], [leak, 1.0, -1.0, 1.0], leak)
  smooth = np.select([x <= -3, x <= -2, x <= 0, x <= 2, x <= 3],
                     [-1 + leak * (x + 3), (x + 3) ** 4 - 1, 1 - (x + 1) ** 4, (x - 1) ** 4 - 1, 1 - (x - 3) ** 4],
                     1 + leak * (x - 3))
  dsmooth = np.select([x <= -3, x <= -2, x <= 0, x <= 2, x <= 3],
                      [leak, 4 * (x + 3) ** 3, -4 * (x + 1) ** 3, 4 * (x - 1) ** 3, -4 * (x - 3) ** 3], leak)
  return f * lin + (1 - f) * smooth, f * dlin + (1 - f) * dsmooth


BREAKPOINTS = np.array([-3, -2, -1, 0, 1, 2, 3], np.float32)
DEVICES = ["CPU", "CL"]


def kernel_values(device, x, f, leak, weights=None):
  """Forward and the gradient of sum(weights * A(x)) through tinygrad's autograd, with activation.cl."""
  from tinygrad import Tensor

  t = Tensor(x, device=device)
  y = train.activation(t, f, leak)
  w = np.ones_like(x) if weights is None else weights
  (y * Tensor(w, device=device)).sum().backward()
  return y.numpy(), t.grad.numpy()


@pytest.mark.parametrize("device", DEVICES)
def test_kernel_matches_the_formula_tables(device):
  rng = np.random.default_rng(0)
  x = np.concatenate([rng.uniform(-5, 5, 301), BREAKPOINTS]).astype(np.float32).reshape(-1, 7)
  w = rng.normal(size=x.shape).astype(np.float32)  # distinct upstream gradients catch mixed-up elements
  for f in (0.0, 0.5, 1.0):
    for leak in (0.0, 0.1, 1.0):
      y, dx = kernel_values(device, x, f, leak, w)
      want_y, want_dy = table_activation(x, f, leak)
      np.testing.assert_allclose(y, want_y, atol=1e-5, err_msg=f"forward f={f} leak={leak}")
      np.testing.assert_allclose(dx, w * want_dy, atol=1e-4, err_msg=f"backward f={f} leak={leak}")


@pytest.mark.parametrize("device", DEVICES)
def test_kernel_backward_matches_finite_differences(device):
  rng = np.random.default_rng(1)
  x = rng.uniform(-4.5, 4.5, 400)
  x = x[np.min(np.abs(x[:, None] - BREAKPOINTS[None]), axis=1) > 0.01].astype(np.float32)  # smooth points
  h = np.float32(1e-3)
  for f in (0.0, 0.5, 1.0):
    for leak in (0.0, 0.1, 1.0):
      _, dx = kernel_values(device, x, f, leak)
      up, _ = kernel_values(device, x + h, f, leak)
      down, _ = kernel_values(device, x - h, f, leak)
      np.testing.assert_allclose(dx, (up - down) / (2 * h), atol=2e-3, err_msg=f"f={f} leak={leak}")


@pytest.mark.parametrize("device", DEVICES)
def test_kernel_derivative_at_breakpoints_is_a_one_sided_limit(device):
  # At a kink the derivative is the slope of the piece the table assigns the point to: for each part (L, S)
  # that is the slope just left or just right of it, checked on the pure parts f = 0 and f = 1.
  h = np.float32(1e-3)
  for f in (0.0, 1.0):
    for leak in (0.0, 0.1, 1.0):
      _, dx = kernel_values(device, BREAKPOINTS, f, leak)
      y, _ = kernel_values(device, BREAKPOINTS, f, leak)
      left = (y - kernel_values(device, BREAKPOINTS - h, f, leak)[0]) / h
      right = (kernel_values(device, BREAKPOINTS + h, f, leak)[0] - y) / h
      near = np.minimum(np.abs(dx - left), np.abs(dx - right))
      assert np.all(near < 1e-2), (f, leak, dx, left, right)


# ---- train.py ----

def small_config(**over):
  cfg = {**tasks.DEFAULTS, "cells": "4x2", "steps": 40, "batch": 32, "seq_len": 8}
  return {**cfg, **over}


def test_delay1_trains_to_perfect_validation(tmp_path):
  out = tmp_path / "d1.npz"
  meta = train.train(tasks.TASKS["delay1"], "delay1", small_config(steps=300, batch=64, seq_len=10), 0, out,
                     val_every=100)
  assert meta["val_accuracy"] == 1.0
  weights, saved = train.load_run(out)
  assert saved["steps_done"] == 300 and saved["task"] == "delay1"
  # an independent check of the saved weights: fresh sequences, the task's own answer
  x, y = tasks.TASKS["delay1"].sample(np.random.default_rng(123), 200, 30)
  assert train.accuracy(train.predict(weights, saved, x), y) == 1.0


def test_resume_after_ctrl_c_equals_an_uninterrupted_run(tmp_path, monkeypatch):
  cfg, task = small_config(steps=40), tasks.TASKS["replace111"]
  train.train(task, "replace111", cfg, 7, tmp_path / "whole.npz", val_every=20, restarts=0)
  whole, _ = train.load_run(tmp_path / "whole.npz")

  real_step = train.Trainer.step
  def interrupted(self, step):
    if step == 25:
      raise KeyboardInterrupt
    return real_step(self, step)
  monkeypatch.setattr(train.Trainer, "step", interrupted)
  with pytest.raises(SystemExit):
    train.train(task, "replace111", cfg, 7, tmp_path / "part.npz", val_every=20, restarts=0)
  monkeypatch.setattr(train.Trainer, "step", real_step)
  part, meta = train.load_run(tmp_path / "part.npz")
  assert meta["steps_done"] == 25
  train.train(task, "replace111", cfg, 7, tmp_path / "part.npz", resume=(part, meta), val_every=20, restarts=0)
  resumed, meta = train.load_run(tmp_path / "part.npz")
  assert meta["steps_done"] == 40
  for k in train.weight_names([(4, 2)]):
    np.testing.assert_array_equal(resumed[k], whole[k], err_msg=k)


def test_same_seed_same_weights_other_seed_other_weights(tmp_path):
  cfg, task = small_config(steps=10), tasks.TASKS["delay2"]
  runs = {}
  for name, seed in [("a", 3), ("b", 3), ("c", 4)]:
    train.train(task, "delay2", cfg, seed, tmp_path / f"{name}.npz", val_every=10, restarts=0)
    runs[name] = train.load_run(tmp_path / f"{name}.npz")[0]
  assert all(np.array_equal(runs["a"][k], runs["b"][k]) for k in train.weight_names([(4, 2)]))
  assert not np.array_equal(runs["a"]["cell0_output_kernel"], runs["c"]["cell0_output_kernel"])


def test_a_stuck_run_restarts_with_fresh_weights(tmp_path):
  # lr 0 never learns: every attempt is stuck, each restart draws new weights, the last one runs to the end
  meta = train.train(tasks.TASKS["replace111"], "replace111", small_config(steps=20, lr=0.0), 0, tmp_path / "r.npz",
                     val_every=5, restarts=2)
  assert meta["attempt"] == 2 and meta["steps_done"] == 20
  final, _ = train.load_run(tmp_path / "r.npz")
  first = train.init_weights(np.random.default_rng([0, 0]), 1, [(4, 2)], 1)
  last = train.init_weights(np.random.default_rng([0, 2]), 1, [(4, 2)], 1)
  np.testing.assert_array_equal(final["cell0_output_kernel"], last["cell0_output_kernel"])  # lr 0: unchanged
  assert not np.array_equal(first["cell0_output_kernel"], last["cell0_output_kernel"])


def test_sparsity_penalty_matches_the_formula():
  from tinygrad import Tensor
  rng = np.random.default_rng(0)
  w = {"cell0_output_kernel": rng.normal(size=(3, 4)).astype(np.float32), "cell0_output_bias": np.ones(4, np.float32),
       "dense_weight": rng.normal(size=(4, 1)).astype(np.float32) * 0.05}
  got = train.sparsity_penalty({k: Tensor(v) for k, v in w.items()}, Tensor([0.05]), 0.025, 10.0, 0.001).item()
  want = sum(np.mean(0.05 * (np.tanh((np.abs(v) - 0.025) * 10) - np.tanh(-0.25)) + 0.001 * np.abs(v))
             for k, v in w.items() if k != "cell0_output_bias")  # biases are not penalized
  assert got == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("args, words", [
  (["--task", "nonsense"], ["unknown task 'nonsense'"]),
  (["--task", "missing_file.py:TASK"], ["missing_file.py does not exist"]),
  (["--task", "tasks.py:NOPE"], ["tasks.py has no NOPE"]),
  (["--cells", "4by2"], ["--cells '4by2'"]),
  (["--steps", "-5"], ["--steps must be >= 0"]),
  (["--resume", "tasks.py"], ["tasks.py", "not a run file"]),
])
def test_train_bad_input_is_one_clear_line(args, words, tmp_path):
  out = tmp_path / "never.npz"
  assert_clean_error(run_script("train.py", *args, "-o", out), *words)
  assert not out.exists()
