"""Read the algorithm out of a pruned graph: each neuron as a boolean gate, an equivalent Python program, and the
state machine of the whole graph. render.py writes these (`-o bonsai.py`, `-o gates.txt`, `--fsm -o fsm.svg`).

In:  a graph dict (graph.load_graph); its task (tasks.py) says which input sequences it is run on.
Out: plain values and text:
  exp = explore(graph)         every (state, input) pair the graph reaches from its initial state, and the value of
                               every node there
  gates(graph, exp)            neuron id -> truth table and shortest boolean expression (or why it is not a gate)
  report(graph, exp)           the gates as text, with their truth tables, and the machine's size
  program(graph, exp)          the text of a short runnable Python program with the graph's outputs
  fsm = machine(graph, exp)    the minimized Mealy machine, or the analog states that rule a finite one out
  machine_dot(fsm)             ... drawn as a graphviz.Digraph

How: the graph runs from its initial state on every input sequence, breadth first, until no new state vector
appears (a task with its own input sampler, such as parens, is run on many sampled sequences instead). Every
value a node takes is then known, so "this neuron is an AND gate" is a fact about the graph, not a guess: a node
is boolean when its inputs and its output stay clearly away from 0 (|v| >= MARGIN) and the sign of its output is
a function of the signs of its inputs (a neuron that is not boolean itself, one that outputs 0 at times, say, counts
as wiring inside the gate it feeds). Other nodes (a counter) become arithmetic with the exact weights. The machine
has as its states the signs of the state vectors when the signs decide every move, else their exact values; when
neither does (and new values keep coming), there is no machine to give and the analog states are reported instead.
"""
import itertools

import graphviz
import numpy as np

from graph import evaluate, levels, task_of
from tasks import TaskError

MARGIN = 0.1           # |value| >= MARGIN: a clear true (+) or false (-)
MAX_STATES = 4096      # distinct state vectors the search visits before it calls the graph analog
SAMPLES = (4096, 64)   # sequences x steps, for tasks with their own input sampler
MAX_VARS = 6           # inputs of one expression in the program; wider ones keep their neurons as variables


# ---- running the graph over every reachable (state, input) pair ----

def task_inputs(graph: dict):
  """(task, n_in); task is None when the graph's task is not available here (then inputs are free ±1)."""
  try:
    task = task_of(graph)
    return task, task.n_in
  except TaskError:
    meta = graph["graph"].get("meta") or {}
    return None, int(meta.get("n_in", 1 + max((n["index"] for n in graph["nodes"] if n["kind"] == "input"),
                                                default=0)))


def live_nodes(graph: dict) -> set:
  """The nodes some output depends on, across timesteps too (what pruning keeps)."""
  into = {}
  for e in graph["edges"]:
    into.setdefault(e["target"], []).append(e["source"])
  todo = [n["id"] for n in graph["nodes"] if n["kind"] == "output"]
  live = set(todo)
  while todo:
    for s in into.get(todo.pop(), []):
      if s not in live:
        live.add(s)
        todo.append(s)
  return live


def explore(graph: dict, max_states: int = MAX_STATES, seed: int = 0) -> dict:
  """values[node] (n,) at each visited (state, input) pair; state, symbol, next (n,) indices into states and symbols
  (next -1: not seen to take a step); complete: every reachable pair was visited; how: in words."""
  task, n_in = task_inputs(graph)
  state_ids = [n["id"] for n in graph["nodes"] if n["kind"] == "state" and n["id"] in live_nodes(graph)]
  init = np.array([n["init"] for n in graph["nodes"] if n["id"] in state_ids], np.float64) + 0.0
  free = (task is None or task.inputs is None) and n_in <= 8  # every input sequence is possible: search them all
  exp = breadth_first(graph, n_in, state_ids, init, max_states) if free else None
  if exp is None:
    exp = sampled(graph, task, n_in, state_ids, init, np.random.default_rng(seed), max_states if free else 0)
  return {**exp, "state_ids": state_ids, "n_in": n_in,
          "output_ids": [n["id"] for n in sorted(graph["nodes"], key=lambda n: n.get("index", 0))
                         if n["kind"] == "output"]}


def state_vectors(values: dict, state_ids: list, steps) -> np.ndarray:
  """The states' values at the given steps as rows (batch x steps, states); + 0.0 makes -0.0 the same as 0.0."""
  columns = [values[s][:, steps].reshape(-1) + 0.0 for s in state_ids]
  return np.stack(columns, 1) if columns else np.zeros((values[next(iter(values))][:, steps].size, 0))


