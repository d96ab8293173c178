"""Train a sparse RNN on a task and write its weights as .npz.

In:  a task from tasks.py (`--task replace111`, or `--task my_tasks.py:NAME` for your own).
Out: runs/<task>-s<seed>.npz (or -o PATH), its path printed as the last line on stdout, holding per cell k
     cell{k}_output_kernel, cell{k}_output_bias, cell{k}_recurrent_kernel, cell{k}_recurrent_bias,
     cell{k}_initial_state, then dense_weight, dense_bias, `meta` (JSON) and `history` (one row per validation:
     step, loss, regularization loss, validation accuracy, weights above 0.01), plus what a resumed run needs (the
     optimizer's state; with --windows, the carried states; mid-run, the last weights that validated at 100%).

The cell (one per layer, stacked per timestep), with c_t = concat(x_t, s_{t-1}) and A the activation of
activation.cl:
  o_t = A(c_t @ W_o + b_o)    the output, passed on to the next cell (or the dense layer)
  s_t = A(c_t @ W_r + b_r)    the new state, fed back at the next step; s_0 is trained too
  y_t = o_t @ W_d + b_d       the dense output layer of the last cell, no activation
Loss = MSE(y, target) + a sparsity penalty on every kernel that counts weights above a small threshold.
Training goes on long after the network is perfect: that is when the penalty prunes it (the write-up's
"grokking"-like phase), so the default schedule runs a fixed number of steps.
"""
import argparse
import functools
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("DEV", "CPU")  # tinygrad would otherwise pick the first device that opens
if os.environ["DEV"].split(":")[0] == "CPU":  # tinygrad's newer CPU command queue: same weights, and measured here
  os.environ.setdefault("HCQ2", "1")           # 686 replace111 steps/s against 274 without it (HCQ2=0 turns it off)
from tinygrad import Context, Device, Tensor, TinyJit, nn  # noqa: E402
from tinygrad.uop.ops import KernelInfo, Ops, ProgramInfo, UOp  # noqa: E402

from graph import activation as graph_activation  # noqa: E402
from tasks import DEFAULTS, TaskError, get_task  # noqa: E402

ACTIVATION_SOURCE = Path(__file__).with_name("activation.cl")
LIVE = 0.01  # a weight with |w| above this counts as "live" in the progress line
# Validation runs on sequences twice the training length and at least this long: longer than the 60 steps prune.py
# checks, so that a run train.py calls perfect is one prune.py accepts (loop3 nets that drift fail at step 44 or 56).
VAL_MIN_LENGTH = 100


# ---- the activation: activation.cl as a tinygrad custom op with a hand-written backward ----

@functools.cache
def compile_activation(device: str, entry: str, n: int, factor: float, leak: float) -> tuple[str, bytes]:
  """Source and binary of one entry point of activation.cl, specialised to n elements and (factor, leak)."""
  src = (f"#define {entry.upper()} 1\n#define N {n}\n#define FACTOR {float(factor)!r}f\n#define LEAK {float(leak)!r}f\n"
         + ACTIVATION_SOURCE.read_text())
  backend = device.split(":")[0]
  if backend == "CPU":
    # tinygrad's CPU loader jumps to the first byte of the object: the -D above leaves one function in it
    from tinygrad.runtime.support.compiler_cpu import ClangCompiler
    return src, ClangCompiler(Device[device].arch.split(",")).compile_cached(src)
  if backend in ("CUDA", "NV"):
    src = "#define __CUDACC__ 1\n" + src
  return src, Device[device].renderer.compiler.compile_cached(src)


