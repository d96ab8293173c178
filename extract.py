"""Turn a trained run (.npz from train.py) into the computational graph of its weights (JSON).

In:  run.npz (or "-" for stdin) holding cell{k}_output_kernel, cell{k}_output_bias, cell{k}_recurrent_kernel,
     cell{k}_recurrent_bias, cell{k}_initial_state for every cell k, dense_weight, dense_bias, meta and history.
Out: the graph JSON of graph.py (-o FILE, or stdout): one node per input, state, neuron and output, one edge per
     non-zero weight, a dashed feedback edge from each recurrent neuron to its state. Nothing is pruned here.

  python extract.py runs/delay1-s0.npz | python prune.py | python render.py -o bonsai.svg
"""
import io
import json
import sys

import numpy as np

from graph import GraphError, check_graph, is_number, json_safe, read_input, save_graph
from tasks import ArgumentParser


def load_npz(path: str) -> tuple[dict[str, np.ndarray], dict]:
  """(arrays, meta) of a run file; GraphError for anything that is not a complete, finite run."""
  data, name = read_input(path)
  try:
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
      arrays = {k: f[k] for k in f.files}
  except (AttributeError, TypeError):  # np.load gave a plain array: a .npy file, not an archive
    raise GraphError(f"{name}: not a .npz archive (a single .npy array?)") from None
  except Exception as e:  # not a zip, truncated, a pickle, a broken member: all mean "not a run file"
    raise GraphError(f"{name}: not a readable .npz run file ({type(e).__name__}: {e})") from None
  if "meta" not in arrays:
    raise GraphError(f"{name}: missing key 'meta' (is this a run from train.py?)")
  try:
    meta = json.loads(str(arrays.pop("meta")))
  except json.JSONDecodeError as e:
    raise GraphError(f"{name}: meta is not JSON ({e.msg})") from None
  except (RecursionError, ValueError):  # nested too deeply, or an array that is no text
    raise GraphError(f"{name}: meta is not a run's JSON") from None
  if not isinstance(meta, dict):
    raise GraphError(f"{name}: meta is not a JSON object")
  for key in ("task", "factor", "leak"):
    if key not in meta:
      raise GraphError(f"{name}: meta is missing key {key!r}")
  if not isinstance(meta["task"], str) or not all(is_number(meta[k]) for k in ("factor", "leak")):
    raise GraphError(f"{name}: meta has a bad task, factor or leak")
  cells = meta.get("cells", [])
  if not isinstance(cells, list) or not all(isinstance(c, list) and len(c) == 2 for c in cells):
    raise GraphError(f"{name}: meta has bad cells {cells!r} (a list of [outputs, states])")
  return arrays, json_safe(meta)


def cell_shapes(arrays: dict, meta: dict, name: str) -> list[tuple[int, int, int]]:
  """(inputs, outputs, states) per cell, after checking every array's shape against its neighbours."""
  def need(key):
    if key not in arrays:
      raise GraphError(f"{name}: missing key {key!r}")
    a = arrays[key]
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
      raise GraphError(f"{name}: {key} is not numeric ({a.dtype})")
    if not np.all(np.isfinite(a)):
      raise GraphError(f"{name}: {key} holds NaN or infinite values")
    return a

  def expect(key, shape):
    if need(key).shape != shape:
      raise GraphError(f"{name}: {key} has shape {need(key).shape}, expected {shape}")

  if "cell0_output_kernel" not in arrays:
    raise GraphError(f"{name}: missing key 'cell0_output_kernel' (no cells)")
  shapes, k, n_x = [], 0, None
  while f"cell{k}_output_kernel" in arrays:
    w_o = need(f"cell{k}_output_kernel")
    n_s = need(f"cell{k}_recurrent_bias").shape[0] if need(f"cell{k}_recurrent_bias").ndim == 1 else -1
    if w_o.ndim != 2 or n_s < 0 or w_o.shape[0] < n_s:
      raise GraphError(f"{name}: cell{k} kernels and biases have inconsistent shapes")
    n_in, n_o = w_o.shape[0] - n_s, w_o.shape[1]
    if n_x is not None and n_in != n_x:
      raise GraphError(f"{name}: cell{k}_output_kernel has {n_in + n_s} rows, expected {n_x + n_s} "
                       f"(cell{k - 1}'s {n_x} outputs + {n_s} states)")
    expect(f"cell{k}_output_bias", (n_o,))
    expect(f"cell{k}_recurrent_kernel", (n_in + n_s, n_s))
    expect(f"cell{k}_initial_state", (n_s,))
    shapes.append((n_in, n_o, n_s))
    n_x, k = n_o, k + 1
  n_out = need("dense_bias").shape[0] if need("dense_bias").ndim == 1 else -1
  expect("dense_weight", (n_x, n_out))
  if "cells" in meta and [list(s[1:]) for s in shapes] != [list(c) for c in meta["cells"]]:
    raise GraphError(f"{name}: the arrays hold cells {[list(s[1:]) for s in shapes]} but meta says {meta['cells']}")
  for key, value in (("n_in", shapes[0][0]), ("n_out", n_out)):
    if key in meta and meta[key] != value:
      raise GraphError(f"{name}: the arrays have {key} = {value} but meta says {meta[key]}")
  return shapes


