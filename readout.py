"""Read the algorithm out of a pruned graph: each neuron as a boolean gate, and an equivalent Python program.
render.py's companion: it writes these (`-o gates.txt`, `-o bonsai.py`); the state machine is prove.py's.

In:  a graph dict (graph.load_graph) and what prove.explore found it doing (exp).
Out: plain values and text:
  gates(graph, exp)                 neuron id -> truth table and shortest boolean expression (or why it is not a gate)
  report(graph, exp)                the gates as text, with their truth tables, and the machine's size
  program(graph, exp, name, src)    the text of a short runnable Python program with the graph's outputs

How: prove.explore runs the graph on every (state, input) pair it reaches. Every value a node takes is then known, so
"this neuron is an AND gate" is a fact about the graph, not a guess: a node is boolean when its inputs and its
output stay clearly away from 0 (|v| >= prove.MARGIN) and the sign of its output is a function of the signs of its
inputs (a neuron that is not boolean itself, one that outputs 0 at times, say, counts as wiring inside the gate it
feeds); the formula section finds its shortest expression: a tree of tuples, ("var", i), ("const", bool),
("not", t), ("and" | "or" | "xor" | "xnor", a, b), ("mux", s, a, b), ("maj", a, b, c). Other nodes (a counter)
become arithmetic with the exact weights.
"""
import functools
import itertools
import keyword
import linecache
import re
import textwrap

import numpy as np

from graph import NODE_ID, levels, live_nodes, reachable
from prove import is_clear, machine, ranks, unique_rows
from tasks import named_ids

MAX_VARS = 6  # inputs of one expression in the program; wider ones keep their neurons as variables


# ---- the wiring, and which nodes act as boolean gates ----

def wiring(graph: dict, exp: dict) -> dict:
  """The live part of the graph as lookups: node, srcs (id -> [(source, weight)] in node order, the order
  graph.evaluate sums in), rec (state -> its recurrent neuron), clear (id -> a clear boolean everywhere; for an
  output: never exactly 0, since only its sign is read), frontier (id -> the clear nodes it is computed from).
  Kept in exp, like the machine: report() and program() both start from it."""
  if "wiring" in exp:
    return exp["wiring"]
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
  w = {"node": node, "srcs": srcs, "rec": rec, "clear": clear, "frontier": {}, "pos": pos,
       "state_of": {r: s for s, r in rec.items()}, "kind": {i: n["kind"] for i, n in node.items()}}
  for i in node:
    frontier(w, i)
  exp["wiring"] = w
  return w


def frontier(w: dict, i: str) -> list:
  """The clear nodes node i is computed from, through neurons that are not clear booleans (a neuron that outputs 0
  sometimes, say); memoized in w["frontier"]."""
  if i not in w["frontier"]:
    w["frontier"][i] = found = []
    for s, _ in w["srcs"][i]:
      more = [s] if w["clear"][s] or w["kind"][s] != "neuron" else frontier(w, s)
      found += [f for f in more if f not in found]
  return w["frontier"][i]


def truth_table(exp: dict, inputs: list, out: str):
  """(rows (n, k) bool, outs (n,) bool): the sign of `out` for every sign combination of `inputs` that occurred,
  or None when some combination gave both signs. Memoized in exp (report and program ask for the same tables)."""
  key = (tuple(inputs), out)
  tables = exp.setdefault("truth_tables", {})
  if key not in tables:
    vals = exp["values"]
    x = np.stack([vals[i] > 0 for i in inputs], 1) if inputs else np.zeros((len(vals[out]), 0), bool)
    if x.shape[1] < 63:  # a row of signs is the bits of one integer
      first, inverse = ranks(x @ (1 << np.arange(x.shape[1] - 1, -1, -1, dtype=np.int64)), 1 << x.shape[1])
    else:
      first, inverse = unique_rows(x)
    ones = np.bincount(inverse, weights=vals[out] > 0, minlength=len(first))
    count = np.bincount(inverse, minlength=len(first))
    tables[key] = None if np.any((ones > 0) & (ones < count)) else (x[first], ones > 0)
  return tables[key]


def is_gate(w: dict, exp: dict, i: str) -> bool:
  """Node i is a boolean gate of its frontier: why_not_a_gate(...) is None, without the words."""
  return all(w["clear"][v] for v in [i] + w["frontier"][i]) and truth_table(exp, w["frontier"][i], i) is not None


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


# ---- shortest boolean formulas for truth tables (rows that never occur are don't-cares) ----

