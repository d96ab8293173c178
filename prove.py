"""Prove a graph right on every input sequence of every length, or find an input it gets wrong.

In:  a graph (graph.py's dict) and its task (tasks.Task; task.states = k, the states of the task's smallest machine).
Out: prove(graph, task) -> {"every_length": True when proven, "how": in words, "machine": the states of the graph's
     machine (None: no finite machine found), "task_states": k, "sequences" and "length": the test suite run (its
     size and longest sequence), "failure": the first wrong input in words (None: none found), "sets": the suite
     as test sets (to test other graphs with)}.
And what it is built on, which readout.py and render.py use too:
  exp = explore(graph, task)   every (state, input) pair the graph reaches from its initial state and the value of
                               every node there (task None: free ±1 inputs); n_in, the task's name, how (in words)
  fsm = machine(graph, exp)    the minimized Mealy machine, or the analog states that rule a finite one out

How, in three steps:
1. A finite machine that the graph follows on every input: explore() runs it on every input at every state
   vector it reaches; when no new vector comes, that search is complete and every run of the graph is a walk in
   it (machine() minimizes it to n states). When new values keep coming (an analog state), boxes.py looks for
   boxes of state vectors that the graph's step maps into each other (interval arithmetic): a machine too.
2. A test suite that is complete for machines of at most m = max(n, k) states (Chow's W-method): every transition
   of the graph's machine (a shortest way to each state, then each input), then every m - n more inputs, then the
   sequences that tell its states apart. A task of at most m states that agrees with the machine on all of them
   is that machine (Vasilevskii 1973, Chow 1978), so the graph and the task agree on every sequence of every
   length. The suite is small: about n inputs times n sequences, against symbols^(n + k) for every sequence of
   n + k steps, which proves the same.
3. The suite runs on the graph itself (graph.evaluate) against task.target, as every other check does.

As a script: `python prove.py g.json` says whether the graph is proven (exit 0), wrong (exit 1, with the input), or
neither (exit 0, with why); `-o g.json` also writes the graph with the proof in graph.verified, as prune.py does.

A graph wrong anywhere is wrong on the suite (when the machine was found), so a failure there is a proof that the
graph is wrong: prune.py refuses it with that input. When the graph is no finite machine, it runs beside the task's
machine instead: the one the task gives, else the one read off its target (target_table): exactly, then by boxes
or cells (boxes.py), and when those do not close, a beam search for a wrong output deeper than breadth first goes
(drift). Without k, the proof stays open and says why. The proof trusts task.states: a task with more states than
it declares may differ from the graph later.

Sections: the states a graph reaches (explore: breadth first from the initial state until no new state vector
appears; a task with its own input sampler, such as parens, is run on sampled sequences instead); the graph's
machine (its states are the signs of the state vectors when the signs decide every move, else their exact values;
failing both, boxes of state vectors closed under the graph's step, from boxes.py, this file's companion); the
task's machine; the proof; the command line.
"""
import itertools
import sys

import numpy as np

from boxes import GAPS, SEEN, Reason, box_machine, leaf_bounds, machine_states, task_boxes
from graph import (
  GraphError,
  all_symbols,
  check,
  check_fits,
  compile_steps,
  evaluate,
  input_count,
  inputs_text,
  live_nodes,
  load_graph,
  proof_record,
  remove_dead,
  save_graph,
  task_of,
)
from tasks import ArgumentParser, TaskError, checked_sample, checked_target, get_task, one_line

MARGIN = 0.1           # |value| >= MARGIN: a clear true (+) or false (-)
MAX_STATES = 4096      # distinct state vectors the search visits before it calls the graph analog
SAMPLES = (4096, 64)   # sequences x steps, for tasks with their own input sampler
FRONTIER = 8192        # (state, input) pairs the breadth-first search runs in one graph.evaluate, at most
AHEAD = 64             # ... and the input sequences it runs ahead from a small frontier (a chain of new vectors)
SUITE_STEPS = 1 << 22  # input steps (sequences x their lengths) the suite may take; a bigger one leaves it open
CHECKED = {}  # id -> task: the tasks whose machine check_task_machine has checked
PRODUCT_MAX = 100_000  # pairs of (state vector, task machine state) a search beside the task's machine may visit
PRODUCT_DEPTH = 10_000  # and steps deep (a state that drifts alone adds one pair a step: one evaluate each)
NERODE_MAX = 1 << 14  # continuations target_table may ask the target for, per prefix
BEAM = 64  # runs drift() keeps, the closest to a wrong output
DRIFT_STEPS = 2000  # and steps it runs them (the long test sets run 1000)
MACHINE_MAX = 1024  # states of the graph's machine: telling every pair apart takes n^2 memory, n times


