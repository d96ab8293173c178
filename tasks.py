"""The target programs: random ±1 input sequences in, the exact ±1 outputs out.

Every stage shares this file. A task is a plain program vectorized over a batch:
  x = task.sample_inputs(rng, batch, length)   # (batch, length, n_in) float32 of ±1
  y = task.target(x)                          # (batch, length, n_out) float32 of ±1
and `task.settings()` holds the training settings that are known to work for it.

Your own task lives in any .py file next to your work and is named as `path/to/file.py:NAME`:

  # my_tasks.py
  import numpy as np
  from tasks import Task
  def _and_prev(x):                        # out = x[n] AND x[n-1] (x[-1] counts as false)
    prev = np.concatenate([-np.ones_like(x[:, :1]), x[:, :-1]], axis=1)
    return np.where((x > 0) & (prev > 0), 1.0, -1.0).astype(np.float32)
  AND_PREV = Task(name="and_prev", n_in=1, n_out=1, target=_and_prev, config={"steps": 1500})

  python train.py --task my_tasks.py:AND_PREV

Run `python tasks.py` to list the tasks, `python tasks.py NAME` to see a sample.
"""
import argparse
import hashlib
import importlib.util
import keyword
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

# The training settings, name: (default, what it does). A task's `config` overrides some of the defaults, and
# train.py makes each one a flag (--seq-len for seq_len) that overrides both.
SETTINGS = {
  "cells": ("8x4", "the network: OUTPUTSxSTATES per cell, comma separated for a stack, e.g. 8x4 or 16x10,16x10; "
                   "a task of more than two inputs starts with two states per input (8x6 for three)"),
  "steps": (3000, "optimizer steps in all; training goes on after 100% accuracy, which is when the penalty prunes"),
  "batch": (256, "sequences per step, freshly sampled every step"),
  "seq_len": (20, "training sequence length; validation uses twice this, at least 100"),
  "lr": (0.01, "Adam learning rate at the start; it steps down at 10%, 20% and 50% of the steps"),
  "factor": (0.5, "activation: 0 smooth, 1 piecewise linear, in between a mix of the two curves"),
  "leak": (0.1, "activation: slope of the tails beyond |x| = 3"),
  "reg_intensity": (0.05, "sparsity penalty i_T: weight of its tanh term, which counts the weights above t"),
  "reg_threshold": (0.025, "sparsity penalty t: |w| above which a weight counts as non-zero"),
  "reg_steepness": (10.0, "sparsity penalty s: how sharply it turns on around t"),
  "reg_l1": (0.001, "sparsity penalty i_L1: a little plain L1, which gives unused weights a push to exactly 0"),
  "reg_from": (0.0, "fraction of the steps before the penalty turns on: learn first, then sparsify (0: at once)"),
  "windows": (1, "above 1: train on sequences of WINDOWS x seq_len steps, one window a step, the state carried "
                 "from window to window (teaches a network to keep working on long sequences)"),
  "state_noise": (0.0, "standard deviation of the noise added to every new state while training: a state must then "
                       "settle where the noise does not move it, which keeps it exact on long sequences (0: off; "
                       "grow.py tries 0.1 when a run without it fails)"),
}
DEFAULTS = {k: v for k, (v, _) in SETTINGS.items()}


MAX_WEIGHTS = 10_000_000  # a network above this would not fit in memory for a batch, let alone train on a CPU
MAX_CELLS = 16  # stacked cells: each adds its kernels to every step's graph (200 cells of 1x1 took 822 s to compile)
MAX_WIDTH = 1024  # a cell's outputs + states: the fused cell keeps a row of them per sequence in private memory
MAX_WORK = 10 ** 10  # weights x batch x seq_len in one training step: 60 times the write-up's gated, which took
                     # tens of ms a step here; past it a step runs for minutes, and tinygrad calls the CPU hung


