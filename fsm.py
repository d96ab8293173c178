"""The graph as a state machine: every (state, input) pair it reaches, and the minimized machine they make.
readout.py reads the gates and the program out of what explore() finds; render.py draws the machine (--fsm).

In:  a graph dict (graph.load_graph) and its task (a tasks.Task, or None when it is not available: then the inputs
     are free ±1); the task says which input sequences the graph is run on.
Out: plain values:
  exp = explore(graph, task)   every (state, input) pair the graph reaches from its initial state and the value of
                               every node there; n_in, the task's name, how it was found (in words)
  fsm = machine(graph, exp)    the minimized Mealy machine, or the analog states that rule a finite one out
  machine_dot(fsm, title)      ... drawn as a graphviz.Digraph

How: the graph runs from its initial state on every input sequence, breadth first, until no new state vector
appears (a task with its own input sampler, such as parens, is run on many sampled sequences instead). The
machine has as its states the signs of the state vectors when the signs decide every move, else their exact
values; when neither does (and new values keep coming), machine(..., boxes=True) tries boxes of state vectors
closed under the graph's step (boxes.py, what render.py --fsm asks for); failing that, there is no machine to give
and the analog states are reported instead.
"""
import itertools

import graphviz
import numpy as np

from boxes import EPS, GAPS, box_machine, machine_states, task_boxes
from formula import patterns
from graph import all_symbols, compile_steps, evaluate, input_count, live_nodes, remove_dead
from tasks import TaskError, checked_sample

MARGIN = 0.1           # |value| >= MARGIN: a clear true (+) or false (-)
MAX_STATES = 4096      # distinct state vectors the search visits before it calls the graph analog
SAMPLES = (4096, 64)   # sequences x steps, for tasks with their own input sampler
FRONTIER = 8192        # (state, input) pairs the breadth-first search runs in one graph.evaluate, at most
AHEAD = 64             # ... and the input sequences it runs ahead from a small frontier (a chain of new vectors)


# ---- running the graph over every reachable (state, input) pair ----

def explore(graph: dict, task, max_states: int = MAX_STATES, seed: int = 0) -> dict:
  """values[node] (n,) for every live node at each visited (state, input) pair; state, symbol, next (n,) indices
  into states and symbols (next -1: not seen to take a step); complete: every reachable pair was visited; how: in
  words; n_in; task: its name. task: a tasks.Task, or None for free ±1 inputs (graph.input_count of them)."""
  n_in, live = input_count(graph, task), live_nodes(graph)
  state_ids = [n["id"] for n in graph["nodes"] if n["kind"] == "state" and n["id"] in live]
  init = np.array([n["init"] for n in graph["nodes"] if n["id"] in state_ids], np.float64) + 0.0
  free = (task is None or task.inputs is None) and n_in <= 8  # every input sequence is possible: search them all
  exp = breadth_first(graph, n_in, state_ids, init, max_states) if free else None
  if exp is None:
    exp = sampled(graph, task, n_in, state_ids, init, np.random.default_rng(seed), max_states if free else 0)
  return {**exp, "values": {k: v for k, v in exp["values"].items() if k in live}, "state_ids": state_ids,
          "n_in": n_in, "task": graph["graph"]["task"] if task is None else task.name,
          "task_states": None if task is None else task.states,
          "output_ids": [n["id"] for n in sorted(graph["nodes"], key=lambda n: n.get("index", 0))
                         if n["kind"] == "output"]}


def state_vectors(values: dict, ids: list, steps) -> np.ndarray:
  """The values of the nodes `ids` (the states, or the neurons they take their next value from) at the given steps
  as rows (batch x steps, ids); + 0.0 makes -0.0 the same as 0.0."""
  columns = [values[s][:, steps].reshape(-1) + 0.0 for s in ids]
  return np.stack(columns, 1) if columns else np.zeros((values[next(iter(values))][:, steps].size, 0))