# ---- the states a graph reaches: every (state, input) pair, and the value of every node there ----

def explore(graph: dict, task, max_states: int = MAX_STATES, seed: int = 0, outputs_only: bool = False) -> dict:
  """values[node] (n,) for every live node at each visited (state, input) pair (outputs_only: for the outputs only,
  all the proof reads: a big graph's values of every node may not fit in memory); state, symbol, next (n,) indices
  into states and symbols (next -1: not seen to take a step); complete: every reachable pair was visited; how: in
  words; n_in; task: its name. task: a tasks.Task, or None for free ±1 inputs (graph.input_count of them)."""
  n_in, live = input_count(graph, task), live_nodes(graph)
  state_ids = [n["id"] for n in graph["nodes"] if n["kind"] == "state" and n["id"] in live]
  init = np.array([n["init"] for n in graph["nodes"] if n["id"] in state_ids], np.float64) + 0.0
  record = live if not outputs_only else {n["id"] for n in graph["nodes"] if n["kind"] == "output"} | \
    set(state_ids) | {e["source"] for e in graph["edges"] if e.get("feedback")}  # what the search itself reads
  free = (task is None or task.inputs is None) and n_in <= 8  # every input sequence is possible: search them all
  exp = breadth_first(graph, n_in, state_ids, init, max_states, record) if free else None
  if exp is None:
    exp = sampled(graph, task, n_in, state_ids, init, np.random.default_rng(seed), max_states if free else 0, record)
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


def breadth_first(graph, n_in, state_ids, init, max_states, record) -> dict | None:
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
    _, vals = evaluate(graph, np.tile(symbols[paths], (len(roots), 1, 1)), record=record, start=start,
                       steps=compiled)
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


def sampled(graph, task, n_in, state_ids, init, rng, gave_up: int, record) -> dict:
  """The (state, input) pairs seen on many sampled sequences: the task's own sampler, else uniform ±1 (gave_up: the
  number of state vectors after which breadth_first stopped, 0 if it did not run); record: the nodes to trace."""
  batch, length = SAMPLES
  if task is not None:
    x = checked_sample(task, rng, batch, length)[0].astype(np.float64)
  else:
    x = rng.choice([-1.0, 1.0], size=(batch, length, n_in))
  x = np.concatenate([x, x[:, -1:]], axis=1)  # one step more shows the state after the last real step
  _, vals = evaluate(graph, x, record=record)
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


# ---- the graph's machine: on the signs, the exact values, or boxes of state vectors; minimized ----

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
          detail: str, meaning: list | None = None) -> dict:
  """machine()'s form of a machine on boxes of state vectors: trans {(box, symbol): (outputs, next box)}, minimized
  from box `initial`, each of its states drawn with the hull of the boxes it stands for (low, high: (boxes,
  states)). meaning: when the boxes are the task's machine's states, those states' own values (machine_walk's
  order); each machine state then lists, as "meaning", the task's states it stands for."""
  block, moves, order = minimize(trans, np.arange(len(low)), {"symbols": symbols, "initial": initial})
  rank = {b: r for r, b in enumerate(order)}
  hull_low, hull_high = np.full((len(order), low.shape[1]), np.inf), np.full((len(order), low.shape[1]), -np.inf)
  for q in range(len(low)):
    if block[q] in rank:
      hull_low[rank[block[q]]] = np.minimum(hull_low[rank[block[q]]], low[q])
      hull_high[rank[block[q]]] = np.maximum(hull_high[rank[block[q]]], high[q])
  summary = f"state machine: {len(order)} state{'' if len(order) == 1 else 's'}"
  stands = [[meaning[q] for q in range(len(low)) if block[q] == b] for b in order] if meaning else None
  return {"state_ids": exp["state_ids"], "symbols": symbols, "complete": exp["complete"], "analog": {},
          "clear": np.zeros(len(exp["state_ids"]), bool), "states": len(order), "initial": 0, "boxes": True,
          "meaning": stands,
          "edges": sorted((rank[q], a, o, rank[nx]) for (q, a), (o, nx) in moves.items() if q in rank),
          "blocks": [np.array([lo, hi]) for lo, hi in zip(hull_low, hull_high, strict=True)],
          "summary": summary, "detail": detail, "note": f"{summary} ({detail})"}