COMBINE = {"and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
           "xnor": lambda a, b: ~(a ^ b), "mux": lambda s, a, b: (s & a) | (~s & b),
           "maj": lambda a, b, c: (a & b) | (a & c) | (b & c)}


def search(rows: np.ndarray, outs: np.ndarray, max_cost: int = 15, budget: int = 1_000_000):
  """The smallest formula that gives `outs` on `rows`, bottom up by size over NOT, AND, OR, XOR, XNOR, MUX and MAJ;
  a tree, or None when there are over 64 rows or the budget runs out first.

  A formula's cost is its size: the number of variables, constants and operators in it (a and not b: 4). Level c
  holds one formula per behaviour on the rows (a truth table as the bits of a uint64) first reached at cost c:
  cost 1 the constants and the variables, cost c one operator over formulas whose costs add up to c - 1. The budget
  is the number of candidate formulas tried before giving up (one million: about a second)."""
  n, _ = rows.shape
  if n > 64:
    return None
  bits = np.left_shift(np.uint64(1), np.arange(n, dtype=np.uint64))
  full = np.bitwise_or.reduce(bits)
  mask = lambda col: np.bitwise_or.reduce(np.where(col, bits, np.uint64(0)))
  target = int(mask(outs))
  tree, level = {}, {}  # truth table -> its formula; cost -> the tables first found at that cost
  for cost in range(1, max_cost + 1):  # level `cost`: the tables whose smallest formula has that many symbols
    found = []
    if cost == 1:
      candidates = [("const", np.array([0, full], np.uint64), ()),
                    ("var", np.array([mask(c) for c in rows.T], np.uint64), ())]
    else:
      candidates = combinations(level, cost, budget)
    for op, masks, parts in candidates:
      budget -= masks.size  # every candidate formula tried counts, duplicates too
      if budget < 0:
        return None
      uniq, first = np.unique(masks.ravel() & full, return_index=True)
      fresh = [k for k, m in enumerate(uniq.tolist()) if m not in tree]
      for m, f in zip(uniq[fresh].tolist(), first[fresh].tolist(), strict=True):
        if op in ("const", "var"):
          tree[m] = (op, bool(f) if op == "const" else f)
        else:
          tree[m] = (op, *(int(p[i]) for p, i in zip(parts, np.unravel_index(f, masks.shape), strict=True)))
      found.append(uniq[fresh])
      if target in tree:
        return build(tree, target)
    level[cost] = np.concatenate(found)
  return None


def combinations(level: dict, cost: int, budget: int) -> list:
  """The candidates of one cost: (op, truth tables of every combination, the operand levels). A product of levels
  that alone would take over an eighth of the budget is left out."""
  candidates = [("not", ~level[cost - 1], (level[cost - 1],))]
  for c1 in range(1, cost - 1):
    a, b = level[c1], level[cost - 1 - c1]
    if c1 <= cost - 1 - c1 and a.size * b.size <= budget // 8:  # symmetric: one order of the operands is enough
      candidates += [(op, COMBINE[op](a[:, None], b[None, :]), (a, b)) for op in ("and", "or", "xor", "xnor")]
  for c1, c2 in itertools.product(range(1, cost - 2), repeat=2):
    c3 = cost - 1 - c1 - c2
    if c3 >= 1 and level[c1].size * level[c2].size * level[c3].size <= budget // 8:
      s, a, b = level[c1][:, None, None], level[c2][None, :, None], level[c3][None, None, :]
      candidates.append(("mux", COMBINE["mux"](s, a, b), (level[c1], level[c2], level[c3])))
      if c1 <= c2 <= c3:
        candidates.append(("maj", COMBINE["maj"](s, a, b), (level[c1], level[c2], level[c3])))
  return candidates


def build(tree: dict, m: int) -> tuple:
  """The formula of truth table m, from search's table of (op, operand truth tables...)."""
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
  """search's formula, or a sum of products when the search gives up."""
  rows, outs = np.asarray(rows, bool), np.asarray(outs, bool)
  return cached_shortest(rows.shape, rows.tobytes(), outs.tobytes())


@functools.lru_cache(maxsize=4096)
def cached_shortest(shape: tuple[int, int], rows: bytes, outs: bytes) -> tuple:
  """shortest() of a truth table given as bytes: a table asked for again (a gate in the report, then its line in
  the program) is searched once."""
  rows_, outs_ = np.frombuffer(rows, bool).reshape(shape), np.frombuffer(outs, bool)
  return search(rows_, outs_) or sum_of_products(rows_, outs_)


