"""Train a sparse RNN on a task and write its weights as .npz.

In:  a task from tasks.py (`--task replace111`, or `--task my_tasks.py:NAME` for your own).
Out: runs/<task>-s<seed>.npz (or -o PATH), its path printed as the last line on stdout, holding per cell k
     cell{k}_output_kernel, cell{k}_output_bias, cell{k}_recurrent_kernel, cell{k}_recurrent_bias,
     cell{k}_initial_state, then dense_weight, dense_bias, `meta` (JSON) and `history` (one row per validation:
     step, loss, regularization loss, validation accuracy, weights above 0.01), plus what a resumed run needs (the
     optimizer's state; with --windows, the carried states; mid-run, the last weights that validated at 100%).

The network is the write-up's cell (forward()), one per layer, and a dense output layer. Its activation and the
whole cell, forward and backward through time, are written once in activation.cl, which the first section makes
tinygrad custom ops. Loss = MSE(y, target) + a sparsity penalty that counts the weights. Training goes on long
after the network is perfect: that is when the penalty prunes it (the write-up's "grokking"-like phase), so the
default schedule runs a fixed number of steps.

Sections, in the order the data flows: the kernels (activation.cl as tinygrad ops); the model; the sparsity
penalty; the training step; the run file (its format is graph.py's: written atomically, read with every array
checked; here, a run's claim on it); the training loop (checkpoints, Ctrl-C and SIGTERM between steps); a re-fit's
start (a pruned graph's weights, for --from); the command line.
"""
import argparse
import contextlib
import fcntl
import functools
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
from tinygrad import Context, Device, Tensor, TinyJit, nn
from tinygrad.engine.worker import terminate_worker_pool
from tinygrad.helpers import DEV
from tinygrad.uop.ops import KernelInfo, Ops, ProgramInfo, UOp

import tasks
from graph import (
  FROM,
  PERFECT,
  GraphError,
  RunError,
  check_fits,
  graph_weights,
  load_graph,
  load_run,
  save_run,
  task_of,
  weight_shapes,
)
from graph import activation as graph_activation
from tasks import DEFAULTS, SETTINGS, ArgumentParser, Task, TaskError, get_task, parse_cells

LAUNCHED = time.time()  # meta["first_step_s"]: from here (imports of tinygrad and all) to the first step's end
LIVE = 0.01  # a weight with |w| above this counts as "live" in the progress line
VAL_MIN_LENGTH = 100  # validation's fresh sequences: twice the training length, at least this (drifts show)


def use_device_defaults() -> None:
  """Before the first tensor: DEV=CPU unless DEV is set (tinygrad would otherwise pick the first device that opens:
  OpenCL once pocl is installed), and on the CPU tinygrad's newer HCQ2 command queue, which gives the same weights
  and measured 686 replace111 steps/s against 274 without it (HCQ2=0 turns it off). main() calls it, and so does
  any script that trains through train.train; importing this file changes nothing."""
  os.environ.setdefault("DEV", "CPU")
  DEV.value = os.environ["DEV"]
  if os.environ["DEV"].split(":")[0] == "CPU":
    os.environ.setdefault("HCQ2", "1")


# ---- the kernels: activation.cl as tinygrad custom ops with hand-written backwards ----

ACTIVATION_SOURCE = Path(__file__).with_name("activation.cl")


@functools.cache
def compile_source(device: str, entry: str, defines: tuple[tuple[str, int | float], ...]) -> tuple[str, bytes]:
  """Source and binary of one entry point of activation.cl (entry: ameo_forward, cell_backward, ...), specialised to
  the -D constants in defines (sizes, FACTOR, LEAK)."""
  lines = [f"#define {entry.upper()} 1"] + [f"#define {k} {float(v)!r}f" if isinstance(v, float) else f"#define {k} {v}"
                                           for k, v in defines]
  src = "\n".join(lines) + "\n" + ACTIVATION_SOURCE.read_text()
  backend = device.split(":")[0]
  if backend == "CPU":
    # tinygrad's CPU loader jumps to the first byte of the object: the -D above leaves one function in it
    from tinygrad.runtime.support.compiler_cpu import ClangCompiler
    return src, ClangCompiler(Device[device].arch.split(",")).compile_cached(src)
  if backend in ("CUDA", "NV"):
    src = "#define __CUDACC__ 1\n" + src
  return src, Device[device].renderer.compiler.compile_cached(src)