def parse_cells(spec: str) -> list[tuple[int, int]]:
  """'16x10,16x10' -> [(16, 10), (16, 10)]: outputs x states per cell."""
  try:
    cells = [tuple(int(v) for v in part.lower().split("x")) for part in str(spec).split(",")]
  except ValueError:
    cells = []
  if not cells or any(len(c) != 2 or c[0] < 1 or c[1] < 1 for c in cells):
    raise ValueError(f"--cells {spec!r} is not a list like 8x4 or 16x10,16x10 (outputs x states, each at least 1)")
  return cells


def check_settings(cfg: dict, n_in: int = 1, n_out: int = 1) -> dict:
  """cfg with its cells written out plainly (8x4,4x2); ValueError, naming the flag, for a setting out of range."""
  cells = parse_cells(cfg["cells"])
  cfg = {**cfg, "cells": ",".join(f"{o}x{s}" for o, s in cells)}
  size, width = 0, n_in
  for o, s in cells:
    size, width = size + (width + s) * (o + s), o
  size += width * n_out
  if len(cells) > MAX_CELLS or max(o + s for o, s in cells) > MAX_WIDTH or size > MAX_WEIGHTS:
    raise ValueError(f"--cells {cfg['cells'][:60]}: {len(cells)} cell(s), the widest of {max(o + s for o, s in cells)} "
                     f"outputs + states, {size:,} weights; at most {MAX_CELLS} cells, {MAX_WIDTH} outputs + states a "
                     f"cell and {MAX_WEIGHTS:,} weights")
  for key in ("steps", "batch", "seq_len", "windows"):
    if not isinstance(cfg[key], (int, np.integer)) or isinstance(cfg[key], bool) or cfg[key] < 1:
      raise ValueError(f"--{key.replace('_', '-')} must be a positive whole number, not {cfg[key]!r}")
  work = size * cfg["batch"] * cfg["seq_len"]
  if work > MAX_WORK:
    raise ValueError(f"--cells {cfg['cells'][:60]} x --batch {cfg['batch']} x --seq-len {cfg['seq_len']}: {work:.2g} "
                     f"weight-steps in one training step, more than {MAX_WORK:.0e}: it would not finish")
  ranges = {"lr": (0, None), "factor": (0, 1), "leak": (0, None), "state_noise": (0, None), "reg_intensity": (0, None),
            "reg_threshold": (0, None), "reg_steepness": (0, None), "reg_l1": (0, None), "reg_from": (0, 1)}
  for key, (low, high) in ranges.items():
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < low or \
        (high is not None and v > high) or (key == "lr" and v == 0):
      where = f"between {low} and {high}" if high is not None else "above 0" if key == "lr" else f"at least {low}"
      raise ValueError(f"--{key.replace('_', '-')} must be a finite number {where}, not {v!r}")
  return cfg


class TaskError(ValueError):
  """A task name or task file that cannot be used; scripts print it as one line and exit 2."""


