"""Prune a graph down to the few neurons that matter, keeping it exactly correct on its task.

In:  a graph JSON from extract.py (a file, or stdin).
Out: the pruned graph JSON (-o FILE, or stdout) with graph.prune (what was done) and graph.verified (how the
     result was checked), and one summary line on stderr. Exit 1 if the graph was not correct to begin with.

Steps, each kept only while the graph stays correct:
  1. clip: the largest threshold t such that every weight with |w| <= t can be set to 0 (the edge removed);
     then the same for biases, then for initial states.
  2. fold constants: a neuron with no inputs left always gives A(bias), a state nothing feeds keeps its initial
     value; both are folded into the biases of the nodes they feed.
  3. quantize: round every weight, bias and initial state to the coarsest step q in 1, 0.5, 0.25, 0.2, 0.1, ...
  4. dead code: a depth-first search from the outputs back along the edges (a state leads to its recurrent
     neuron); every neuron and state it never reaches is removed.

"Correct": on every step of every test sequence the sign of each output matches the task (an output of exactly
0 is wrong). The tests are --sequences sequences of --length steps from the task's own input sampler and, when
the task's inputs are uniform ±1 and there are at most 2^16 of them, every input sequence of the longest such
length (which covers all shorter ones: an output depends only on the inputs before it).
"""
import argparse
import sys

import numpy as np

from graph import GraphError, activation, check_graph, evaluate, format_size, load_graph, save_graph, size, task_of
from tasks import TaskError, get_task

QUANT_STEPS = (1, 0.5, 0.25, 0.2, 0.1, 0.05, 0.01, 0.005, 0.001, 0.0005, 0.0001)
EXHAUSTIVE_MAX = 2 ** 16  # enumerate every input sequence when there are at most this many
QUICK = 64  # sequences tried first: most rejected candidates fail on these already


class Incorrect(Exception):
  """The graph given to prune is not correct on its task; holds the check's report."""


# ---- the test sequences and the check ----

def exhaustive_length(task) -> int:
  """The longest length L whose 2^(n_in * L) uniform input sequences can all be tried (0: none)."""
  if task.inputs is not None or task.n_in < 1:
    return 0
  return int(np.log2(EXHAUSTIVE_MAX)) // task.n_in


def all_sequences(n_in: int, length: int) -> np.ndarray:
  """Every ±1 input sequence: (2^(n_in * length), length, n_in)."""
  n = n_in * length
  bits = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
  return (2.0 * bits - 1).reshape(-1, length, n_in).astype(np.float32)


def test_sets(task, seed: int, sequences: int, length: int) -> list[dict]:
  """The inputs and targets a graph must get right: sampled ones, and all of them when they are few enough."""
  x = task.sample_inputs(np.random.default_rng(seed), sequences, length)
  sets = [{"name": "sampled", "x": x, "y": np.asarray(task.target(x), np.float64), "seed": seed}]
  n = exhaustive_length(task)
  if n:
    x = all_sequences(task.n_in, n)
    sets.append({"name": "exhaustive", "x": x, "y": np.asarray(task.target(x), np.float64)})
  return sets


def passes(graph: dict, sets: list[dict]) -> bool:
  """Correct on every set; a few sequences first, since most candidates that fail, fail at once."""
  graph = remove_dead(graph)  # the same outputs, and much less to compute once clipping has cut it apart
  quick = sets[0]
  if not np.all(evaluate(graph, quick["x"][:QUICK]) * quick["y"][:QUICK] > 0):
    return False
  return all(np.all(evaluate(graph, s["x"]) * s["y"] > 0) for s in sets)


def signs(v: np.ndarray) -> str:
  return "".join("+" if a > 0 else "-" for a in v)


def check(graph: dict, sets: list[dict]) -> dict:
  """The full report: how many sequences are right, and the first wrong one (inputs up to the wrong step)."""
  right, total, first = 0, 0, None
  for s in sets:
    ok = evaluate(graph, s["x"]) * s["y"] > 0  # (batch, length, n_out)
    whole = ok.all(axis=(1, 2))
    right, total = right + int(whole.sum()), total + len(whole)
    if first is None and not whole.all():
      b = int(np.argmin(whole))
      t = int(np.argmin(ok[b].all(axis=1)))
      o = int(np.argmin(ok[b, t]))
      got = evaluate(graph, s["x"][b:b + 1, :t + 1])[0, t, o]
      first = (f"{s['name']} sequence {b}, inputs {' '.join(signs(step) for step in s['x'][b, :t + 1])}: at step "
               f"{t} out{o} should be {s['y'][b, t, o]:+.0f} but is {got:.4g}")
  return {"right": right, "total": total, "accuracy": right / max(total, 1), "first_failure": first}


def verification(sets: list[dict], report: dict) -> dict:
  """What goes into graph.verified: how many sequences of which lengths, exhaustive or sampled, and the seed."""
  out = {"correct": report["first_failure"] is None, "accuracy": report["accuracy"]}
  for s in sets:
    out[s["name"]] = {"sequences": int(s["x"].shape[0]), "length": int(s["x"].shape[1])}
    if "seed" in s:
      out[s["name"]]["seed"] = s["seed"]
  out.setdefault("exhaustive", None)
  return out