def program(device: str, entry: str, defines: tuple, items: int, *bufs: UOp) -> UOp:
  """The kernel for Tensor.custom_kernel: bufs[0] is written, the rest are read; items: work items on a GPU (one
  element, or one sequence), a loop inside the one call on the CPU."""
  bufs = tuple(b.base for b in bufs)  # multi-dimensional placeholders arrive as RESHAPE(PARAM)
  src, binary = compile_source(device, entry, defines)
  cpu = device.split(":")[0] == "CPU"
  threads = 128
  info = ProgramInfo(name=entry, global_size=(1, 1, 1) if cpu else ((items + threads - 1) // threads, 1, 1),
                     local_size=None if cpu else (threads, 1, 1), globals=tuple(range(len(bufs))),
                     outs=(0,), ins=tuple(range(1, len(bufs))), target=Device[device].renderer.target)
  sink = UOp.sink(*bufs, arg=KernelInfo(name=entry))
  return UOp(Ops.PROGRAM, src=(sink, UOp(Ops.LINEAR, src=bufs), UOp(Ops.SOURCE, arg=src), UOp(Ops.BINARY, arg=binary)),
             arg=info)


def activation(x: Tensor, factor: float, leak: float) -> Tensor:
  """A(x) elementwise, forward and backward from activation.cl."""
  x = x.contiguous()
  device, n = x.device, x.numel()
  defines = (("N", n), ("FACTOR", float(factor)), ("LEAK", float(leak)))

  def backward(dy: UOp, call: UOp):
    pre = Tensor(call.src[2])  # the call's sources: program, output, input x
    kernel = functools.partial(program, device, "ameo_backward", defines, n)
    dx = Tensor.empty(*x.shape, device=device).custom_kernel(pre, Tensor(dy).contiguous(), fxn=kernel)[0]
    return None, dx.uop

  return Tensor.empty(*x.shape, device=device).custom_kernel(
    x, fxn=functools.partial(program, device, "ameo_forward", defines, n), grad_fxn=backward)[0]


def cell(x: Tensor, w: Tensor, bias: Tensor, s0: Tensor, noise: Tensor | None, n_o: int, factor: float,
         leak: float) -> Tensor:
  """One cell over every step in one kernel (activation.cl's cell_forward), with backward through time
  (cell_backward). x (B, T, NX): the cell's input; w (NX + NS, NN): the input's rows, then the state's; bias (NN);
  s0 (B, NS): the state before the first step; noise (B, T, NS) or None: added to each new state. Returns a_t
  (B, T, NN): NO outputs, then the NS new states (before their noise). noise gets no gradient."""
  batch, length, n_x = x.shape
  nn = w.shape[1]
  n_s = nn - n_o
  device = x.device
  sizes = [length * n_x, n_s, (n_x + n_s) * nn, nn, length * n_s, length * nn]  # activation.cl's ROW
  if batch * sum(sizes) >= 2 ** 31:  # the kernels index with 32-bit ints
    raise ValueError(f"a batch of {batch} sequences of {length} steps is too big for the fused cell")
  ins = [t.contiguous() for t in (x, w, bias, s0)] + ([noise.contiguous()] if noise is not None else [])
  defines = (("B", batch), ("T", length), ("NX", n_x), ("NO", n_o), ("NS", n_s), ("HAS_NOISE", int(noise is not None)),
             ("FACTOR", float(factor)), ("LEAK", float(leak)))

  def backward(dy: UOp, call: UOp):
    saved = [Tensor(u) for u in call.src[2:]]  # the call's sources: program, output, then ins
    kernel = functools.partial(program, device, "cell_backward", defines, batch)
    out = Tensor.empty(batch, sum(sizes), device=device).custom_kernel(Tensor(dy).contiguous(), *saved, fxn=kernel)[0]
    d_x, d_s0, d_w, d_bias, _, _ = out.split(sizes, dim=1)
    d_w, d_bias = d_w.sum(axis=0).reshape(n_x + n_s, nn), d_bias.sum(axis=0)  # each sequence's share
    grads = (None, d_x.reshape(batch, length, n_x).uop, d_w.uop, d_bias.uop, d_s0.uop)  # output, x, w, bias, s0
    return grads if noise is None else grads + (None,)

  return Tensor.empty(batch, length, nn, device=device).custom_kernel(
    *ins, fxn=functools.partial(program, device, "cell_forward", defines, batch), grad_fxn=backward)[0]


def input_buffer(shape: tuple[int, ...]) -> Tensor:
  """A realized float32 tensor whose memory later steps overwrite with copy_into."""
  return Tensor.empty(*shape).contiguous().realize()


def copy_into(t: Tensor, a: np.ndarray) -> None:
  """Copy a numpy array straight into a realized tensor's memory. Tensor(a) would schedule a copy every step, which
  cost more than the training step itself (measured: 12 ms a replace111 step with Tensor(x), 3.7 ms with this)."""
  if a.shape != tuple(t.shape):  # a copy of another size would write past the buffer's end
    raise ValueError(f"an array of shape {a.shape} does not fit the input buffer of shape {tuple(t.shape)}")
  buf = t.uop.base.buffer.ensure_allocated()
  buf.allocator._copyin(buf._buf, memoryview(np.ascontiguousarray(a, np.float32)).cast("B"))  # waits for the device


# ---- the model: plain dict of weights, named as in the .npz ----


def weight_names(cells: list[tuple[int, int]]) -> list[str]:
  """The names of the weights of a network of these cells, in the order of the optimizer's state."""
  return list(weight_shapes(1, cells, 1))


def init_weights(rng: np.random.Generator, n_in: int, cells: list[tuple[int, int]], n_out: int) -> dict:
  """Fresh weights (numpy float32, named as in the .npz): glorot-normal kernels, small random biases and states."""
  w = {}
  for name, shape in weight_shapes(n_in, cells, n_out).items():
    scale = np.sqrt(2 / sum(shape)) if len(shape) == 2 else 0.5 if name.endswith("initial_state") else 0.1
    w[name] = rng.normal(0, scale, shape).astype(np.float32)
  return w


def forward(w: dict[str, Tensor], x: Tensor, cells: list[tuple[int, int]], factor: float, leak: float,
            start: list[Tensor] | None = None, noise: Tensor | None = None, fused: bool = True) -> tuple:
  """x (batch, length, n_in) -> (y (batch, length, n_out), each cell's state after the last step), the network
  unrolled over time. start: each cell's state to begin from, instead of its trained initial state. noise (batch,
  length, all states): added to each new state while training (--state-noise). fused: each cell in one kernel with
  its backward through time (cell()); else a kernel per step, the reference the tests hold it to.

  The cell, with c_t = concat(x_t, s_{t-1}) and A the activation of activation.cl:
    o_t = A(c_t @ W_o + b_o)    the output, passed on to the next cell (or the dense layer)
    s_t = A(c_t @ W_r + b_r)    the new state, fed back at the next step; s_0 is trained too
    y_t = o_t @ W_d + b_d       the dense output layer of the last cell, no activation"""
  batch, length, _ = x.shape
  layer_in, final = x, []
  for k, (n_o, n_s) in enumerate(cells):
    first = sum(s for _, s in cells[:k])  # this cell's columns of noise
    nz = None if noise is None else noise[:, :, first:first + n_s]
    kernel = w[f"cell{k}_output_kernel"].cat(w[f"cell{k}_recurrent_kernel"], dim=1)  # one matmul for both
    bias = w[f"cell{k}_output_bias"].cat(w[f"cell{k}_recurrent_bias"])
    state = (w[f"cell{k}_initial_state"].reshape(1, n_s) if start is None else start[k]).expand(batch, n_s)
    if fused:
      a = cell(layer_in, kernel, bias, state, nz, n_o, factor, leak)
      layer_in = a[:, :, :n_o]
      final.append(a[:, -1, n_o:] if nz is None else a[:, -1, n_o:] + nz[:, -1])
      continue
    n_x, outputs = kernel.shape[0] - n_s, []
    from_input = layer_in @ kernel[:n_x] + bias  # the input's share for every step at once
    for t in range(length):
      a = activation(from_input[:, t] + state @ kernel[n_x:], factor, leak)
      outputs.append(a[:, :n_o])
      state = a[:, n_o:] if nz is None else a[:, n_o:] + nz[:, t]
    layer_in = Tensor.stack(*outputs, dim=1)
    final.append(state)
  return layer_in @ w["dense_weight"] + w["dense_bias"], final


def numpy_forward(w: dict[str, np.ndarray], cells: list[tuple[int, int]], factor: float, leak: float,
                  x: np.ndarray) -> np.ndarray:
  """forward() in numpy, float64, with the evaluator's activation (graph.py). Validation uses it: compiling the long
  validation sequences into tinygrad kernels took longer than the whole training of a small task, and this way
  train.py's validation is exactly what extract.py and prune.py will compute from the saved weights."""
  layer_in = np.asarray(x, np.float64)
  for k, (_, n_s) in enumerate(cells):
    w_o, b_o = w[f"cell{k}_output_kernel"], w[f"cell{k}_output_bias"]
    w_r, b_r = w[f"cell{k}_recurrent_kernel"], w[f"cell{k}_recurrent_bias"]
    state = np.broadcast_to(w[f"cell{k}_initial_state"].astype(np.float64), (len(layer_in), n_s))
    outputs = []
    for t in range(layer_in.shape[1]):
      c = np.concatenate([layer_in[:, t], state], axis=1)
      outputs.append(graph_activation(c @ w_o + b_o, factor, leak))
      state = graph_activation(c @ w_r + b_r, factor, leak)
    layer_in = np.stack(outputs, axis=1)
  return layer_in @ w["dense_weight"] + w["dense_bias"]


# ---- the sparsity penalty ----

def kernels(w: dict) -> list:
  """The weights the sparsity penalty acts on (biases and initial states are free)."""
  return [v for k, v in w.items() if k.endswith("_kernel") or k == "dense_weight"]


def sparsity_penalty(w: dict[str, Tensor], intensity: Tensor, threshold: float, steepness: float, l1: float) -> Tensor:
  """R(w) = mean(i_T * (tanh((|w| - t) * s) - tanh(-t * s)) + i_L1 * |w|), summed over every kernel.

  The tanh term is close to a count of the weights above t: it costs a weight of 1.5 hardly more than one of 0.1,
  so the gates that need big weights can form. The small L1 term gives unused weights a push to exactly zero."""
  total = Tensor(0.0)
  for v in kernels(w):
    a = v.abs()
    step = ((a - threshold) * steepness).tanh() - float(np.tanh(-threshold * steepness))
    total = total + (step * intensity + a * l1).mean()
  return total


def live_weights(w: dict[str, Tensor]) -> tuple[int, int]:
  """(kernel weights above LIVE, all kernel weights)."""
  arrays = [v.numpy() for v in kernels(w)]
  return sum(int((np.abs(a) > LIVE).sum()) for a in arrays), sum(a.size for a in arrays)


# ---- the training step ----

def schedule(step: int, total: int, lr: float, intensity: float, reg_from: float = 0.0) -> tuple[float, float]:
  """The original's schedule, as fractions of the run (at 5000 steps: 500, 1000, 2500); the penalty is off for the
  first `reg_from` of the run (a hard task learns first, then sparsifies)."""
  if step < reg_from * total:
    intensity = 0.0
  if step >= 0.1 * total:
    lr, intensity = lr * 0.8, intensity * 0.8
  if step >= 0.2 * total:
    lr, intensity = lr * 0.6, intensity * 0.6
  if step >= 0.5 * total:
    lr = lr * 0.5
  return lr, intensity


def batch_rng(seed: int, attempt: int, step: int, stream: int = 0) -> np.random.Generator:
  # one generator per step, derived from (seed, attempt, step): a resumed run sees the very same batches
  return np.random.default_rng([seed, attempt, stream, step])


def accuracy(y: np.ndarray, target: np.ndarray) -> float:
  """Fraction of sequences whose every output has the right sign (an output of exactly 0 is wrong)."""
  return float(np.mean(np.all(np.sign(y) == np.sign(target), axis=(1, 2))))


class Trainer:
  """Holds the weights as tensors, the optimizer and the compiled training step.

  With cfg["windows"] = W > 1, each batch of sequences is W * seq_len steps long and is trained on one window of
  seq_len steps at a time, W steps in a row; each window starts from the states the previous one ended in (the
  gradient does not flow back into it). The network then has to keep working from whatever state it has reached,
  which a short unrolled sequence alone does not ask of it (gated learned its first 10 steps and failed after)."""

  def __init__(self, task: Task, cfg: dict, seed: int, attempt: int, arrays: dict[str, np.ndarray]):
    self.task, self.cfg, self.seed, self.attempt = task, cfg, seed, attempt
    self.cells = parse_cells(cfg["cells"])
    self.names = weight_names(self.cells)
    self.w = {k: Tensor(arrays[k]).contiguous().realize() for k in self.names}
    # with --from: 1 where the graph has an edge, else 0 (the weight gets no gradient: Adam never moves it)
    self.mask = {k: Tensor(arrays[f"mask_{k}"]).contiguous().realize() for k in self.names if f"mask_{k}" in arrays}
    self.opt = nn.optim.Adam([self.w[k] for k in self.names], lr=cfg["lr"], fused=True)  # one update kernel for all
    self.intensity = Tensor([float(cfg["reg_intensity"])]).contiguous().realize()
    self.rates = None  # (lr, intensity) currently in the tensors
    self.windows, self.sequence = int(cfg.get("windows", 1)), None
    # the state each cell ended the previous window in, and 1 when the current window continues a sequence, else 0
    self.carry = [Tensor(arrays.get(f"carry{k}", np.zeros((cfg["batch"], n_s), np.float32))).contiguous().realize()
                  for k, (_, n_s) in enumerate(self.cells)] if self.windows > 1 else []
    self.continuing = input_buffer((1, 1)) if self.carry else None
    if "adam_m" in arrays:  # resuming: the optimizer's state too, so the run continues exactly
      for t, k in self.optimizer_state():
        t.assign(Tensor(arrays[k])).realize()
    self.train_step = TinyJit(self._train_step)  # compiled once; then it replays its kernels on the same inputs
    self.x, self.y = (input_buffer((cfg["batch"], cfg["seq_len"], n)) for n in (task.n_in, task.n_out))
    self.noise = input_buffer((cfg["batch"], cfg["seq_len"], sum(s for _, s in self.cells))) if cfg.get(
      "state_noise", 0) > 0 else None
    self.tests = None  # prune.py's test sets, made at the first validation

  def start_states(self) -> list[Tensor] | None:
    """Each cell's state to start the window from: the carried one where the window continues a sequence."""
    if not self.carry:
      return None
    m = self.continuing
    return [self.w[f"cell{k}_initial_state"].reshape(1, -1) * (1 - m) + c * m for k, c in enumerate(self.carry)]

  def _train_step(self, x: Tensor, y: Tensor) -> Tensor:
    c = self.cfg
    with Context(TRAINING=1):
      self.opt.zero_grad()
      w = {k: v * self.mask[k] if k in self.mask else v for k, v in self.w.items()}
      out, final = forward(w, x, self.cells, c["factor"], c["leak"], self.start_states(), self.noise)
      loss = (out - y).square().mean()
      reg = sparsity_penalty(w, self.intensity, c["reg_threshold"], c["reg_steepness"], c["reg_l1"])
      (loss + reg).backward()
      both = Tensor.stack(loss, reg)
      carried = [held.assign(s.detach()) for held, s in zip(self.carry, final, strict=True)] if self.carry else []
      both.realize(*self.opt.schedule_step(), *carried)  # realize the loss with the update, not after it
    return both

  def step(self, step: int) -> tuple[float, float]:
    """One optimizer step on the batch of step `step` -> (loss, regularization loss)."""
    cfg = self.cfg
    rates = schedule(step, cfg["steps"], cfg["lr"], cfg["reg_intensity"], cfg.get("reg_from", 0.0))
    if rates != self.rates:  # only when the schedule moves: each assign is a small kernel launch of its own
      self.opt.lr.assign(Tensor([rates[0]], dtype=self.opt.lr.dtype)).realize()
      self.intensity.assign(Tensor([rates[1]])).realize()
      self.rates = rates
    first, window = step - step % self.windows, step % self.windows
    if self.sequence is None or self.sequence[0] != first:  # a new batch of sequences (or a resumed run's)
      self.sequence = (first, *tasks.checked_sample(self.task, batch_rng(self.seed, self.attempt, first), cfg["batch"],
                                      cfg["seq_len"] * self.windows))
    cut = slice(window * cfg["seq_len"], (window + 1) * cfg["seq_len"])
    copy_into(self.x, self.sequence[1][:, cut])
    copy_into(self.y, self.sequence[2][:, cut])
    if self.carry:
      copy_into(self.continuing, np.full((1, 1), float(window > 0)))
    if self.noise is not None:  # drawn from (seed, attempt, step) like the batch: a resumed run gets the same noise
      noise = batch_rng(self.seed, self.attempt, step, stream=2).normal(0, cfg["state_noise"], self.noise.shape)
      copy_into(self.noise, noise.astype(np.float32))
    loss, reg = self.train_step(self.x, self.y).numpy()
    return float(loss), float(reg)

  def validate(self, step: int, batch: int = 4096) -> float:
    """The fraction of validation sequences right, computed in numpy from the current weights: prune.py's test sets
    (tasks.test_sets: the very sequences it verifies with, every short one included where there are few enough), so
    that a run called perfect here is one prune.py accepts, and fresh sequences longer than the training ones."""
    if self.tests is None:
      self.tests = [(s["x"], s["y"]) for s in tasks.test_sets(self.task)]
    length = max(2 * self.cfg["seq_len"], VAL_MIN_LENGTH)  # a network that only fits short runs fails
    fresh = tasks.checked_sample(self.task, batch_rng(self.seed, self.attempt, step, stream=1), batch, length)
    w = {k: self.w[k].numpy() for k in self.names}
    right, total = 0.0, 0
    for x, y in [fresh, *self.tests]:  # the accuracy of the sets up to the first with a wrong sequence: the rest
      right += accuracy(numpy_forward(w, self.cells, self.cfg["factor"], self.cfg["leak"], x), y) * len(x)
      total += len(x)                  # (65536 exhaustive sequences take 0.4 s for an 8x4 cell) cannot make it 100%
      if right < total:
        break
    return right / total

  def arrays(self) -> dict[str, np.ndarray]:
    """The weights, the optimizer's state and the carried states: all that a resumed run needs."""
    out = {k: self.w[k].numpy() for k in self.names}
    out.update((f"carry{k}", c.numpy()) for k, c in enumerate(self.carry))
    out.update((f"mask_{k}", m.numpy()) for k, m in self.mask.items())
    return {**out, **{k: t.numpy() for t, k in self.optimizer_state()}}

  def optimizer_state(self) -> list[tuple[Tensor, str]]:
    # fused Adam keeps one flat moment vector for all the weights, in the order of self.names
    opt = self.opt
    return [(opt.b1_t, "adam_b1_t"), (opt.b2_t, "adam_b2_t"), (opt.m[0], "adam_m"), (opt.v[0], "adam_v")]


# ---- the run file: what a run has done (graph.py reads and writes the file) ----


def finished(meta: dict, steps: int) -> bool:
  """The run is done to `steps` and was written as a finished run (not a checkpoint at its last step)."""
  return meta["steps_done"] == steps and meta.get("perfect_step") is None


@contextlib.contextmanager
def claimed(out: Path, fresh: bool = False):
  """The run file, claimed for as long as this run writes it: an exclusive lock on OUT.lock beside it, which goes
  when its holder ends, even by a crash. A second run on the same file gets RunError at once. fresh: the file was
  not there when the run was set up, so one there now was written by another run meanwhile (RunError too)."""
  lock = out.with_name(out.name + ".lock")
  while True:
    try:
      fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as e:
      raise RunError(f"{out}: cannot claim it ({lock}: {e.strerror or e})") from None
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      os.close(fd)
      raise RunError(f"{out}: another run is writing it (it holds {lock}); wait for it, or give another -o") from None
    if lock.exists() and os.stat(lock).st_ino == os.fstat(fd).st_ino:
      break
    os.close(fd)  # the lock we got was the one its last holder had just removed: claim the new one
  try:
    if fresh and out.exists():
      raise RunError(f"{out}: another run wrote it while this one started; --resume it, or give --force")
    yield
  finally:
    lock.unlink(missing_ok=True)
    os.close(fd)


def check_output(out: Path) -> None:
  """RunError unless the run file can be written: not a folder, in a folder that exists (or can be made) and takes
  new files. train.py checks this before training, so that a run never ends in an error when it is saved."""
  if out.is_dir():
    raise RunError(f"{out}: is a folder; -o takes a file name, e.g. {out / 'run.npz'}")
  try:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=out.parent):
      pass
  except OSError as e:
    raise RunError(f"{out}: cannot write there ({e.strerror or e})") from None