def breadth_first(graph, n_in, state_ids, init, max_states) -> dict | None:
  """Every input at every reachable state vector, breadth first; None when new vectors keep coming (an analog
  state). One step from a vector is graph.evaluate on a copy of the graph that starts there."""
  symbols = np.array(list(itertools.product([-1.0, 1.0], repeat=n_in))).reshape(-1, n_in)
  x = np.stack([symbols, np.repeat(symbols[:1], len(symbols), 0)], 1)  # one step more shows the state after it
  index, vectors, values, nxt = {init.tobytes(): 0}, [init], [], []
  for q in itertools.count():
    if q == len(vectors):
      break
    start = dict(zip(state_ids, vectors[q], strict=True))
    g = {**graph, "nodes": [{**n, "init": float(start[n["id"]])} if n["id"] in start else n for n in graph["nodes"]]}
    _, vals = evaluate(g, x, record=True)
    values.append({k: v[:, 0] for k, v in vals.items()})
    for vec in state_vectors(vals, state_ids, 1):
      if vec.tobytes() not in index:
        index[vec.tobytes()] = len(vectors)
        vectors.append(vec)
      nxt.append(index[vec.tobytes()])
    if len(vectors) > max_states:
      return None
  n = len(vectors) * len(symbols)
  return {"values": {k: np.concatenate([v[k] for v in values]) for k in values[0]},
          "states": np.array(vectors).reshape(len(vectors), len(init)), "symbols": symbols,
          "state": np.repeat(np.arange(len(vectors)), len(symbols)), "symbol": np.tile(np.arange(len(symbols)),
                                                                                         len(vectors)),
          "next": np.array(nxt), "initial": 0, "complete": True, "how": f"all {n} reachable (state, input) pairs"}


def sampled(graph, task, n_in, state_ids, init, rng, gave_up: int) -> dict:
  """The (state, input) pairs seen on many sampled sequences: the task's own sampler, else uniform ±1 (gave_up: the
  number of state vectors after which breadth_first stopped, 0 if it did not run)."""
  batch, length = SAMPLES
  if task is not None:
    x = task.sample_inputs(rng, batch, length).astype(np.float64)
  else:
    x = rng.choice([-1.0, 1.0], size=(batch, length, n_in))
  x = np.concatenate([x, x[:, -1:]], axis=1)  # one step more shows the state after the last real step
  _, vals = evaluate(graph, x, record=True)
  now, after = state_vectors(vals, state_ids, slice(0, length)), state_vectors(vals, state_ids, slice(1, None))
  steps = x[:, :length].reshape(-1, n_in)
  _, first = np.unique(np.concatenate([now, steps], 1), axis=0, return_index=True)  # one row per distinct pair
  vectors, state = np.unique(now[first], axis=0, return_inverse=True)
  symbols, symbol = np.unique(steps[first], axis=0, return_inverse=True)
  index = {v.tobytes(): i for i, v in enumerate(vectors)}
  why = f"more than {gave_up} reachable state vectors; " if gave_up else ""
  return {"values": {k: v[:, :length].reshape(-1)[first] for k, v in vals.items()}, "states": vectors,
          "state": state.ravel(), "symbol": symbol.ravel(), "symbols": symbols,
          "next": np.array([index.get(v.tobytes(), -1) for v in after[first]], np.int64),
          "initial": index.get(init.tobytes(), -1), "complete": False, "gave_up": gave_up,
          "how": f"{why}{len(first)} (state, input) pairs seen in {batch} sampled sequences of {length} steps"}


# ---- the wiring, and which nodes act as boolean gates ----

def wiring(graph: dict, exp: dict) -> dict:
  """The live part of the graph as lookups: node, srcs (id -> [(source, weight)] in node order, the order
  graph.evaluate sums in), rec (state -> its recurrent neuron), clear (id -> a clear boolean everywhere; for an
  output: never exactly 0, since only its sign is read), frontier (id -> the clear nodes it is computed from)."""
  live = live_nodes(graph)
  pos = {n["id"]: p for p, n in enumerate(graph["nodes"])}
  node = {n["id"]: n for n in graph["nodes"] if n["id"] in live}
  srcs, rec = {i: [] for i in node}, {}
  for e in sorted(graph["edges"], key=lambda e: pos[e["source"]]):
    if e["target"] in node and e.get("feedback"):
      rec[e["target"]] = e["source"]
    elif e["target"] in node:
      srcs[e["target"]].append((e["source"], e["weight"]))
  vals = exp["values"]
  clear = {i: bool(np.all(vals[i] != 0)) if n["kind"] == "output" else is_clear(vals[i]) for i, n in node.items()}
  frontier = {}

  def find(i):  # through neurons that are not clear booleans (a neuron that outputs 0 sometimes, say) to clear ones
    if i not in frontier:
      frontier[i] = []
      for s, _ in srcs[i]:
        more = [s] if clear[s] or node[s]["kind"] != "neuron" else find(s)
        frontier[i] += [f for f in more if f not in frontier[i]]
    return frontier[i]

  for i in node:
    find(i)
  return {"node": node, "srcs": srcs, "rec": rec, "clear": clear, "frontier": frontier, "pos": pos,
          "state_of": {r: s for s, r in rec.items()}, "kind": {i: n["kind"] for i, n in node.items()}}


