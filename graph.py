"""The computational graph every later stage shares: its JSON file, the activation, and the one evaluator.

In:  a graph JSON file (extract.py writes it; prune.py and render.py read and write it).
Out: plain dicts and numpy arrays:
  graph = load_graph("bonsai.json")            # validated dict, or GraphError naming the file and the problem
  y = evaluate(graph, x)                       # x (batch, length, n_in) of ±1 -> y (batch, length, n_out)
  y, values = evaluate(graph, x, record=True)  # values[node_id]: (batch, length), what that node gave at each step
  y = evaluate(graph, x, start={"c0_s1": s})   # each sequence b starts with state c0_s1 at s[b], not at its init
And what the stages share: save_graph, write_output and write_atomic (a file is written whole or not at all),
reachable, live_nodes and remove_dead (the one depth-first search), input_count and check_fits (a graph against
its task), check (a graph against expected outputs), json_safe (NaN to null), size, colour and task_of; the run file
that train.py writes (save_run, load_run: every array checked against its meta, RunError naming the file), and the
way back from a graph to a network's weights (graph_weights, for train.py --from).

The file is networkx node-link JSON (networkx.node_link_graph(data, edges="edges") reads it):
  {"directed": true, "multigraph": false,
   "graph": {"task": "delay1", "activation": {"factor": 0.5, "leak": 0.1}, "meta": {...}, ...},
   "nodes": [{"id": "in0", "kind": "input", "index": 0},
             {"id": "c0_s1", "kind": "state", "cell": 0, "index": 1, "init": 0.73},
             {"id": "c0_r1", "kind": "neuron", "role": "recurrent", "cell": 0, "index": 1, "bias": -0.2},
             {"id": "c0_o3", "kind": "neuron", "role": "output", "cell": 0, "index": 3, "bias": 0.5},
             {"id": "out0", "kind": "output", "index": 0, "bias": 0.1}],
   "edges": [{"source": "in0", "target": "c0_o3", "weight": 1.5},
             {"source": "c0_r1", "target": "c0_s1", "weight": 1.0, "feedback": true}, ...]}

One timestep: every state gives its current value (at step 0 its "init", or start's), every neuron computes
A(bias + sum of weight * source) in dependency order, every output computes bias + sum of weight * source
(no activation), and then every state with a feedback edge takes the value of its recurrent neuron.
"""
import io
import itertools
import json
import math
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

KINDS = ("input", "state", "neuron", "output")
CHUNK = 8192  # sequences evaluated together, at most
VALUES = 2 ** 20  # node values evaluated together, at most (nodes x sequences): a few MB, which stays in the cache
FIELDS = {  # the fields each kind of node must have, besides id and kind
  "input": ("index",),
  "state": ("cell", "index", "init"),
  "neuron": ("role", "cell", "index", "bias"),
  "output": ("index", "bias"),
}


class GraphError(ValueError):
  """A graph (or run) file that cannot be used; the message names the file and the problem."""


# ---- the activation (the same function as activation.cl; test_all.py checks that they agree) ----

def activation(x, factor: float, leak: float) -> np.ndarray:
  """A(x) = factor * L(x) + (1 - factor) * S(x): L piecewise linear, S quartic pieces, both with `leak` tails.

  Written for speed with |x| (both L and S are odd functions): for 0 <= a <= 3, L(a) = |a - 1| - 1 and
  S(a) = (a - 1)^4 - 1 up to a = 2, 1 - (a - 3)^4 after; beyond 3 both are 1 + leak * (a - 3)."""
  x = np.asarray(x)
  if x.dtype.kind != "f":
    x = x.astype(np.float64)
  a = np.abs(x)
  low = a <= 2
  q = np.where(low, a - 1, a - 3)
  q *= q
  q *= q
  inner = factor * (np.abs(a - 1) - 1) + (1 - factor) * np.where(low, q - 1, 1 - q)
  return np.sign(x) * np.where(a > 3, 1 + leak * (a - 3), inner)


# ---- reading and writing ----