# ---- the training loop: checkpoints, and Ctrl-C or SIGTERM between steps only ----

@dataclass
class Run:
  """One training run: what train() is given (task to patience), and where the run stands (the rest)."""
  task: Task
  task_spec: str  # the task as the run file names it: a built-in name or path/file.py:NAME
  cfg: dict  # the settings, as tasks.DEFAULTS
  seed: int
  out: Path  # the run file, written at every checkpoint and at the end
  val_every: int = 250  # steps between validations
  checkpoint_every: float = 30.0  # seconds between checkpoints
  restarts: int = 3  # fresh starts allowed for a run whose validation is stuck below 100%
  patience: float = 0.4  # the fraction of the steps by which validation must have reached 100%
  meta: dict = field(default_factory=dict)  # what the run file's `meta` holds: the settings and the progress
  history: list = field(default_factory=list)  # one row per validation, as the run file's `history`
  best: tuple[int, dict] | None = None  # (step, arrays) of the last 100% validation
  start: float = 0.0  # time.time() when train() began
  resumed_at: int = 0  # the step this process began at
  signal: int | None = None  # a Ctrl-C or SIGTERM that came while training, taken between steps
  start_from: dict | None = None  # with --from: the graph's weights and masks, where every attempt starts
  fresh: bool = False  # its file was not there when the run was set up (train.py without --resume or --force)