def is_clear(v: np.ndarray) -> bool:
  """Every value is a clear boolean: |v| >= MARGIN."""
  return bool(np.all(np.abs(v) >= MARGIN))


def truth_table(exp: dict, inputs: list, out: str):
  """(rows (n, k) bool, outs (n,) bool): the sign of `out` for every sign combination of `inputs` that occurred,
  or None when some combination gave both signs."""
  vals = exp["values"]
  x = np.stack([vals[i] > 0 for i in inputs], 1) if inputs else np.zeros((len(vals[out]), 0), bool)
  rows, inverse = np.unique(x, axis=0, return_inverse=True)
  inverse = inverse.ravel()
  ones = np.bincount(inverse, weights=vals[out] > 0, minlength=len(rows))
  count = np.bincount(inverse, minlength=len(rows))
  if np.any((ones > 0) & (ones < count)):
    return None
  return rows, ones > 0


def why_not_a_gate(w: dict, exp: dict, i: str) -> str | None:
  """None when node i is a boolean gate of its frontier, else the reason in words."""
  for v in [i] + w["frontier"][i]:
    if not w["clear"][v]:
      x = exp["values"][v]
      return f"{v} is not boolean (it took {len(np.unique(x))} distinct values, |v| down to {np.abs(x).min():.3g})"
  if truth_table(exp, w["frontier"][i], i) is None:
    return f"its sign depends on more than the signs of {', '.join(w['frontier'][i]) or 'nothing'}"
  return None


def gates(graph: dict, exp: dict) -> dict:
  """For every live neuron and output: {"inputs", "through", "rows", "outs", "expression"} when it acts as a boolean
  gate (of its inputs, or of theirs through neurons that are not boolean themselves: "through"), else {"why"}."""
  w, result = wiring(graph, exp), {}
  for i in sorted(w["node"], key=w["pos"].get):
    if w["kind"][i] in ("neuron", "output"):
      why, ins = why_not_a_gate(w, exp, i), w["frontier"][i]
      if why:
        result[i] = {"why": why}
        continue
      rows, outs = truth_table(exp, ins, i)
      result[i] = {"inputs": ins, "rows": rows, "outs": outs, "through": [s for s, _ in w["srcs"][i] if s not in ins],
                   "expression": to_python(shortest(rows, outs), lambda v, ins=ins: (ins[v], 9))}
  return result


def report(graph: dict, exp: dict) -> str:
  """The gates as text (each expression, then its truth table over the rows that occurred), and the machine."""
  lines = [f"Each neuron over the values its inputs took ({exp['how']}); + is true, - is false:"]
  for i, g in gates(graph, exp).items():
    if "why" in g:
      lines.append(f"  {i}: arithmetic, not a gate: {g['why']}")
      continue
    lines.append(f"  {i} = {g['expression']}" + (f"   (through {', '.join(g['through'])})" if g["through"] else ""))
    if g["inputs"]:
      lines.append("      " + " ".join(g["inputs"]) + f" | {i}")
      for row, out in zip(g["rows"], g["outs"], strict=True):
        cells = [("+" if v else "-").center(len(name)) for v, name in zip(row, g["inputs"], strict=True)]
        lines.append("      " + " ".join(cells) + " | " + ("+" if out else "-"))
  return "\n".join(lines + [machine(graph, exp)["note"]]) + "\n"


# ---- shortest boolean expressions ----