# ---- the graph edits (each returns a new graph; the input is left as it was) ----

def copy_graph(graph: dict) -> dict:
  return {**graph, "nodes": [dict(n) for n in graph["nodes"]], "edges": [dict(e) for e in graph["edges"]]}


def parameters(graph: dict, part: str) -> list[tuple[dict, str]]:
  """(holder, key) of every value of one kind: 'weights' (edges; feedback edges are fixed at 1),
  'biases' (neurons and outputs) or 'inits' (states)."""
  if part == "weights":
    return [(e, "weight") for e in graph["edges"] if not e.get("feedback")]
  key = "bias" if part == "biases" else "init"
  return [(n, key) for n in graph["nodes"] if key in n]


def without_zero_edges(graph: dict) -> dict:
  graph["edges"] = [e for e in graph["edges"] if e["weight"] != 0]
  return graph


def clip(graph: dict, part: str, threshold: float) -> dict:
  """Every value of `part` with |v| <= threshold set to 0; a weight of 0 removes its edge."""
  g = copy_graph(graph)
  for holder, key in parameters(g, part):
    if abs(holder[key]) <= threshold:
      holder[key] = 0.0
  return without_zero_edges(g)


def quantize(graph: dict, step: float) -> dict:
  """Weights, biases and initial states rounded to multiples of step."""
  g = copy_graph(graph)
  for part in ("weights", "biases", "inits"):
    for holder, key in parameters(g, part):
      holder[key] = round(float(np.round(holder[key] / step)) * step, 10) + 0.0  # + 0.0: no -0.0 in the file
  return without_zero_edges(g)


def constant_values(graph: dict) -> dict[str, float]:
  """Nodes whose value never changes: a neuron with no incoming edges gives A(bias) at every step; a state gives
  its init forever if nothing feeds it, or if what feeds it is a constant equal to its init."""
  act = graph["graph"]["activation"]
  fed = {e["target"] for e in graph["edges"]}
  feeder = {e["target"]: e["source"] for e in graph["edges"] if e.get("feedback")}
  const = {n["id"]: float(activation(n["bias"], act["factor"], act["leak"]))
           for n in graph["nodes"] if n["kind"] == "neuron" and n["id"] not in fed}
  for n in graph["nodes"]:
    if n["kind"] == "state" and (n["id"] not in feeder or const.get(feeder[n["id"]]) == n["init"]):
      const[n["id"]] = n["init"]
  return const


def fold_constants(graph: dict) -> tuple[dict, list[str]]:
  """Fold every constant node into the biases of its targets (bias += weight * value) and drop those edges;
  repeat, since a neuron whose inputs were all constant becomes one itself. Returns (graph, folded ids)."""
  g, folded = copy_graph(graph), []
  node = {n["id"]: n for n in g["nodes"]}
  while True:
    const = constant_values(g)
    fold = [e for e in g["edges"] if e["source"] in const and not e.get("feedback")]
    if not fold:
      return g, folded
    for e in fold:
      node[e["target"]]["bias"] += e["weight"] * const[e["source"]]
      if e["source"] not in folded:
        folded.append(e["source"])
    g["edges"] = [e for e in g["edges"] if not (e["source"] in const and not e.get("feedback"))]


def remove_dead(graph: dict) -> dict:
  """Keep only the neurons and states that some output depends on: a depth-first search from the outputs
  over incoming edges (a state's incoming edge comes from its recurrent neuron). Inputs and outputs stay."""
  incoming = {n["id"]: [] for n in graph["nodes"]}
  for e in graph["edges"]:
    incoming[e["target"]].append(e["source"])
  seen = set()
  stack = [n["id"] for n in graph["nodes"] if n["kind"] == "output"]
  while stack:
    nid = stack.pop()
    if nid not in seen:
      seen.add(nid)
      stack.extend(incoming[nid])
  keep = {n["id"] for n in graph["nodes"] if n["id"] in seen or n["kind"] in ("input", "output")}
  g = copy_graph(graph)
  g["nodes"] = [n for n in g["nodes"] if n["id"] in keep]
  g["edges"] = [e for e in g["edges"] if e["source"] in keep and e["target"] in keep]
  return g


# ---- the search ----

def largest_clip(graph: dict, part: str, sets: list[dict]) -> tuple[float, dict]:
  """The largest threshold that keeps the graph correct. Correctness is not monotone in the threshold, so every
  distinct |value| is a candidate, largest first, and the first that passes wins (0: nothing clipped)."""
  for threshold in sorted({abs(h[k]) for h, k in parameters(graph, part) if h[k] != 0}, reverse=True):
    g = clip(graph, part, threshold)
    if passes(g, sets):
      return float(threshold), g
  return 0.0, clip(graph, part, 0.0)  # exact zeros still go: an edge of weight 0 is no edge


def coarsest_quantization(graph: dict, sets: list[dict]) -> tuple[float | None, dict]:
  for step in QUANT_STEPS:
    g = quantize(graph, step)
    if passes(g, sets):
      return step, g
  return None, graph


