"""Prune a graph down to the few neurons that matter, keeping it exactly correct on its task.

In:  a graph JSON from extract.py (a file, or stdin).
Out: the pruned graph JSON (-o FILE, or stdout) with graph.prune (what was done) and graph.verified (how the
     result was checked), and one summary line on stderr. Exit 1 if the graph is not correct on its task: it is
     refused when it fails on the first few hundred test sequences, or when no clipped version of it passes them
     all (the graph is cut first and then checked in full, not checked in full first: most of it is usually dead).

Steps, each kept only while the graph stays correct:
  1. clip: the largest threshold t such that every weight with |w| <= t can be set to 0 (the edge removed);
     then the same for biases, then for initial states.
  2. fold constants: a neuron with no inputs left always gives A(bias), a state nothing feeds keeps its initial
     value; both are folded into the biases of the nodes they feed.
  3. quantize: round every weight, bias and initial state to the coarsest step q in 1, 0.5, 0.25, 0.2, 0.1, ...
     When the clipped graph is proven for every length (step 6), every later edit must keep it proven.
  4. dead code: a depth-first search from the outputs back along the edges (a state leads to its recurrent
     neuron); every neuron and state it never reaches is removed.
  5. greedy (off with --no-greedy): one edit at a time, kept if the graph stays correct, repeated until none goes:
     remove an edge (smallest |weight| first), replace a node by a constant (a neuron or state by 0, which removes
     it, or by its mean value; a state by its init; an input by +1 or -1), set a bias or initial state to 0. Then
     fold constants, remove dead code, and quantize again: fewer parameters often take a coarser step. When the
     graph is proven for every length before this step (rounding can make it exact), every edit must keep it proven.
  6. prove (prove.py): for every input sequence of every length, when the graph is a finite machine and the task
     declares its smallest machine's size; the result goes into graph.verified (every_length, proof). A pruned
     graph proven wrong is pruned again from the start, with the sequences that show it among the tests.

"Correct": on every step of every test sequence the sign of each output matches the task (an output of exactly
0 is wrong). The tests are --sequences sequences of --length steps from the task's own input sampler and, when
the task's inputs are uniform ±1 and there are at most 2^16 of them, every input sequence of the longest such
length (which covers all shorter ones: an output depends only on the inputs before it).
"""
import os
import sys

# One BLAS thread: the matrices of a step are tiny, and threads only add overhead. Measured on 2 cores busy with
# training, a full check of a 12-neuron replace111 graph took 0.7 s with one thread and 3.1 s with the default
# (on idle cores the two are about the same). Set OPENBLAS_NUM_THREADS yourself to override.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from graph import (
  GraphError,
  activation,
  check,
  check_fits,
  check_graph,
  evaluate,
  format_size,
  load_graph,
  proof_record,
  reachable,
  remove_dead,
  save_graph,
  size,
  task_of,
)
from tasks import TEST_LENGTH, TEST_SEQUENCES, ArgumentParser, TaskError, get_task, test_sets

try:  # the proof, prune's last step, needs prove.py and boxes.py beside this file; without them prune still
  import prove  # verifies on the test sets, and says it proved nothing
except ModuleNotFoundError as e:
  if e.name not in ("prove", "boxes"):
    raise
  prove = None


class Unproven(Exception):
  """prune could not find a pruned graph that is not proven wrong (the graph given passes every suite that showed
  one wrong, so this is rare)."""


PROOF_ROUNDS = 5  # prunes again with the proof's failing suite as tests, at most this often
QUANT_STEPS = (1, 0.5, 0.25, 0.2, 0.1, 0.05, 0.01, 0.005, 0.001, 0.0005, 0.0001)


# ---- the correctness check: every output's sign right on every test sequence ----

QUICK = 64  # sequences tried first: most rejected candidates fail on these already
SCREEN = 512  # then this many of every set, before the rest
CHUNK = 8192  # then the rest, this many at a time


class Incorrect(Exception):
  """The graph given to prune is not correct on its task; holds the check's report."""