def read_input(path: str) -> tuple[bytes, str]:
  """The bytes of a file, or of stdin for "-", and the name to use for it in messages."""
  name = "<stdin>" if path == "-" else str(path)
  try:
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
  except FileNotFoundError:
    raise GraphError(f"{name}: no such file") from None
  except OSError as e:
    raise GraphError(f"{name}: cannot read it ({e.strerror or e})") from None
  if not data.strip():
    raise GraphError(f"{name}: empty input")
  return data, name


def write_output(data: bytes | str, path: str) -> None:
  """Write to stdout for "-", else atomically (write_atomic)."""
  data = data.encode() if isinstance(data, str) else data
  if path == "-":
    try:
      sys.stdout.buffer.write(data)
      sys.stdout.flush()
    except BrokenPipeError:  # the reader stopped early (`| head`): end quietly, as a command-line tool does
      os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that Python's own flush at exit is silent
      sys.exit(1)
    return
  write_atomic(path, data)


def write_atomic(path: str | Path, data: bytes) -> None:
  """A temp file in the same folder, then renamed over the target: a crash mid-write leaves the old file intact.
  GraphError names the path when it cannot be written."""
  target = Path(path)
  try:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
  except OSError as e:
    raise GraphError(f"{path}: cannot write there ({e.strerror or e})") from None
  try:
    with os.fdopen(fd, "wb") as f:
      f.write(data)
      f.flush()
      os.fsync(f.fileno())  # on disk before the rename: a crash then leaves the old file or the new one, never none
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it the permissions of a normal file
    os.replace(tmp, target)
  except BaseException as e:
    Path(tmp).unlink(missing_ok=True)
    if isinstance(e, OSError):
      raise GraphError(f"{path}: cannot write it ({e.strerror or e})") from None
    raise


def json_safe(v):
  """A JSON-ready copy of v: NaN and infinities become null (JSON has none), numpy scalars plain numbers."""
  if isinstance(v, dict):
    return {k: json_safe(x) for k, x in v.items()}
  if isinstance(v, (list, tuple)):
    return [json_safe(x) for x in v]
  if isinstance(v, np.generic):
    v = v.item()
  return None if isinstance(v, float) and not math.isfinite(v) else v


def load_graph(path: str) -> dict:
  """A validated graph from a JSON file ("-" reads stdin); GraphError says what is wrong."""
  data, name = read_input(path)
  try:
    graph = json.loads(data.decode("utf-8"))
  except UnicodeDecodeError:
    raise GraphError(f"{name}: not a graph JSON file (binary data)") from None
  except json.JSONDecodeError as e:
    raise GraphError(f"{name}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno}; truncated?)") from None
  except RecursionError:
    raise GraphError(f"{name}: not a graph (JSON nested too deeply)") from None
  except ValueError:  # json.loads refuses an integer of more than 4300 digits
    raise GraphError(f"{name}: not a graph (a number with thousands of digits)") from None
  check_graph(graph, name)
  return graph


def save_graph(graph: dict, path: str) -> None:
  """Write a graph as JSON, one node or edge per line so that a diff or a reader can follow it ("-": stdout)."""
  def block(opening, lines, closing):  # one item per line, indented one more than the brackets
    return opening + "\n" + ",\n".join("  " + line for line in lines) + "\n " + closing

  parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in graph.items() if k not in ("graph", "nodes", "edges")]
  parts.append(block('"graph": {', [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in graph["graph"].items()], "}"))
  parts.append(block('"nodes": [', [json.dumps(n) for n in graph["nodes"]], "]"))
  parts.append(block('"edges": [', [json.dumps(e) for e in graph["edges"]], "]"))
  write_output("{\n" + ",\n".join(" " + p for p in parts) + "\n}\n", path)


# ---- the run file (.npz): train.py writes it; train.py --resume, extract.py's runs and grow.py read it ----

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
    loaded = np.load(path, allow_pickle=False)
    if not isinstance(loaded, np.lib.npyio.NpzFile):  # a .npy: one array, no run
      raise ValueError("a single array (.npy), not a .npz archive")
    with loaded as f:
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


