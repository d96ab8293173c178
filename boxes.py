"""A finite machine that a graph with analog states follows on every input: boxes of state vectors, closed under
the graph's step by interval arithmetic. prove.py uses it when the exact search of fsm.explore does not close.

In:  a graph (graph.py's dict, dead parts removed), its exploration (fsm.explore: the state vectors it saw) and
     depth d (the task's states - 1: sequences that long tell any two states of the task apart).
Out: box_machine(graph, exp, depth) -> ({"trans": {(box, symbol): (outputs, next box)}, "initial": the initial
     state's box, "low", "high": (boxes, states) bounds}, how in words), or (None, why not); fsm.py minimizes it.

How:
1. Group the state vectors seen by what the graph does next: the signs of its outputs on every input sequence of
   d steps from each vector. Vectors the task cannot tell apart should end up together.
2. Each group's box is the smallest box around its vectors. One step of the graph maps a box, on one input, into
   a box that holds every value the step can give from inside it: interval arithmetic through the weights, and
   through the activation, which is monotone between its breakpoints -3, -2, ..., 3. The group the box goes to is
   the group most of its vectors' successors belong to; that box grows to hold the image, until nothing grows.
3. When that closes, and every output's sign is the same all over every (box, input), the boxes are a machine:
   the initial state is in its box, and a state in a box goes to a state in the box the machine says, with the
   outputs the machine says. So every run of the graph, of any length, is a run of the machine.

Every bound gets a slack of EPS relative to the size of the terms it sums, more than the float rounding of the
evaluator. The activation is monotone between its breakpoints only for a factor in [0, 1]; another gets no boxes.
"""
import itertools

import numpy as np

from graph import activation, all_symbols, compile_steps, evaluate, remove_dead
from tasks import TaskError, checked_sample

POINTS = 4096  # seen state vectors to group, at most (with their successors)
RUNS = 1 << 20  # (vector, continuation) pairs the grouping may evaluate; fewer vectors when there are many inputs
GAPS = (0.0, 0.01)  # the grouping's tries: by the outputs ahead only, then split at gaps of 1% of a state's range
ROUNDS = 500  # rounds of growing the boxes before giving up (a drifting counter never stops growing)
EPS = 1e-12  # relative slack on every interval bound
GROW = 1e-9  # a box that has to grow grows this much more (relative), so that a contracting step closes
SEEN = (512, 64)  # sampled runs (sequences, steps) whose state vectors seed task_boxes
SPLITS = (1, 2, 4, 8, 16)  # task_boxes' tries: each box cut into m pieces along every state for the step
PIECES = 1 << 15  # pieces in all (boxes x pieces a box), at most
CELLS = (None, 0.5, 0.25)  # task_boxes' groupings: by machine state alone, then also by cells of this side
BREAKS = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])  # the activation is monotone between these