def train(run: Run, resume: tuple[dict, dict] | None = None) -> dict:
  """Train a run, or continue it from resume = load_run(its file); checkpoints to run.out; returns the final meta.

  A run whose validation is stuck below 100% starts over with fresh weights (up to run.restarts times); a run
  that was perfect but is not at the end goes back to its last perfect weights."""
  task, cells = run.task, parse_cells(run.cfg["cells"])
  if resume:
    arrays, run.meta = resume
    run.history = [list(r) for r in arrays.get("history", np.zeros((0, 5)))]
    if run.meta.get("perfect_step") is not None:  # a checkpoint carries its last perfect weights, to fall back on
      run.best = run.meta["perfect_step"], {k[len(PERFECT):]: v for k, v in arrays.items() if k.startswith(PERFECT)}
    run.meta.update(run.cfg, cells=[list(c) for c in cells], restarts=run.restarts)  # e.g. more --steps than before
    run.start_from = {k[len(FROM):]: v for k, v in arrays.items() if k.startswith(FROM)} or None
  else:
    run.meta = {"task": run.task_spec, "task_name": task.name, "n_in": task.n_in, "n_out": task.n_out,
                "seed": run.seed, **run.cfg, "cells": [list(c) for c in cells], "steps_done": 0, "attempt": 0,
                "restarts": run.restarts}
  if ":" in run.task_spec:  # a task file: where it was found and its bytes, so that a later stage given
    file = Path(run.task_spec.rsplit(":", 1)[0])  # --trust-task finds it again and knows it for the same file
    run.meta.update(task_file=str(file.resolve()), task_sha256=tasks.file_digest(file))
  run.start, run.resumed_at = time.time(), run.meta["steps_done"]
  with claimed(run.out, run.fresh), signals_deferred(run):
    trainer = attempts(run, arrays if resume else None, cells)
  live, total = live_weights(trainer.w)
  progress(f"done: {run.meta['steps_done']} steps in {time.time() - run.start:.1f}s, "
           f"val {percent(run.meta['val_accuracy'])}, {live}/{total} weights above {LIVE}", final=True)
  return run.meta