# ---- the way back: a graph's weights, as a network of train.py's shape (train.py --from) ----

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


# ---- validation ----

MAX_VALUE = 1e9  # no weight, bias or initial state is bigger: a graph that says so is broken, not a bonsai
MAX_INDEX = 65535  # inputs, outputs, cells, neurons: a bigger index is a broken file, not a wide network
NODE_ID = re.compile(r"(in|out)[0-9]{1,5}|c[0-9]{1,5}_[sro][0-9]{1,5}")  # in0 out0 c0_s1 c0_r1 c0_o3: extract.py's
TASK_CHARS = 1000  # a task name longer than this is no name: it would fill every message and title


def is_number(v) -> bool:
  """A plain finite number no bigger than MAX_VALUE (JSON's true, and integers too big for a float, are not)."""
  return isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= MAX_VALUE


def check_graph(graph, name: str = "graph") -> None:
  """Raise GraphError for anything the evaluator could not run: missing keys, bad kinds, NaN, dangling edges,
  a state with two inputs, a cycle that does not pass through a state."""
  def bad(problem):
    raise GraphError(f"{name}: {problem}")

  if not isinstance(graph, dict):
    bad("not a graph (the top level must be a JSON object)")
  for key, typ in (("graph", dict), ("nodes", list), ("edges", list)):
    if not isinstance(graph.get(key), typ):
      bad(f"missing or malformed key {key!r}")
  top = graph["graph"]
  if not isinstance(top.get("task"), str) or not top["task"] or not top["task"].isprintable():
    bad("missing key graph.task (the task name, one line)")
  if len(top["task"]) > TASK_CHARS:
    bad(f"graph.task is {len(top['task'])} characters long, more than {TASK_CHARS}")
  for key in ("meta", "verified", "prune"):
    if not isinstance(top.get(key, {}), dict):
      bad(f"graph.{key} must be an object")
  act = top.get("activation")
  if not isinstance(act, dict) or not all(is_number(act.get(k)) for k in ("factor", "leak")):
    bad("missing or malformed graph.activation (needs numbers factor and leak)")
  kind_of = check_nodes(graph["nodes"], bad)
  check_edges(graph["edges"], kind_of, bad)
  levels(graph, name)  # raises on a cycle


def check_nodes(nodes: list, bad) -> dict[str, str]:
  """The checks of check_graph on the nodes (bad(problem) raises); returns node id -> kind."""
  kind_of = {}
  for i, node in enumerate(nodes):
    if not isinstance(node, dict) or not isinstance(node.get("id"), str):
      bad(f"node {i} has no string id")
    nid = node["id"]
    if not NODE_ID.fullmatch(nid):  # ids become names in the drawings and in the programs render.py writes
      shown = repr(nid[:40]) + (f" ({len(nid)} characters)" if len(nid) > 40 else "")
      bad(f"node id {shown} is not a name like in0, out0, c0_s1, c0_r1 or c0_o3")
    if nid in kind_of:
      bad(f"node id {nid!r} appears twice")
    if node.get("kind") not in KINDS:
      bad(f"node {nid!r} has kind {node.get('kind')!r}, not one of {', '.join(KINDS)}")
    for field in FIELDS[node["kind"]]:
      if field not in node:
        bad(f"node {nid!r} is missing key {field!r}")
      value = node[field]
      ok = value in ("output", "recurrent") if field == "role" else (
        is_number(value) if field in ("bias", "init") else type(value) is int and 0 <= value <= MAX_INDEX)
      if not ok:
        bad(f"node {nid!r} has a bad {field}: {value!r}")
    kind_of[nid] = node["kind"]

  for kind in ("input", "output"):
    indices = sorted(n["index"] for n in nodes if n["kind"] == kind)
    if len(set(indices)) != len(indices):
      bad(f"two {kind} nodes share an index")
  outs = sorted(n["index"] for n in nodes if n["kind"] == "output")
  if not outs or outs != list(range(len(outs))):
    bad(f"the output nodes must have indices 0..n-1, found {outs}")
  return kind_of