def pieces(sets: list[dict], screen: bool = False):
  """The test sequences as passes() tries them, (x, y) piece by piece: QUICK of the first set, then SCREEN of every
  set but those marked {"screen": False} (the screen), then theirs, then the rest in chunks. Most candidates that
  fail, fail on the first piece already."""
  ranges = [(0, 0, QUICK)] + [(i, QUICK if i == 0 else 0, SCREEN) for i, s in enumerate(sets) if s.get("screen", True)]
  if not screen:
    ranges += [(i, 0, SCREEN) for i, s in enumerate(sets) if not s.get("screen", True)]
    ranges += [(i, lo, lo + CHUNK) for i, s in enumerate(sets) for lo in range(SCREEN, len(s["x"]), CHUNK)]
  for i, lo, hi in ranges:
    if lo < len(sets[i]["x"]):
      yield sets[i]["x"][lo:hi], sets[i]["y"][lo:hi]


def passes(graph: dict, sets: list[dict], screen: bool = False) -> bool:
  """Correct on every sequence of every set (the sequences of check(); it stops at the first wrong piece).
  screen=True: on the first pieces only, a quick test whose verdict a full check must confirm."""
  graph = remove_dead(graph)  # the same outputs, and much less to compute once clipping has cut it apart
  return all(np.all(evaluate(graph, x) * y > 0) for x, y in pieces(sets, screen))


def verification(sets: list[dict], report: dict) -> dict:
  """What goes into graph.verified: how many sequences of which lengths, exhaustive or sampled, and the seed."""
  out = {"correct": report["first_failure"] is None, "accuracy": report["accuracy"]}
  for s in sets:
    out[s["name"]] = {"sequences": int(s["x"].shape[0]), "length": int(s["x"].shape[1])}
    if "seed" in s:
      out[s["name"]]["seed"] = s["seed"]
  out.setdefault("exhaustive", None)
  return out


def proof_of(graph: dict, task, quick: bool = False) -> dict:
  """prove.prove(graph, task, quick); without prove.py beside this file, a proof left open that says why. quick:
  the check after each edit, which must not cost seconds when it fails (see prove.prove)."""
  if prove is None:
    return {"every_length": False, "machine": None, "task_states": task.states, "sequences": 0, "length": 0,
            "failure": None, "sets": [], "how": "not proven: prove.py (and boxes.py) are not beside prune.py"}
  return prove.prove(graph, task, quick)


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


# ---- the search ----

def largest_clip(graph: dict, part: str, sets: list[dict], checked: bool = False) -> tuple[float, dict]:
  """The largest threshold that keeps the graph correct. Correctness is not monotone in the threshold, so every
  distinct |value| is a candidate, largest first, and the first that passes wins (0: nothing clipped). checked: the
  graph passed a full check already; if not, and nothing passes, Incorrect says where it fails."""
  for threshold in sorted({abs(h[k]) for h, k in parameters(graph, part) if h[k] != 0}, reverse=True):
    g = clip(graph, part, threshold)
    if passes(g, sets):
      return float(threshold), g
  g = clip(graph, part, 0.0)  # exact zeros still go: an edge of weight 0 is no edge, and computes nothing
  if not checked and not passes(g, sets):  # the graph as given was never checked in full: it is cut, then checked
    raise Incorrect(check(g, sets))
  return 0.0, g


def accepts(graph: dict, sets: list[dict], screen: bool = False, keep=None) -> bool:
  """passes(graph, sets, screen), and, when keep is given, keep(graph) too: still proven for every length (see
  shrink). Once proven, a graph stays proven; an edit that breaks the proof is refused even when every test sequence
  passes."""
  return passes(graph, sets, screen) and (keep is None or keep(graph))


def coarsest_quantization(graph: dict, sets: list[dict], keep=None) -> tuple[float | None, dict]:
  """The coarsest step that keeps the graph (a correct one) correct; a step that changes nothing needs no check."""
  for step in QUANT_STEPS:
    g = quantize(graph, step)
    if (g["nodes"], g["edges"]) == (graph["nodes"], graph["edges"]) or accepts(g, sets, keep=keep):
      return step, g
  return None, graph


def try_fold(graph: dict, sets: list[dict], keep=None) -> tuple[dict, list[str]]:
  """Fold constants and drop what that leaves dead, if the result is still correct (it should be: folding is
  exact up to float rounding)."""
  g, folded = fold_constants(graph)
  g = remove_dead(g)
  if folded and accepts(g, sets, keep=keep):
    return g, folded
  return graph, []