def box_machine(graph: dict, exp: dict, depth: int, gap: float = 0.0, seed: int = 0) -> tuple[dict | None, str]:
  """The machine on boxes (see the module docstring), or None and why not. gap > 0: split the groups further where
  a state's values seen leave a gap wider than that fraction of their range (a group whose values sit on both sides
  of an output's zero crossing then gets a box on each side)."""
  graph = remove_dead(graph)  # the states of exp, no others
  symbols, compiled = exp["symbols"], compile_steps(graph)
  act = graph["graph"]["activation"]
  if not 0 <= act["factor"] <= 1:
    return None, f"the activation's factor {act['factor']} is not in [0, 1]: it is not monotone between breakpoints"
  runs = len(symbols) ** depth * (1 + len(symbols))  # (vector, continuation) pairs for one point
  if runs > RUNS:
    return None, f"{len(symbols)} input steps and {depth} steps ahead are too many to group vectors by"
  points = seen_points(exp, RUNS // runs, seed)
  after = successors(graph, exp, points)  # (points, symbols, states)
  every = np.concatenate([points, after.reshape(len(points) * len(symbols), points.shape[1])])
  groups = futures(graph, exp, every, depth, gap)
  here, there = groups[:len(points)], groups[len(points):].reshape(len(points), len(symbols))
  n = groups.max() + 1
  target = np.zeros((n, len(symbols)), np.int64)  # where each group goes on each input: its members' majority
  for g, a in itertools.product(range(n), range(len(symbols))):
    moves = there[here == g, a]
    target[g, a] = np.bincount(moves).argmax() if len(moves) else g  # a group of successors only: its own box
  low = np.array([every[groups == g].min(axis=0) for g in range(n)])
  high = np.array([every[groups == g].max(axis=0) for g in range(n)])
  for _ in range(ROUNDS):
    (new_low, new_high), outs = interval_step(compiled, act, low, high, symbols)
    grown_low, grown_high = low.copy(), high.copy()
    for g, a in itertools.product(range(n), range(len(symbols))):
      t = target[g, a]
      grown_low[t] = np.minimum(grown_low[t], new_low[g, a])
      grown_high[t] = np.maximum(grown_high[t], new_high[g, a])
    undecided = ~((outs[0] > 0) | (outs[1] < 0))  # (groups, symbols, outputs): an interval that holds 0 (or NaN)
    if undecided.any():  # boxes only grow: it stays undecided
      g, a, o = map(int, np.argwhere(undecided)[0])
      return None, (f"boxes of {n} groups of state vectors: in group {g} on input {a}, output {o} ranges over "
                    f"[{outs[0][g, a, o]:.3g}, {outs[1][g, a, o]:.3g}], both signs")
    if np.array_equal(grown_low, low) and np.array_equal(grown_high, high):
      break
    low = np.where(grown_low < low, grown_low - GROW * (1 + np.abs(grown_low)), low)
    high = np.where(grown_high > high, grown_high + GROW * (1 + np.abs(grown_high)), high)
    if not np.all(np.isfinite(low) & np.isfinite(high)):
      return None, f"boxes of {n} groups of state vectors: a bound went to infinity"
  else:
    return None, f"boxes of {n} groups of state vectors kept growing for {ROUNDS} rounds (a state drifts)"
  trans = {(g, a): (tuple(bool(v) for v in outs[0][g, a] > 0), int(target[g, a]))
           for g in range(n) for a in range(len(symbols))}
  return {"trans": trans, "initial": int(here[0]), "low": low, "high": high}, (
    f"{n} boxes around {len(every)} state vectors grouped by their outputs over the next {depth} steps"
    f"{' and the gaps between their values' if gap else ''}, closed under the graph's step by interval arithmetic")


def seen_points(exp: dict, most: int, seed: int) -> np.ndarray:
  """The initial state vector, the extremes of each state, and a sample of the other vectors seen: (P, states)."""
  seen = exp["states"]
  extremes = np.concatenate([seen.argmin(axis=0), seen.argmax(axis=0)])
  rest = np.random.default_rng(seed).permutation(len(seen))[:max(0, most - 1 - len(extremes))]
  return seen[np.concatenate([[exp["initial"]], extremes, rest]).astype(np.int64)]


def successors(graph: dict, exp: dict, points: np.ndarray) -> np.ndarray:
  """(P, symbols, states): the state vector after one step from each point on each input."""
  symbols, ids = exp["symbols"], exp["state_ids"]
  start = {s: np.repeat(points[:, j], len(symbols)) for j, s in enumerate(ids)}
  x = np.tile(symbols, (len(points), 1))[:, None, :]
  _, vals = evaluate(graph, x, record=True, start=start)
  rec = {e["target"]: e["source"] for e in graph["edges"] if e.get("feedback")}
  after = np.stack([vals[rec.get(s, s)][:, 0] for s in ids], 1) if ids else np.zeros((len(x), 0))
  return after.reshape(len(points), len(symbols), len(ids))


def futures(graph: dict, exp: dict, points: np.ndarray, depth: int, gap: float = 0.0) -> np.ndarray:
  """Group numbers for the points (the initial one first, in group 0): the signs of the outputs on every input
  sequence of `depth` steps from each point, as one key per point; with gap > 0, also which side of every gap
  wider than gap x its range each state's value is on."""
  symbols, ids = exp["symbols"], exp["state_ids"]
  paths = symbols[np.array(list(itertools.product(range(len(symbols)), repeat=depth)))]  # (C, depth, n_in)
  start = {s: np.repeat(points[:, j], len(paths)) for j, s in enumerate(ids)}
  y = evaluate(graph, np.tile(paths, (len(points), 1, 1)), start=start) > 0
  keys = [y.reshape(len(points), -1)]
  for column in points.T[:, :, None] if gap > 0 else []:
    values = np.unique(column)
    wide = np.diff(values) > gap * (values[-1] - values[0])
    keys.append(np.searchsorted(values[:-1][wide], column, side="left"))
  keys = np.concatenate(keys, axis=1)
  _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
  order = np.argsort(np.argsort(first))  # groups numbered in order of their first point
  return order[inverse.ravel()]


def interval_step(c: dict, act: dict, low: np.ndarray, high: np.ndarray, symbols: np.ndarray):
  """One step of the graph (compile_steps' c) from every box on every input: ((next low, next high) (B, A, states),
  (outputs low, outputs high) (B, A, outputs)); each interval holds every value the step can give."""
  b, a = len(low), len(symbols)
  lo, hi = np.zeros((len(c["ids"]), b * a)), np.zeros((len(c["ids"]), b * a))
  lo[c["states"]], hi[c["states"]] = np.repeat(low.T, a, axis=1), np.repeat(high.T, a, axis=1)
  for row, col in c["inputs"]:
    lo[row] = hi[row] = np.tile(symbols[:, col], b)
  for s in c["stages"]:
    mid, rad = (lo[s["cols"]] + hi[s["cols"]]) / 2, (hi[s["cols"]] - lo[s["cols"]]) / 2
    center, spread = s["w"] @ mid + s["bias"], np.abs(s["w"]) @ rad
    size = np.abs(s["w"]) @ (np.abs(mid) + rad) + np.abs(s["bias"])  # the terms' size: their rounding scales with it
    z_lo, z_hi = center - spread - EPS * (1 + size), center + spread + EPS * (1 + size)
    a_lo, a_hi = activation_range(z_lo, z_hi, act["factor"], act["leak"])
    a_lo, a_hi = a_lo - EPS * (1 + np.abs(a_lo)), a_hi + EPS * (1 + np.abs(a_hi))
    lo[s["rows"]], hi[s["rows"]] = np.where(s["act"], a_lo, z_lo), np.where(s["act"], a_hi, z_hi)
  outs = (lo[c["outputs"]].T.reshape(b, a, -1), hi[c["outputs"]].T.reshape(b, a, -1))
  lo[c["feedback_to"]], hi[c["feedback_to"]] = lo[c["feedback_from"]], hi[c["feedback_from"]]
  return (lo[c["states"]].T.reshape(b, a, -1), hi[c["states"]].T.reshape(b, a, -1)), outs


def activation_range(low: np.ndarray, high: np.ndarray, factor: float, leak: float):
  """The least and greatest activation over each interval [low, high]: at its ends or at a breakpoint inside."""
  candidates = [low, high] + [np.clip(x, low, high) for x in BREAKS]
  values = np.stack([activation(v, factor, leak) for v in candidates])
  return values.min(axis=0), values.max(axis=0)


def task_boxes(graph: dict, task, table: dict, seed: int = 0) -> tuple[dict | None, str]:
  """Boxes for a task that gives its own machine (prove.py's table {(state, input): (next state, outputs)}): each box
  belongs to one machine state, and the boxes of machine state q hold every state vector the graph can have while
  the machine is in q. Seeded with the vectors seen on the task's sampled runs, grouped first by machine state
  alone (one box each), then also by the cell of side CELLS[i] they fall in (a graph with more states than its task
  keeps several clusters of vectors for one machine state, and one box around them all holds points far from any).
  Each (box, input the machine allows) goes to the box of the next machine state that most of its vectors' seen
  successors are in; the boxes grow until each one's image on every allowed input fits in the box it goes to.
  Proven when that closes and every output's interval has the sign the machine gives there: by induction over the
  steps, the graph's state vector is always in a box of the machine's state. When an output stays undecided, it
  tries again with each box cut into m pieces along every state for the step (the hull of the pieces' images:
  interval arithmetic loses less on small boxes), m = 2, 4, ... while PIECES allow.
  Returns ({"low", "high", "label": each box's machine state, "pieces"}, how) or (None, why not).
  graph: dead parts removed."""
  act = graph["graph"]["activation"]
  if not 0 <= act["factor"] <= 1:
    return None, f"the activation's factor {act['factor']} is not in [0, 1]: it is not monotone between breakpoints"
  runs, whys = seen_runs(graph, task, table, seed), []
  n_q, states = 1 + max(machine_states(table)), runs["vectors"].shape[1]
  for cell in CELLS:
    groups = grouped(runs, table, cell)
    n = len(groups["label"])
    for m in SPLITS:
      if m > 1 and n * m ** states > PIECES:
        break
      found, why = grow_task_boxes(graph, task, groups, m)
      if found:
        boxes = (f"a box of state vectors for each of the machine's {n_q} states" if cell is None else
                 f"{n} boxes of state vectors for the machine's {n_q} states (the vectors of each state grouped by "
                 f"the cell of side {cell:g} they are in)")
        return found, (f"{boxes}, grown from {SEEN[0]} sampled runs until interval arithmetic ({m ** states} pieces "
                       "a box) maps each box on every allowed input into a box of the next state, and every output "
                       "there has the machine's sign")
    whys.append(why)
  return None, f"with a box for each of the machine's states, {whys[0]} (and with boxes by cells of side " + \
    ", ".join(f"{c:g}" for c in CELLS[1:]) + f": {whys[-1]})"


def machine_states(table: dict) -> set:
  return {q for q, _ in table} | {q2 for q2, _ in table.values()}


def grow_task_boxes(graph: dict, task, groups: dict, m: int) -> tuple[dict | None, str]:
  """task_boxes' growing, each box cut into m pieces a state for the step: (the boxes, "") or (None, why not)."""
  compiled, act = compile_steps(graph), graph["graph"]["activation"]
  symbols, label = all_symbols(task.n_in), groups["label"]
  low, high, filled = groups["low"].copy(), groups["high"].copy(), groups["filled"].copy()
  src, a, dst, want = groups["src"], groups["symbol"], groups["dst"], groups["want"]
  for _ in range(ROUNDS):
    on = filled[src]  # an empty box (a machine state no run was in) has no steps until one goes there
    box_low, box_high = np.where(filled[:, None], low, 0.0), np.where(filled[:, None], high, 0.0)
    (new_low, new_high), (out_low, out_high) = pieces_step(compiled, act, box_low, box_high, symbols, m)
    wrong = on[:, None] & np.where(want > 0, ~(out_low[src, a] > 0), ~(out_high[src, a] < 0))  # NaN: wrong too
    if wrong.any():  # boxes only grow: it stays wrong
      i, o = map(int, np.argwhere(wrong)[0])
      g = src[i]
      return None, (f"in state {label[g]}{'' if len(label) == groups['n_q'] else f' (box {g})'} on input {a[i]} "
                    f"output {o} ranges over [{out_low[g, a[i], o]:.3g}, {out_high[g, a[i], o]:.3g}], not only "
                    f"{want[i, o]:+.0f} ({m} pieces a state)")
    grown_low, grown_high = low.copy(), high.copy()
    np.minimum.at(grown_low, dst[on], new_low[src[on], a[on]])
    np.maximum.at(grown_high, dst[on], new_high[src[on], a[on]])
    if np.array_equal(grown_low, low) and np.array_equal(grown_high, high):  # (a box reached first moves from inf)
      return {"low": low, "high": high, "label": label, "pieces": m}, ""
    filled[dst[on]] = True
    with np.errstate(invalid="ignore"):  # empty boxes: inf - inf there
      low = np.where(grown_low < low, grown_low - GROW * (1 + np.abs(grown_low)), low)
      high = np.where(grown_high > high, grown_high + GROW * (1 + np.abs(grown_high)), high)
    if not np.all(np.isfinite(low[filled]) & np.isfinite(high[filled])):
      return None, "a bound went to infinity"
  return None, f"the boxes kept growing for {ROUNDS} rounds (a drift)"


def pieces_step(c: dict, act: dict, low: np.ndarray, high: np.ndarray, symbols: np.ndarray, m: int):
  """interval_step with each box cut into m pieces along every state (m^states pieces that cover it: neighbours
  share their bound exactly), the pieces' results joined again per box: as sound, and tighter."""
  if m == 1:
    return interval_step(c, act, low, high, symbols)
  b, n = low.shape
  grid = np.array(list(itertools.product(range(m), repeat=n)))[None]  # (1, pieces, states)
  width = ((high - low) / m)[:, None]
  piece_low = low[:, None] + width * grid
  piece_high = np.where(grid == m - 1, high[:, None], low[:, None] + width * (grid + 1))
  (nl, nh), (ol, oh) = interval_step(c, act, piece_low.reshape(-1, n), piece_high.reshape(-1, n), symbols)

  def join(v: np.ndarray, f) -> np.ndarray:  # (boxes x pieces, ...) -> (boxes, ...)
    return f(v.reshape(b, -1, *v.shape[1:]), axis=1)
  return (join(nl, np.min), join(nh, np.max)), (join(ol, np.min), join(oh, np.max))


def seen_runs(graph: dict, task, table: dict, seed: int) -> dict:
  """The state vectors on SEEN sampled runs, one row a step: {"vectors": (rows, states) during the step, "at": the
  machine's state then, "symbol": the step's input (an index into all_symbols), "after": the next step's row (-1
  at a run's last step)}."""
  ids = [n["id"] for n in graph["nodes"] if n["kind"] == "state"]
  x = checked_sample(task, np.random.default_rng(seed), *SEEN)[0]
  _, vals = evaluate(graph, x, record=True)
  vectors = np.stack([vals[s] for s in ids], 2) if ids else np.zeros(x.shape[:2] + (0,))
  index = ((x > 0) * (1 << np.arange(task.n_in)[::-1])).sum(axis=2)  # each step's input as its symbol's index
  at = np.zeros(x.shape[:2], np.int64)  # the machine's state during each step
  for b, t in itertools.product(range(x.shape[0]), range(x.shape[1] - 1)):
    if (at[b, t], index[b, t]) not in table:  # prove.check_task_machine ran on these very sequences first
      raise TaskError(f"task {task.name}: its machine does not allow an input its sampler draws")
    at[b, t + 1] = table[at[b, t], index[b, t]][0]
  rows = np.arange(at.size).reshape(at.shape)
  after = np.where(np.arange(at.shape[1]) < at.shape[1] - 1, rows + 1, -1)
  return {"vectors": vectors.reshape(-1, len(ids)), "at": at.ravel(), "symbol": index.ravel(), "after": after.ravel()}


def grouped(runs: dict, table: dict, cell: float | None) -> dict:
  """The seen vectors grouped by machine state (and by cell of side `cell`), a box around each group, and each
  (group, allowed input)'s target: {"label": each box's machine state, "low", "high", "filled" (False: an empty box
  for a machine state no run was in), "src", "symbol", "dst", "want": one row per (box, allowed input), "n_q"}."""
  vectors, at = runs["vectors"], runs["at"]
  key = at[:, None] if cell is None else np.concatenate([at[:, None], np.floor(vectors / cell).astype(np.int64)], 1)
  keys, group = np.unique(key, axis=0, return_inverse=True)
  group, n_q = group.ravel(), 1 + max(machine_states(table))
  missing = sorted(set(range(n_q)) - set(keys[:, 0].tolist()))
  label = np.concatenate([keys[:, 0], np.array(missing, np.int64)])
  low, high = np.full((len(label), vectors.shape[1]), np.inf), np.full((len(label), vectors.shape[1]), -np.inf)
  np.minimum.at(low, group, vectors)
  np.maximum.at(high, group, vectors)
  seen = runs["after"] >= 0
  moves, counts = np.unique(np.stack([group[seen], runs["symbol"][seen], group[runs["after"][seen]]], 1), axis=0,
                            return_counts=True)
  target = {}
  for g, a, t in moves[np.lexsort((-counts, moves[:, 1], moves[:, 0]))].tolist():  # most seen first, per (g, a)
    target.setdefault((g, a), t)
  sizes = np.bincount(group, minlength=len(label))
  biggest = {q: max(np.flatnonzero(label == q), key=lambda g: sizes[g]) for q in range(n_q)}
  rows = [(g, a, target.get((g, a), biggest[q2]), outs) for g in range(len(label))
          for (q, a), (q2, outs) in table.items() if q == label[g]]
  src, sym, dst = (np.array([r[i] for r in rows], np.int64) for i in range(3))
  return {"label": label, "low": low, "high": high, "filled": np.arange(len(label)) < len(keys), "src": src,
          "symbol": sym, "dst": dst, "want": np.array([r[3] for r in rows]).reshape(len(rows), -1), "n_q": n_q}