def check_edges(edges: list, kind_of: dict[str, str], bad) -> None:
  """The checks of check_graph on the edges (bad(problem) raises)."""
  seen, into_state = set(), {}
  for i, edge in enumerate(edges):
    if not isinstance(edge, dict) or not all(k in edge for k in ("source", "target", "weight")):
      bad(f"edge {i} needs source, target and weight")
    src, dst, w = edge["source"], edge["target"], edge["weight"]
    where = f"edge {i} ({src} -> {dst})"
    for end in (src, dst):
      if not isinstance(end, str) or end not in kind_of:
        bad(f"{where} is dangling: there is no node {end!r}")
    if not is_number(w):
      bad(f"{where} has a bad weight {w!r}")
    if (src, dst) in seen:
      bad(f"{where} appears twice")
    seen.add((src, dst))
    if kind_of[dst] == "input" or kind_of[src] == "output":
      bad(f"{where}: nothing flows into an input or out of an output")
    feedback = edge.get("feedback", False)
    if feedback is not (kind_of[dst] == "state"):
      bad(f"{where}: edges into states, and only those, are feedback edges")
    if feedback:
      if kind_of[src] != "neuron":
        bad(f"{where}: a state is fed back from a neuron")
      if dst in into_state:
        bad(f"state {dst!r} has two incoming edges ({into_state[dst]} and {src})")
      into_state[dst] = src


def levels(graph: dict, name: str = "graph") -> dict[str, int]:
  """Dependency depth of every node within one step: inputs and states 0, a neuron or output one more than its
  deepest source, at least 1 (feedback edges do not count: they act between steps)."""
  sources = {n["id"]: [] for n in graph["nodes"]}
  kind = {n["id"]: n["kind"] for n in graph["nodes"]}
  for e in graph["edges"]:
    if not e.get("feedback"):
      sources[e["target"]].append(e["source"])
  level, visiting = {}, set()

  def depth(nid):  # iterative, so that a long chain of neurons cannot hit Python's recursion limit
    stack = [nid]
    while stack:
      top = stack[-1]
      if top in level:
        stack.pop()
        continue
      visiting.add(top)
      todo = [s for s in sources[top] if s not in level]
      for s in todo:
        if s in visiting:
          raise GraphError(f"{name}: a cycle through {s!r} does not pass through a state")
      if todo:
        stack.extend(todo)
        continue
      level[top] = 0 if kind[top] in ("input", "state") else 1 + max((level[s] for s in sources[top]), default=0)
      visiting.discard(top)
      stack.pop()

  for n in graph["nodes"]:
    depth(n["id"])
  return level


# ---- the evaluator ----

def compile_steps(graph: dict) -> dict:
  """The graph as matrices: one (targets x sources) weight matrix per dependency level, so that one timestep is a
  handful of matrix products over the whole batch."""
  ids = [n["id"] for n in graph["nodes"]]
  pos = {nid: i for i, nid in enumerate(ids)}
  node = {n["id"]: n for n in graph["nodes"]}
  depth = levels(graph)
  stages = []
  for lvl in range(1, max(depth.values(), default=0) + 1):
    targets = [nid for nid in ids if depth[nid] == lvl]
    row = {nid: r for r, nid in enumerate(targets)}
    into = [e for e in graph["edges"] if e["target"] in row and not e.get("feedback")]
    cols = sorted({pos[e["source"]] for e in into})  # only the nodes this level reads: cost grows with the edges
    col = {c: k for k, c in enumerate(cols)}
    w = np.zeros((len(targets), len(cols)))
    for e in into:
      w[row[e["target"]], col[pos[e["source"]]]] = e["weight"]
    stages.append({"rows": np.array([pos[t] for t in targets], np.int64), "w": w, "cols": np.array(cols, np.int64),
                   "bias": np.array([node[t].get("bias", 0.0) for t in targets])[:, None],
                   "act": np.array([node[t]["kind"] == "neuron" for t in targets])[:, None]})
  feedback = [(pos[e["target"]], pos[e["source"]]) for e in graph["edges"] if e.get("feedback")]
  states = [pos[n["id"]] for n in graph["nodes"] if n["kind"] == "state"]
  return {"ids": ids, "stages": stages,
          "inputs": [(pos[n["id"]], n["index"]) for n in graph["nodes"] if n["kind"] == "input"],
          "states": np.array(states, np.int64), "init": np.array([node[ids[s]]["init"] for s in states])[:, None],
          "feedback_to": np.array([f[0] for f in feedback], np.int64),
          "feedback_from": np.array([f[1] for f in feedback], np.int64),
          "outputs": np.array([pos[n["id"]] for n in sorted(graph["nodes"], key=lambda n: n.get("index", 0))
                               if n["kind"] == "output"], np.int64)}


