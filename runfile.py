"""The run file of train.py: one .npz of a network's weights, its settings and its progress.

In:  arrays (weights, optimizer state, history) and meta (a JSON-ready dict); or the path of a run file.
Out: save_run(path, arrays, meta) writes atomically; load_run(path) -> (arrays, meta), or RunError naming the file
     and the problem (not a run file, truncated, a bad checksum, missing or mis-shaped arrays, NaN weights, a meta
     that disagrees with the arrays); resumed_task finds a run's task again, check_output whether a run can be saved;
     signals_deferred makes Ctrl-C and SIGTERM wait for the end of a training step.
"""
import contextlib
import io
import json
import re
import signal
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np

from graph import check_fits, load_graph, task_of, write_atomic
from tasks import DEFAULTS, Task, get_task, parse_cells, trusted_spec

PERFECT = "perfect_"  # checkpoint keys of the last weights that validated at 100% (dropped from the final file)
FROM = "from_"  # with --from, keys of the graph's weights and masks, where a restart starts again


class RunError(ValueError):
  """A run file that cannot be used or written; printed as one line, exit 2."""


def weight_shapes(n_in: int, cells: list[tuple[int, int]], n_out: int) -> dict[str, tuple[int, ...]]:
  """The name and shape of every weight of a network, in the order of the optimizer's state."""
  shapes = {}
  for k, (n_o, n_s) in enumerate(cells):
    shapes.update({f"cell{k}_output_kernel": (n_in + n_s, n_o), f"cell{k}_output_bias": (n_o,),
                   f"cell{k}_recurrent_kernel": (n_in + n_s, n_s), f"cell{k}_recurrent_bias": (n_s,),
                   f"cell{k}_initial_state": (n_s,)})
    n_in = n_o
  return {**shapes, "dense_weight": (n_in, n_out), "dense_bias": (n_out,)}


def weight_names(cells: list[tuple[int, int]]) -> list[str]:
  """The names of the weights of a network of these cells, in the order of the optimizer's state."""
  return list(weight_shapes(1, cells, 1))


def save_run(path: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
  """Write arrays and meta (as JSON) to path atomically: a crash mid-write leaves the previous file intact.
  graph.GraphError names the path when it cannot be written."""
  path.parent.mkdir(parents=True, exist_ok=True)
  data = io.BytesIO()
  np.savez(data, **arrays, meta=np.array(json.dumps(meta)))
  write_atomic(path, data.getvalue())


def load_run(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
  """(weights, optimizer state and history; meta) from a .npz that train.py wrote, every array checked."""
  try:
    with np.load(path, allow_pickle=False) as f:
      arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays.pop("meta")))
  except FileNotFoundError:
    raise RunError(f"{path}: no such file") from None
  except (OSError, ValueError, KeyError, EOFError, AttributeError, zipfile.BadZipFile) as e:
    # not a zip, truncated, a bad checksum, a .npy, no meta or a meta that is not JSON
    raise RunError(f"{path}: not a run file from train.py ({type(e).__name__}: {e})") from None
  shapes = expected_shapes(meta, path)
  for k, shape in shapes.items():
    if k not in arrays:
      raise RunError(f"{path}: missing {k}")
    if arrays[k].shape != shape or not np.issubdtype(arrays[k].dtype, np.floating):
      raise RunError(f"{path}: {k} has shape {arrays[k].shape} ({arrays[k].dtype}), its meta says {shape}")
    if not np.all(np.isfinite(arrays[k])):
      raise RunError(f"{path}: NaN or infinite values in {k}")
  total = sum(int(np.prod(s)) for s in shapes.values())
  expected = {"adam_m": (total,), "adam_v": (total,), "adam_b1_t": (1,), "adam_b2_t": (1,)}  # one flat vector
  masks = {f"mask_{k}": s for k, s in shapes.items() if k.endswith(("_kernel", "_weight"))}  # a re-fit's (--from)
  masked = any("mask_" in a for a in arrays)
  if any(a.startswith("mask_") and a not in masks for a in arrays):
    raise RunError(f"{path}: a mask for no kernel: {sorted(a for a in arrays if a.startswith('mask_'))}")
  required = {k: s for k, s in masks.items() if masked}
  if any(k.startswith(FROM) for k in arrays):  # a re-fit's start, for a restart
    required.update({FROM + k: s for k, s in {**shapes, **(masks if masked else {})}.items()})
  if meta.get("perfect_step") is not None:  # the last perfect weights, to fall back on
    required.update({PERFECT + k: s for k, s in {**shapes, **(masks if masked else {})}.items()})
  for k, shape in {**expected, **required}.items():
    if (k in arrays or k in required) and (k not in arrays or arrays[k].shape != shape):
      raise RunError(f"{path}: {k} is {'missing' if k not in arrays else arrays[k].shape}, expected shape {shape}")
  if any(np.any((arrays[k] != 0) & (arrays[k] != 1)) for k in required if "mask_" in k):
    raise RunError(f"{path}: a mask holds values other than 0 and 1")
  for prefix in ("", FROM, PERFECT):  # a weight its mask holds at 0 is 0
    if any(np.any(arrays[prefix + k[5:]][arrays[prefix + k] == 0]) for k in masks if prefix + k in arrays):
      raise RunError(f"{path}: a weight its mask holds at 0 is not 0")
  if "history" in arrays and (arrays["history"].ndim != 2 or arrays["history"].shape[1] != 5):
    raise RunError(f"{path}: history has shape {arrays['history'].shape}, expected (rows, 5)")
  if not isinstance(meta.get("task_file", ""), str):
    raise RunError(f"{path}: its meta has no valid task_file")
  return arrays, meta