def search(rows: np.ndarray, outs: np.ndarray, max_cost: int = 15, budget: int = 1_000_000):
  """The smallest formula (counting variables, constants and operators) that gives `outs` on `rows`; rows that
  never occur are don't-cares. Bottom up by size over NOT, AND, OR, XOR, XNOR, MUX and MAJ, one formula per
  distinct behaviour on the rows (a truth table as bits of a uint64). Returns a tree, or None once `budget`
  candidate formulas were tried (about a second)."""
  n, k = rows.shape
  if n > 64:
    return None
  bits = np.left_shift(np.uint64(1), np.arange(n, dtype=np.uint64))
  full = np.bitwise_or.reduce(bits)
  mask = lambda col: np.bitwise_or.reduce(np.where(col, bits, np.uint64(0)))
  target = int(mask(outs))
  tree, seen, level = {}, np.zeros(0, np.uint64), {}
  combine = {"and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
             "xnor": lambda a, b: ~(a ^ b), "mux": lambda s, a, b: (s & a) | (~s & b),
             "maj": lambda a, b, c: (a & b) | (a & c) | (b & c)}
  for cost in range(1, max_cost + 1):
    found = []
    if cost == 1:
      candidates = [("const", np.array([0, full], np.uint64), ()), ("var", np.array([mask(c) for c in rows.T],
                                                                                     np.uint64), ())]
    else:
      candidates = [("not", ~level[cost - 1], (level[cost - 1],))]
      for c1 in range(1, cost - 1):
        a, b = level[c1], level[cost - 1 - c1]
        if c1 <= cost - 1 - c1 and a.size * b.size <= budget // 8:
          candidates += [(op, combine[op](a[:, None], b[None, :]), (a, b)) for op in ("and", "or", "xor", "xnor")]
      for c1, c2 in itertools.product(range(1, cost - 2), repeat=2):
        c3 = cost - 1 - c1 - c2
        if c3 >= 1 and level[c1].size * level[c2].size * level[c3].size <= budget // 8:
          s, a, b = level[c1][:, None, None], level[c2][None, :, None], level[c3][None, None, :]
          candidates.append(("mux", combine["mux"](s, a, b), (level[c1], level[c2], level[c3])))
          if c1 <= c2 <= c3:
            candidates.append(("maj", combine["maj"](s, a, b), (level[c1], level[c2], level[c3])))
    for op, masks, parts in candidates:
      budget -= masks.size
      if budget < 0:
        return None
      flat = masks.ravel() & full
      uniq, first = np.unique(flat, return_index=True)
      fresh = ~np.isin(uniq, seen)
      for m, f in zip(uniq[fresh].tolist(), first[fresh].tolist(), strict=True):
        if op in ("const", "var"):
          tree[m] = (op, bool(f) if op == "const" else f)
        else:
          tree[m] = (op, *(int(p[i]) for p, i in zip(parts, np.unravel_index(f, masks.shape), strict=True)))
      seen = np.union1d(seen, uniq[fresh])
      found.append(uniq[fresh])
      if target in tree:
        return build(tree, target)
    level[cost] = np.concatenate(found)
  return None


def build(tree: dict, m: int) -> tuple:
  node = tree[m]
  return node if node[0] in ("const", "var") else (node[0], *(build(tree, c) for c in node[1:]))


def sum_of_products(rows: np.ndarray, outs: np.ndarray) -> tuple:
  """A fallback for gates too wide for search(): OR of ANDs of literals, from a prime-implicant cover."""
  k = rows.shape[1]
  ints = [int(sum(1 << i for i in range(k) if r[i])) for r in rows]
  on = {r for r, o in zip(ints, outs, strict=True) if o}
  care = set(ints)
  cubes = cover(k, on, set(range(1 << k)) - care)
  if not cubes:
    return ("const", False)
  terms = []
  for value, used in cubes:
    lits = [("var", i) if value >> i & 1 else ("not", ("var", i)) for i in range(k) if used >> i & 1]
    terms.append(lits[0] if len(lits) == 1 else ("and", *lits) if lits else ("const", True))
  return terms[0] if len(terms) == 1 else ("or", *terms)


def cover(k: int, on: set, dont_care: set) -> list:
  """Prime implicants (value, used-bits) that cover `on` (Quine-McCluskey, then a greedy cover)."""
  cubes, primes = {(r, (1 << k) - 1) for r in on | dont_care}, set()
  while cubes:
    merged, used = set(), set()
    for (v1, u1), (v2, u2) in itertools.combinations(cubes, 2):
      d = v1 ^ v2
      if u1 == u2 and d & (d - 1) == 0 and d:
        merged.add((v1 & ~d, u1 & ~d))
        used |= {(v1, u1), (v2, u2)}
    primes |= cubes - used
    cubes = merged
  chosen, left = [], set(on)
  while left:
    best = max(sorted(primes), key=lambda c: (sum(r & c[1] == c[0] for r in left), -bin(c[1]).count("1")))
    chosen.append(best)
    left = {r for r in left if r & best[1] != best[0]}
  return chosen


def shortest(rows: np.ndarray, outs: np.ndarray) -> tuple:
  return search(rows, outs) or sum_of_products(rows, outs)


# Python precedence, low to high: x if c else y, or, and, not, comparisons, +, atoms
PREC = {"mux": 1, "or": 2, "and": 3, "not": 4, "xor": 5, "xnor": 5, "maj": 5, "var": 9, "const": 9}