@dataclass(frozen=True)
class Task:
  name: str
  n_in: int
  n_out: int
  target: Callable[[np.ndarray], np.ndarray]
  inputs: Callable[[np.random.Generator, int, int], np.ndarray] | None = None  # None: uniform random ±1
  config: dict | None = field(default=None)
  about: str = ""  # one line for `python tasks.py`
  states: int | None = None  # the number of states of the smallest machine that computes the task, when known
  # (start, step): the task as a machine, for a proof on a task with its own sampler (prove.py). step(state,
  # inputs as a tuple of ±1) -> (next state, outputs), or None for an input the sampler never draws there
  machine: tuple | None = None
  # names for the inputs and the outputs (Python identifiers), which the drawings and the machine use; None: in0..
  input_names: tuple[str, ...] | None = None
  output_names: tuple[str, ...] | None = None

  def sample_inputs(self, rng: np.random.Generator, batch: int, length: int) -> np.ndarray:
    if self.inputs is not None:
      return np.asarray(self.inputs(rng, batch, length), dtype=np.float32)
    return rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(batch, length, self.n_in))

  def sample(self, rng: np.random.Generator, batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    x = self.sample_inputs(rng, batch, length)
    return x, np.asarray(self.target(x), dtype=np.float32)

  def settings(self) -> dict:
    unknown = set(self.config or {}) - set(DEFAULTS)
    if unknown:
      raise TaskError(f"task {self.name}: unknown config keys {sorted(unknown)} (known: {sorted(DEFAULTS)})")
    return {**DEFAULTS, "cells": generic_cells(self.n_in), **(self.config or {})}


def io_names(task) -> tuple[list[str], list[str]]:
  """The task's names for its inputs and outputs, in0.. and out0.. where it names none (task None: no names)."""
  if task is None:
    return [], []
  return [list(getattr(task, key, None) or [f"{prefix}{i}" for i in range(n)])
          for key, prefix, n in (("input_names", "in", task.n_in), ("output_names", "out", task.n_out))]


def named_ids(names: tuple[list, list] | None) -> dict[str, str]:
  """io_names as node id -> name (in0 -> the first input's name, ...), leaving out the ids named as themselves."""
  ins, outs = names or ([], [])
  return {f"{kind}{i}": n for kind, given in (("in", ins), ("out", outs)) for i, n in enumerate(given)
          if n != f"{kind}{i}"}


def generic_cells(n_in: int) -> str:
  """The start every task trains from unless its config says otherwise: one cell of 8 outputs and 4 states, with
  two states per input once there are more than two inputs (a mode and two operands to hold: from 8x4, gated
  learned nothing in four attempts)."""
  return f"8x{max(4, 2 * n_in)}"


def pm1(b: np.ndarray) -> np.ndarray:
  """Booleans to ±1 float32 (True is +1)."""
  return np.where(b, 1.0, -1.0).astype(np.float32)


def shift(x: np.ndarray, n: int) -> np.ndarray:
  """x delayed by n steps along time, the first n steps filled with -1."""
  pad = -np.ones_like(x[:, :n])
  return np.concatenate([pad, x[:, :x.shape[1] - n]], axis=1)


def loop3(x):
  n = np.arange(x.shape[1])
  return np.broadcast_to(pm1(n % 3 == 2)[None, :, None], x.shape).copy()


def parens_inputs(rng, batch, length, max_depth=8):
  # Only valid prefixes: open when the depth allows it and (at depth 0 or on a coin flip), else close.
  x = np.empty((batch, length, 1), np.float32)
  depth = np.zeros(batch, np.int64)
  for t in range(length):
    opening = (depth < max_depth) & ((depth == 0) | (rng.random(batch) < 0.5))
    x[:, t, 0] = np.where(opening, -1.0, 1.0)
    depth += np.where(opening, 1, -1)
  return x


def parens_step(depth: int, x: tuple):
  """parens as a machine over the inputs parens_inputs draws: the state is the depth."""
  opening = x[0] < 0
  if depth == (8 if opening else 0):  # a ( at depth 8 or a ) at depth 0 is never drawn
    return None
  depth += 1 if opening else -1
  return depth, 1.0 if depth == 0 else -1.0


def parens(x):
  depth = np.cumsum(-x, axis=1)  # '(' is -1 and raises the depth by one
  return pm1(depth == 0)


def replace111(x):
  y = np.empty_like(x)
  counter = np.zeros(x.shape[0], np.int64)
  for t in range(x.shape[1]):
    counter = np.where(x[:, t, 0] > 0, 3, counter)
    y[:, t, 0] = np.where(counter > 0, 1.0, x[:, t, 0])
    counter = np.maximum(counter - 1, 0)
  return y


GATES = [  # the modes of the gated task, in the order change_mode cycles through them
  ("XOR", lambda a, b: a != b),
  ("AND", lambda a, b: a & b),
  ("NOR", lambda a, b: ~(a | b)),
  ("NAND", lambda a, b: ~(a & b)),
]


def gated_inputs(rng, batch, length):
  x = rng.choice(np.array([-1.0, 1.0], np.float32), size=(batch, length, 3))
  x[:, :, 0] = pm1(rng.random((batch, length)) < 0.3)  # change_mode is rarer than the operands
  return x


def gated(x):
  y = np.empty(x.shape[:2] + (1,), np.float32)
  mode = np.zeros(x.shape[0], np.int64)
  for t in range(x.shape[1]):
    mode = (mode + (x[:, t, 0] > 0)) % len(GATES)  # the mode advances before this step's output
    a, b = x[:, t, 1] > 0, x[:, t, 2] > 0
    outs = np.stack([gate(a, b) for _, gate in GATES])
    y[:, t, 0] = pm1(outs[mode, np.arange(x.shape[0])])
  return y


def gated_step(mode: int, x: tuple):
  """gated as a machine: the state is the mode; every input can be drawn."""
  mode = (mode + (x[0] > 0)) % len(GATES)
  return mode, 1.0 if GATES[mode][1](np.bool_(x[1] > 0), np.bool_(x[2] > 0)) else -1.0


def cpu(x):
  # x[..., 0]: opcode (-1 store operand into register rx, +1 copy register rx into the other one)
  # x[..., 1]: rx (-1 register 0, +1 register 1); x[..., 2]: operand. Output: the value written.
  regs = -np.ones((x.shape[0], 2), np.float32)
  y = np.empty(x.shape[:2] + (1,), np.float32)
  rows = np.arange(x.shape[0])
  for t in range(x.shape[1]):
    op, rx, operand = x[:, t, 0], (x[:, t, 1] > 0).astype(np.int64), x[:, t, 2]
    store = op < 0
    dest = np.where(store, rx, 1 - rx)
    value = np.where(store, operand, regs[rows, rx])
    regs[rows, dest] = value
    y[:, t, 0] = value
  return y


def cpu_step(regs: tuple, x: tuple):
  """cpu as a machine: the state is the two registers; every input can be drawn."""
  op, rx, operand = x
  source = regs[int(rx > 0)]
  value = operand if op < 0 else source
  dest = int(rx > 0) if op < 0 else 1 - int(rx > 0)
  return tuple(value if i == dest else r for i, r in enumerate(regs)), value


CPU_OPS = {  # the instructions of cpu_task: (r[dst], r[src], imm) -> the new r[dst]
  "load": lambda d, s, imm: imm,
  "mov": lambda d, s, imm: s,
  "xor": lambda d, s, imm: d ^ s,
  "and": lambda d, s, imm: d & s,
}


def field_bits(n: int) -> int:
  """Bits that number n choices (at least one)."""
  return max(1, (n - 1).bit_length())


def cpu_fields(x, registers: int, ops: tuple) -> tuple:
  """An instruction's fields from its ±1 inputs (..., n_in), each number most significant bit first: (op, dst, src,
  imm); a number past the last op or register wraps around."""
  b, k, r = np.asarray(x) > 0, field_bits(len(ops)), field_bits(registers)

  def number(start, n):
    return sum(b[..., start + i].astype(np.int64) << (n - 1 - i) for i in range(n))
  return number(0, k) % len(ops), number(k, r) % registers, number(k + r, r) % registers, b[..., -1]


def cpu_task(registers: int, ops: tuple = tuple(CPU_OPS), name: str | None = None) -> Task:
  """A CPU of one-bit registers r0.. (all false at first). Each step's inputs are one instruction: an opcode (ops,
  numbered in order), dst and src (register numbers) and imm, each number's bits most significant first; r[dst]
  becomes CPU_OPS[op](r[dst], r[src], imm). The outputs: every register after the step. With load among the ops,
  every one of the 2^registers contents can be reached and told apart: its smallest machine has that many states."""
  if set(ops) - set(CPU_OPS) or not ops or registers < 1:
    raise TaskError(f"cpu_task: registers >= 1 and ops from {sorted(CPU_OPS)}, not {registers} and {ops}")
  k, r = field_bits(len(ops)), field_bits(registers)

  def bits(prefix, n):
    return (prefix,) if n == 1 else tuple(f"{prefix}{n - 1 - i}" for i in range(n))

  def target(x):
    op, dst, src, imm = cpu_fields(x, registers, ops)
    regs, rows = np.zeros((x.shape[0], registers), bool), np.arange(x.shape[0])
    y = np.empty(x.shape[:2] + (registers,), np.float32)
    for t in range(x.shape[1]):
      d, s = regs[rows, dst[:, t]], regs[rows, src[:, t]]
      new = np.select([op[:, t] == i for i in range(len(ops))], [CPU_OPS[o](d, s, imm[:, t]) for o in ops])
      regs[rows, dst[:, t]] = new
      y[:, t] = pm1(regs)
    return y

  def step(regs: tuple, x: tuple):
    op, dst, src, imm = (int(v) if i < 3 else bool(v) for i, v in enumerate(cpu_fields(np.array(x), registers, ops)))
    regs = tuple(CPU_OPS[ops[op]](regs[dst], regs[src], imm) if i == dst else v for i, v in enumerate(regs))
    return regs, tuple(1.0 if v else -1.0 for v in regs)
  return Task(name=name or f"cpu{registers}", n_in=k + 2 * r + 1, n_out=registers, target=target,
              machine=((False,) * registers, step), states=2 ** registers if "load" in ops else None,
              input_names=bits("op", k) + bits("dst", r) + bits("src", r) + ("imm",),
              output_names=tuple(f"r{i}" for i in range(registers)),
              config={"steps": 24000, "seq_len": 16, "windows": 10, "lr": 0.01, "reg_from": 0.5,
                      "reg_intensity": 0.15, "state_noise": 0.1},
              about=f"{registers} one-bit registers; an instruction a step ({' '.join(ops)} r[dst] with r[src] or "
                    "imm); outputs every register")


TASKS = {t.name: t for t in [
  Task(name="delay1", states=2, n_in=1, n_out=1, target=lambda x: shift(x, 1),
       config={"steps": 1000, "seq_len": 10}, about="y[n] = x[n-1], -1 at first", input_names=("x",),
       output_names=("y",)),
  Task(name="delay2", states=4, n_in=1, n_out=1, target=lambda x: shift(x, 2),
       config={"steps": 2000, "seq_len": 10},
       about="y[n] = x[n-2], -1 for the first two steps", input_names=("x",), output_names=("y",)),
  Task(name="loop3", states=3, n_in=1, n_out=1, target=loop3,
       config={"steps": 2000, "seq_len": 10, "lr": 0.03},
       about="-1, -1, +1 repeating; the input is ignored", input_names=("x",), output_names=("y",)),
  Task(name="parens", states=9, n_in=1, n_out=1, target=parens, inputs=parens_inputs, machine=(0, parens_step),
       config={"steps": 5000, "seq_len": 40, "factor": 1.0, "reg_from": 0.3, "reg_intensity": 0.15},
       about="( is -1, ) is +1, valid prefixes up to depth 8; +1 when balanced", input_names=("close",),
       output_names=("balanced",)),
  Task(name="replace111", states=3, n_in=1, n_out=1, target=replace111,
       config={"steps": 2000, "seq_len": 10},
       about="each +1 input makes the output +1 for 3 steps", input_names=("x",), output_names=("y",)),
  Task(name="gated", states=4, n_in=3, n_out=1, target=gated, inputs=gated_inputs, machine=(0, gated_step),
       config={"steps": 24000, "seq_len": 8, "windows": 10, "lr": 0.01, "leak": 0.01, "factor": 0.0,
               "state_noise": 0.1, "reg_from": 0.5, "reg_intensity": 0.15},
       about="inputs change_mode, a, b; mode cycles XOR AND NOR NAND; y = mode(a, b)",
       input_names=("change_mode", "a", "b"), output_names=("y",)),
  Task(name="cpu", states=4, n_in=3, n_out=1, target=cpu, machine=((-1.0, -1.0), cpu_step),
       config={"steps": 24000, "seq_len": 16, "windows": 10, "lr": 0.01, "reg_from": 0.5,
               "reg_intensity": 0.15, "state_noise": 0.1},
       about="mini CPU: [opcode, rx, operand] on two registers; y = value written",
       input_names=("copy", "rx", "operand"), output_names=("written",)),
  *(cpu_task(r) for r in (2, 3, 4)),  # the CPU the write-up could not grow, a register more a rung
]}


def load_task_file(path: str, attr: str) -> Task:
  file = Path(path)
  if not file.is_file():
    raise TaskError(f"task file {path} does not exist")
  spec = importlib.util.spec_from_file_location(f"user_task_{file.stem}", file)
  module = importlib.util.module_from_spec(spec)
  sys.path.insert(0, str(Path(__file__).resolve().parent))  # so the user's file can `from tasks import Task`
  try:
    spec.loader.exec_module(module)
  except (Exception, SystemExit) as e:  # the user's code: report what broke, not a traceback into our loader
    raise TaskError(f"task file {path} failed to load: {one_line(e)}") from None
  task = getattr(module, attr, None)
  if task is None:
    raise TaskError(f"task file {path} has no {attr}")
  if not (hasattr(task, "target") and hasattr(task, "n_in") and hasattr(task, "sample")):
    raise TaskError(f"{path}:{attr} is a {type(task).__name__}, not a Task")
  return check_task(task, f"task {path}:{attr}")


def check_task(task: Task, where: str) -> Task:
  """The task, once a small batch has gone through its sampler and its target: TaskError, naming `where`, when
  n_in or n_out is not a positive whole number, states or machine is malformed, a call raises, or a shape or a
  value is wrong (every stage runs the task on (batch, length, n_in) arrays of ±1 and compares with ±1 targets).
  Runs before anything is trained."""
  for key in ("n_in", "n_out"):
    value = getattr(task, key, None)
    if type(value) is not int or value < 1:
      raise TaskError(f"{where}: {key} must be a positive whole number, not {value!r}")
  states, machine = getattr(task, "states", None), getattr(task, "machine", None)
  if states is not None and (type(states) is not int or states < 1):
    raise TaskError(f"{where}: states must be a positive whole number (its smallest machine's), not {states!r}")
  if machine is not None and not (isinstance(machine, tuple) and len(machine) == 2 and callable(machine[1])):
    raise TaskError(f"{where}: machine must be (start state, step function), not {str(machine)[:80]}")
  for key, n in (("input_names", task.n_in), ("output_names", task.n_out)):
    names = getattr(task, key, None)
    if names is not None and not (isinstance(names, tuple | list) and len(names) == n and len(set(names)) == n and all(
        isinstance(v, str) and v.isidentifier() and not keyword.iskeyword(v) and len(v) <= 40 for v in names)):
      raise TaskError(f"{where}: {key} must be {n} different Python names (a tuple of str), not {str(names)[:80]}")
  checked_sample(task, np.random.default_rng(0), 16, 24, where)
  return task


def checked_sample(task: Task, rng: np.random.Generator, batch: int, length: int, where: str = "") -> tuple:
  """task.sample(rng, batch, length) as float32 arrays, or TaskError when the task's code raises or gives anything
  but ±1 of shapes (batch, length, n_in) and (batch, length, n_out). Every stage samples through this."""
  x = checked_call(where or f"task {task.name}", "input sampler", lambda: task.sample_inputs(rng, batch, length),
                   (batch, length, task.n_in))
  return x, checked_target(task, x, where)


def checked_target(task: Task, x: np.ndarray, where: str = "") -> np.ndarray:
  """task.target(x) as float32, or TaskError when it raises or is not ±1 of shape (batch, length, n_out)."""
  shape = x.shape[:2] + (task.n_out,)
  return checked_call(where or f"task {task.name}", "target", lambda: task.target(x.copy()), shape)


def checked_call(where: str, what: str, call, shape: tuple[int, ...]) -> np.ndarray:
  """call()'s result as float32, or TaskError when it raises or is not an array of ±1 of this shape."""
  try:
    a = np.asarray(call(), dtype=np.float64)
  except Exception as e:  # the user's code, or an answer that is no array of numbers
    raise TaskError(f"{where}: its {what} failed: {one_line(e)}") from None
  if a.shape != shape:
    raise TaskError(f"{where}: its {what} gave shape {a.shape} for {shape[0]} sequences of {shape[1]} steps, "
                    f"not {shape}")
  wrong = a[(a != 1) & (a != -1)]
  if wrong.size:
    raise TaskError(f"{where}: its {what} gave {wrong[0]:g}; every value must be +1 or -1")
  return a.astype(np.float32)


# ---- the test sets: prune.py verifies a graph on them, and train.py validates on the very same ones ----

TEST_SEQUENCES, TEST_LENGTH = 5000, 60  # the sampled test set: this many sequences of this many steps
# and a few long ones: a state that drifts slowly (a counter off by 1% a step) still passes 60 steps, and was found
# wrong at step 81 of every 1000-step sequence (a grown parens), after 100 to 500 steps (grown cpus)
LONG_SEQUENCES, LONG_LENGTH = 256, 1000
EXHAUSTIVE_MAX = 2 ** 16  # enumerate every input sequence when there are at most this many


def exhaustive_length(task: Task) -> int:
  """The longest length L whose 2^(n_in * L) uniform input sequences can all be tried (0: none)."""
  if task.inputs is not None or task.n_in < 1:
    return 0
  return int(np.log2(EXHAUSTIVE_MAX)) // task.n_in


def all_sequences(n_in: int, length: int) -> np.ndarray:
  """Every ±1 input sequence: (2^(n_in * length), length, n_in)."""
  n = n_in * length
  bits = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
  return (2.0 * bits - 1).reshape(-1, length, n_in).astype(np.float32)


def test_sets(task: Task, seed: int = 0, sequences: int = TEST_SEQUENCES, length: int = TEST_LENGTH,
              long: tuple[int, int] = (LONG_SEQUENCES, LONG_LENGTH)) -> list[dict]:
  """The inputs and targets a network must get right: sampled ones; a few long sampled ones (long: (sequences,
  steps), 0 sequences for none); and every input sequence of the longest length there are at most EXHAUSTIVE_MAX
  of, when the inputs are uniform ±1 (rare prefixes that sampling misses: a language whose accepted words are
  rare). Each set is {"name", "x", "y" (float64)}; the sampled ones have their seed."""
  x, y = checked_sample(task, np.random.default_rng(seed), sequences, length)  # TaskError: the task is broken
  sets = [{"name": "sampled", "x": x, "y": y.astype(np.float64), "seed": seed}]
  if long[0] > 0:
    x, y = checked_sample(task, np.random.default_rng([seed, 1]), *long)  # a stream of its own
    # not in prune's screen: a trained graph that drifts is cut first, and clipping may remove the drift
    sets.append({"name": "long", "x": x, "y": y.astype(np.float64), "seed": seed, "screen": False})
  n = exhaustive_length(task)
  if n:
    x = all_sequences(task.n_in, n)
    x = x[np.random.default_rng(seed).permutation(len(x))]  # shuffled: a screen that takes the first ones is fair
    sets.append({"name": "exhaustive", "x": x, "y": checked_target(task, x).astype(np.float64)})
  return sets


def one_line(e: BaseException) -> str:
  """An exception as one line: its type and the first line of its message."""
  text = str(e).strip().splitlines()
  return f"{type(e).__name__}: {text[0][:300]}" if text else type(e).__name__


def get_task(spec: str) -> Task:
  """A built-in task by name, or `path/to/file.py:NAME` for a Task defined in your own file."""
  if not isinstance(spec, str) or not spec.isprintable():
    raise TaskError(f"unknown task {spec!r}: a task name is one line of text")
  if spec in TASKS:
    return TASKS[spec]
  if ":" in spec:
    path, attr = spec.rsplit(":", 1)
    if path.endswith(".py"):
      return load_task_file(path, attr)
  raise TaskError(f"unknown task {spec!r}: use one of {', '.join(TASKS)} or path/to/file.py:NAME")


def file_digest(path: str | Path) -> str:
  """The SHA-256 of a file's bytes: a run file records its task file's, so that a later stage can tell that the
  file it would import is the very one the run was trained with."""
  return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def trusted_spec(spec, where: str, trust: bool = False, digest: str | None = None, places: tuple = ()) -> str:
  """The task spec to load for one that a graph or run file names (`where` names that file): a built-in name as it
  is. A task file is code, and a graph or run file is data that anyone may have written: its file is loaded only
  when the user says `trust` (--trust-task) and the file still has the SHA-256 `digest` that train.py recorded when
  the user trained with it; `places` are more paths to look for it (the run's folder). Then 'path:NAME' of the file
  found. Otherwise TaskError, one line, saying how to name the task instead."""
  if not isinstance(spec, str) or not spec or not spec.isprintable():
    raise TaskError(f"{where}: its task {str(spec)[:80]!r} is not a task name (one line of text)")
  if spec in TASKS:
    return spec
  file, _, attr = spec.rpartition(":")
  if not file.endswith(".py"):
    raise TaskError(f"{where}: unknown task {spec[:200]!r}; name it with --task NAME or --task path/to/file.py:NAME")
  how = f"name it yourself with --task {spec[:200]}"
  if not trust:
    raise TaskError(f"{where} names the task file {file[:200]}: a graph or run file never makes a stage run code; "
                    f"{how}, or add --trust-task if it is your own run")
  if not isinstance(digest, str):
    raise TaskError(f"{where} records no SHA-256 of its task file {file[:200]}, so --trust-task cannot check it; {how}")
  for place in (file, *places):
    if place and Path(place).is_file() and file_digest(place) == digest:
      return f"{place}:{attr}"
  raise TaskError(f"{where}: no task file {file[:200]} with the SHA-256 it records is there (edited or moved?); {how}")


def task_named_by(spec, where: str, trust: bool = False, digest: str | None = None, places: tuple = ()) -> Task:
  """The task a graph or run file names: tasks.get_task of its trusted_spec."""
  return get_task(trusted_spec(spec, where, trust, digest, places))


class ArgumentParser(argparse.ArgumentParser):
  """argparse's parser, answering a bad flag as every other bad input is answered: one line, exit 2 (argparse's
  own answer is its whole usage, then the error)."""

  def error(self, message: str):
    print(f"{self.prog}: {message} (--help lists the flags)", file=sys.stderr)
    sys.exit(2)


def fmt(seq: np.ndarray) -> str:
  return " ".join("+" if v > 0 else "-" for v in seq)


def main():
  ap = ArgumentParser(description="List the target programs, or show a sample of one.")
  ap.add_argument("task", nargs="?", help="a task name or path/to/file.py:NAME; omit to list all tasks")
  ap.add_argument("--length", type=int, default=16, help="timesteps to show (default 16)")
  ap.add_argument("--seed", type=int, default=0, help="random seed of the sample (default 0)")
  args = ap.parse_args()
  if args.task is None:
    for t in TASKS.values():
      print(f"{t.name:<11} {t.n_in} in, {t.n_out} out   {t.about}")
    return
  try:
    task = get_task(args.task)
  except TaskError as e:
    print(f"tasks.py: {e}", file=sys.stderr)
    sys.exit(2)
  try:
    x, y = checked_sample(task, np.random.default_rng(args.seed), 1, args.length)
  except TaskError as e:
    print(f"tasks.py: {e}", file=sys.stderr)
    sys.exit(2)
  for i in range(task.n_in):
    print(f"in{i}:  {fmt(x[0, :, i])}")
  for i in range(task.n_out):
    print(f"out{i}: {fmt(y[0, :, i])}")


if __name__ == "__main__":
  main()