def attempts(run: Run, arrays: dict | None, cells: list[tuple[int, int]]) -> "Trainer":
  """Train, starting over with fresh weights while the run is stuck; returns the trainer of the attempt that ends."""
  task = run.task
  while True:  # one pass per attempt, until one reaches the last step
    if run.meta["steps_done"] == 0:  # a fresh start (or restart): new weights (or the graph's), an empty history
      arrays = dict(run.start_from) if run.start_from else \
          init_weights(np.random.default_rng([run.seed, run.meta["attempt"]]), task.n_in, cells, task.n_out)
      run.history, run.best = [], None
      run.meta.update(first_perfect_step=None, val_accuracy=None)
    trainer = Trainer(task, run.cfg, run.seed, run.meta["attempt"], arrays)
    if run_steps(run, trainer):
      break
    progress(f"validation stuck at {percent(run.meta['val_accuracy'])} at step {run.meta['steps_done']}: restart "
             f"{run.meta['attempt'] + 1}/{run.restarts} with fresh weights", final=True)
    run.meta.update(attempt=run.meta["attempt"] + 1, steps_done=0)
    run.resumed_at = 0
  return trainer


def run_steps(run: Run, trainer: Trainer) -> bool:
  """Steps to the end of the run (True), or until it is stuck (False: the caller restarts it)."""
  cfg, meta = run.cfg, run.meta
  step, loss, reg = meta["steps_done"], meta.get("loss", float("nan")), meta.get("reg_loss", float("nan"))
  acc, last_save = meta.get("val_accuracy"), time.time()
  timed, busy = 0, 0.0  # training steps after the first few (which compile the kernels), and their time

  def checkpoint(arrays: dict | None = None, final: bool = False) -> None:
    best = None if final else run.best  # mid-run, the last perfect weights go in too, to fall back on
    meta.update(steps_done=step, loss=loss, reg_loss=reg, val_accuracy=acc, versions=versions(),
                seconds=round(time.time() - run.start, 2), perfect_step=None if best is None else best[0])
    fallback = {PERFECT + k: v for k, v in best[1].items()} if best else {}
    fallback.update((FROM + k, v) for k, v in (run.start_from or {}).items())
    history = np.array(run.history, np.float32).reshape(-1, 5)
    save_run(run.out, {**(trainer.arrays() if arrays is None else arrays), **fallback, "history": history}, meta)

  try:
    while step < cfg["steps"]:
      if took_signal(run):
        raise KeyboardInterrupt
      tick = time.perf_counter()
      loss, reg = trainer.step(step)
      step += 1
      meta.setdefault("first_step_s", round(time.time() - LAUNCHED, 2))  # compiling is most of it: a start's cost
      if step > run.resumed_at + 5:  # the first steps compile the kernels: the rate is that of the steps after them
        timed, busy = timed + 1, busy + time.perf_counter() - tick
      if not np.isfinite(loss):
        raise RunError(f"loss became {loss} at step {step}: try a lower --lr")
      if step % run.val_every and step != cfg["steps"]:
        continue
      acc = trainer.validate(step)
      live, total = live_weights(trainer.w)
      run.history.append([step, loss, reg, acc, live])
      if acc == 1.0:
        run.best = (step, trainer.arrays())
        meta["first_perfect_step"] = meta.get("first_perfect_step") or step
      rate = timed / busy if busy else 0.0
      meta["steps_per_second"] = round(rate, 1)
      progress(f"step {step}/{cfg['steps']}  loss {loss:.5f}  reg {reg:.5f}  val {percent(acc):>6}  "
               f"live {live}/{total}  {rate:.0f} steps/s", final=not sys.stderr.isatty())
      if stuck(run, step, acc):
        meta.update(steps_done=step, val_accuracy=acc)
        return False
      if step < cfg["steps"] and time.time() - last_save > run.checkpoint_every:  # the last step's is final
        checkpoint()
        last_save = time.time()
  except KeyboardInterrupt:
    checkpoint()
    progress(f"interrupted at step {step}; resume with: python train.py --resume {run.out}", final=True)
    sys.exit(143 if run.signal == signal.SIGTERM else 130)
  if acc < 1.0 and run.best is not None:  # it was perfect once: keep those weights rather than a broken network
    progress(f"final validation {percent(acc)}: keeping the weights of step {run.best[0]}, the last perfect one",
             final=True)
    meta["recovered_from_step"], acc = run.best[0], 1.0
    checkpoint(run.best[1], final=True)
  else:
    checkpoint(final=True)
  return True