def expected_shapes(meta, path) -> dict[str, tuple[int, ...]]:
  """The weights' shapes that the run's meta implies; RunError for a meta without the keys a run needs."""
  ok = lambda v: type(v) is int and v >= 0
  try:
    cells = [tuple(c) for c in meta["cells"]]
    if not (cells and all(len(c) == 2 and all(ok(v) and v > 0 for v in c) for c in cells)):
      raise ValueError("cells")
    for key in ("n_in", "n_out", "seed", "steps_done", "attempt"):
      if not ok(meta[key]):
        raise ValueError(key)
    if not isinstance(meta["task"], str):
      raise ValueError("task")
  except (KeyError, TypeError, ValueError) as e:
    raise RunError(f"{path}: its meta has no valid {str(e).strip(chr(39))}") from None
  return weight_shapes(meta["n_in"], cells, meta["n_out"])


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
    spec = trusted_spec(meta["task"], path, trust, meta.get("task_sha256"), places)
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


def finished(meta: dict, steps: int) -> bool:
  """The run is done to `steps` and was written as a finished run (not a checkpoint at its last step)."""
  return meta["steps_done"] == steps and meta.get("perfect_step") is None


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


# ---- a run reports, and stops between steps only ----

def progress(line: str, final: bool = False) -> None:
  """One line on stderr: rewritten in place on a terminal; elsewhere only the final ones, one per line."""
  if sys.stderr.isatty():
    print(f"\r\033[K{line}", end="\n" if final else "", file=sys.stderr, flush=True)
  elif final:
    print(line, file=sys.stderr, flush=True)


def percent(acc: float) -> str:
  """An accuracy rounded down to 0.1%: only a perfect run shows 100.0% (99.99% is 99.9%)."""
  return f"{np.floor(acc * 1000) / 10:.1f}%"

# ---- a run stops between steps only ----

SIGNALS = {signal.SIGINT, signal.SIGTERM}


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
  try:
    yield
  finally:
    took_signal(run)  # one that came after the last step: taken here, so that unblocking does not raise it
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    for s, handler in handlers.items():
      signal.signal(s, handler)


def took_signal(run) -> bool:
  """Whether a Ctrl-C or SIGTERM has come (taking any that wait, into run.signal)."""
  while signal.sigpending() & SIGNALS:
    taken = signal.sigtimedwait(SIGNALS, 0)
    if taken is None:  # another thread's: its handler notes it
      break
    run.signal = taken.si_signo
  return run.signal is not None


# ---- the way back: a graph's weights, to train again (train.py --from) ----

CELL_NODE = re.compile(r"c(\d+)_([ors])(\d+)$")