def try_fold(graph: dict, sets: list[dict]) -> tuple[dict, list[str]]:
  """Fold constants and drop what that leaves dead, if the result is still correct (it should be: folding is
  exact up to float rounding)."""
  g, folded = fold_constants(graph)
  g = remove_dead(g)
  if folded and passes(g, sets):
    return g, folded
  return graph, []


def prune(graph: dict, task, seed: int = 0, sequences: int = 5000, length: int = 60,
          quantization: bool = True) -> dict:
  """The pruned graph, with graph.prune and graph.verified filled in; raises Incorrect if the input is wrong."""
  sets = test_sets(task, seed, sequences, length)
  report = check(graph, sets)
  if report["first_failure"]:
    raise Incorrect(report)
  g = graph
  clipped = {}
  for part in ("weights", "biases", "inits"):
    clipped[part], g = largest_clip(g, part, sets)
  g, folded = try_fold(remove_dead(g), sets)
  step = None
  if quantization:
    step, g = coarsest_quantization(g, sets)
    g, more = try_fold(g, sets)
    if more and step is not None:  # folding leaves unrounded biases behind: round them too, if that stays right
      rounded = quantize(g, step)
      g = rounded if passes(rounded, sets) else g
    folded += more
  g = remove_dead(g)
  final = check(g, sets)
  if final["first_failure"]:  # every edit above was checked, so this would be a bug in prune.py itself
    raise RuntimeError(f"pruned graph fails its final check: {final['first_failure']}")
  kept = {n["id"] for n in g["nodes"]}
  removed = [n["id"] for n in graph["nodes"] if n["id"] not in kept]
  g["graph"] = {**g["graph"],
                "prune": {"before": size(graph), "after": size(g), "clip": clipped, "quantize": step,
                          "folded": folded, "removed": removed},
                "verified": verification(sets, final)}
  check_graph(g, "the pruned graph")  # a bug guard: every edit must leave a valid graph
  return g


def summary(g: dict) -> str:
  p, v = g["graph"]["prune"], g["graph"]["verified"]
  clipped = ", ".join(f"{k} {t:.4g}" for k, t in p["clip"].items())
  tests = " + ".join(f"{v[k]['sequences']} {k} x {v[k]['length']}" for k in ("sampled", "exhaustive") if v.get(k))
  quant = f"quantize {p['quantize']:g}" if p["quantize"] is not None else "no quantization"
  return (f"{g['graph']['task']}: {format_size(p['before'])} -> {format_size(p['after'])}; clip {clipped}; {quant}; "
          f"folded {len(p['folded'])}; verified on {tests} (seed {v['sampled']['seed']})")


def main():
  ap = argparse.ArgumentParser(description="Prune a graph (from extract.py) to the neurons that matter, keeping it "
                               "correct on its task: clip small weights, biases and initial states, fold constants, "
                               "quantize, remove dead code. The summary goes to stderr.")
  ap.add_argument("graph", nargs="?", default="-", help="graph JSON from extract.py, or - for stdin (default)")
  ap.add_argument("-o", "--out", default="-", help="where to write the pruned graph (default: stdout)")
  ap.add_argument("--task", help="the task to check against, instead of the one named in the graph "
                  "(e.g. path/to/my_tasks.py:NAME when running from another folder)")
  ap.add_argument("--seed", type=int, default=0, help="seed of the sampled test sequences (default 0)")
  ap.add_argument("--sequences", type=int, default=5000, help="sampled test sequences (default 5000)")
  ap.add_argument("--length", type=int, default=60, help="steps per sampled test sequence (default 60)")
  ap.add_argument("--no-quantize", action="store_true", help="keep the weights as trained, do not round them")
  args = ap.parse_args()
  name = "<stdin>" if args.graph == "-" else args.graph
  try:
    if args.sequences < 1 or args.length < 1:
      raise GraphError("--sequences and --length must be positive")
    graph = load_graph(args.graph)
    task = get_task(args.task) if args.task else task_of(graph)
    if args.task:
      graph = {**graph, "graph": {**graph["graph"], "task": args.task}}
    n_in = 1 + max((n["index"] for n in graph["nodes"] if n["kind"] == "input"), default=-1)
    n_out = sum(n["kind"] == "output" for n in graph["nodes"])
    if n_in > task.n_in or n_out != task.n_out:
      raise GraphError(f"{name}: the graph has {n_in} inputs and {n_out} outputs, "
                       f"task {task.name} has {task.n_in} and {task.n_out}")
    pruned = prune(graph, task, args.seed, args.sequences, args.length, not args.no_quantize)
    save_graph(pruned, args.out)
  except (GraphError, TaskError) as e:
    print(f"prune.py: {e}", file=sys.stderr)
    sys.exit(2)
  except Incorrect as e:
    r = e.args[0]
    print(f"prune.py: {name}: the graph is not correct on {task.name} before pruning: {r['accuracy']:.2%} of "
          f"{r['total']} test sequences right; first failure: {r['first_failure']}", file=sys.stderr)
    sys.exit(1)
  print(f"prune.py: {summary(pruned)}", file=sys.stderr)


if __name__ == "__main__":
  main()