def to_python(t: tuple, leaf) -> str:
  """A tree as a Python expression over booleans; leaf(i) -> (text, precedence) of variable i."""
  def show(t):
    op = t[0]
    if op == "var":
      return leaf(t[1])
    if op == "const":
      return str(t[1]), 9
    if op == "not":
      return "not " + wrap(t[1], 6), 4
    if op in ("and", "or"):  # a comparison inside gets parentheses: not needed, but easier to read
      flat = sorted((c for a in t[1:] for c in (a[1:] if a[0] == op else [a])), key=first_variable)
      return f" {op} ".join(wrap(c, 6 if PREC[c[0]] == 5 else 4) for c in flat), PREC[op]
    if op in ("xor", "xnor"):
      a, b = sorted(t[1:], key=first_variable)
      return f"{wrap(a, 6)} {'!=' if op == 'xor' else '=='} {wrap(b, 6)}", 5
    if op == "mux":
      return f"{wrap(t[2], 4)} if {wrap(t[1], 4)} else {wrap(t[3], 4)}", 1
    return " + ".join(wrap(c, 7) for c in sorted(t[1:], key=first_variable)) + " >= 2", 5  # maj: two of three

  def wrap(t, need):
    text, prec = show(t)
    return f"({text})" if prec < need else text

  return show(t)[0]


def first_variable(t: tuple) -> int:
  return min(variables(t), default=-1)


def variables(t: tuple) -> set:
  return {t[1]} if t[0] == "var" else set() if t[0] == "const" else set().union(*(variables(c) for c in t[1:]))


# ---- the equivalent program ----

ACT_LINEAR = """  if x < -3:
    linear = -1 + leak * (x + 3)
  elif x <= -1:
    linear = x + 2
  elif x <= 1:
    linear = -x
  elif x <= 3:
    linear = x - 2
  else:
    linear = 1 + leak * (x - 3)
"""
ACT_SMOOTH = """  if x <= -3:
    smooth = -1 + leak * (x + 3)
  elif x <= -2:
    smooth = (x + 3) ** 4 - 1
  elif x <= 0:
    smooth = 1 - (x + 1) ** 4
  elif x <= 2:
    smooth = (x - 1) ** 4 - 1
  elif x <= 3:
    smooth = 1 - (x - 3) ** 4
  else:
    smooth = 1 + leak * (x - 3)
"""

MAIN = '''

def main(args):
  xs = []
  for arg in args:
    step = arg.split(",")
    if len(step) != N_IN or any(v not in ("1", "-1", "+1") for v in step):
      print(f"{sys.argv[0]}: step {arg!r} is not {N_IN} value(s) of 1 or -1 separated by commas", file=sys.stderr)
      sys.exit(2)
    xs.append(tuple(int(v) for v in step))
  for y in run(xs):
    print(",".join(str(v) for v in y))


if __name__ == "__main__":
  main(sys.argv[1:])
'''


def activation_source(factor: float, leak: float) -> str:
  """The activation as plain Python: the arithmetic of graph.activation, so the program's numbers are the graph's."""
  head = f'def act(x, factor={factor!r}, leak={leak!r}):\n  """The neurons\' activation (graph.py)."""\n'
  if factor == 1:
    return head + ACT_LINEAR + "  return linear\n"
  if factor == 0:
    return head + ACT_SMOOTH + "  return smooth\n"
  return head + ACT_LINEAR + ACT_SMOOTH + "  return factor * linear + (1 - factor) * smooth\n"


def two_values(v: np.ndarray):
  """(value when positive, value when not) when the node only ever took those two (None for a side never taken);
  False when it took more."""
  hi, lo = np.unique(v[v > 0]), np.unique(v[v <= 0])
  return len(hi) < 2 and len(lo) < 2 and (float(hi[0]) if len(hi) else None, float(lo[0]) if len(lo) else None)


def weighted(w: float, text: str) -> tuple[str, str]:
  """(sign, term) of w * text; a weight of ±1 is left out (x * 1.0 is exactly x)."""
  return ("-" if w < 0 else "+"), text if abs(w) == 1 else f"{abs(w)!r} * {text}"


def closure(start: list, reads) -> set:
  seen, todo = set(start), list(start)
  while todo:
    for r in reads(todo.pop()):
      if r not in seen:
        seen.add(r)
        todo.append(r)
  return seen