def history_of(arrays: dict, name: str) -> dict | None:
  """The training curve, one row per validation: step, loss, reg_loss, accuracy and (newer runs) live weights."""
  h = arrays.get("history")
  if h is None or h.size == 0:
    return None
  if h.ndim != 2 or h.shape[1] not in (4, 5):
    raise GraphError(f"{name}: history has shape {h.shape}, expected (rows, 5)")
  if not np.issubdtype(h.dtype, np.floating) and not np.issubdtype(h.dtype, np.integer) or \
      not np.all(np.isfinite(h[:, 0])) or np.any(np.abs(h[:, 0]) > 2 ** 53):
    raise GraphError(f"{name}: history is not numbers, with whole step numbers in its first column")
  columns = ("loss", "reg_loss", "accuracy", "live")[:h.shape[1] - 1]
  return {"step": [int(v) for v in h[:, 0]], **{c: json_safe(h[:, i + 1].astype(float).tolist())
                                                 for i, c in enumerate(columns)}}


def build_graph(arrays: dict, meta: dict, shapes: list[tuple[int, int, int]], history: dict | None) -> dict:
  """Nodes and edges for every cell (inputs first, then the cell's own states, as in c_t = concat(x_t, s_{t-1}))."""
  n_out = arrays["dense_bias"].shape[0]
  nodes = [{"id": f"in{i}", "kind": "input", "index": i} for i in range(shapes[0][0])]
  edges = []

  def connect(kernel, sources, targets):
    for r, src in enumerate(sources):
      for c, dst in enumerate(targets):
        if kernel[r, c] != 0:  # an exact zero is no connection at all
          edges.append({"source": src, "target": dst, "weight": float(kernel[r, c])})

  cell_inputs = [f"in{i}" for i in range(shapes[0][0])]
  for k, (_, n_o, n_s) in enumerate(shapes):
    states = [f"c{k}_s{j}" for j in range(n_s)]
    recurrent = [f"c{k}_r{j}" for j in range(n_s)]
    outputs = [f"c{k}_o{j}" for j in range(n_o)]
    init, b_r, b_o = (arrays[f"cell{k}_{p}"] for p in ("initial_state", "recurrent_bias", "output_bias"))
    nodes += [{"id": s, "kind": "state", "cell": k, "index": j, "init": float(init[j])} for j, s in enumerate(states)]
    nodes += [{"id": r, "kind": "neuron", "role": "recurrent", "cell": k, "index": j, "bias": float(b_r[j])}
              for j, r in enumerate(recurrent)]
    nodes += [{"id": o, "kind": "neuron", "role": "output", "cell": k, "index": j, "bias": float(b_o[j])}
              for j, o in enumerate(outputs)]
    connect(arrays[f"cell{k}_recurrent_kernel"], cell_inputs + states, recurrent)
    connect(arrays[f"cell{k}_output_kernel"], cell_inputs + states, outputs)
    edges += [{"source": f"c{k}_r{j}", "target": f"c{k}_s{j}", "weight": 1.0, "feedback": True} for j in range(n_s)]
    cell_inputs = outputs
  nodes += [{"id": f"out{i}", "kind": "output", "index": i, "bias": float(arrays["dense_bias"][i])}
            for i in range(n_out)]
  connect(arrays["dense_weight"], cell_inputs, [f"out{i}" for i in range(n_out)])
  top = {"task": meta["task"], "activation": {"factor": float(meta["factor"]), "leak": float(meta["leak"])},
         "meta": meta}
  if history:
    top["history"] = history
  return {"directed": True, "multigraph": False, "graph": top, "nodes": nodes, "edges": edges}


def extract(path: str) -> dict:
  """The graph of a run file ("-": stdin); GraphError (naming the file) for anything wrong with it."""
  arrays, meta = load_npz(path)
  name = "<stdin>" if path == "-" else path
  shapes = cell_shapes(arrays, meta, name)
  graph = build_graph(arrays, meta, shapes, history_of(arrays, name))
  check_graph(graph, name)
  return graph


def main():
  ap = ArgumentParser(description="Turn a trained run (.npz from train.py) into its computational graph "
                               "(JSON: nodes for inputs, states, neurons, outputs; an edge per non-zero weight).")
  ap.add_argument("run", help="the .npz that train.py wrote, or - to read it from stdin")
  ap.add_argument("-o", "--out", default="-", help="where to write the graph JSON (default: stdout)")
  args = ap.parse_args()
  try:
    graph = extract(args.run)
    save_graph(graph, args.out)
  except GraphError as e:
    print(f"extract.py: {e}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
  main()