def stuck(run: Run, step: int, acc: float) -> bool:
  """Never perfect, and not by `patience` of the run, with restarts left: the learning rate has decayed by then, a
  restart is the better bet."""
  steps = run.cfg["steps"]
  return run.best is None and acc < 1.0 and run.meta["attempt"] < run.restarts and run.patience * steps <= step < steps


def progress(line: str, final: bool = False) -> None:
  """One line on stderr: rewritten in place on a terminal; elsewhere only the final ones, one per line."""
  if sys.stderr.isatty():
    print(f"\r\033[K{line}", end="\n" if final else "", file=sys.stderr, flush=True)
  elif final:
    print(line, file=sys.stderr, flush=True)


def percent(acc: float) -> str:
  """An accuracy rounded down to 0.1%: only a perfect run shows 100.0% (99.99% is 99.9%)."""
  return f"{np.floor(acc * 1000) / 10:.1f}%"


SIGNALS = {signal.SIGINT, signal.SIGTERM}
GRACE = 10.0  # seconds the step under way may take to end after a signal (tinygrad's compile workers may be dead)
POOL_CLOSE = 3.0  # seconds tinygrad's pool of compile workers may take to close


@contextlib.contextmanager
def signals_deferred(run):
  """While training, Ctrl-C and SIGTERM wait, and run_steps takes them between steps: a checkpoint then holds exactly
  the steps that completed, their validation too, however often they come. They are blocked in this thread, and so
  in the compiler processes it starts, which inherit the mask (a terminal's Ctrl-C goes to all of them); one that
  lands on another thread only notes itself in run.signal (a handler that prints could break a write under way).
  run: train.Run, or anything with a .signal attribute."""
  if threading.current_thread() is not threading.main_thread():  # signals go to the main thread only
    yield
    return
  handlers = {s: signal.signal(s, lambda signum, frame: setattr(run, "signal", signum)) for s in SIGNALS}
  mask = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
  done = threading.Event()
  watcher = threading.Thread(target=watch, args=(run, done), daemon=True)  # it inherits the mask: blocked there too
  watcher.start()
  try:
    yield
  finally:
    done.set()
    watcher.join()
    took_signal(run)  # one that came after the last step: taken here, so that unblocking does not raise it
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    for s, handler in handlers.items():
      signal.signal(s, handler)


def watch(run, done: threading.Event) -> None:
  """The watchdog of signals_deferred: takes a Ctrl-C or SIGTERM as it comes (into run.signal, which the training
  loop reads between steps), then gives the step under way GRACE seconds to end. A step that does not end (a
  SIGTERM to the whole process group kills tinygrad's compile workers, and a compile waits for them forever) makes
  the run leave at once, with the checkpoint it wrote last, which is whole: writes are atomic."""
  while not done.is_set():
    taken = signal.sigtimedwait(SIGNALS, 0.2)
    if taken is None:
      continue
    run.signal = taken.si_signo
    if not done.wait(GRACE):
      progress(f"no step ended within {GRACE:.0f} s of the signal: leaving with the last checkpoint ({run.out})",
               final=True)
      leave(128 + taken.si_signo, now=True)
    return


def leave(code: int, now: bool = False) -> None:
  """Exit with code once tinygrad's pool of compile workers is closed. A signal to the whole process group kills
  workers, and one killed while it held the pool's lock makes closing it (and so a plain exit) wait forever: then,
  or `now` (from another thread than the main one), the workers are killed (the pool starts new ones, which would
  outlive this process) and the process ends at once, skipping the interpreter's exit handlers."""
  if not now:
    closing = threading.Thread(target=terminate_worker_pool, daemon=True)
    closing.start()
    closing.join(POOL_CLOSE)
    if not closing.is_alive():
      sys.exit(code)
  for child in multiprocessing.active_children():
    child.kill()
  sys.stdout.flush()
  sys.stderr.flush()
  os._exit(code)


def took_signal(run) -> bool:
  """Whether a Ctrl-C or SIGTERM has come (taking any that wait, into run.signal)."""
  while signal.sigpending() & SIGNALS:
    taken = signal.sigtimedwait(SIGNALS, 0)
    if taken is None:  # another thread's: its handler notes it
      break
    run.signal = taken.si_signo
  return run.signal is not None


def versions() -> dict:
  """What the run was made with, for its meta."""
  return {"python": sys.version.split()[0], "numpy": np.__version__, "tinygrad": metadata.version("tinygrad"),
          "device": Device.DEFAULT}


def predict(weights: dict[str, np.ndarray], meta: dict, x: np.ndarray) -> np.ndarray:
  """Run a trained network (tinygrad, with the activation.cl kernel) on x (batch, length, n_in)."""
  cells = [tuple(c) for c in meta["cells"]]
  w = {k: Tensor(weights[k]) for k in weight_names(cells)}
  return forward(w, Tensor(np.asarray(x, np.float32)), cells, meta["factor"], meta["leak"])[0].numpy()


# ---- settling: states gathered on few points, where prove.py's cells close (--settle) ----