def program(graph: dict, exp: dict, filename: str = "bonsai.py", source: str = "") -> str:
  """A runnable Python program with the graph's outputs: a boolean expression per output and state update where the
  graph acts boolean (gates that feed one gate are folded into it), arithmetic with the exact weights elsewhere."""
  task, n_in = task_inputs(graph)
  w, vals = wiring(graph, exp), exp["values"]
  node, srcs, rec, kind, state_of = w["node"], w["srcs"], w["rec"], w["kind"], w["state_of"]
  depth = levels(graph)
  ranked = sorted(node, key=lambda i: (depth[i], w["pos"][i]))
  outputs = sorted((i for i in node if kind[i] == "output"), key=lambda i: node[i]["index"])
  boolean = {i: kind[i] == "input" or (w["clear"][i] if kind[i] == "state" else why_not_a_gate(w, exp, i) is None)
             for i in node}

  def reads(i):  # what the program needs to compute node i
    if kind[i] == "state":
      return [rec[i]] if i in rec else []
    return w["frontier"][i] if boolean[i] else [s for s, _ in srcs[i]]

  # A boolean read by arithmetic must have taken just two values (one per sign), or the arithmetic would not be
  # exact; a state and its recurrent neuron go together. Whatever breaks that becomes arithmetic.
  while True:
    computed = closure(outputs, reads)
    demote = {i for i in computed if boolean[i] and (rec.get(i) or state_of.get(i)) in node
              and not boolean[rec.get(i) or state_of.get(i)]}
    for i in computed:
      if not boolean[i] and kind[i] != "state":
        demote |= {s for s in reads(i) if boolean[s] and two_values(vals[s]) is False}
    if not demote:
      break
    boolean.update(dict.fromkeys(demote, False))

  # Fold a neuron into its one reader when both are booleans or both arithmetic (a recurrent neuron into its state).
  readers = {}
  for c in computed:
    for s in reads(c):
      readers.setdefault(s, []).append(c)
  folded = {i for i in computed if kind[i] == "neuron" and len(readers.get(i, [])) == 1
            and boolean[i] == boolean[readers[i][0]]}

  def bases(i):
    out = []
    for s in w["frontier"][i]:
      out += [b for b in (bases(s) if s in folded else [s]) if b not in out]
    return out

  for i in ranked:  # an expression of more than MAX_VARS inputs: keep the widest folded gate as a variable
    while boolean[i] and kind[i] in ("neuron", "output") and len(bases(i)) > MAX_VARS:
      folded.discard(max((s for s in w["frontier"][i] if s in folded), key=lambda s: len(bases(s))))

  def boolean_text(i):
    b = bases(i)
    rows, outs = truth_table(exp, b, i)  # a gate of gates is a gate of their inputs
    t = shortest(rows, outs)
    return to_python(t, lambda v: (b[v], 9) if boolean[b[v]] else (f"{b[v]} > 0", 5)), {b[v] for v in variables(t)}

  def arithmetic_text(i):
    terms, refs = [], set()
    for s, wt in srcs[i]:
      if s in folded:
        text, more = arithmetic_text(s)
        terms.append(weighted(wt, text))
        refs |= more
      elif not boolean[s]:
        terms.append(weighted(wt, s))
        refs.add(s)
      else:
        hi, lo = two_values(vals[s])
        if hi is None or lo is None:
          terms.append(weighted(wt, repr(hi if lo is None else lo)))
        else:
          terms.append(("+", f"({wt!r} if {s} else {-wt!r})") if (hi, lo) == (1.0, -1.0) else
                       weighted(wt, f"({hi!r} if {s} else {lo!r})"))
          refs.add(s)
    text = "".join(("-" if s == "-" else "") + t if k == 0 else f" {s} {t}" for k, (s, t) in enumerate(terms))
    bias = node[i]["bias"]
    if bias or not terms:
      text = f"{text} {'-' if bias < 0 else '+'} {abs(bias)!r}" if terms else repr(bias)
    return (f"act({text})" if kind[i] == "neuron" else text), refs

  def text_of(i):
    return boolean_text(i) if boolean[i] else arithmetic_text(i)

  # The lines, then only those that the outputs need.
  lines = {i: text_of(i) for i in ranked if i in computed and kind[i] in ("neuron", "output") and i not in folded}
  updates = {s: (text_of(r) if r in folded else (r, {r})) for s, r in rec.items() if s in computed}
  need = closure(outputs, lambda i: lines[i][1] if i in lines else updates[i][1] if i in updates else ())
  states = [i for i in ranked if kind[i] == "state" and i in need]
  inputs = sorted((i for i in need if kind[i] == "input"), key=lambda i: node[i]["index"])

  body = [f"  {s} = {node[s]['init'] > 0}  # initial value {node[s]['init']!r}" if boolean[s] else
          f"  {s} = {node[s]['init']!r}" for s in states]
  body += ["  ys = []", f"  for {'x' if inputs else '_'} in xs:"]
  body += [f"    {i} = x[{node[i]['index']}] > 0" for i in inputs]
  body += [f"    {i} = {lines[i][0]}" for i in ranked if i in lines and i in need]
  pm = ", ".join(f"1 if {o}{'' if boolean[o] else ' > 0'} else -1" for o in outputs)
  body.append(f"    ys.append(({pm},))")
  moving = [s for s in states if s in updates]
  if moving:
    body.append(f"    {', '.join(moving)} = {', '.join(updates[s][0] for s in moving)}")
  body.append("  return ys")
  body = [ln if len(ln) <= 120 else ln + "  # noqa: E501" for ln in body]
  code = "\n".join(body)

  name, act = task.name if task else graph["graph"]["task"], graph["graph"]["activation"]
  example = "1 -1 -1" if n_in == 1 else " ".join(",".join("1" if (i + t) % 2 else "-1" for i in range(n_in))
                                                  for t in range(2))
  where = f"  {source}\n" if source else ""  # on a line of its own: a long path is then no lint error
  everywhere = ",\nso run(xs) gives the graph's outputs on every input sequence" if exp["complete"] else ""
  header = f'''"""{name}: what the graph {"below " if source else ""}computes, as a program read out of it by render.py.
{where}
run(xs): xs is a list of timesteps, each a tuple of {n_in} input{"s" if n_in > 1 else ""} (1 or -1); it returns the \
outputs of every step.
As a script: `python {filename} {example}` (an argument per step) prints one output per line.
Names are the graph's node ids; True stands for +1, False for -1. Each line agrees with the graph on
{exp["how"]}{everywhere}.
"""
import sys

N_IN = {n_in}
'''
  act = "\n\n" + activation_source(act["factor"], act["leak"]) if "act(" in code else ""
  return header + act + "\n\ndef run(xs):\n" + code + "\n" + MAIN