def patterns(symbols: np.ndarray, chosen: list) -> list[str]:
  """The chosen input symbols (rows of ±1) as few patterns of + - and * (either)."""
  k = symbols.shape[1]
  ints = [int(sum(1 << i for i in range(k) if symbols[a][i] > 0)) for a in chosen]
  return ["".join(("+" if v >> i & 1 else "-") if used >> i & 1 else "*" for i in range(k))
          for v, used in sorted(cover(k, set(ints), set()), reverse=True)] if k else [""]


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
  """The lowest variable in a formula (-1 for none): the order in which to_python writes operands."""
  return min(variables(t), default=-1)


def variables(t: tuple) -> set:
  """The variables a formula reads."""
  return {t[1]} if t[0] == "var" else set() if t[0] == "const" else set().union(*(variables(c) for c in t[1:]))


# ---- the equivalent program ----

def program(graph: dict, exp: dict, filename: str = "bonsai.py", source: str = "",
            names: tuple[list, list] | None = None) -> str:
  """A runnable Python program with the graph's outputs: a boolean expression per output and state update where the
  graph acts boolean (gates that feed one gate are folded into it), arithmetic with the exact weights elsewhere.
  filename: the program's own name, for its usage line; source: the graph file it was read out of, if any; names:
  the task's names for its inputs and outputs (tasks.io_names), said in the docstring."""
  code, act = body(plan(graph, exp), exp), graph["graph"]["activation"]
  act_text = "\n\n" + activation_source(act["factor"], act["leak"]) if "act(" in code else ""
  rename = program_names(names)
  code = re.sub(r"\b(in|out)[0-9]+\b", lambda m: rename.get(m[0], m[0]), code)
  return header(exp, filename, source, names, bool(rename)) + act_text + "\n\ndef run(xs):\n" + code + "\n" + MAIN


def program_names(names: tuple[list, list] | None) -> dict[str, str]:
  """in0.. and out0.. -> the task's names, for the program's variables; a name run() uses already (xs, ys, inputs,
  act), a keyword, or one shaped like a node id keeps its node id."""
  taken = {"xs", "ys", "inputs", "act"}
  return {nid: n for nid, n in named_ids(names).items()
          if n not in taken and not keyword.iskeyword(n) and not NODE_ID.fullmatch(n)}


def plan(graph: dict, exp: dict) -> dict:
  """The wiring, plus what the program does with each node: ranked (the order of the lines), outputs, boolean (id ->
  written as True/False rather than a number), computed (what the outputs need), folded (written inside its one
  reader rather than on a line of its own)."""
  w = {**wiring(graph, exp)}  # a copy: the keys below are the program's, not the wiring's
  depth = levels(graph)
  w["ranked"] = sorted(w["node"], key=lambda i: (depth[i], w["pos"][i]))
  w["outputs"] = sorted((i for i in w["node"] if w["kind"][i] == "output"), key=lambda i: w["node"][i]["index"])
  w["boolean"] = {i: k == "input" or (w["clear"][i] if k == "state" else is_gate(w, exp, i))
                  for i, k in w["kind"].items()}
  w["computed"] = demote(w, exp)
  w["folded"] = fold(w)
  return w


def reads(w: dict, i: str) -> list:
  """What the program needs to compute node i: a state its recurrent neuron, a gate the clear nodes it is a gate of,
  arithmetic its sources."""
  if w["kind"][i] == "state":
    return [w["rec"][i]] if i in w["rec"] else []
  return w["frontier"][i] if w["boolean"][i] else [s for s, _ in w["srcs"][i]]


def demote(w: dict, exp: dict) -> set:
  """Make arithmetic (in w["boolean"]) the booleans that cannot stay boolean; returns what the outputs need. A boolean
  read by arithmetic must have taken just two values (one per sign), or the arithmetic would not be exact; a state
  and its recurrent neuron go together."""
  boolean, kind = w["boolean"], w["kind"]
  while True:
    computed = reachable(w["outputs"], lambda i: reads(w, i))
    partner = {i: w["rec"].get(i) or w["state_of"].get(i) for i in computed}
    drop = {i for i in computed if boolean[i] and partner[i] in w["node"] and not boolean[partner[i]]}
    for i in computed:
      if not boolean[i] and kind[i] != "state":
        drop |= {s for s in reads(w, i) if boolean[s] and two_values(exp["values"][s]) is False}
    if not drop:
      return computed
    boolean.update(dict.fromkeys(drop, False))