# ---- the greedy pass: one edit at a time, each kept if the graph stays correct ----

def without_edge(graph: dict, source: str, target: str) -> dict:
  g = copy_graph(graph)
  g["edges"] = [e for e in g["edges"] if (e["source"], e["target"]) != (source, target)]
  return g


def as_constant(graph: dict, nid: str, value: float) -> dict:
  """The graph with a node replaced by a constant: its edges out are gone and the bias of each node they fed takes
  weight * value instead. The node itself (and, for a state, its recurrent neuron) is then dead code."""
  g = copy_graph(graph)
  node = {n["id"]: n for n in g["nodes"]}
  for e in g["edges"]:
    if e["source"] == nid and not e.get("feedback"):
      node[e["target"]]["bias"] += e["weight"] * value
  g["edges"] = [e for e in g["edges"] if e["source"] != nid or e.get("feedback")]
  return g


def as_affine(graph: dict, nid: str, other: str, scale: float, offset: float) -> dict:
  """The graph with node nid replaced by scale * other + offset wherever it is read: each edge out of it becomes
  (or joins) an edge out of other, and its offset goes into the target's bias. nid is then dead code."""
  if other not in {n["id"] for n in graph["nodes"]}:  # gone already (merged into nid, say): nothing to do
    return graph
  g = copy_graph(graph)
  node = {n["id"]: n for n in g["nodes"]}
  edge = {(e["source"], e["target"]): e for e in g["edges"]}
  for e in [e for e in g["edges"] if e["source"] == nid and not e.get("feedback")]:
    node[e["target"]]["bias"] += e["weight"] * offset
    joined = edge.setdefault((other, e["target"]), {"source": other, "target": e["target"], "weight": 0.0})
    if joined["weight"] == 0.0 and joined not in g["edges"]:
      g["edges"].append(joined)
    joined["weight"] += e["weight"] * scale
  g["edges"] = [e for e in g["edges"] if e["source"] != nid or e.get("feedback")]
  return without_zero_edges(g)


def zeroed(graph: dict, nid: str, key: str) -> dict:
  g = copy_graph(graph)
  for n in g["nodes"]:
    if n["id"] == nid:
      n[key] = 0.0
  return g


# Each *_edits(graph, sets) gives (name, edit) pairs, in the order to try them; an edit maps the current graph to
# the edited one (the same graph once the edit no longer applies, e.g. when the edge went with a dead neuron).


def edge_edits(graph: dict, sets: list[dict]) -> list[tuple[str, object]]:
  """Remove one weighted edge (into a neuron or an output), smallest |weight| first."""
  edges = sorted((e for e in graph["edges"] if not e.get("feedback")), key=lambda e: abs(e["weight"]))
  return [(f"{e['source']}->{e['target']}", lambda g, a=e["source"], b=e["target"]: without_edge(g, a, b))
          for e in edges]


def node_edits(graph: dict, sets: list[dict]) -> list[tuple[str, object]]:
  """Replace one node by a constant, least used first (by the |weights| leaving it): a neuron or a state by 0 (removed
  with all its edges) or by its mean value on the screen's sequences, a state also by its init (its recurrent
  neuron removed: the state keeps its init for ever), an input by +1 or -1 (for a task that ignores an input)."""
  _, values = evaluate(graph, sets[0]["x"][:SCREEN], record=True)
  use = {}
  for e in graph["edges"]:
    if not e.get("feedback"):
      use[e["source"]] = use.get(e["source"], 0.0) + abs(e["weight"])
  edits = []
  for n in sorted((n for n in graph["nodes"] if n["id"] in use), key=lambda n: use[n["id"]]):
    mean = round(float(values[n["id"]].mean()), 6)
    choices = {"input": [1.0, -1.0], "state": [0.0, n.get("init"), mean]}.get(n["kind"], [0.0, mean])
    edits += [(f"{n['id']}={v:g}", lambda g, nid=n["id"], v=v: as_constant(g, nid, v))
              for v in dict.fromkeys(choices)]  # in order, each value once
  return edits