def proof_fsm(graph: dict, exp: dict, task) -> tuple[dict | None, str]:
  """The task's own machine, minimized, when boxes.task_boxes proves that the graph follows it (boxes or cells of
  state vectors, each with the machine's state, closed under the graph's step, every output the machine's): then
  it is the graph's machine too, read out of that abstraction, each state standing for the hull of its boxes or
  cells. In machine()'s form; or None and why not."""
  try:
    table, order = machine_walk(task) or (None, None)
    found, how = task_boxes(remove_dead(graph), task, table) if table is not None else (None, "too many states")
  except TaskError as e:  # a machine that does not allow what its sampler draws: no machine from it
    return None, str(e)
  if found is None:
    return None, how
  n = 1 + max(machine_states(table))
  low, high = np.full((n, len(exp["state_ids"])), np.inf), np.full((n, len(exp["state_ids"])), -np.inf)
  if "leaves" in found:  # with the slack cell_boxes gives each cell's edges
    edge_low, edge_high = leaf_bounds(found["leaves"][:, :-1], found["side"])
    np.minimum.at(low, found["leaves"][:, -1], edge_low)
    np.maximum.at(high, found["leaves"][:, -1], edge_high)
  else:
    low, high = found["low"], found["high"]
  trans = {(q, a): (tuple(bool(v > 0) for v in outs), q2) for (q, a), (q2, outs) in table.items()}
  symbols = all_symbols(task.n_in)  # the table's inputs are numbered so, whatever the sampled runs drew
  return boxed(trans, low, high, 0, symbols, exp,
               f"task {task.name}'s machine, minimized: the graph follows it, by {how}", order), how


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


# ---- the task's machine ----

def machine_table(task) -> dict | None:
  """The task's machine as a table {(state, input): (next state, outputs)}, its states numbered from 0 at the
  start in the order a breadth-first walk meets them, the inputs as indices into all_symbols; only the steps the
  machine allows. None when it has more than MACHINE_MAX states."""
  walked = machine_walk(task)
  return walked and walked[0]


def machine_walk(task) -> tuple[dict, list] | None:
  """machine_table's table, and the task's own states in the order of their numbers (what each stands for)."""
  start, step = task.machine
  symbols, number, table, order = all_symbols(task.n_in), {}, {}, [start]
  try:
    number[start] = 0
    for state in order:  # grows as new states come
      for a, inputs in enumerate(symbols):
        nxt = step(state, tuple(float(v) for v in inputs))
        if nxt is not None:
          if nxt[0] not in number:
            number[nxt[0]] = len(order)
            order.append(nxt[0])
          table[number[state], a] = (number[nxt[0]], as_outputs(nxt[1], task.n_out))
      if len(order) > MACHINE_MAX:
        return None
  except Exception as e:  # a user's step function, or a state that cannot be a dict key
    raise TaskError(f"task {task.name}: its machine failed: {one_line(e)} (states must be hashable)") from None
  return table, order


def target_table(task) -> dict | None:
  """The smallest machine of a task that declares its states (k) and gives no machine, read off its target
  (Myhill-Nerode): two input prefixes are one state when the target gives the same outputs after them on every
  continuation of k - 1 steps, which tells apart any two states of a machine of k states (Moore). In
  machine_table's form. None when the task draws its own inputs or that takes more than NERODE_MAX sequences a
  prefix; TaskError when more than k states come (the declaration is wrong). Like the W-method's suite, it trusts
  that the target has no more than k states."""
  k, symbols = task.states, all_symbols(task.n_in)
  if task.inputs is not None or k is None or len(symbols) ** (k - 1) > NERODE_MAX:
    return None
  ways = np.array(list(itertools.product(range(len(symbols)), repeat=k - 1)), np.int64).reshape(
    len(symbols) ** (k - 1), k - 1)
  ahead = symbols[ways]  # (continuations, k - 1, n_in)

  def after(prefix: tuple) -> tuple[bytes, np.ndarray]:  # the outputs on every continuation, and at prefix's end
    x = np.concatenate([np.broadcast_to(symbols[list(prefix)], (len(ahead), len(prefix), task.n_in)), ahead], 1)
    y = checked_target(task, x.astype(np.float32))
    return y[:, len(prefix):].tobytes(), y[0, len(prefix) - 1].astype(np.float64) if prefix else None
  number, order, table = {after(())[0]: 0}, [()], {}
  for q, prefix in enumerate(order):  # grows as new states come
    for a in range(len(symbols)):
      key, outputs = after(prefix + (a,))
      if key not in number:
        if len(order) == k:
          raise TaskError(f"task {task.name}: its target has more than the {k} states it declares (inputs "
                          f"{inputs_text(symbols[list(prefix + (a,))])} reach another)")
        number[key] = len(order)
        order.append(prefix + (a,))
      table[q, a] = (number[key], outputs)
  return table