# ---- the state machine ----

def machine(graph: dict, exp: dict) -> dict:
  """The Mealy machine of the graph, minimized: states (its size, None when there is no finite machine to give),
  blocks (the state vectors each state stands for), edges (state, symbol, outputs, next state), analog (state id
  -> number of distinct values, for states that do not binarize), note (how it was found, in words)."""
  ids, vectors = exp["state_ids"], exp["states"]
  clear = np.array([is_clear(vectors[:, j]) for j in range(len(ids))], bool)
  counts = [len(np.unique(vectors[:, j])) for j in range(len(ids))]
  analog = {i: n for i, n, c in zip(ids, counts, clear, strict=True) if not c or n > 2}  # not just two values
  fsm = {"state_ids": ids, "analog": analog, "complete": exp["complete"], "symbols": exp["symbols"]}
  outs = np.stack([exp["values"][o] > 0 for o in exp["output_ids"]], 1)
  # First the states' signs, analog ones too: if they decide every output and every next sign pattern, they are the
  # machine (an analog state that never repeats a value exactly can still only matter by its sign). Then, if the
  # search reached an end: the signs of the clear states with the exact values of the others, then exact values.
  candidates = [("signs", np.sign(vectors))]
  if not (exp.get("gave_up") or len(vectors) > MAX_STATES):
    candidates += [("values", np.where(clear, np.sign(vectors), vectors)), ("values", vectors)]
  for option in candidates:
    abstract, trans = abstraction(option[1], exp, outs)
    if trans is not None:
      how, keys = option
      break
  else:
    summary = "no finite state machine: " + ", ".join(f"{s} is analog ({c} distinct values)" for s, c in analog.items())
    return {**fsm, "states": None, "summary": summary, "detail": exp["how"], "note": f"{summary} ({exp['how']})"}
  clear = np.ones_like(clear) if how == "signs" else clear & (keys == np.sign(vectors)).all(axis=0)
  if how == "signs":
    analog = fsm["analog"] = {}
  n = abstract.max() + 1
  first = [np.flatnonzero(abstract == q)[0] for q in range(n)]  # one exact vector per abstract state, for the label
  symbols = range(len(exp["symbols"]))
  block = relabel([tuple(trans.get((q, a), (None,))[0] for a in symbols) for q in range(n)], abstract[exp["initial"]])
  while True:  # Moore's partition refinement: split states whose moves lead to different blocks
    sig = [(block[q],) + tuple((trans[(q, a)][0], block[trans[(q, a)][1]] if trans[(q, a)][1] >= 0 else -1)
                               if (q, a) in trans else None for a in symbols) for q in range(n)]
    new = relabel(sig, abstract[exp["initial"]])
    if max(new) == max(block):
      break
    block = new
  moves = {(block[q], a): (o, block[nx] if nx >= 0 else -1) for (q, a), (o, nx) in trans.items()}
  order = [0]  # number the states in the order a breadth-first walk from the initial state meets them
  for q in order:
    for a in symbols:
      nx = moves.get((q, a), (None, -1))[1]
      if nx >= 0 and nx not in order:
        order.append(nx)
  rank = {b: r for r, b in enumerate(order)}
  members = [[] for _ in order]
  for q in range(n):
    members[rank[block[q]]].append(np.where(clear, np.sign(vectors[first[q]]), vectors[first[q]]))
  edges = sorted((rank[q], a, o, rank.get(nx, -1)) for (q, a), (o, nx) in moves.items())
  summary = f"state machine: {len(members)} state{'' if len(members) == 1 else 's'}"
  detail = (f"minimized from {n} {'' if exp['complete'] else 'seen '}patterns of the states' {how}; {exp['how']}"
            + "".join(f"; {s} is analog: {c} distinct values" for s, c in analog.items()))
  return {**fsm, "clear": clear, "states": len(members), "blocks": [np.array(m) for m in members], "edges": edges,
          "summary": summary, "detail": detail, "note": f"{summary} ({detail})"}