def evaluate(graph: dict, x: np.ndarray, record=False, start: dict | None = None, steps: dict | None = None):
  """Run the graph on x (batch, length, n_in) -> outputs (batch, length, n_out), in float64.
  With record=True also returns values: node id -> (batch, length) array of what the node gave at each step
  (inputs: the input; states: the value they hold during the step; neurons and outputs: their result); record=a
  collection of node ids: the values of those only (a big graph's trace of every node may not fit in memory).
  start: state id -> (batch,) values to begin each sequence from instead of the state's init (one call then runs
  many starting points at once); states left out start from their init. steps: compile_steps(graph), for a caller
  that runs the same graph many times."""
  x = np.asarray(x, np.float64)
  if x.ndim != 3:
    raise ValueError(f"inputs must have shape (batch, length, n_in), not {x.shape}")
  c = steps or compile_steps(graph)
  need = max((i for _, i in c["inputs"]), default=-1) + 1
  if x.shape[2] < need:
    raise ValueError(f"the graph reads input {need - 1} but the inputs have only {x.shape[2]} per step")
  pos = {nid: i for i, nid in enumerate(c["ids"])}
  tracing = record is not False and record is not None  # an empty collection traces nothing, and says so
  kept = c["ids"] if record is True else [nid for nid in c["ids"] if nid in set(record)] if tracing else []
  keep = slice(None) if record is True else np.array([pos[nid] for nid in kept], np.int64)  # all: a view, no copy
  start = start or {}
  rows = np.array([pos[s] for s in start], np.int64)
  first = np.array([np.broadcast_to(np.asarray(v, np.float64), len(x)) for v in start.values()]).reshape(-1, len(x))
  act = graph["graph"]["activation"]
  # a few thousand sequences at a time (fewer for a big graph): the working set stays in the CPU cache, which
  # measured ~3x faster for big batches, and a graph of thousands of neurons does not fill the memory
  n = max(64, min(CHUNK, VALUES // len(c["ids"])))
  parts = [run_steps(c, x[i:i + n], act["factor"], act["leak"], keep if tracing else None, rows, first[:, i:i + n])
           for i in range(0, max(len(x), 1), n)]
  y = np.concatenate([p[0] for p in parts])
  if not tracing:
    return y
  return y, {nid: np.concatenate([p[1][:, i] for p in parts]) for i, nid in enumerate(kept)}


def run_steps(c: dict, x: np.ndarray, factor: float, leak: float, keep, start_rows: np.ndarray,
              start: np.ndarray):
  """The time loop of evaluate for one chunk of sequences: (outputs, trace (batch, kept nodes, length) or None);
  keep: the rows of the nodes to trace (an index array, or slice(None) for all), None for no trace."""
  batch, length, _ = x.shape
  v = np.zeros((len(c["ids"]), batch))  # the value of every node during the current step
  v[c["states"]] = c["init"]
  v[start_rows] = start
  y = np.empty((batch, length, len(c["outputs"])))
  record = keep is not None
  trace = np.empty((batch, len(v[keep]), length)) if record else None
  for t in range(length):
    for row, col in c["inputs"]:
      v[row] = x[:, t, col]
    for s in c["stages"]:
      z = s["w"] @ v[s["cols"]] + s["bias"]
      v[s["rows"]] = np.where(s["act"], activation(z, factor, leak), z)
    y[:, t] = v[c["outputs"]].T
    if record:
      trace[:, :, t] = v[keep].T
    v[c["feedback_to"]] = v[c["feedback_from"]]  # the step advances: states take their recurrent neuron's value
  return y, trace


# ---- a graph against expected outputs ----

def signs(v: np.ndarray) -> str:
  return "".join("+" if a > 0 else "-" for a in v)


def inputs_text(x: np.ndarray) -> str:
  """A sequence of input steps as signs, '+ - -'; 8 or more steps that repeat one step, or a few, as '-*12' or
  '(- +)*40' (a long sequence stays one line, and still says exactly what went in)."""
  steps = [signs(step) for step in x]
  words, i = [], 0
  while i < len(steps):
    best = (1, 1)  # (unit length, repeats)
    for u in range(1, 5):
      r = 1
      while steps[i + r * u:i + (r + 1) * u] == steps[i:i + u]:
        r += 1
      if r * u > best[0] * best[1] and r * u >= 8 and r >= 2:
        best = (u, r)
    u, r = best
    unit = " ".join(steps[i:i + u])
    words.append(unit if r == 1 else f"{unit}*{r}" if u == 1 else f"({unit})*{r}")
    i += u * r
  return " ".join(words)


def check(graph: dict, sets: list[dict]) -> dict:
  """The full report: how many sequences are right, and the first wrong one (inputs up to the wrong step)."""
  right, total, first = 0, 0, None
  graph = remove_dead(graph)  # the same outputs, computed from what they depend on only
  for s in sets:
    ok = evaluate(graph, s["x"]) * s["y"] > 0  # (batch, length, n_out)
    whole = ok.all(axis=(1, 2))
    right, total = right + int(whole.sum()), total + len(whole)
    if first is None and not whole.all():
      b = int(np.argmin(whole))
      t = int(np.argmin(ok[b].all(axis=1)))
      o = int(np.argmin(ok[b, t]))
      got = evaluate(graph, s["x"][b:b + 1, :t + 1])[0, t, o]
      first = (f"{s['name']} sequence {b}, inputs {inputs_text(s['x'][b, :t + 1])}: at step "
               f"{t} out{o} should be {s['y'][b, t, o]:+.0f} but is {got:.4g}")
  return {"right": right, "total": total, "accuracy": right / max(total, 1), "first_failure": first}


def proof_record(proof: dict) -> dict:
  """What prune.py and prove.py write into graph.verified: every_length, and the proof without its test sets."""
  return {"every_length": proof["every_length"],
          "proof": {k: v for k, v in proof.items() if k not in ("sets", "every_length")}}


# ---- what the stages ask of a graph ----

def reachable(start, neighbours) -> set:
  """Everything reachable from the nodes in `start` by following neighbours(node), start included: the one
  depth-first search that dead-code removal and the readout share (iterative: no recursion limit)."""
  seen, todo = set(start), list(start)
  while todo:
    for nxt in neighbours(todo.pop()):
      if nxt not in seen:
        seen.add(nxt)
        todo.append(nxt)
  return seen


def live_nodes(graph: dict) -> set:
  """The nodes some output depends on, now or at a later step: a search from the outputs back along the edges
  (a state's incoming edge comes from its recurrent neuron, so the search crosses timesteps too)."""
  incoming = {}
  for e in graph["edges"]:
    incoming.setdefault(e["target"], []).append(e["source"])
  return reachable([n["id"] for n in graph["nodes"] if n["kind"] == "output"], lambda nid: incoming.get(nid, ()))


def remove_dead(graph: dict) -> dict:
  """A copy of the graph with only the neurons and states that some output depends on (live_nodes); inputs and
  outputs stay. It computes the same outputs, from less."""
  live = live_nodes(graph)
  keep = {n["id"] for n in graph["nodes"] if n["id"] in live or n["kind"] in ("input", "output")}
  return {**graph, "nodes": [dict(n) for n in graph["nodes"] if n["id"] in keep],
          "edges": [dict(e) for e in graph["edges"] if e["source"] in keep and e["target"] in keep]}


def all_symbols(n_in: int) -> np.ndarray:
  """Every input step of n_in ±1 inputs, (2^n_in, n_in) float64, in itertools.product order (-1 before +1)."""
  return np.array(list(itertools.product([-1.0, 1.0], repeat=n_in))).reshape(-1, n_in)


def input_count(graph: dict, task=None) -> int:
  """The width of an input step: the task's when it is known (check_fits says whether the graph fits it), else
  the run's (meta.n_in) or one past the highest input node the graph has, whichever is more (at least 1)."""
  if task is not None:
    return task.n_in
  meta = graph["graph"].get("meta") or {}
  run = meta["n_in"] if type(meta.get("n_in")) is int and 1 <= meta["n_in"] <= MAX_INDEX else 1
  return max(run, 1 + max((n["index"] for n in graph["nodes"] if n["kind"] == "input"), default=0))


def check_fits(graph: dict, task, name: str = "graph") -> None:
  """GraphError when the graph cannot run on the task: it reads an input the task does not have, or its outputs
  are not the task's."""
  reads = 1 + max((n["index"] for n in graph["nodes"] if n["kind"] == "input"), default=-1)
  n_out = sum(n["kind"] == "output" for n in graph["nodes"])
  if reads > task.n_in or n_out != task.n_out:
    raise GraphError(f"{name}: the graph has {reads} inputs and {n_out} outputs, "
                     f"task {task.name} has {task.n_in} and {task.n_out}")


# ---- small helpers the stages share ----

def size(graph: dict) -> dict:
  """neurons (cell neurons), states, edges (weighted edges into cell neurons; feedback and dense edges not counted)."""
  kind = {n["id"]: n["kind"] for n in graph["nodes"]}
  return {"neurons": sum(k == "neuron" for k in kind.values()), "states": sum(k == "state" for k in kind.values()),
          "edges": sum(kind[e["target"]] == "neuron" for e in graph["edges"])}


def format_size(s: dict) -> str:
  """'3 neurons, 2 states, 6 edges' (the sizes of size())."""
  return ", ".join(f"{s[k]} {k if s[k] != 1 else k[:-1]}" for k in ("neurons", "states", "edges"))


# The colour of a value v in [-1, 1]: blue (-1) through near-white (0) to red (+1), linear in RGB between stops
# (ColorBrewer's RdBu). render.py colours the drawing with it; the page uses the same stops.
COLOUR_STOPS = [(-1.0, (33, 102, 172)), (-0.5, (146, 197, 222)), (0.0, (247, 247, 247)),
                (0.5, (244, 165, 130)), (1.0, (178, 24, 43))]


def colour(v: float) -> str:
  """'#rrggbb' for a value, clipped to [-1, 1]."""
  v = min(1.0, max(-1.0, float(v)))
  stops = [s for s, _ in COLOUR_STOPS]
  rgb = [int(np.floor(np.interp(v, stops, [c[k] for _, c in COLOUR_STOPS]) + 0.5)) for k in range(3)]
  return "#{:02x}{:02x}{:02x}".format(*rgb)


def task_of(graph: dict, name: str = "graph", trust: bool = False):
  """The tasks.Task the graph was trained on: a built-in one, or with `trust` (--trust-task) its task file when that
  has the SHA-256 recorded in the graph (tasks.task_named_by); tasks.TaskError otherwise."""
  from tasks import task_named_by  # here, so that graph.py alone is enough to load and evaluate a graph
  meta = graph["graph"].get("meta", {})
  return task_named_by(graph["graph"]["task"], name, trust, meta.get("task_sha256"))