def as_outputs(outputs, n_out: int) -> np.ndarray:
  """A machine step's outputs (one number, or one per output) as an array of n_out."""
  return np.broadcast_to(np.asarray(outputs, np.float64), n_out)


def check_task_machine(task, batch: int = SEEN[0], length: int = SEEN[1]) -> None:
  """TaskError unless task.machine allows every input the task's sampler draws and gives its target's outputs
  there (the proof trusts the machine on every length; this checks it where the target can be asked: on the
  very sequences boxes.task_boxes seeds its boxes with). Once per task object: prune proves after every edit."""
  if CHECKED.get(id(task)) is task:
    return
  x, y = checked_sample(task, np.random.default_rng(0), batch, length)
  start, step = task.machine
  for b in range(batch):
    state = start
    for t in range(length):
      try:
        nxt = step(state, tuple(float(v) for v in x[b, t]))
        ok = nxt is not None and np.array_equal(as_outputs(nxt[1], task.n_out), y[b, t])
      except Exception as e:  # a user's step function
        raise TaskError(f"task {task.name}: its machine raised {one_line(e)}") from None
      if not ok:
        why = "does not allow" if nxt is None else "gives other outputs than the target at"
        raise TaskError(f"task {task.name}: its machine {why} step {t} of inputs {inputs_text(x[b, :t + 1])}")
      state = nxt[0]
  CHECKED[id(task)] = task  # the task itself is kept: its id cannot go to another task


# ---- the proof: the graph's machine, then the W-method suite against the task ----

def prove(graph: dict, task, quick: bool = False) -> dict:
  """The proof, or why there is none (see the module docstring). quick: only what costs little when it fails, for
  prune's check after every edit: no machine read off the target, no cells cut finer than their grid, no search for
  a drift; a graph proven so is proven, one not proven so may still be."""
  graph = remove_dead(graph)  # the same outputs: fewer state vectors to visit
  k = task.states
  out = {"every_length": False, "machine": None, "task_states": k, "sequences": 0, "length": 0, "failure": None,
         "sets": []}
  if task.machine is not None:
    return beside_task_machine(graph, task, out, quick)
  if task.inputs is not None:
    return {**out, "how": f"not proven: task {task.name} draws its own inputs, and its {k} states are on those "
                          "(Task(..., machine=) would give the inputs it can draw)"}
  exp = explore(graph, task, outputs_only=True)
  fsm, found = graph_machine(graph, exp, k)
  if fsm is None and k is not None and not quick:  # no machine of the graph's own: beside its task's target's
    table = target_table(task)
    if table is not None:
      beside = beside_machine(graph, task, table, out, f"the machine of task {task.name}'s target",
                              most=MAX_STATES)  # (more vectors than that came already: no exact end to meet)
      return beside if beside["every_length"] or beside["failure"] else {**beside, "how": f"{beside['how']}; "
                                                                          f"on its own, {found}"}
  if fsm is None:
    return {**out, "how": f"not proven: {found}"}
  nxt, outs = tables(fsm)
  n = out["machine"] = len(nxt)
  if k is None:
    return {**out, "how": f"not proven: the graph is a machine of {n} states, but task {task.name} does not "
                          "declare the states of its smallest machine (Task(..., states=k))"}
  tell = characterizing(nxt, outs) if n <= MACHINE_MAX else []
  steps = suite_steps(nxt, max(n, k), tell)
  if n > MACHINE_MAX or steps > SUITE_STEPS:
    return {**out, "how": f"not proven: the graph is a machine of {n} states (at most {MACHINE_MAX} are tried), and "
                          f"the suite for {max(n, k)} states would take more than the {SUITE_STEPS} input steps it may"}
  suite = w_method(nxt, max(n, k), tell) + zero_outputs(exp)
  sets = suite_sets(suite, fsm["symbols"], task)
  report = check(graph, sets)
  out.update(sequences=len(suite), length=max(map(len, suite)), failure=report["first_failure"], sets=sets)
  if report["first_failure"]:
    return {**out, "how": f"wrong: the graph is a machine of {n} states, and it fails the suite for "
                          f"{max(n, k)} states: {report['first_failure']}"}
  return {**out, "every_length": True,
          "how": f"proven for every length: the graph is a machine of {n} states ({found}), and it passes the "
                 f"{len(suite)} sequences (up to {out['length']} steps) that tell any machine of at most "
                 f"{max(n, k)} states from it; the task has {k}"}