def merge_edits(graph: dict, sets: list[dict]) -> list[tuple[str, object]]:
  """Replace one state, or one output neuron of a cell, by an affine function of another of the same cell (which
  the same neurons read): v_b = scale * v_a + offset, fitted by least squares on the screen's sequences, best fits
  first. A network grown from a generic start often keeps copies and negations of one state or gate."""
  _, values = evaluate(graph, sets[0]["x"][:SCREEN], record=True)
  groups = {}
  for n in graph["nodes"]:
    if n["kind"] == "state" or n.get("role") == "output":
      groups.setdefault((n["kind"], n["cell"]), []).append(n["id"])
  within = {}  # one step's wiring: a neuron that reads another of the same step comes after it
  for e in graph["edges"]:
    if not e.get("feedback"):
      within.setdefault(e["source"], []).append(e["target"])
  fits = []
  for ids in groups.values():
    for b, a in ((b, a) for b in ids for a in ids if a != b):
      if a in reachable([b], lambda nid: within.get(nid, ())):  # b's readers would read a, which reads them: a
        continue  # cycle within one step, which no network computes
      va, vb = values[a].ravel(), values[b].ravel()
      basis = np.stack([va, np.ones_like(va)], axis=1)
      (scale, offset), *_ = np.linalg.lstsq(basis, vb, rcond=None)
      error = float(np.abs(basis @ (scale, offset) - vb).max())
      if error < 1.0 and scale != 0:  # a poor fit would fail the check anyway; trying it costs a screen
        fits.append((error, b, a, round(float(scale), 6) + 0.0, round(float(offset), 6) + 0.0))  # no -0
  return [(f"{b}={s:g}*{a}{c:+g}", lambda g, b=b, a=a, s=s, c=c: as_affine(g, b, a, s, c))
          for _, b, a, s, c in sorted(fits)]


def zero_edits(graph: dict, sets: list[dict]) -> list[tuple[str, object]]:
  """Set one bias or initial state to 0, smallest |value| first."""
  values = sorted((abs(h[k]), h["id"], k) for part in ("biases", "inits") for h, k in parameters(graph, part) if h[k])
  return [(f"{nid}.{key}", lambda g, nid=nid, key=key: zeroed(g, nid, key)) for _, nid, key in values]


def greedy_round(graph: dict, sets: list[dict], edits, screen: bool, keep=None) -> tuple[dict, list[str], int]:
  """Try each edit of edits(graph) on the current graph, keeping those that leave it correct (on the screen only,
  with screen=True) and proven (keep: see accepts): (graph, names of the kept edits, edits tried)."""
  kept, tried = [], 0
  for name, edit in edits(graph, sets):
    g = edit(graph)
    if (g["nodes"], g["edges"]) != (graph["nodes"], graph["edges"]):
      tried += 1
      if accepts(g, sets, screen, keep):
        graph = remove_dead(g)
        kept.append(name)
  return graph, kept, tried


def apply_greedily(graph: dict, sets: list[dict], edits, done: dict, kind: str, keep=None) -> dict:
  """Greedy rounds until one keeps nothing. Each round checks its edits on the screen, then the round's result on
  every sequence: one full check per round instead of one per kept edit. When that fails (an edit broke a rare
  sequence) the round is done again with full checks. The names of the kept edits go to done[kind]."""
  while True:
    g, kept, tried = greedy_round(graph, sets, edits, True, keep)
    done["tried"] += tried
    if kept and not passes(g, sets):
      g, kept, tried = greedy_round(graph, sets, edits, False, keep)
      done["tried"] += tried
    if not kept:
      return graph
    graph = g
    done[kind] += kept


def greedy(graph: dict, sets: list[dict], keep=None) -> tuple[dict, dict]:
  """Remove edges, then nodes (replaced by constants), then merge nodes into others, then zero biases and initial
  states, one at a time while the graph stays correct; fold constants; repeat until nothing more goes. One clip
  threshold for all (step 1) leaves edges that can go one by one, and edges that can only go with their neuron.
  keep: a test that the graph is still proven (see accepts), or None. Returns (graph, what was done)."""
  done = {"edges": [], "nodes": [], "merged": [], "zeroed": [], "folded": [], "tried": 0}
  while True:
    before = {k: len(v) for k, v in done.items() if k != "tried"}
    for kind, edits in (("edges", edge_edits), ("nodes", node_edits), ("merged", merge_edits), ("zeroed", zero_edits)):
      graph = apply_greedily(graph, sets, edits, done, kind, keep)
    graph, folded = try_fold(graph, sets, keep)
    done["folded"] += folded
    if before == {k: len(v) for k, v in done.items() if k != "tried"}:
      return graph, done