SETTLE_NOISE = 0.2  # noise on the states at the end of a settle (the run's own, if more)
# the stages of a settle, a third of its steps each: (factor, as a fraction of the run's; noise, as a fraction of
# SETTLE_NOISE). At once, the smooth activation and noise 0.2 broke gated trained the write-up's way (f = 0.5, no
# noise: 0% right after 12000 steps) and a grown mod3; in these three stages gated stayed right and was proven.
SETTLE_STAGES = ((0.5, 0.25), (0.0, 0.5), (0.0, 1.0))


def settle(source: Path, task: Task, spec: str, out: Path, steps: int) -> dict:
  """Settle a finished run (its file: source) into out: `steps` more, in SETTLE_STAGES, from the run's activation
  to the smooth one (factor 0) and from its noise on the states to SETTLE_NOISE. The smooth curve is flat at its
  peaks and troughs, and the noise pushes the states there, where a small error dies out within a step: an analog
  state that drifted by a little each step then stays put, and the cells of a proof close (cpu seed 0: proven
  after settling, not before; docs/notes.md). The run file records the settle (meta "settling": where it began, its
  steps, the run's factor and noise; "settled_from": the name of the source's file), so that an interrupted one
  resumes and a finished one is not trained again. Returns the settled run's meta."""
  arrays, meta = load_run(out if out.exists() else source)
  plan = meta.get("settling")
  if not (meta.get("settled_from") == source.name and settling_plan(plan) and plan["steps"] == steps
          and meta["steps_done"] >= plan["start"]):  # not this settle of this run, under way
    arrays, meta = load_run(source)
    plan = {"start": meta["steps_done"], "steps": steps, "factor": meta["factor"],
            "noise": meta.get("state_noise", 0.0)}
  start = {k[len(FROM):]: v for k, v in arrays.items() if k.startswith(FROM)} or None
  for k, (factor, noise) in enumerate(SETTLE_STAGES):
    end = plan["start"] + steps * (k + 1) // len(SETTLE_STAGES)
    if meta["steps_done"] >= end:  # a stage done (a checkpoint at its last step is its final one)
      continue
    cfg = {**resumed_settings(source, meta, task, None, None), "factor": factor * plan["factor"],
           "state_noise": max(plan["noise"], noise * SETTLE_NOISE), "steps": end}
    try:
      cfg = tasks.check_settings(cfg, task.n_in, task.n_out)
    except ValueError as e:  # a run file's settings that no run has (its meta is data from strangers)
      raise RunError(f"{source}: {e}") from None
    train(Run(task, spec, cfg, meta["seed"], out, restarts=0, start_from=start),
          (arrays, {**meta, "settling": plan, "settled_from": source.name}))
    arrays, meta = load_run(out)
  return meta


def settling_plan(plan) -> bool:
  """A run file's record of a settle under way, in settle()'s form (anything else: no settle under way)."""
  number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
  return isinstance(plan, dict) and plan.keys() == {"start", "steps", "factor", "noise"} and \
    all(map(number, plan.values())) and isinstance(plan["start"], int) and isinstance(plan["steps"], int)


# ---- a re-fit's start: a pruned graph's weights back (--from) ----


def refit_start(path: str, spec: str | None, flags: dict, masked: bool = True,
                trust: bool = False) -> tuple[Task, str, dict, dict]:
  """(task, spec, settings, start) of a re-fit of a graph: start holds its weights and (masked) the masks that hold
  every other weight at 0 (graph_weights); unmasked, every weight of the graph's smaller network trains.
  RunError or GraphError for a graph that is no network of the task, has no weight left, or for flags that
  contradict it."""
  graph = load_graph(path)
  task = get_task(spec) if spec else task_of(graph, path, trust)
  spec = spec or graph["graph"]["task"]
  check_fits(graph, task, path)
  start, cells = graph_weights(graph, task.n_in, task.n_out, path)
  if not any(v.any() for k, v in start.items() if k.startswith("mask_")):
    raise RunError(f"{path}: the graph has no weights left to train")
  fixed = {"cells": ",".join(f"{o}x{s}" for o, s in cells), **graph["graph"]["activation"]}
  for key, value in fixed.items():
    if key in flags and flags[key] != value:
      raise RunError(f"{path}: the graph fixes --{key} {value}; --{key} {flags[key]} contradicts it")
  if not masked:
    start = {k: v for k, v in start.items() if not k.startswith("mask_")}
  return task, spec, {**task.settings(), **flags, **fixed}, start


# ---- the command line ----

def parse_args() -> argparse.Namespace:
  """The command line: the task, seed and files, and a flag for every setting of tasks.SETTINGS."""
  ap = ArgumentParser(description=__doc__.split("\n\n")[0])
  ap.add_argument("--task", help="task name (python tasks.py lists them) or path/file.py:NAME (default replace111; "
                  "with --resume, the run's own)")
  ap.add_argument("--seed", type=int, help="random seed: the same seed gives the same weights (default 0)")
  ap.add_argument("--restarts", type=int,
                  help="start over with fresh weights when validation is not 100%% by 40%% of the steps (default 3)")
  ap.add_argument("--force", action="store_true", help="write over the output file when it is there already")
  ap.add_argument("-o", "--out", help="output .npz (default runs/<task>-s<seed>.npz)")
  ap.add_argument("--resume", metavar="RUN.npz", help="continue a checkpointed or interrupted run to its --steps")
  ap.add_argument("--from", dest="from_graph", metavar="GRAPH.json", help="re-fit a pruned graph (from prune.py): "
                  "train exactly its edges, from its weights, with the penalty on; every other weight stays 0. The "
                  "graph fixes the cells, factor and leak (default output runs/<graph>-refit.npz)")
  ap.add_argument("--trust-task", action="store_true", help="with --resume or --from and no --task: import the "
                  "task file the run or graph names (only when it is the very file the run was trained with, by its "
                  "SHA-256); without it a file from someone else never makes train.py run code")
  ap.add_argument("--settle", type=int, metavar="STEPS", help="then train STEPS more, in three stages, toward the "
                  f"smooth activation (factor 0) and --state-noise {SETTLE_NOISE} (the run's own, if more), so that "
                  "its states gather on few points and prove.py's proof can close; the run file holds the settled run")
  ap.add_argument("--all-weights", action="store_true", help="with --from: train every weight of the graph's network "
                  "(its neurons and states renumbered, a smaller network), not only its edges")
  group = ap.add_argument_group("settings", "An unset setting comes from the task's config (tasks.py), then from the "
                                "default shown here; with --resume, from the run file.")
  for key, (default, text) in SETTINGS.items():
    metavar = {int: "N", float: "X"}.get(type(default), key.upper())
    group.add_argument(f"--{key.replace('_', '-')}", type=type(default), metavar=metavar,
                       help=f"{text} (default {default})".replace("%", "%%"))
  return ap.parse_args()