def beside_task_machine(graph: dict, task, out: dict, quick: bool = False) -> dict:
  """The proof beside the machine the task gives (task.machine), checked against its target first."""
  check_task_machine(task)
  table = machine_table(task)
  if table is None:
    return {**out, "how": f"not proven: task {task.name}'s machine has more than {MACHINE_MAX} states"}
  return beside_machine(graph, task, table, out, f"task {task.name}'s machine", quick)


def beside_machine(graph: dict, task, table: dict, out: dict, whose: str, quick: bool = False,
                   most: int = PRODUCT_MAX) -> dict:
  """The proof beside a machine of the task (table: as machine_table gives it, from task.machine or from
  target_table; an input the machine does not allow is one its sampler never gives): the graph and that machine
  run side by side on every input the machine allows, breadth first, from (the graph's initial state vector, the
  machine's start). When no new pair of (state vector, machine state) comes, every run the sampler can make is a
  walk among the pairs seen, and every output at every pair was compared: right for every length. An analog state
  gives new vectors forever: then boxes.task_boxes tries a box of state vectors for each of the machine's states,
  then cells of the state space (boxes.cell_boxes), then (unless quick) drift looks deeper for a wrong output. A
  first wrong output is a shortest failing input: it is run again against task.target with the evaluator (a
  machine that disagrees with its own target is the task's error). A machine that allows an input its sampler
  never draws is held to its target there too: allow only what the sampler can draw. whose: the machine's name;
  most: the pairs the exact search may visit."""
  run = {"graph": graph, "ids": [n["id"] for n in graph["nodes"] if n["kind"] == "state"],  # prove() removed the
         "rec": {e["target"]: e["source"] for e in graph["edges"] if e.get("feedback")},  # dead ones
         "symbols": all_symbols(task.n_in), "steps": compile_steps(graph), "table": table}
  init = np.array([n["init"] for n in graph["nodes"] if n["kind"] == "state"], np.float64) + 0.0
  seen, frontier, depth = {(init.tobytes(), 0)}, [(init, 0, ())], 0
  while frontier and len(seen) <= most and depth < PRODUCT_DEPTH:
    depth += 1
    came, a, after, goes, margin = beside_step(run, frontier)
    paths = [frontier[i][2] + (s,) for i, s in zip(came.tolist(), a.tolist(), strict=True)]
    if (wrong := np.flatnonzero(~np.all(margin > 0, axis=1))).size:
      return failed(graph, task, run["symbols"], paths[wrong[0]], out)
    frontier = []  # a machine that allows no input from here on leaves nothing more to compare
    for v, q, path in zip(after, goes.tolist(), paths, strict=True):
      if (v.tobytes(), q) not in seen:
        seen.add((v.tobytes(), q))
        frontier.append((v, q, path))
  n = len(machine_states(table))
  if not frontier:
    vectors = len({v for v, _ in seen})
    return {**out, "every_length": True, "machine": vectors, "length": depth,
            "how": f"proven for every length on the inputs task {task.name} gives: beside {whose} of {n} "
                   f"states on every input it allows, the graph's {vectors} state vectors make {len(seen)} pairs "
                   "with the machine's states, and no new pair comes; every output at every pair is right"}
  boxes, how = task_boxes(graph, task, table, refine=not quick)
  if boxes is None and how.reason is Reason.WRONG:
    return failed(graph, task, run["symbols"], how.path, out)
  if boxes is None and not quick and (path := drift(run, init)):
    return failed(graph, task, run["symbols"], path, out)
  if boxes is None:
    deeper = "" if quick else (f", and no run of the {BEAM} closest to a wrong output, {DRIFT_STEPS} steps long, "
                               "went wrong")
    return {**out, "how": f"not proven: beside {whose} of {n} states, new state vectors kept coming ({len(seen)} "
                          f"pairs, {depth} steps deep), {how}{deeper}"}
  return {**out, "every_length": True, "machine": n,
          "how": f"proven for every length on the inputs task {task.name} gives: {how}"}