def prune(graph: dict, task, seed: int = 0, sequences: int = TEST_SEQUENCES, length: int = TEST_LENGTH,
          quantization: bool = True, greedy_pass: bool = True) -> dict:
  """The pruned graph, with graph.prune and graph.verified filled in. Raises Incorrect when the graph fails the
  screen (the first few hundred test sequences), or when neither it nor any clipped version of it passes them all.
  Only the result is checked on every sequence: a big graph is cut first and checked after, since most of it is
  usually dead, and a graph wrong on some rare sequence may so give a smaller graph that is right on all of them."""
  sets = test_sets(task, seed, sequences, length)
  if not passes(graph, sets, screen=True):  # a wrong graph is refused at once; a right one is checked once cut
    raise Incorrect(check(graph, sets))
  for round_ in range(PROOF_ROUNDS):
    # after a pruned graph was proven wrong, the full proof guards every edit: the quick one let that graph through
    g, done = shrink(graph, task, sets, quantization, greedy_pass, quick=round_ == 0)
    final = check(g, sets)
    if final["first_failure"]:  # every edit above was checked, so this would be a bug in prune.py itself
      raise RuntimeError(f"pruned graph fails its final check: {final['first_failure']}")
    proof = proof_of(g, task)
    if proof["failure"] is None:
      break
    # wrong on a longer sequence than the tests have: the proof's suite shows where; prune again with it as tests
    failing = [{**s, "name": f"{s['name']} of round {round_}"} for s in proof["sets"]]
    if not passes(graph, failing):
      raise Incorrect(check(graph, failing))
    sets = sets + failing
  else:
    raise Unproven(f"each of {PROOF_ROUNDS} pruned graphs was proven wrong, the last {proof['failure']}")
  kept = {n["id"] for n in g["nodes"]}
  done["removed"] = [n["id"] for n in graph["nodes"] if n["id"] not in kept]
  g["graph"] = {**g["graph"], "prune": {"before": size(graph), "after": size(g), **done},
                "verified": {**verification(sets, final), "longest": max(s["x"].shape[1] for s in sets + proof["sets"]),
                             **proof_record(proof)}}
  check_graph(g, "the pruned graph")  # a bug guard: every edit must leave a valid graph
  return g


def shrink(graph: dict, task, sets: list[dict], quantization: bool, greedy_pass: bool, quick: bool = True
           ) -> tuple[dict, dict]:
  """prune's steps 1 to 5 (see the top of this file): (the smaller graph, what was done). Once the graph is proven
  for every length (after clipping, or after quantizing), every later edit must keep it proven: by prove.py's quick
  proof (cheap when it fails), or, quick=False, its full one (seconds an edit)."""
  def proven(g: dict) -> bool:
    return proof_of(g, task, quick)["every_length"]
  g = graph
  clipped = {}
  for part in ("weights", "biases", "inits"):  # after the weights, g has passed a full check
    clipped[part], g = largest_clip(g, part, sets, checked=part != "weights")
  g, folded = try_fold(remove_dead(g), sets)
  # proven now (a clipped network often is, before rounding eats its margins): every later edit keeps it proven
  keep = proven if (quantization or greedy_pass) and proven(g) else None
  proved = (g["nodes"], g["edges"])
  step = None
  if quantization:
    step, g = coarsest_quantization(g, sets, keep)
    g, more = try_fold(g, sets, keep)
    if more and step is not None:  # folding leaves unrounded biases behind: round them too, if that stays right
      rounded = quantize(g, step)
      g = rounded if accepts(rounded, sets, keep=keep) else g
    folded += more
  g = remove_dead(g)
  done = None
  if greedy_pass:
    if keep is None and (g["nodes"], g["edges"]) != proved:  # rounding can make a graph exact: prove it again
      keep = proven if proven(g) else None
    g, done = greedy(g, sets, keep)
    if quantization:  # fewer parameters often take a coarser step: keep the smaller graph, then the coarser step
      q, requantized = coarsest_quantization(g, sets, keep)
      if (sum(size(requantized).values()), -(q or 0)) < (sum(size(g).values()), -(step or 0)):
        step, g = q, requantized
  return g, {"clip": clipped, "quantize": step, "folded": folded, "greedy": done}