def resumed_task(given: str | None, meta: dict, path: str, trust: bool = False) -> tuple[Task, str]:
  """(task, spec) of a run being resumed: --task when given (it must be the run's own task), else the run's. A run's
  task file is imported only with `trust` and when it still has the SHA-256 the run recorded (tasks.trusted_spec),
  looked up where it was given, beside the run file or one folder up, and where it was when training began."""
  if given:
    task, spec = get_task(given), given
  else:
    file = meta["task"].rpartition(":")[0]
    run_dir = Path(path).parent  # a project moved with its runs: the task file beside them, or one folder up
    places = (str(run_dir / file), str(run_dir.parent / file), meta.get("task_file")) if file else ()
    spec = tasks.trusted_spec(meta["task"], path, trust, meta.get("task_sha256"), places)
    task = get_task(spec)
  expected = meta.get("task_name") or (meta["task"] if ":" not in meta["task"] else task.name)
  if task.name != expected:
    raise RunError(f"{path}: the run is of task {expected}; {given or meta['task']} is task {task.name}")
  return task, spec


def resumed_settings(path, meta: dict, task: Task, cells: str | None, seed: int | None) -> dict:
  """The settings of a run being resumed, from its meta; RunError for --cells or --seed that contradict the run, or
  a task of other inputs and outputs."""
  cfg = {**{k: meta.get(k, v) for k, v in DEFAULTS.items()}, "cells": ",".join(f"{o}x{s}" for o, s in meta["cells"])}
  given = {"cells": cells and ",".join(f"{o}x{s}" for o, s in parse_cells(cells)), "seed": seed,
           "inputs and outputs": (task.n_in, task.n_out)}
  for key, own in (("cells", cfg["cells"]), ("seed", meta["seed"]), ("inputs and outputs", (meta["n_in"],
                                                                                          meta["n_out"]))):
    if given[key] is not None and given[key] != own:
      raise RunError(f"{path}: the run's {key}: {own}; --{key.split()[0]} {given[key]} contradicts it")
  return cfg


def check_resumable(path, arrays: dict, meta: dict, cfg: dict) -> None:
  """RunError when the settings cannot continue the run: fewer steps than it has done, or another batch size for
  the states it carries from window to window."""
  if meta["steps_done"] > cfg["steps"]:
    raise RunError(f"{path}: the run has done {meta['steps_done']} steps, more than --steps {cfg['steps']}; give "
                   "more steps to train on")
  carried = [k for k in arrays if k.startswith("carry")]
  if carried and cfg["windows"] > 1 and arrays[carried[0]].shape[0] != cfg["batch"]:
    raise RunError(f"{path}: the run carries states for --batch {arrays[carried[0]].shape[0]}, not {cfg['batch']}")


def setup(args: argparse.Namespace) -> tuple[Run, tuple[dict, dict] | None]:
  """The run the command line asks for, with every part checked before anything is compiled: RunError, TaskError
  or ValueError, each one line, for a bad flag, task, run file or output path."""
  flags = {k: getattr(args, k) for k in DEFAULTS if getattr(args, k) is not None}
  if args.from_graph and args.resume or args.all_weights and not args.from_graph:
    raise RunError("--from starts a re-fit and --resume continues a run: give one" if args.resume else
                   "--all-weights goes with --from GRAPH.json")
  resume = load_run(args.resume) if args.resume else None
  seed, restarts = (0 if args.seed is None else args.seed), (3 if args.restarts is None else args.restarts)
  start_from = None
  if resume:
    arrays, meta = resume
    task, spec = resumed_task(args.task, meta, args.resume, args.trust_task)
    cfg = resumed_settings(args.resume, meta, task, flags.get("cells"), args.seed)
    seed, restarts = meta["seed"], meta.get("restarts", 3) if args.restarts is None else args.restarts
  elif args.from_graph:
    task, spec, cfg, start_from = refit_start(args.from_graph, args.task, flags, not args.all_weights,
                                                        args.trust_task)
  else:
    spec = args.task or "replace111"
    task, cfg = get_task(spec), get_task(spec).settings()
  cfg = tasks.check_settings({**cfg, **flags}, task.n_in, task.n_out)
  if resume:
    check_resumable(args.resume, arrays, meta, cfg)
  if seed < 0 or restarts < 0:
    raise ValueError(f"--{'seed' if seed < 0 else 'restarts'} must be 0 or more")
  if args.settle is not None and args.settle < 1:
    raise ValueError(f"--settle {args.settle}: give a number of steps, 1 or more")
  name = Path(spec.split(":")[-1]).name if ":" in spec else spec
  refit = args.from_graph and f"runs/{Path(args.from_graph).stem}-refit.npz"
  out = Path(args.out or args.resume or refit or f"runs/{name}-s{seed}.npz")
  check_output(out)
  if out.exists() and not args.force and (not args.resume or out.resolve() != Path(args.resume).resolve()):
    raise RunError(f"{out}: a file is there already; --resume it, or give --force to start over")
  return Run(task, spec, cfg, seed, out, restarts=restarts, start_from=start_from, fresh=not out.exists()), resume


def main():
  args = parse_args()
  use_device_defaults()
  try:
    run, resume = setup(args)
  except (TaskError, RunError, ValueError) as e:  # GraphError too: a --from graph that cannot be read
    print(f"train.py: {e}", file=sys.stderr)
    sys.exit(2)
  done = resume and finished(resume[1], run.cfg["steps"])
  if done and not args.settle:  # nothing to do: the file stays as it is
    progress(f"{args.resume}: finished already ({run.cfg['steps']} steps); more --steps trains on", final=True)
    print(args.resume)
    return
  try:
    if not done:
      train(run, resume)
    if args.settle:
      settle(run.out, run.task, run.task_spec, run.out, args.settle)
  except (TaskError, RunError, GraphError) as e:  # a task broken at other sizes, a NaN loss, a disk that fills up
    print(f"train.py: {e}", file=sys.stderr)
    sys.exit(2)
  except KeyboardInterrupt:  # before the first step began: nothing to save yet
    leave(130)
  except SystemExit as e:  # interrupted, its checkpoint written
    leave(e.code if isinstance(e.code, int) else 1)
  print(run.out)


if __name__ == "__main__":
  main()