def beside_step(run: dict, frontier: list) -> tuple:
  """One step of the graph beside the machine from (state vector, machine state, ...) entries of frontier on every
  input the machine allows: the entry each move came from, its input, the state vector and machine state after it,
  and its margins (moves, outputs): the machine's output times the graph's, > 0 where the graph is right."""
  table, ids, rec = run["table"], run["ids"], run["rec"]
  moves = [(i, a) for i, (_, q, *_) in enumerate(frontier) for a in range(len(run["symbols"])) if (q, a) in table]
  came, a = np.array(moves, np.int64).reshape(-1, 2).T
  if not moves:
    return came, a, np.zeros((0, len(ids))), came, np.zeros((0, 1))
  q = np.array([frontier[i][1] for i in came.tolist()])
  starts = {sid: np.array([frontier[i][0][j] for i in came.tolist()]) for j, sid in enumerate(ids)}
  y, vals = evaluate(run["graph"], run["symbols"][a][:, None, :], record=[rec.get(s, s) for s in ids], start=starts,
                     steps=run["steps"])
  goes, want = zip(*[table[int(s), int(b)] for s, b in zip(q, a, strict=True)], strict=True)
  after = state_vectors(vals, [rec.get(s, s) for s in ids], 0).reshape(len(moves), len(ids))
  return came, a, after, np.array(goes, np.int64), y[:, 0] * np.array(want)


def drift(run: dict, init: np.ndarray) -> tuple | None:
  """An input the graph gets wrong deeper than a breadth-first search goes: a beam of the BEAM runs whose outputs
  came closest to the wrong side, each extended on every input the machine allows, for DRIFT_STEPS steps. A graph
  whose state creeps a little every step goes wrong after tens or hundreds of steps on many inputs; this meets one.
  The inputs up to its first wrong output, or None."""
  frontier, back = [(init, 0, -1)], []  # (vector, machine state, its move in back); back: (move before, input)
  for _ in range(DRIFT_STEPS):
    came, a, after, goes, margin = beside_step(run, frontier)
    if not len(came):
      return None
    worst = margin.min(axis=1)
    keep, seen = [], set()
    for i in np.argsort(worst, kind="stable")[:4 * BEAM].tolist():  # the closest first, each (vector, state) once
      key = (after[i].tobytes(), int(goes[i]))
      if key not in seen and len(keep) < (1 if worst[i] <= 0 else BEAM):
        seen.add(key)
        back.append((frontier[came[i]][2], int(a[i])))
        keep.append((after[i], int(goes[i]), len(back) - 1))
    if worst.min() <= 0:
      path, at = [], keep[0][2]
      while at >= 0:
        at, s = back[at]
        path.append(s)
      return tuple(path[::-1])
    frontier = keep
  return None


def failed(graph: dict, task, symbols: np.ndarray, path: tuple, out: dict) -> dict:
  """The proof's record for a path where the graph and the task's machine differ, checked against task.target."""
  x = symbols[np.array(path)][None].astype(np.float32)
  sets = [{"name": f"proof ({len(path)} steps)", "x": x, "y": checked_target(task, x).astype(np.float64)}]
  report = check(graph, sets)
  if report["first_failure"] is None:
    raise TaskError(f"task {task.name}: its machine and its target differ on inputs {inputs_text(x[0])}")
  return {**out, "sequences": 1, "length": len(path), "failure": report["first_failure"], "sets": sets,
          "how": f"wrong: run beside the task's machine, the graph fails {report['first_failure']}"}