def abstraction(keys: np.ndarray, exp: dict, outs: np.ndarray) -> tuple[np.ndarray, dict | None]:
  """The state vectors grouped by their keys (rows), and the moves of the groups: (group, symbol) -> (outputs, next
  group), or None when two vectors of one group move differently, or when, on a sampled search, a group's move was
  never seen to its end (next -1) by any of its vectors: then the keys do not make a machine."""
  _, abstract = np.unique(keys, axis=0, return_inverse=True)
  abstract = abstract.ravel()
  trans = {}
  for s, a, o, nx in sorted(zip(exp["state"], exp["symbol"], map(tuple, outs), exp["next"], strict=True),
                            key=lambda m: m[3] < 0):  # the moves seen to their end first
    key, val = (abstract[s], a), (o, abstract[nx] if nx >= 0 else -1)
    if trans.setdefault(key, val) != val and not (nx < 0 and trans[key][0] == o):
      return abstract, None
  if exp["complete"] or all(nx >= 0 for _, nx in trans.values()):
    return abstract, trans
  return abstract, None  # keys whose moves lead out of what was seen: no closed machine (new values keep coming)


def relabel(signatures: list, initial: int) -> list:
  """Signatures to block numbers 0, 1, ... in order of first appearance, the initial state's block first."""
  names = {signatures[initial]: 0}
  return [names.setdefault(s, len(names)) for s in signatures]


def state_label(rows: np.ndarray, clear: np.ndarray, ids: list) -> list[str]:
  """The state vectors one machine state stands for: '+-' (signs of boolean states) or values; for many, the range
  of each state's value."""
  def one(key):
    parts = [("+" if v > 0 else "-" if v < 0 else "0") if c else f"{v:.3g}" for v, c in zip(key, clear, strict=True)]
    return "".join(parts) if clear.all() else " ".join(parts)
  if len(rows) <= 4:
    return [one(r) for r in rows]
  spans = ["±" if c and col.min() < 0 < col.max() else "+" if c and col.min() > 0 else "-" if c else
           f"{col.min():.3g}..{col.max():.3g}" for c, col in zip(clear, rows.T, strict=True)]
  if clear.all():
    return ["".join(spans), f"({len(rows)} patterns)"]
  return [f"{i} {span}" for i, span in zip(ids, spans, strict=True)] + [f"({len(rows)} vectors)"]


def patterns(symbols: np.ndarray, chosen: list) -> list[str]:
  """The chosen input symbols (rows of ±1) as few patterns of + - and * (either)."""
  k = symbols.shape[1]
  ints = [int(sum(1 << i for i in range(k) if symbols[a][i] > 0)) for a in chosen]
  return ["".join(("+" if v >> i & 1 else "-") if used >> i & 1 else "*" for i in range(k))
          for v, used in sorted(cover(k, set(ints), set()), reverse=True)] if k else [""]


def machine_dot(fsm: dict, title: str = "") -> graphviz.Digraph:
  """The machine for Graphviz: a circle per state (labelled with the state vectors it stands for), an arrow per
  move labelled `inputs / outputs`."""
  text = [title, fsm["summary"], fsm["detail"]]
  if fsm["states"]:
    what = "signs" if fsm["clear"].all() else "values"
    text.append(f"a state: the {what} of {' '.join(fsm['state_ids']) or '(none)'}; "
                "an arrow: inputs / outputs (+ true, - false, * either)")
  dot = graphviz.Digraph("fsm", graph_attr={"rankdir": "LR", "labelloc": "t", "fontname": "Helvetica",
                                            "label": "\n".join(t for t in text if t)},
                         node_attr={"shape": "circle", "fontname": "Helvetica"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "11"})
  if fsm["states"] is None:
    dot.node("none", "\n".join(f"{s}: analog, {c} distinct values" for s, c in fsm["analog"].items())
             or "no finite machine", shape="box")
    return dot
  dot.node("start", "", shape="point")
  for q, rows in enumerate(fsm["blocks"]):
    text = [f"q{q}"] + state_label(rows, fsm["clear"], fsm["state_ids"])
    dot.node(f"q{q}", "\n".join(text), shape="circle" if max(map(len, text)) <= 8 else "box", style="rounded")
  dot.edge("start", "q0")
  moves = {}
  for q, a, o, nx in fsm["edges"]:
    moves.setdefault((q, nx), {}).setdefault(o, []).append(a)
  for (q, nx), by_out in moves.items():
    text = [f"{p} / {''.join('+' if v else '-' for v in o)}" for o, syms in sorted(by_out.items())
            for p in patterns(fsm["symbols"], syms)]
    dot.edge(f"q{q}", f"q{nx}" if nx >= 0 else "unseen", "\n".join(text))
  if any(nx < 0 for *_, nx in fsm["edges"]):
    dot.node("unseen", "not seen", shape="plaintext")
  return dot