def fold(w: dict) -> set:
  """The neurons written inside their one reader: both boolean or both arithmetic (a recurrent neuron inside its
  state's update). An expression of more than MAX_VARS variables keeps its widest folded gate as a variable (a gate
  of more than MAX_VARS clear nodes of its own stays that wide)."""
  readers, boolean, kind = {}, w["boolean"], w["kind"]
  for c in w["computed"]:
    for s in reads(w, c):
      readers.setdefault(s, []).append(c)
  folded = {i for i in w["computed"] if kind[i] == "neuron" and len(readers.get(i, [])) == 1
            and boolean[i] == boolean[readers[i][0]]}
  for i in w["ranked"]:
    while boolean[i] and kind[i] in ("neuron", "output") and len(bases(w, folded, i)) > MAX_VARS:
      inside = [s for s in w["frontier"][i] if s in folded]
      if not inside:  # a gate of more than MAX_VARS clear nodes of its own: nothing left to take out
        break
      folded.discard(max(inside, key=lambda s: len(bases(w, folded, s))))
  return folded


def bases(w: dict, folded: set, i: str) -> list:
  """The variables of gate i's expression: the clear nodes it is a gate of, a folded one replaced by its own."""
  out = []
  for s in w["frontier"][i]:
    out += [b for b in (bases(w, folded, s) if s in folded else [s]) if b not in out]
  return out


def text_of(w: dict, exp: dict, i: str) -> tuple[str, set]:
  """(the expression of node i, the nodes it reads): boolean or arithmetic, folded neurons written inside."""
  if w["boolean"][i]:
    b = bases(w, w["folded"], i)
    t = shortest(*truth_table(exp, b, i))  # a gate of gates is a gate of their inputs
    return to_python(t, lambda v: (b[v], 9) if w["boolean"][b[v]] else (f"{b[v]} > 0", 5)), {b[v] for v in variables(t)}
  terms, refs = [], set()
  for s, wt in w["srcs"][i]:
    two = None if s in w["folded"] or not w["boolean"][s] else two_values(exp["values"][s])
    if two is None:  # arithmetic: a variable, or a folded neuron's expression
      text, more = text_of(w, exp, s) if s in w["folded"] else (s, {s})
      terms.append(weighted(wt, text))
      refs |= more
    elif None in two:  # a boolean that took one value only: a constant
      terms.append(weighted(wt, repr(two[0] if two[1] is None else two[1])))
    else:  # a boolean read as a number: its two values
      terms.append(("+", f"({wt!r} if {s} else {-wt!r})") if two == (1.0, -1.0) else
                   weighted(wt, f"({two[0]!r} if {s} else {two[1]!r})"))
      refs.add(s)
  text = "".join(("-" if s == "-" else "") + t if k == 0 else f" {s} {t}" for k, (s, t) in enumerate(terms))
  bias = w["node"][i]["bias"]
  if bias or not terms:
    text = f"{text} {'-' if bias < 0 else '+'} {abs(bias)!r}" if terms else repr(bias)
  return (f"act({text})" if w["kind"][i] == "neuron" else text), refs


def body(w: dict, exp: dict) -> str:
  """The body of run(xs): the initial states, then per step the inputs, one line per unfolded neuron and output, the
  outputs' signs, the states' updates; only what the outputs need."""
  node, kind, boolean, ranked = w["node"], w["kind"], w["boolean"], w["ranked"]
  lines = {i: text_of(w, exp, i) for i in ranked
           if i in w["computed"] and kind[i] in ("neuron", "output") and i not in w["folded"]}
  updates = {s: (text_of(w, exp, r) if r in w["folded"] else (r, {r})) for s, r in w["rec"].items()
             if s in w["computed"]}
  need = reachable(w["outputs"], lambda i: lines[i][1] if i in lines else updates[i][1] if i in updates else ())
  states = [i for i in ranked if kind[i] == "state" and i in need]
  inputs = sorted((i for i in need if kind[i] == "input"), key=lambda i: node[i]["index"])
  code = [f"  {s} = {node[s]['init'] > 0}  # initial value {node[s]['init']!r}" if boolean[s] else
          f"  {s} = {node[s]['init']!r}" for s in states]
  code += ["  ys = []", f"  for {'inputs' if inputs else '_'} in xs:"]
  code += [f"    {i} = inputs[{node[i]['index']}] > 0" for i in inputs]
  code += [f"    {i} = {lines[i][0]}" for i in ranked if i in lines and i in need]
  pm = ", ".join(f"1 if {o}{'' if boolean[o] else ' > 0'} else -1" for o in w["outputs"])
  code.append(f"    ys.append(({pm},))")
  moving = [s for s in states if s in updates]
  if moving:
    code.append(f"    {', '.join(moving)} = {', '.join(updates[s][0] for s in moving)}")
  code.append("  return ys")
  return "\n".join(ln if len(ln) <= 120 else ln + "  # noqa: E501" for ln in code)