def graph_machine(graph: dict, exp: dict, k: int | None) -> tuple[dict | None, str]:
  """A minimized machine that every run of the graph follows, and how it was found; or None and why not. Only the
  exact search and the boxes are sound for every run: a machine read off sampled runs is not tried."""
  if exp["complete"]:  # every reachable state vector: the machine is exact
    return machine(graph, exp), exp["how"]
  if len(exp["symbols"]) < 2 ** exp["n_in"]:
    return None, (f"no finite machine, and only {len(exp['symbols'])} of the {2 ** exp['n_in']} input steps were "
                  f"seen ({exp['how']})")
  if k is None:
    return None, f"no finite machine ({exp['how']})"
  fsm, found = box_fsm(graph, exp)
  return fsm, found if fsm else f"no finite machine ({exp['how']}; {found})"


def zero_outputs(exp: dict) -> list[tuple]:
  """An input sequence (symbols) that ends where an output is exactly 0, which is wrong whatever the task wants,
  when the exact search saw one (the machine reads only signs, so its suite may pass such a state by)."""
  if not exp["complete"]:
    return []  # boxes: an output interval that holds 0 has no machine
  zero = np.any([exp["values"][o] == 0 for o in exp["output_ids"]], axis=0)
  if not zero.any():
    return []
  way = {exp["initial"]: ()}  # the first way to each state vector: the pairs come in breadth-first order
  for q, a, q2 in zip(exp["state"].tolist(), exp["symbol"].tolist(), exp["next"].tolist(), strict=True):
    if q in way and q2 >= 0:
      way.setdefault(q2, way[q] + (a,))
  pair = int(np.argmax(zero))
  return [way[int(exp["state"][pair])] + (int(exp["symbol"][pair]),)]


def tables(fsm: dict) -> tuple[np.ndarray, np.ndarray]:
  """A minimized machine (machine()'s) as arrays: next[state, symbol] and out[state, symbol] (the outputs' signs
  as the bits of one integer), from state 0."""
  n, s = fsm["states"], len(fsm["symbols"])
  nxt, out = np.zeros((n, s), np.int64), np.zeros((n, s), np.int64)
  for q, a, o, q2 in fsm["edges"]:
    nxt[q, a], out[q, a] = q2, sum(int(b) << j for j, b in enumerate(o))
  return nxt, out


def access(nxt: np.ndarray) -> list[tuple]:
  """A shortest input sequence from the initial state (0) to each state it reaches, breadth first."""
  way, order = {0: ()}, [0]
  for q in order:  # order grows while it is walked
    for a in range(nxt.shape[1]):
      if int(nxt[q, a]) not in way:
        way[int(nxt[q, a])] = way[q] + (a,)
        order.append(int(nxt[q, a]))
  return list(way.values())