def activation_program(device: str, entry: str, n: int, factor: float, leak: float, *bufs: UOp) -> UOp:
  """The kernel for Tensor.custom_kernel: bufs[0] is written, the rest are read."""
  bufs = tuple(b.base for b in bufs)  # multi-dimensional placeholders arrive as RESHAPE(PARAM)
  src, binary = compile_activation(device, entry, n, factor, leak)
  cpu = device.split(":")[0] == "CPU"
  threads = 128
  info = ProgramInfo(name=entry, global_size=(1, 1, 1) if cpu else ((n + threads - 1) // threads, 1, 1),
                     local_size=None if cpu else (threads, 1, 1), globals=tuple(range(len(bufs))),
                     outs=(0,), ins=tuple(range(1, len(bufs))), target=Device[device].renderer.target)
  sink = UOp.sink(*bufs, arg=KernelInfo(name=entry))
  return UOp(Ops.PROGRAM, src=(sink, UOp(Ops.LINEAR, src=bufs), UOp(Ops.SOURCE, arg=src), UOp(Ops.BINARY, arg=binary)),
             arg=info)


def activation(x: Tensor, factor: float, leak: float) -> Tensor:
  """A(x) elementwise, forward and backward from activation.cl."""
  x = x.contiguous()
  device, n = x.device, x.numel()

  def backward(dy: UOp, call: UOp):
    pre = Tensor(call.src[2])  # the call's sources: program, output, input x
    kernel = functools.partial(activation_program, device, "ameo_backward", n, factor, leak)
    dx = Tensor.empty(*x.shape, device=device).custom_kernel(pre, Tensor(dy).contiguous(), fxn=kernel)[0]
    return None, dx.uop

  return Tensor.empty(*x.shape, device=device).custom_kernel(
    x, fxn=functools.partial(activation_program, device, "ameo_forward", n, factor, leak), grad_fxn=backward)[0]


# ---- the model: plain dict of weights, named as in the .npz ----

def parse_cells(spec: str) -> list[tuple[int, int]]:
  """'16x10,16x10' -> [(16, 10), (16, 10)]: outputs x states per cell."""
  try:
    cells = [tuple(int(v) for v in part.lower().split("x")) for part in str(spec).split(",")]
  except ValueError:
    cells = []
  if not cells or any(len(c) != 2 or c[0] < 1 or c[1] < 0 for c in cells):
    raise ValueError(f"--cells {spec!r} is not a list like 8x4 or 16x10,16x10 (outputs x states, outputs >= 1)")
  return cells


def init_weights(rng: np.random.Generator, n_in: int, cells: list[tuple[int, int]], n_out: int) -> dict:
  def glorot(fan_in, fan_out):
    return rng.normal(0, np.sqrt(2 / (fan_in + fan_out)), (fan_in, fan_out)).astype(np.float32)

  def small(n, scale):
    return rng.normal(0, scale, n).astype(np.float32)

  w = {}
  for k, (n_o, n_s) in enumerate(cells):
    w[f"cell{k}_output_kernel"] = glorot(n_in + n_s, n_o)
    w[f"cell{k}_output_bias"] = small(n_o, 0.1)
    w[f"cell{k}_recurrent_kernel"] = glorot(n_in + n_s, n_s)
    w[f"cell{k}_recurrent_bias"] = small(n_s, 0.1)
    w[f"cell{k}_initial_state"] = small(n_s, 0.5)
    n_in = n_o
  w["dense_weight"] = glorot(n_in, n_out)
  w["dense_bias"] = small(n_out, 0.1)
  return w


def forward(w: dict[str, Tensor], x: Tensor, cells: list[tuple[int, int]], factor: float, leak: float,
            start: list[Tensor] | None = None) -> tuple[Tensor, list[Tensor]]:
  """x (batch, length, n_in) -> (y (batch, length, n_out), each cell's state after the last step), the network
  unrolled over time. start: each cell's state to begin from, instead of its trained initial state."""
  batch, length, _ = x.shape
  layer_in, final = x, []
  for k, (n_o, n_s) in enumerate(cells):
    kernel = w[f"cell{k}_output_kernel"].cat(w[f"cell{k}_recurrent_kernel"], dim=1)  # one matmul for both
    bias = w[f"cell{k}_output_bias"].cat(w[f"cell{k}_recurrent_bias"])
    n_x = kernel.shape[0] - n_s
    from_input = layer_in @ kernel[:n_x] + bias  # the input's share for every step at once
    state = (w[f"cell{k}_initial_state"].reshape(1, n_s) if start is None else start[k]).expand(batch, n_s)
    outputs = []
    for t in range(length):
      pre = from_input[:, t] + (state @ kernel[n_x:] if n_s else 0)
      a = activation(pre, factor, leak)
      outputs.append(a[:, :n_o])
      state = a[:, n_o:]
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


def input_buffer(shape: tuple[int, ...]) -> Tensor:
  """A realized float32 tensor whose memory later steps overwrite with copy_into."""
  return Tensor.empty(*shape).contiguous().realize()


def copy_into(t: Tensor, a: np.ndarray) -> None:
  """Copy a numpy array straight into a realized tensor's memory. Tensor(a) would schedule a copy every step, which
  cost more than the training step itself (measured: 12 ms a replace111 step with Tensor(x), 3.7 ms with this)."""
  buf = t.uop.base.buffer.ensure_allocated()
  buf.allocator._copyin(buf._buf, memoryview(np.ascontiguousarray(a, np.float32)).cast("B"))  # waits for the device


def accuracy(y: np.ndarray, target: np.ndarray) -> float:
  """Fraction of sequences whose every output has the right sign (an output of exactly 0 is wrong)."""
  return float(np.mean(np.all(np.sign(y) == np.sign(target), axis=(1, 2))))


def live_weights(w: dict[str, Tensor]) -> tuple[int, int]:
  arrays = [v.numpy() for v in kernels(w)]
  return sum(int((np.abs(a) > LIVE).sum()) for a in arrays), sum(a.size for a in arrays)


# ---- the run file ----

class RunError(ValueError):
  """A run file that cannot be used; printed as one line, exit 2."""


def weight_names(cells: list[tuple[int, int]]) -> list[str]:
  names = [f"cell{k}_{part}" for k in range(len(cells)) for part in
           ("output_kernel", "output_bias", "recurrent_kernel", "recurrent_bias", "initial_state")]
  return names + ["dense_weight", "dense_bias"]


def save_run(path: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
  """Write atomically: a crash mid-write leaves the previous file intact."""
  path.parent.mkdir(parents=True, exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
  try:
    with os.fdopen(fd, "wb") as f:
      np.savez(f, **arrays, meta=np.array(json.dumps(meta)))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it a normal file's permissions
    os.replace(tmp, path)
  except BaseException:
    Path(tmp).unlink(missing_ok=True)
    raise


def load_run(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
  """(weights and optimizer state, meta) from a .npz that train.py wrote."""
  try:
    with np.load(path, allow_pickle=False) as f:
      arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays.pop("meta")))
    cells = [tuple(c) for c in meta["cells"]]
  except FileNotFoundError:
    raise RunError(f"{path}: no such file") from None
  except (OSError, ValueError, KeyError, EOFError) as e:  # not a zip, truncated, no or bad meta
    raise RunError(f"{path}: not a run file from train.py ({type(e).__name__}: {e})") from None
  missing = [k for k in weight_names(cells) if k not in arrays]
  if missing:
    raise RunError(f"{path}: missing {', '.join(missing)}")
  bad = [k for k in weight_names(cells) if not np.all(np.isfinite(arrays[k]))]
  if bad:
    raise RunError(f"{path}: NaN or infinite values in {', '.join(bad)}")
  return arrays, meta


def predict(weights: dict[str, np.ndarray], meta: dict, x: np.ndarray) -> np.ndarray:
  """Run a trained network (tinygrad, with the activation.cl kernel) on x (batch, length, n_in)."""
  cells = [tuple(c) for c in meta["cells"]]
  w = {k: Tensor(weights[k]) for k in weight_names(cells)}
  return forward(w, Tensor(np.asarray(x, np.float32)), cells, meta["factor"], meta["leak"])[0].numpy()


# ---- training ----

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


class Trainer:
  """Holds the weights as tensors, the optimizer and the compiled training step.

  With cfg["windows"] = W > 1, each batch of sequences is W * seq_len steps long and is trained on one window of
  seq_len steps at a time, W steps in a row; each window starts from the states the previous one ended in (the
  gradient does not flow back into it). The network then has to keep working from whatever state it has reached,
  which a short unrolled sequence alone does not ask of it (gated learned its first 10 steps and failed after)."""

  def __init__(self, task, cfg: dict, seed: int, attempt: int, arrays: dict[str, np.ndarray]):
    self.task, self.cfg, self.seed, self.attempt = task, cfg, seed, attempt
    self.cells = parse_cells(cfg["cells"])
    self.names = weight_names(self.cells)
    self.w = {k: Tensor(arrays[k]).contiguous().realize() for k in self.names}
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
    # compiled once; later calls replay the captured kernels on the same input buffers
    self.train_step = TinyJit(self._train_step)
    self.x, self.y = (input_buffer((cfg["batch"], cfg["seq_len"], n)) for n in (task.n_in, task.n_out))

  def start_states(self) -> list[Tensor] | None:
    if not self.carry:
      return None
    m = self.continuing
    return [self.w[f"cell{k}_initial_state"].reshape(1, -1) * (1 - m) + c * m for k, c in enumerate(self.carry)]

  def _train_step(self, x: Tensor, y: Tensor) -> Tensor:
    c = self.cfg
    with Context(TRAINING=1):
      self.opt.zero_grad()
      out, final = forward(self.w, x, self.cells, c["factor"], c["leak"], self.start_states())
      loss = (out - y).square().mean()
      reg = sparsity_penalty(self.w, self.intensity, c["reg_threshold"], c["reg_steepness"], c["reg_l1"])
      (loss + reg).backward()
      both = Tensor.stack(loss, reg)
      carried = [held.assign(s.detach()) for held, s in zip(self.carry, final, strict=True)] if self.carry else []
      both.realize(*self.opt.schedule_step(), *carried)  # realize the loss with the update, not after it
    return both

  def step(self, step: int) -> tuple[float, float]:
    cfg = self.cfg
    rates = schedule(step, cfg["steps"], cfg["lr"], cfg["reg_intensity"], cfg.get("reg_from", 0.0))
    if rates != self.rates:  # only when the schedule moves: each assign is a small kernel launch of its own
      self.opt.lr.assign(Tensor([rates[0]], dtype=self.opt.lr.dtype)).realize()
      self.intensity.assign(Tensor([rates[1]])).realize()
      self.rates = rates
    first, window = step - step % self.windows, step % self.windows
    if self.sequence is None or self.sequence[0] != first:  # a new batch of sequences (or a resumed run's)
      self.sequence = (first, *self.task.sample(batch_rng(self.seed, self.attempt, first), cfg["batch"],
                                                cfg["seq_len"] * self.windows))
    cut = slice(window * cfg["seq_len"], (window + 1) * cfg["seq_len"])
    copy_into(self.x, self.sequence[1][:, cut])
    copy_into(self.y, self.sequence[2][:, cut])
    if self.carry:
      copy_into(self.continuing, np.full((1, 1), float(window > 0)))
    loss, reg = self.train_step(self.x, self.y).numpy()
    return float(loss), float(reg)

  def validate(self, step: int, batch: int = 4096) -> float:
    length = max(2 * self.cfg["seq_len"], VAL_MIN_LENGTH)  # a network that only fits short runs fails
    x, y = self.task.sample(batch_rng(self.seed, self.attempt, step, stream=1), batch, length)
    w = {k: self.w[k].numpy() for k in self.names}
    return accuracy(numpy_forward(w, self.cells, self.cfg["factor"], self.cfg["leak"], x), y)

  def arrays(self) -> dict[str, np.ndarray]:
    """The weights, the optimizer's state and the carried states: all that a resumed run needs."""
    out = {k: self.w[k].numpy() for k in self.names}
    out.update((f"carry{k}", c.numpy()) for k, c in enumerate(self.carry))
    return {**out, **{k: t.numpy() for t, k in self.optimizer_state()}}

  def optimizer_state(self) -> list[tuple[Tensor, str]]:
    # fused Adam keeps one flat moment vector for all the weights, in the order of self.names
    opt = self.opt
    return [(opt.b1_t, "adam_b1_t"), (opt.b2_t, "adam_b2_t"), (opt.m[0], "adam_m"), (opt.v[0], "adam_v")]


def versions() -> dict:
  import tinygrad
  return {"python": sys.version.split()[0], "numpy": np.__version__,
          "tinygrad": getattr(tinygrad, "__version__", "0.14.0"), "device": Device.DEFAULT}


def progress(line: str, final: bool = False) -> None:
  if sys.stderr.isatty():
    print(f"\r\033[K{line}", end="\n" if final else "", file=sys.stderr, flush=True)
  elif final:
    print(line, file=sys.stderr, flush=True)


def stuck(step: int, acc: float, cfg: dict, patience: float) -> bool:
  """Not perfect by `patience` of the run: the learning rate has decayed by then, a restart is the better bet."""
  return step >= patience * cfg["steps"] and acc < 1.0


def train(task, task_spec: str, cfg: dict, seed: int, out: Path, resume: tuple[dict, dict] | None = None,
          val_every: int = 250, checkpoint_every: float = 30.0, restarts: int = 3, patience: float = 0.4) -> dict:
  """Train (or continue) a run; checkpoints to `out` as it goes; returns the final meta.

  A run whose validation is stuck below 100% starts over with fresh weights (up to `restarts` times); a run
  that was perfect but is not at the end goes back to its last perfect weights."""
  cells = parse_cells(cfg["cells"])
  best = None
  if resume:
    arrays, meta = resume
    history, best = [list(r) for r in arrays.get("history", np.zeros((0, 5)))], last_perfect(*resume)
  else:
    meta = {"task": task_spec, "n_in": task.n_in, "n_out": task.n_out, "seed": seed, **cfg,
            "cells": [list(c) for c in cells], "steps_done": 0, "attempt": 0}
  start, resumed_at = time.time(), meta["steps_done"]
  while True:
    if meta["steps_done"] == 0:  # a fresh start (or restart): new weights, an empty history
      arrays = init_weights(np.random.default_rng([seed, meta["attempt"]]), task.n_in, cells, task.n_out)
      history, best, meta["first_perfect_step"], meta["val_accuracy"] = [], None, None, None
    trainer = Trainer(task, cfg, seed, meta["attempt"], arrays)
    meta = run_steps(trainer, meta, history, best, out, val_every, checkpoint_every, restarts, patience, start,
                     resumed_at)
    if meta["steps_done"] == cfg["steps"]:
      break
    progress(f"validation stuck at {meta['val_accuracy']:.1%} at step {meta['steps_done']}: restart "
             f"{meta['attempt'] + 1}/{restarts} with fresh weights", final=True)
    meta.update(attempt=meta["attempt"] + 1, steps_done=0)
    resumed_at = 0
  live, total = live_weights(trainer.w)
  progress(f"done: {meta['steps_done']} steps in {time.time() - start:.1f}s, val {meta['val_accuracy']:.1%}, "
           f"{live}/{total} weights above {LIVE}", final=True)
  return meta


PERFECT = "perfect_"  # checkpoint keys of the last weights that validated at 100% (dropped from the final file)


def last_perfect(arrays: dict, meta: dict) -> tuple[int, dict] | None:
  """(step, weights) of the last 100% validation a checkpoint carries, so that a resumed run can fall back on it."""
  if meta.get("perfect_step") is None:
    return None
  return meta["perfect_step"], {k[len(PERFECT):]: v for k, v in arrays.items() if k.startswith(PERFECT)}


def run_steps(trainer: "Trainer", meta: dict, history: list, best: tuple[int, dict] | None, out: Path, val_every: int,
              checkpoint_every: float, restarts: int, patience: float, start: float, resumed_at: int) -> dict:
  """Steps until the end of the run, or until it is stuck (then steps_done < steps and the caller restarts)."""
  cfg = trainer.cfg
  step, loss, reg = meta["steps_done"], meta.get("loss", float("nan")), meta.get("reg_loss", float("nan"))
  acc, last_save = meta.get("val_accuracy"), time.time()
  timed, busy = 0, 0.0  # training steps after the first few (which compile the kernels), and their time

  def checkpoint(arrays: dict | None = None, final: bool = False) -> None:
    meta.update(steps_done=step, loss=loss, reg_loss=reg, val_accuracy=acc, versions=versions(),
                seconds=round(time.time() - start, 2), perfect_step=None if final or best is None else best[0])
    fallback = {} if final or best is None else {PERFECT + k: v for k, v in best[1].items()}
    history_array = np.array(history, np.float32).reshape(-1, 5)
    save_run(out, {**(arrays or trainer.arrays()), **fallback, "history": history_array}, meta)

  try:
    while step < cfg["steps"]:
      tick = time.perf_counter()
      loss, reg = trainer.step(step)
      step += 1
      if step > resumed_at + 5:  # the first steps compile the kernels: the rate is that of the steps after them
        timed, busy = timed + 1, busy + time.perf_counter() - tick
      if not np.isfinite(loss):
        raise RuntimeError(f"loss became {loss} at step {step}: try a lower --lr")
      if step % val_every and step != cfg["steps"]:
        continue
      acc = trainer.validate(step)
      live, total = live_weights(trainer.w)
      history.append([step, loss, reg, acc, live])
      if acc == 1.0:
        best = (step, trainer.arrays())
        meta["first_perfect_step"] = meta.get("first_perfect_step") or step
      rate = timed / busy if busy else 0.0
      meta["steps_per_second"] = round(rate, 1)
      progress(f"step {step}/{cfg['steps']}  loss {loss:.5f}  reg {reg:.5f}  val {acc:6.1%}  "
               f"live {live}/{total}  {rate:.0f} steps/s", final=not sys.stderr.isatty())
      if best is None and step < cfg["steps"] and meta["attempt"] < restarts and stuck(step, acc, cfg, patience):
        meta.update(steps_done=step, val_accuracy=acc)
        return meta
      if time.time() - last_save > checkpoint_every:
        checkpoint()
        last_save = time.time()
  except KeyboardInterrupt:
    checkpoint()
    progress(f"interrupted at step {step}; resume with: python train.py --resume {out}", final=True)
    sys.exit(130)
  if acc < 1.0 and best is not None:  # it was perfect once: keep those weights rather than a broken network
    progress(f"final validation {acc:.1%}: keeping the weights of step {best[0]}, the last perfect one", final=True)
    meta["recovered_from_step"], acc = best[0], 1.0
    checkpoint(best[1], final=True)
  else:
    checkpoint(final=True)
  return meta


def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                               epilog="Unset settings come from the task (see tasks.py), then from tasks.DEFAULTS.")
  ap.add_argument("--task", default="replace111", help="task name (python tasks.py lists them) or path/file.py:NAME")
  ap.add_argument("--steps", type=int, help="optimizer steps in all (training continues after 100%% accuracy)")
  ap.add_argument("--batch", type=int, help="sequences per step, freshly sampled every step")
  ap.add_argument("--seq-len", type=int, help="training sequence length; validation uses twice this, at least 100")
  ap.add_argument("--lr", type=float, help="Adam learning rate at the start (decays on the original's schedule)")
  ap.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same weights")
  ap.add_argument("--cells", help="cells as OUTPUTSxSTATES, comma separated for a stack, e.g. 8x4 or 16x10,16x10")
  ap.add_argument("--factor", type=float, help="activation: 0 smooth, 1 piecewise linear, between mixes them")
  ap.add_argument("--leak", type=float, help="activation: slope of the tails beyond |x| = 3")
  ap.add_argument("--reg-intensity", type=float, help="sparsity penalty i_T: weight of the non-zero-weight count")
  ap.add_argument("--reg-threshold", type=float, help="sparsity penalty t: |w| above which a weight counts")
  ap.add_argument("--reg-steepness", type=float, help="sparsity penalty s: how sharply it turns on around t")
  ap.add_argument("--reg-l1", type=float, help="sparsity penalty i_L1: plain L1 that pushes unused weights to 0")
  ap.add_argument("--reg-from", type=float, help="fraction of the steps before the penalty turns on (0: at once)")
  ap.add_argument("--windows", type=int, help="train on sequences of WINDOWS x seq-len steps, one window a step, the "
                  "state carried from window to window (teaches a network to keep working on long sequences)")
  ap.add_argument("--restarts", type=int, default=3,
                  help="start over with fresh weights when validation is not 100%% by 40%% of the steps (default 3)")
  ap.add_argument("-o", "--out", help="output .npz (default runs/<task>-s<seed>.npz)")
  ap.add_argument("--resume", metavar="RUN.npz", help="continue a checkpointed or interrupted run to its --steps")
  args = ap.parse_args()
  signal.signal(signal.SIGTERM, signal.default_int_handler)  # a killed run checkpoints like Ctrl-C

  try:
    resume = load_run(args.resume) if args.resume else None
    task_spec = resume[1]["task"] if resume else args.task
    task = get_task(task_spec)
    cfg = {k: resume[1].get(k, v) for k, v in DEFAULTS.items()} if resume else task.settings()
    if resume:
      cfg["cells"] = ",".join(f"{o}x{s}" for o, s in resume[1]["cells"])
    for key in DEFAULTS:
      if getattr(args, key, None) is not None:
        cfg[key] = getattr(args, key)
    cfg["cells"] = ",".join(f"{o}x{s}" for o, s in parse_cells(cfg["cells"]))
    for key in ("steps", "batch", "seq_len", "windows"):
      if cfg[key] < (0 if key == "steps" else 1):
        raise ValueError(f"--{key.replace('_', '-')} must be {'>= 0' if key == 'steps' else 'positive'}, "
                         f"not {cfg[key]}")
  except (TaskError, RunError, ValueError) as e:
    print(f"train.py: {e}", file=sys.stderr)
    sys.exit(2)
  name = Path(task_spec.split(":")[-1]).name if ":" in task_spec else task_spec
  out = Path(args.out or (args.resume if args.resume else f"runs/{name}-s{args.seed}.npz"))
  seed = resume[1]["seed"] if resume else args.seed
  train(task, task_spec, cfg, seed, out, resume, restarts=args.restarts)
  print(out)


if __name__ == "__main__":
  main()