def summary(g: dict) -> str:
  p, v = g["graph"]["prune"], g["graph"]["verified"]
  clipped = ", ".join(f"{k} {t:.4g}" for k, t in p["clip"].items())
  tests = " + ".join(f"{v[k]['sequences']} {k} x {v[k]['length']}" for k in ("sampled", "long", "exhaustive")
                     if v.get(k))
  quant = f"quantize {p['quantize']:g}" if p["quantize"] is not None else "no quantization"
  d = p.get("greedy")
  greedy = (f"greedy: {len(d['edges'])} edges cut, {len(d['nodes'])} nodes made constant, "
            f"{len(d.get('merged', []))} merged into others, {len(d['zeroed'])} values zeroed ({d['tried']} edits "
            "tried); " if d else "")
  folded = len(p["folded"]) + len(d["folded"] if d else [])
  return (f"{g['graph']['task']}: {format_size(p['before'])} -> {format_size(p['after'])}; clip {clipped}; "
          f"{greedy}{quant}; folded {folded}; verified on {tests} (seed {v['sampled']['seed']}); "
          f"{v['proof']['how']}")


def main():
  ap = ArgumentParser(description="Prune a graph (from extract.py) to the neurons that matter, keeping it "
                               "correct on its task: clip small weights, biases and initial states, fold constants, "
                               "quantize, remove dead code, then try removing what is left piece by piece. The summary "
                               "goes to stderr.")
  ap.add_argument("graph", nargs="?", default="-", help="graph JSON from extract.py, or - for stdin (default)")
  ap.add_argument("-o", "--out", default="-", help="where to write the pruned graph (default: stdout)")
  ap.add_argument("--task", help="the task to check against, instead of the one named in the graph "
                  "(e.g. path/to/my_tasks.py:NAME when running from another folder)")
  ap.add_argument("--trust-task", action="store_true", help="without --task: import the task file the graph names, "
                  "when it is the very file its run was trained with (by SHA-256); a graph never runs code otherwise")
  ap.add_argument("--seed", type=int, default=0, help="seed of the sampled test sequences (default 0)")
  ap.add_argument("--sequences", type=int, default=TEST_SEQUENCES,
                  help=f"sampled test sequences (default {TEST_SEQUENCES}; train.py validates on these too)")
  ap.add_argument("--length", type=int, default=TEST_LENGTH, help=f"steps per sampled test sequence (default "
                  f"{TEST_LENGTH})")
  ap.add_argument("--no-quantize", action="store_true", help="keep the weights as trained, do not round them")
  ap.add_argument("--no-greedy", action="store_true", help="skip the greedy pass that follows the clipping (remove "
                  "edges, replace nodes by constants, zero biases, one at a time while the graph stays correct): "
                  "faster, but the graph may stay larger")
  args = ap.parse_args()
  name = "<stdin>" if args.graph == "-" else args.graph
  try:
    if args.sequences < 1 or args.length < 1 or args.seed < 0:
      raise GraphError("--sequences and --length must be positive, --seed 0 or more")
    graph = load_graph(args.graph)
    task = get_task(args.task) if args.task else task_of(graph, name, args.trust_task)
    if args.task:
      graph = {**graph, "graph": {**graph["graph"], "task": args.task}}
    check_fits(graph, task, name)
    pruned = prune(graph, task, args.seed, args.sequences, args.length, not args.no_quantize, not args.no_greedy)
    save_graph(pruned, args.out)
  except (GraphError, TaskError) as e:
    print(f"prune.py: {e}", file=sys.stderr)
    sys.exit(2)
  except Unproven as e:
    print(f"prune.py: {name}: {e}", file=sys.stderr)
    sys.exit(1)
  except Incorrect as e:
    r = e.args[0]
    print(f"prune.py: {name}: the graph is not correct on {task.name} before pruning: {r['accuracy']:.2%} of "
          f"{r['total']} test sequences right; first failure: {r['first_failure']}", file=sys.stderr)
    sys.exit(1)
  print(f"prune.py: {summary(pruned)}", file=sys.stderr)


if __name__ == "__main__":
  main()