def separating(nxt: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """For every pair of states, the length of the shortest input sequence on which their outputs differ (0: none)
  and its first input; refined one length at a time, as Moore's minimization does."""
  n, s = nxt.shape
  length, first = np.zeros((n, n), np.int64), np.zeros((n, n), np.int64)
  for a in range(s):
    differ = (out[:, a][:, None] != out[:, a][None, :]) & (length == 0)
    length[differ], first[differ] = 1, a
  for level in range(2, n + 1):
    found = False
    for a in range(s):
      later = length[nxt[:, a][:, None], nxt[:, a][None, :]]  # the pairs one input further on
      new = (length == 0) & (later == level - 1)
      length[new], first[new], found = level, a, found or new.any()
    if not found:
      break
  return length, first


def characterizing(nxt: np.ndarray, out: np.ndarray) -> list[tuple]:
  """A set of input sequences on which every two states of the machine give different outputs (W), built greedily:
  a pair that W does not yet tell apart adds its shortest separating sequence."""
  n = len(nxt)
  length, first = separating(nxt, out)
  told = np.zeros(n, np.int64)  # the states' classes under the sequences found so far: a pair in two is told apart
  found = []
  for p, q in zip(*np.triu_indices(n, 1), strict=True):
    if told[p] != told[q] or length[p, q] == 0:  # 0: the same behaviour (machine() minimized it: not seen)
      continue
    seq, a, b = [], p, q
    while len(seq) < length[p, q]:
      seq.append(int(first[a, b]))
      a, b = nxt[a, seq[-1]], nxt[b, seq[-1]]
    found.append(tuple(seq))
    told = np.unique(np.column_stack([told, outputs_from_all(nxt, out, found[-1])]), axis=0,
                     return_inverse=True)[1].ravel()
  return found or [()]


def outputs_from_all(nxt: np.ndarray, out: np.ndarray, seq: tuple) -> np.ndarray:
  """(states, len(seq)): the outputs of the machine on seq, from every state."""
  q, trace = np.arange(len(nxt)), []
  for a in seq:
    trace.append(out[q, a])
    q = nxt[q, a]
  return np.array(trace, np.int64).reshape(len(seq), len(nxt)).T


def w_method(nxt: np.ndarray, m: int, tell: list[tuple]) -> list[tuple]:
  """The W-method suite for implementations of at most m states (m >= the machine's n): P . S^(<= m - n) . W, with
  P every transition (the way to a state, then one input, and the empty sequence), S the inputs, W = tell, the
  sequences that tell the states apart (characterizing). nxt: a minimal machine, from state 0. Sequences that are
  prefixes of others are left out: the longer one checks them."""
  n, s = nxt.shape
  cover = [()] + [w + (a,) for w in access(nxt) for a in range(s)]
  middle = [mid for r in range(m - n + 1) for mid in itertools.product(range(s), repeat=r)]
  suite = sorted({p + mid + w for p in cover for mid in middle for w in tell})  # a prefix of a sequence comes
  return [seq for seq, after in zip(suite, suite[1:] + [()], strict=True)  # just before the ones it starts
          if seq and after[:len(seq)] != seq]


def suite_steps(nxt: np.ndarray, m: int, tell: list[tuple]) -> int:
  """At most how many input steps w_method's suite takes, as suite_sets pads it, without building it."""
  n, s = nxt.shape
  ways, term = 0, 1  # sum(s ** r for r in range(m - n + 1)), stopped once past the budget: m may be huge
  for _ in range(m - n + 1):
    ways, term = ways + term, term * s
    if ways > SUITE_STEPS:
      return SUITE_STEPS + 1
  count = (1 + n * s) * ways * max(1, len(tell))
  return count * padded(max(map(len, access(nxt))) + 1 + m - n + max(map(len, tell), default=0))


def padded(length: int) -> int:
  """The next power of two (the length suite_sets runs a sequence for)."""
  return 1 << (length - 1).bit_length()


def suite_sets(suite: list[tuple], symbols: np.ndarray, task) -> list[dict]:
  """The suite as test sets (graph.check's): x (batch, length, n_in) of ±1 and the task's y. The sequences are
  padded with the first symbol to the next power of two, so that a few long runs of the evaluator check them all
  (the steps added are checks too: a graph right everywhere is right on them)."""
  groups = {}
  for seq in suite:
    groups.setdefault(padded(len(seq)), []).append(seq + (0,) * (padded(len(seq)) - len(seq)))
  sets = []
  for length, seqs in sorted(groups.items()):
    x = symbols[np.array(seqs, np.int64)].astype(np.float32)
    sets.append({"name": f"proof ({length} steps)", "x": x, "y": checked_target(task, x).astype(np.float64)})
  return sets

# ---- the command line ----

def main():
  ap = ArgumentParser(description="Prove a graph right on every input sequence of every length (or find "
                               "one it gets wrong): its finite machine, then the W-method suite against the task.")
  ap.add_argument("graph", nargs="?", default="-", help="graph JSON from prune.py, or - for stdin (default)")
  ap.add_argument("-o", "--out", help="also write the graph, with the proof in graph.verified, here")
  ap.add_argument("--task", help="the task, instead of the one named in the graph (e.g. path/to/my_tasks.py:NAME)")
  ap.add_argument("--trust-task", action="store_true", help="without --task: import the task file the graph names, "
                  "when it is the very file its run was trained with (by SHA-256); a graph never runs code otherwise")
  args = ap.parse_args()
  name = "<stdin>" if args.graph == "-" else args.graph
  try:
    graph = load_graph(args.graph)
    task = get_task(args.task) if args.task else task_of(graph, name, args.trust_task)
    check_fits(graph, task, name)
    proof = prove(graph, task)
    if args.out and not proof["failure"]:  # a graph proven wrong is not written, as prune.py would not
      graph["graph"]["verified"] = {**graph["graph"].get("verified", {}), **proof_record(proof)}
      save_graph(graph, args.out)
  except (GraphError, TaskError) as e:
    print(f"prove.py: {e}", file=sys.stderr)
    sys.exit(2)
  print(f"prove.py: {name}: {proof['how']}", file=sys.stderr)
  sys.exit(1 if proof["failure"] else 0)


if __name__ == "__main__":
  main()