def graph_weights(graph: dict, n_in: int, n_out: int, name: str) -> tuple[dict[str, np.ndarray], list[tuple[int, int]]]:
  """(arrays, cells) of the smallest network of train.py's shape that computes what the graph computes: its weights,
  and a mask_<kernel> per kernel that is 1 where the graph has an edge, 0 where the weight is held at 0. Neurons
  and states are renumbered densely per cell (a cell with none left keeps one unconnected output or state; a
  state's recurrent neuron takes the state's number). RunError for a graph that is not such a network."""
  meta_cells = graph["graph"].get("meta", {}).get("cells") if isinstance(graph["graph"].get("meta"), dict) else None
  found = {}  # (cell, "o" or "s") -> the old indices
  for n in graph["nodes"]:
    m = CELL_NODE.match(n["id"])
    kind = ("state" if m[2] == "s" else "neuron") if m else "output" if n["id"].startswith("out") else "input"
    if n["kind"] != kind:
      raise RunError(f"{name}: node {n['id']} is a {n['kind']}; in a network, a node of that name is a {kind}")
    if m:
      found.setdefault((int(m[1]), "o" if m[2] == "o" else "s"), set()).add(int(m[3]))
  n_cells = max([len(meta_cells) if isinstance(meta_cells, list) else 0] + [k + 1 for k, _ in found])
  if n_cells > 64:
    raise RunError(f"{name}: {n_cells} cells; train.py's networks are a stack of a few")
  new, cells = {}, []  # old node id -> its index in the new network
  for k in range(n_cells):
    outs, states = (sorted(found.get((k, part), ())) for part in ("o", "s"))
    cells.append((max(1, len(outs)), max(1, len(states))))
    new.update({f"c{k}_o{j}": i for i, j in enumerate(outs)})
    new.update({f"c{k}_{p}{j}": i for i, j in enumerate(states) for p in "rs"})
  if any(n["kind"] == "output" and int(n["id"][3:]) >= n_out for n in graph["nodes"]):
    raise RunError(f"{name}: the graph has an output beyond its task's {n_out}")
  arrays = {k: np.zeros(s, np.float32) for k, s in weight_shapes(n_in, cells, n_out).items()}
  arrays.update({f"mask_{k}": np.zeros_like(v) for k, v in arrays.items() if k.endswith(("_kernel", "_weight"))})
  for n in graph["nodes"]:
    if m := CELL_NODE.match(n["id"]):
      key = {"o": "output_bias", "r": "recurrent_bias", "s": "initial_state"}[m[2]]
      arrays[f"cell{m[1]}_{key}"][new[n["id"]]] = n["init" if m[2] == "s" else "bias"]
    elif n["kind"] == "output":
      arrays["dense_bias"][int(n["id"][3:])] = n["bias"]
  fed = set()
  for e in graph["edges"]:
    if e.get("feedback"):
      fed.add(e["target"])
      if e["source"] != e["target"].replace("_s", "_r"):
        raise RunError(f"{name}: feedback edge {e['source']} -> {e['target']} is not a state's own recurrent neuron")
      continue
    key, row, col = kernel_place(e["source"], e["target"], new, cells, n_in, name)
    arrays[key][row, col], arrays[f"mask_{key}"][row, col] = e["weight"], 1.0
  for nid in (n["id"] for n in graph["nodes"] if n["kind"] == "state"):
    if nid not in fed:
      raise RunError(f"{name}: state {nid} has no recurrent neuron (a network's state always has one)")
  return arrays, cells


def refit_start(path: str, spec: str | None, flags: dict, masked: bool = True,
                trust: bool = False) -> tuple[Task, str, dict, dict]:
  """(task, spec, settings, start) of a re-fit of a graph: start holds its weights and (masked) the masks that hold
  every other weight at 0 (runfile.graph_weights); unmasked, every weight of the graph's smaller network trains.
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


def kernel_place(source: str, target: str, new: dict, cells: list, n_in: int, name: str) -> tuple[str, int, int]:
  """(kernel, row, column) of the weight of an edge, or RunError when no weight of the network is that edge."""
  if target.startswith("out"):
    k, key, col = len(cells), "dense_weight", int(target[3:])
  else:
    m = CELL_NODE.match(target)
    if not m or m[2] == "s":
      raise RunError(f"{name}: edge {source} -> {target} ends in no neuron of a cell")
    k, col = int(m[1]), new[target]
    key = f"cell{k}_{'output' if m[2] == 'o' else 'recurrent'}_kernel"
  n_x = n_in if k == 0 else cells[k - 1][0]
  if k == 0 and re.fullmatch(r"in\d+", source) and int(source[2:]) < n_in:
    return key, int(source[2:]), col
  if k > 0 and source.startswith(f"c{k - 1}_o"):
    return key, new[source], col
  if k < len(cells) and source.startswith(f"c{k}_s"):
    return key, n_x + new[source], col
  raise RunError(f"{name}: edge {source} -> {target} is no weight of a network: a cell reads the inputs (or the "
                 "cell below's outputs) and its own states, the outputs read the last cell's outputs")