def breadth_first(graph, n_in, state_ids, init, max_states) -> dict | None:
  """Every input at every reachable state vector, breadth first; None when new vectors keep coming (an analog
  state). One graph.evaluate runs the vectors not yet run on every input sequence of a few steps (AHEAD sequences
  in all, or one step), and the search takes its steps from that run, in the order one step at a time would."""
  symbols = all_symbols(n_in)
  # the state vector after a step is its recurrent neurons' values in that step (a state without one keeps its own)
  rec = {e["target"]: e["source"] for e in graph["edges"] if e.get("feedback")}
  index, vectors, values, pairs, done = {init.tobytes(): 0}, [init], [], [], 0
  compiled = compile_steps(graph)
  while done < len(vectors):
    roots = vectors[done:done + max(1, FRONTIER // len(symbols))]
    depth = 1  # steps ahead: one more each run (a machine of a few states is done in a few short runs), within AHEAD
    while depth <= len(values) and len(roots) * len(symbols) ** (depth + 1) <= AHEAD:
      depth += 1
    paths = np.array(list(itertools.product(range(len(symbols)), repeat=depth)))  # lexicographic: row p is path p
    start = {s: np.repeat([r[j] for r in roots], len(paths)) for j, s in enumerate(state_ids)}
    _, vals = evaluate(graph, np.tile(symbols[paths], (len(roots), 1, 1)), record=True, start=start, steps=compiled)
    after = state_vectors(vals, [rec.get(s, s) for s in state_ids], slice(None)).reshape(
      len(roots) * len(paths), depth, len(init))  # explicit sizes: a graph may have no state at all
    at, rows, steps = {done + j: (j * len(paths), 0) for j in range(len(roots))}, [], []  # vector -> its first path
    while at.get(done, (0, depth))[1] < depth:  # the next vector's moves were run: take them
      row, t = at.pop(done)
      for a in range(len(symbols)):
        r = row + a * len(symbols) ** (depth - t - 1)  # the first path that goes on with symbol a
        rows.append(r)
        steps.append(t)
        pairs.append(index.setdefault(after[r, t].tobytes(), len(vectors)))
        if pairs[-1] == len(vectors):
          vectors.append(after[r, t])
          at[pairs[-1]] = (r, t + 1)
      done += 1
    values.append({k: v[rows, steps] for k, v in vals.items()})
    if len(vectors) > max_states:
      return None
  n = len(vectors) * len(symbols)
  return {"values": {k: np.concatenate([v[k] for v in values]) for k in values[0]},
          "states": np.array(vectors).reshape(len(vectors), len(init)), "symbols": symbols,
          "state": np.repeat(np.arange(len(vectors)), len(symbols)), "symbol": np.tile(np.arange(len(symbols)),
                                                                                         len(vectors)),
          "next": np.array(pairs), "initial": 0, "complete": True, "how": f"all {n} reachable (state, input) pairs"}


def sampled(graph, task, n_in, state_ids, init, rng, gave_up: int) -> dict:
  """The (state, input) pairs seen on many sampled sequences: the task's own sampler, else uniform ±1 (gave_up: the
  number of state vectors after which breadth_first stopped, 0 if it did not run)."""
  batch, length = SAMPLES
  if task is not None:
    x = checked_sample(task, rng, batch, length)[0].astype(np.float64)
  else:
    x = rng.choice([-1.0, 1.0], size=(batch, length, n_in))
  x = np.concatenate([x, x[:, -1:]], axis=1)  # one step more shows the state after the last real step
  _, vals = evaluate(graph, x, record=True)
  # every state vector at every step as one integer that sorts like the vector, the same for equal vectors
  vectors = state_vectors(vals, state_ids, slice(None))
  code = unique_rows(vectors)[1].reshape(batch, length + 1)
  which, symbol = unique_rows(x[:, :length].reshape(-1, n_in))
  now = code[:, :length].reshape(-1)
  first = ranks(now * len(which) + symbol, (code.max() + 1) * len(which))[0]  # one row per distinct pair, in order
  new = np.r_[True, now[first[1:]] != now[first[:-1]]]  # the first pair of each state vector
  index = np.full(code.max() + 1, -1)  # state vector code -> its number among those seen (-1: none)
  index[now[first[new]]] = np.arange(new.sum())
  flat = first // length * (length + 1) + first % length  # the pairs' (sequence, step) in the recorded values
  why = f"more than {gave_up} reachable state vectors; " if gave_up else ""
  return {"values": {k: v.reshape(-1)[flat] for k, v in vals.items()}, "states": vectors[flat[new]],
          "state": np.cumsum(new) - 1, "symbol": symbol[first], "symbols": x[:, :length].reshape(-1, n_in)[which],
          "next": index[code[:, 1:].reshape(-1)[first]], "initial": int(index[code[0, 0]]),  # all start from init
          "complete": False, "gave_up": gave_up,
          "how": f"{why}{len(first)} (state, input) pairs seen in {batch} sampled sequences of {length} steps"}


def unique_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(first, inverse) of np.unique(a, axis=0, return_index=True, return_inverse=True), many times faster: each
  column becomes the ranks of its values (a column of two values needs no sort), and the ranks of a row one integer
  that sorts like the row (re-ranked before it could overflow)."""
  code, bound = np.zeros(len(a), np.int64), 1
  for col in a.T:
    low, high = col.min(), col.max()
    if np.all((col == low) | (col == high)):
      column, size = (col != low).astype(np.int64), 2
    else:
      values, column = np.unique(col, return_inverse=True)
      size = len(values)
    if bound * size >= 2 ** 62:
      first, code = ranks(code, bound)
      bound = len(first)
    code, bound = code * size + column.ravel(), bound * size
  return ranks(code, bound)


def ranks(code: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
  """(first, inverse) of np.unique(code, return_index=True, return_inverse=True) for integers in [0, bound): by
  counting when bound is not much more than len(code), else by sorting."""
  if bound > 16 * len(code) + 65536:  # sort (np.unique's stable sort for return_index is 3x slower)
    order = np.argsort(code)
    new = np.r_[True, code[order][1:] != code[order][:-1]]
    inverse = np.empty(len(code), np.int64)
    inverse[order] = np.cumsum(new) - 1
    return np.minimum.reduceat(order, np.flatnonzero(new)), inverse
  first = np.full(bound, len(code))
  np.minimum.at(first, code, np.arange(len(code)))
  seen = first < len(code)
  return first[seen], (np.cumsum(seen) - 1)[code]


def is_clear(v: np.ndarray) -> bool:
  """Every value is a clear boolean: |v| >= MARGIN."""
  return bool(np.all(np.abs(v) >= MARGIN))


# ---- the state machine ----

def machine(graph: dict, exp: dict, boxes: bool = False, task=None) -> dict:
  """The Mealy machine of the graph, minimized: states (its size, None when there is no finite machine to give),
  blocks (the state vectors each state stands for), edges (state, symbol, outputs, next state), analog (state id
  -> number of distinct values, for states that do not binarize), note (how it was found, in words). Kept in exp
  (exp["machine"]): report() and render.py ask for it again. boxes: when the states' signs and values make no
  machine, try boxes of state vectors (boxes.py; a second or so), then, when task gives its own machine, the
  abstraction that proves the graph follows it (proof_fsm; seconds)."""
  if "machine" in exp and (exp["machine"]["states"] is not None or not boxes or "boxes_tried" in exp):
    return exp["machine"]
  ids, vectors = exp["state_ids"], exp["states"]
  clear = np.array([is_clear(vectors[:, j]) for j in range(len(ids))], bool)
  counts = [np.count_nonzero(np.diff(np.sort(vectors[:, j]))) + 1 for j in range(len(ids))]  # distinct values
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
    detail = exp["how"]
    if boxes:
      exp["boxes_tried"], (found, detail) = True, box_fsm(graph, exp)
      if not found and task is not None and task.machine is not None:
        found, why = proof_fsm(graph, exp, task)
        detail = f"{detail}; beside task {task.name}'s machine, {why}"
      if found:
        exp["machine"] = found
        return exp["machine"]
      detail = f"{exp['how']}; {detail}"
    exp["machine"] = {**fsm, "states": None, "summary": summary, "detail": detail, "note": f"{summary} ({detail})"}
    return exp["machine"]
  clear = np.ones_like(clear) if how == "signs" else clear & (keys == np.sign(vectors)).all(axis=0)
  if how == "signs":
    analog = fsm["analog"] = {}
  n, (block, moves, order) = abstract.max() + 1, minimize(trans, abstract, exp)
  first = np.unique(abstract, return_index=True)[1]  # one exact vector per abstract state, for the label
  rank = {b: r for r, b in enumerate(order)}
  members = [[] for _ in order]
  for q in range(n):
    members[rank[block[q]]].append(np.where(clear, np.sign(vectors[first[q]]), vectors[first[q]]))
  edges = sorted((rank[q], a, o, rank.get(nx, -1)) for (q, a), (o, nx) in moves.items())
  summary = f"state machine: {len(members)} state{'' if len(members) == 1 else 's'}"
  detail = (f"minimized from {n} {'' if exp['complete'] else 'seen '}patterns of the states' {how}; {exp['how']}"
            + "".join(f"; {s} is analog: {c} distinct values" for s, c in analog.items()))
  exp["machine"] = {**fsm, "clear": clear, "states": len(members), "blocks": [np.array(m) for m in members],
                    "edges": edges, "summary": summary, "detail": detail, "note": f"{summary} ({detail})"}
  return exp["machine"]


def box_fsm(graph: dict, exp: dict) -> tuple[dict | None, str]:
  """The machine on boxes of state vectors (boxes.py), minimized, in machine()'s form; or None and why not. The
  boxes group the vectors by their outputs over the next k - 1 steps, k the task's states (4 when not known)."""
  for gap in GAPS:  # the first grouping whose boxes close
    found, how = box_machine(graph, exp, max(1, (exp.get("task_states") or 4) - 1), gap)
    if found is not None:
      break
  else:
    return None, how
  return boxed(found["trans"], found["low"], found["high"], found["initial"], exp["symbols"], exp,
               f"minimized from {how}; {exp['how']}"), how


def boxed(trans: dict, low: np.ndarray, high: np.ndarray, initial: int, symbols: np.ndarray, exp: dict,
          detail: str) -> dict:
  """machine()'s form of a machine on boxes of state vectors: trans {(box, symbol): (outputs, next box)}, minimized
  from box `initial`, each of its states drawn with the hull of the boxes it stands for (low, high: (boxes,
  states))."""
  block, moves, order = minimize(trans, np.arange(len(low)), {"symbols": symbols, "initial": initial})
  rank = {b: r for r, b in enumerate(order)}
  hull_low, hull_high = np.full((len(order), low.shape[1]), np.inf), np.full((len(order), low.shape[1]), -np.inf)
  for q in range(len(low)):
    if block[q] in rank:
      hull_low[rank[block[q]]] = np.minimum(hull_low[rank[block[q]]], low[q])
      hull_high[rank[block[q]]] = np.maximum(hull_high[rank[block[q]]], high[q])
  summary = f"state machine: {len(order)} state{'' if len(order) == 1 else 's'}"
  return {"state_ids": exp["state_ids"], "symbols": symbols, "complete": exp["complete"], "analog": {},
          "clear": np.zeros(len(exp["state_ids"]), bool), "states": len(order), "initial": 0, "boxes": True,
          "edges": sorted((rank[q], a, o, rank[nx]) for (q, a), (o, nx) in moves.items() if q in rank),
          "blocks": [np.array([lo, hi]) for lo, hi in zip(hull_low, hull_high, strict=True)],
          "summary": summary, "detail": detail, "note": f"{summary} ({detail})"}


def proof_fsm(graph: dict, exp: dict, task) -> tuple[dict | None, str]:
  """The task's own machine, minimized, when boxes.task_boxes proves that the graph follows it (boxes or cells of
  state vectors, each with the machine's state, closed under the graph's step, every output the machine's): then
  it is the graph's machine too, read out of that abstraction, each state standing for the hull of its boxes or
  cells. In machine()'s form; or None and why not."""
  from prove import machine_table  # here: prove.py reads machines out of this file
  try:
    table = machine_table(task)
    found, how = task_boxes(remove_dead(graph), task, table) if table is not None else (None, "too many states")
  except TaskError as e:  # a machine that does not allow what its sampler draws: no machine from it
    return None, str(e)
  if found is None:
    return None, how
  n = 1 + max(machine_states(table))
  low, high = np.full((n, len(exp["state_ids"])), np.inf), np.full((n, len(exp["state_ids"])), -np.inf)
  if "cells" in found:  # with the slack cell_boxes gives each cell's edges
    cells = np.array(sorted(found["cells"]), np.float64)
    edges, slack = cells[:, :-1] * found["side"], EPS * (1 + np.abs(cells[:, :-1]) * found["side"])
    np.minimum.at(low, cells[:, -1].astype(np.int64), edges - slack)
    np.maximum.at(high, cells[:, -1].astype(np.int64), edges + found["side"] + slack)
  else:
    low, high = found["low"], found["high"]
  trans = {(q, a): (tuple(bool(v > 0) for v in outs), q2) for (q, a), (q2, outs) in table.items()}
  symbols = all_symbols(task.n_in)  # the table's inputs are numbered so, whatever the sampled runs drew
  return boxed(trans, low, high, 0, symbols, exp,
               f"task {task.name}'s machine, minimized: the graph follows it, by {how}"), how


def minimize(trans: dict, abstract: np.ndarray, exp: dict) -> tuple[list, dict, list]:
  """Moore's partition refinement of the abstract states: (block of each, the blocks' moves (block, symbol) ->
  (outputs, next block), the blocks in the order a breadth-first walk from the initial state meets them)."""
  n, symbols, initial = abstract.max() + 1, range(len(exp["symbols"])), abstract[exp["initial"]]
  block = relabel([tuple(trans.get((q, a), (None,))[0] for a in symbols) for q in range(n)], initial)
  while True:  # split states whose moves lead to different blocks
    sig = [(block[q],) + tuple((trans[(q, a)][0], block[trans[(q, a)][1]] if trans[(q, a)][1] >= 0 else -1)
                               if (q, a) in trans else None for a in symbols) for q in range(n)]
    new = relabel(sig, initial)
    if max(new) == max(block):
      break
    block = new
  moves = {(block[q], a): (o, block[nx] if nx >= 0 else -1) for (q, a), (o, nx) in trans.items()}
  order = [0]
  for q in order:
    for a in symbols:
      nx = moves.get((q, a), (None, -1))[1]
      if nx >= 0 and nx not in order:
        order.append(nx)
  return block, moves, order


def abstraction(keys: np.ndarray, exp: dict, outs: np.ndarray) -> tuple[np.ndarray, dict | None]:
  """The state vectors grouped by their keys (rows), and the moves of the groups: (group, symbol) -> (outputs, next
  group), or None when two vectors of one group move differently, or when, on a sampled search, a group's move was
  never seen to its end (next -1) by any of its vectors: then the keys do not make a machine."""
  abstract = unique_rows(keys)[1]
  seen = exp["next"] >= 0
  # one integer per move for its (group, symbol), its outputs (as bits) and its next group (-1: not seen)
  move = abstract[exp["state"]] * len(exp["symbols"]) + exp["symbol"]
  out = outs.astype(np.int64) @ (1 << np.arange(outs.shape[1], dtype=np.int64))
  nxt = np.where(seen, abstract[exp["next"]], -1)
  order = np.argsort(move, kind="stable")
  move, out, nxt, seen = move[order], out[order], nxt[order], seen[order]
  starts = np.flatnonzero(np.r_[True, move[1:] != move[:-1]])
  high = np.maximum.reduceat(nxt, starts)  # the next group when one was seen, else -1
  low = np.minimum.reduceat(np.where(seen, nxt, high.max() + 1), starts)
  mixed = np.minimum.reduceat(out, starts) != np.maximum.reduceat(out, starts)  # the outputs differ in a group
  if np.any(mixed | ((high >= 0) & (low != high))):  # ... or its vectors go to different groups
    return abstract, None
  if not (exp["complete"] or np.all(high >= 0)):
    return abstract, None  # keys whose moves lead out of what was seen: no closed machine (new values keep coming)
  bits = [tuple(bool(o >> j & 1) for j in range(outs.shape[1])) for o in out[starts].tolist()]
  groups, symbols = np.divmod(move[starts], len(exp["symbols"]))
  return abstract, dict(zip(zip(groups.tolist(), symbols.tolist(), strict=True),
                            zip(bits, high.tolist(), strict=True), strict=True))


def relabel(signatures: list, initial: int) -> list:
  """Signatures to block numbers 0, 1, ... in order of first appearance, the initial state's block first."""
  names = {signatures[initial]: 0}
  return [names.setdefault(s, len(names)) for s in signatures]


def state_label(rows: np.ndarray, clear: np.ndarray, ids: list, boxed: bool = False) -> list[str]:
  """The state vectors one machine state stands for: '+-' (signs of boolean states) or values; for many, the range
  of each state's value; boxed: rows are a box's low and high corners."""
  def one(key):
    parts = [("+" if v > 0 else "-" if v < 0 else "0") if c else f"{v:.3g}" for v, c in zip(key, clear, strict=True)]
    return "".join(parts) if clear.all() else " ".join(parts)
  if boxed:
    return [f"{i} {lo:.3g}..{hi:.3g}" for i, lo, hi in zip(ids, *rows, strict=True)]
  if len(rows) <= 4:
    return [one(r) for r in rows]
  spans = ["±" if c and col.min() < 0 < col.max() else "+" if c and col.min() > 0 else "-" if c else
           f"{col.min():.3g}..{col.max():.3g}" for c, col in zip(clear, rows.T, strict=True)]
  if clear.all():
    return ["".join(spans), f"({len(rows)} patterns)"]
  return [f"{i} {span}" for i, span in zip(ids, spans, strict=True)] + [f"({len(rows)} vectors)"]


def dot_text(text: str) -> str:
  """A label dot shows as written (render.dot_text's twin: render.py draws without importing this file): no
  backslash escapes (\\N, \\G), no HTML label, no entity decoded (the title holds a stranger's task name)."""
  return graphviz.escape(text.replace("&", "&amp;"))


def machine_dot(fsm: dict, title: str = "") -> graphviz.Digraph:
  """The machine for Graphviz: a circle per state (labelled with the state vectors it stands for), an arrow per
  move labelled `inputs / outputs`."""
  text = [title, fsm["summary"], fsm["detail"]]
  if fsm["states"]:
    what = "signs" if fsm["clear"].all() else "ranges" if fsm.get("boxes") else "values"
    text.append(f"a state: the {what} of {' '.join(fsm['state_ids']) or '(none)'}; "
                "an arrow: inputs / outputs (+ true, - false, * either)")
  dot = graphviz.Digraph("fsm", graph_attr={"rankdir": "LR", "labelloc": "t", "fontname": "Helvetica",
                                            "label": dot_text("\n".join(t for t in text if t))},
                         node_attr={"shape": "circle", "fontname": "Helvetica"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "11"})
  if fsm["states"] is None:
    dot.node("none", "\n".join(f"{s}: analog, {c} distinct values" for s, c in fsm["analog"].items())
             or "no finite machine", shape="box")
    return dot
  dot.node("start", "", shape="point")
  for q, rows in enumerate(fsm["blocks"]):
    text = [f"q{q}"] + state_label(rows, fsm["clear"], fsm["state_ids"], fsm.get("boxes", False))
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