def header(exp: dict, filename: str, source: str, names: tuple[list, list] | None = None,
           renamed: bool = False) -> str:
  """The program's docstring (what it computes, how to run it, what it was checked on), imports and N_IN."""
  n_in = exp["n_in"]
  example = "1 -1 -1" if n_in == 1 else " ".join(",".join("1" if (i + t) % 2 else "-1" for i in range(n_in))
                                                  for t in range(2))
  where = f"  {source}\n" if source else ""  # on a line of its own: a long path is then no lint error
  everywhere = ",\nso run(xs) gives the graph's outputs on every input sequence" if exp["complete"] else ""
  pairs = [f"{nid} = {n}" for nid, n in named_ids(names).items()]
  named = "\n" + textwrap.fill(f"The task's names{' (the variables below)' if renamed else ''}: {', '.join(pairs)}.",
                               110) if pairs else ""
  doc = f"""{exp["task"]}: what the graph {"below " if source else ""}computes, as a program read out of it by \
render.py.
{where}
run(xs): xs is a list of timesteps, each a tuple of {n_in} input{"s" if n_in > 1 else ""} (1 or -1); it returns the \
outputs of every step.
As a script: `python {filename} {example}` (an argument per step) prints one output per line.
{"Other names" if renamed else "Names"} are the graph's node ids; True stands for +1, False for -1.{named}
Each line agrees with the graph on
{exp["how"]}{everywhere}.
"""
  return f'''"""{docstring_text(doc)}"""
import sys

N_IN = {n_in}
'''


def docstring_text(text: str) -> str:
  """text as the inside of a triple-quoted literal: the task and file names in it are a stranger's, so backslashes
  and quotes are escaped (no \"\"\" ends the docstring, no \\N breaks it) and unprintable characters (a file name's
  undecodable bytes) written as escapes."""
  def one(c):
    if c in '\\"':
      return "\\" + c
    return c if c == "\n" or c.isprintable() else repr(c)[1:-1]
  return "".join(map(one, text))

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


# The activation one value at a time, as a generated program has it (activation_source copies this function there):
# the tables of activation.cl, linear pieces L and quartic pieces S mixed as factor * L + (1 - factor) * S.
# test_all.py checks it against graph.activation.
def act(x, factor=0.5, leak=0.1):
  """The neurons' activation (graph.py)."""
  if x < -3:
    linear = -1 + leak * (x + 3)
  elif x <= -1:
    linear = x + 2
  elif x <= 1:
    linear = -x
  elif x <= 3:
    linear = x - 2
  else:
    linear = 1 + leak * (x - 3)
  if x <= -3:
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
  return factor * linear + (1 - factor) * smooth


def activation_source(factor: float, leak: float) -> str:
  """The source of act with the graph's factor and leak as its defaults, for a generated program."""
  return f"def act(x, factor={factor!r}, leak={leak!r}):\n" + act_body()


@functools.cache
def act_body() -> str:
  """act's source after its def line: the lines of this file that its code spans (inspect.getsource, which
  tokenizes, took half of a tiny graph's readout)."""
  code = act.__code__
  last = max(line for *_, line in code.co_lines() if line is not None)
  return "".join(linecache.getlines(code.co_filename)[code.co_firstlineno:last])


def two_values(v: np.ndarray):
  """(value when positive, value when not) when the node only ever took those two (None for a side never taken);
  False when it took more."""
  low, high = float(v.min()), float(v.max())
  if high > 0 and low <= 0:
    return (high, low) if np.all((v == low) | (v == high)) else False
  return False if low != high else (high, None) if high > 0 else (None, high)


def weighted(w: float, text: str) -> tuple[str, str]:
  """(sign, term) of w * text; a weight of ±1 is left out (x * 1.0 is exactly x)."""
  return ("-" if w < 0 else "+"), text if abs(w) == 1 else f"{abs(w)!r} * {text}"
