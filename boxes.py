"""A finite machine that a graph with analog states follows on every input: boxes of state vectors, closed under
the graph's step by interval arithmetic. prove.py uses it when the exact search of prove.explore does not close.

In:  a graph (graph.py's dict, dead parts removed), its exploration (prove.explore: the state vectors it saw) and
     depth d (the task's states - 1: sequences that long tell any two states of the task apart).
Out: box_machine(graph, exp, depth) -> ({"trans": {(box, symbol): (outputs, next box)}, "initial": the initial
     state's box, "low", "high": (boxes, states) bounds}, how in words), or (None, why not); prove.py minimizes it.

How:
1. Group the state vectors seen by what the graph does next: the signs of its outputs on every input sequence of
   d steps from each vector. Vectors the task cannot tell apart should end up together.
2. Each group's box is the smallest box around its vectors. One step of the graph maps a box, on one input, into
   a box that holds every value the step can give from inside it: interval arithmetic through the weights, and
   through the activation, which rises to its peak A(-1) = 1, falls to its dip A(1) = -1 and rises after. The
   group the box goes to is the group most of its vectors' successors belong to; that box grows to hold the
   image, until nothing grows.
3. When that closes, and every output's sign is the same all over every (box, input), the boxes are a machine:
   the initial state is in its box, and a state in a box goes to a state in the box the machine says, with the
   outputs the machine says. So every run of the graph, of any length, is a run of the machine.

For a task that gives its own machine, task_boxes tries one box a machine state, then cell_boxes: cells of the state
space that may each go to several cells, reached from the initial one, cut in two where an output is undecided
(counterexample-guided refinement). Failures come as Unproven: a Reason that callers test, and words.

Every bound gets a slack of EPS relative to the size of the terms it sums, more than the float rounding of the
evaluator. The activation has that shape for a factor in [0, 1] and a leak >= 0; another gets no boxes.
"""
import enum
import itertools
from dataclasses import dataclass

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
SIDES = (0.05, 0.02, 0.01, 0.005)  # the grids cell_boxes starts from, when one box a machine state fails: cut from
                                   # there where an output is undecided, while CELLS_TOTAL allows
CELLS_MAX = 250_000  # (cell, machine state) pairs one search of the cells may reach
CELLS_TOTAL = 500_000  # ... and all its searches together, as it cuts cells (a proof that fails costs this much)
WRONGS = 64  # cells reached with an output wholly wrong that one search replays on the graph, at most
LEVELS = 16  # times a cell may be cut in two, at most (side 0.05 / 2^16: under 1e-6)
SLICE = 16384  # (cell, machine state) pairs stepped together, at most
INTERVALS = 1 << 21  # (node, box, input) intervals that interval_step computes at once: a big graph takes fewer boxes
                     # at a time (16 MB an array, of the dozen it holds)


def box_machine(graph: dict, exp: dict, depth: int, gap: float = 0.0, seed: int = 0) -> tuple[dict | None, str]:
  """The machine on boxes (see the module docstring), or None and why not. gap > 0: split the groups further where
  a state's values seen leave a gap wider than that fraction of their range (a group whose values sit on both sides
  of an output's zero crossing then gets a box on each side)."""
  graph = remove_dead(graph)  # the states of exp, no others
  symbols, compiled = exp["symbols"], compile_steps(graph)
  act = graph["graph"]["activation"]
  if why := unshaped(act):
    return None, why
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
  rec = {e["target"]: e["source"] for e in graph["edges"] if e.get("feedback")}
  _, vals = evaluate(graph, x, record=[rec.get(s, s) for s in ids], start=start)
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
  (outputs low, outputs high) (B, A, outputs)); each interval holds every value the step can give. A few boxes at
  a time (INTERVALS): the memory it takes does not grow with the graph times the boxes."""
  per = max(1, INTERVALS // (len(c["ids"]) * len(symbols)))
  parts = [boxes_step(c, act, low[i:i + per], high[i:i + per], symbols) for i in range(0, max(len(low), 1), per)]
  return tuple(tuple(np.concatenate([p[k][j] for p in parts]) for j in range(2)) for k in range(2))


def boxes_step(c: dict, act: dict, low: np.ndarray, high: np.ndarray, symbols: np.ndarray):
  """interval_step for one batch of boxes."""
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
  """The least and greatest activation over each interval [low, high]. For a factor in [0, 1] and a leak >= 0 the
  activation rises to its only peak A(-1) = 1, falls to its only dip A(1) = -1 and rises after (both its curves
  do): so the bounds are its values at the ends, and 1 or -1 where the peak or the dip lies inside."""
  at_low, at_high = activation(low, factor, leak), activation(high, factor, leak)
  peak = np.where((low <= -1) & (high >= -1), 1.0, -np.inf)
  dip = np.where((low <= 1) & (high >= 1), -1.0, np.inf)
  return np.minimum(np.minimum(at_low, at_high), dip), np.maximum(np.maximum(at_low, at_high), peak)


def unshaped(act: dict) -> str:
  """Why activation_range does not hold for this activation, or "" when it does."""
  if 0 <= act["factor"] <= 1 and act["leak"] >= 0:
    return ""
  return f"the activation (factor {act['factor']}, leak {act['leak']}) does not rise, fall and rise again"


def task_boxes(graph: dict, task, table: dict, seed: int = 0, refine: bool = True
               ) -> tuple[dict | None, "str | Unproven"]:
  """Boxes for a task that gives its own machine (prove.py's table {(state, input): (next state, outputs)}): the
  box of machine state q holds every state vector the graph can have while the machine is in q. Seeded with the
  vectors seen on the task's sampled runs, grown until every step the machine allows maps each box into the box of
  its next state; proven when that closes and every output's interval has the sign the machine gives there. When
  an output stays undecided, it tries again with each box cut into m pieces along every state for the step (the
  hull of the pieces' images: interval arithmetic loses less on small boxes), m = 2, 4, ... while PIECES allow.
  When no box a machine state closes, it tries cell_boxes on each grid of SIDES alone, then (refine) cut finer.
  Returns ({"low", "high", "pieces"} or cell_boxes' {"side", "leaves", ...}, how) or (None, Unproven: why not).
  graph: dead parts removed."""
  if why := unshaped(graph["graph"]["activation"]):
    return None, Unproven(Reason.UNSHAPED, why)
  low, high, filled = seeded(graph, task, table, seed)
  (machine_states, states), why = low.shape, ""
  for m in SPLITS:
    if m > 1 and machine_states * m ** states > PIECES:
      break
    found, why = grow_task_boxes(graph, task, table, low.copy(), high.copy(), filled.copy(), m)
    if found:
      return found, (f"a box of state vectors for each of the machine's {machine_states} states, grown from "
                     f"{SEEN[0]} sampled runs until interval arithmetic ({m ** states} pieces a box) maps each box "
                     "on every allowed input into the next state's box, and every output there has the machine's sign")
  whys, spent = [f"with a box for each of the machine's states, {why}"], 0
  unproven = Unproven(Reason.UNDECIDED, why)  # (when no grid is tried)
  tries = [(side, False) for side in SIDES] + [(side, True) for side in SIDES if refine]
  for n, (side, cutting) in enumerate(tries):  # each grid alone (cheap: it stops at the first outputs undecided),
    # then each grid cut where outputs are undecided, the budget left shared among the grids left to try
    share = CELLS_MAX if not cutting else (CELLS_TOTAL - spent) // (len(tries) - n)
    found, unproven = cell_boxes(graph, task, table, side, cutting, budget=share)
    if found:
      finest = side / 2 ** int(found["leaves"][:, 0].max())
      return found, (f"cells of the state space: {len(found['leaves'])} pairs of (cell, machine state) reached from "
                     f"the initial state's cell, each cell on every input the machine allows going to every cell "
                     f"its image touches (interval arithmetic), and every output there has the machine's sign; "
                     f"cells of side {side:g}" + (f", cut where an output was undecided, in {found['rounds']} rounds, "
                                                  f"down to side {finest:g}" if found["rounds"] else ""))
    whys.append(f"with cells of side {side:g}{' cut where it matters' if cutting else ''}, {unproven.text}")
    spent += unproven.reached
    if unproven.reason is Reason.WRONG or spent >= CELLS_TOTAL:
      break
  return None, Unproven(unproven.reason, "; ".join(whys), unproven.path)


# ---- cells, split where an output is undecided (counterexample-guided abstraction refinement) ----

class Reason(enum.Enum):
  """Why an abstraction did not prove a graph; callers test this, never a message's text."""
  UNDECIDED = "an output's sign undecided where the cells reach, even on the finest cells"
  WRONG = "an output of the wrong sign on a run of the graph"
  BUDGET = "more cells than the budget"
  UNSHAPED = "an activation of another shape"


@dataclass(frozen=True)
class Unproven:
  """Why not, for the caller (reason) and for a person (text). path: for WRONG, the inputs (symbol indices) of a
  run from the initial state that the graph gets wrong at its last step (replayed on the graph itself)."""
  reason: Reason
  text: str
  path: tuple = ()
  reached: int = 0  # (cell, machine state) pairs the search reached

  def __str__(self) -> str:
    return self.text


def cell_boxes(graph: dict, task, table: dict, side: float, refine: bool = True, budget: int = CELLS_TOTAL
               ) -> tuple[dict | None, Unproven]:
  """The state space cut into cells, as a machine that may go to several cells: from (the initial state vector's
  cell, the machine's start), every (cell, machine state) pair that one step reaches on an input the machine
  allows, where a cell goes to every cell that its image (interval_step of its box) touches. When no new pair
  comes, and every output interval on the way has the machine's sign, the graph's state vector is always in a cell
  reached with the machine's state (by induction over the steps): proven. Nothing here is seeded by samples.

  The cells start on a grid of side `side`. Where an output is undecided, that cell and the one whose image reached
  it are cut in two along every state, and the search starts again (refine=False: it stops instead); where an
  output has the wrong sign, the inputs that reached the cell are run on the graph: wrong there, that is the
  answer, else the cell where that way parts from the graph's runs is cut (its image was too wide). A cell is a
  leaf of that tree: a row
  (level, index...), the box from index * side / 2^level to the next index. Budget: CELLS_MAX pairs a search,
  `budget` over all (why.reached: how many it spent), LEVELS cuts deep.
  Returns ({"side", "leaves": the pairs reached, rows (level, index..., machine state), "splits": the cells cut
  (level -> row_keys, for leaf_of), "rounds"}, None) or (None, Unproven)."""
  if why := unshaped(graph["graph"]["activation"]):
    return None, Unproven(Reason.UNSHAPED, why)
  space = {"compiled": compile_steps(graph), "act": graph["graph"]["activation"], "symbols": all_symbols(task.n_in),
           "machine": table_arrays(table, 2 ** task.n_in, task.n_out), "side": side, "splits": {}, "graph": graph,
           "init": np.array([n["init"] for n in graph["nodes"] if n["kind"] == "state"], np.float64) + 0.0}
  spent = 0
  for rounds in itertools.count():
    found, unproven, cut = reach_cells(space, min(CELLS_MAX, budget - spent))
    if found is not None:
      return {**found, "rounds": rounds}, None
    spent += unproven.reached
    cut = cut[cut[:, 0] < LEVELS] if cut is not None else None
    if not refine or cut is None or not len(cut) or spent >= budget:
      reason = Reason.BUDGET if spent >= budget else unproven.reason
      return None, Unproven(reason, unproven.text + (f" (after {rounds} rounds of cutting cells)" if refine else ""),
                            unproven.path, spent)
    for level in np.unique(cut[:, 0]):
      new = row_keys(cut[cut[:, 0] == level, 1:])
      space["splits"][level] = np.union1d(space["splits"].get(level, new[:0]), new)


def reach_cells(space: dict, most: int) -> tuple[dict | None, Unproven | None, np.ndarray | None]:
  """One breadth-first search of cell_boxes over the leaves of space["splits"]: ({"side", "leaves", "splits"},
  None, None) when it closes with every output decided, else (None, why, the leaves to cut: rows (level, index...)); for
  UNDECIDED, why.reached is the pairs it reached."""
  allowed, goes, want = space["machine"]
  leaf = locate(space["init"][None], space["init"][None], space["side"], space["splits"])[0]
  rows = np.column_stack([leaf, [0]])  # (level, index..., machine state)
  parent, via, known = [-1], [-1], Met(rows)
  frontier, cut, pairs, wrongs, example = np.arange(1), [], [rows], [], ""
  while len(frontier):
    rows = np.concatenate(pairs) if len(pairs) > 1 else pairs[0]
    pairs, found = [rows], []
    for part in np.array_split(frontier, -(-len(frontier) // SLICE)):
      step, why = cell_step(space, rows[part])
      if why is not None:
        return None, why, None
      (low, high), (out_low, out_high) = step
      q = rows[part, -1]
      ok = np.where(want[q] > 0, out_low > 0, out_high < 0)
      bad = np.where(want[q] > 0, out_high < 0, out_low > 0)  # wholly on the wrong side
      for i, a, o in np.argwhere(allowed[q][:, :, None] & bad)[:WRONGS - len(wrongs)]:
        wrongs.append((int(part[i]), int(a), int(o), (out_low[i, a, o], out_high[i, a, o])))
      undecided = np.argwhere(allowed[q][:, :, None] & ~ok)
      if len(undecided) and not example:
        example = undecided_text(space, rows[part], undecided[0], out_low, out_high)
      for i in np.unique(undecided[:, 0]):  # cut that cell, and the one whose image reached it
        cut += [rows[part[i], :-1]] + ([rows[parent[part[i]], :-1]] if parent[part[i]] >= 0 else [])
      if len(wrongs) + len(cut) >= WRONGS:  # enough to cut for one round: the rest may go once these are cut
        break
      i, a = np.nonzero(allowed[q])
      if (too := wide(low[i, a], high[i, a], space["side"])) is not None:
        return None, Unproven(Reason.BUDGET, f"in state {q[i[too]]} on input {a[too]}, a cell's image spans more "
                                             f"than {CELLS_MAX} cells"), None
      i, a, low, high = merged(i, a, goes[q[i], a], low[i, a], high[i, a], space["side"], rows[part[i], 0])
      leaves, image = locate(low, high, space["side"], space["splits"])
      new = np.column_stack([leaves, goes[q[i], a][image]])
      fresh = known.add(new)
      found.append(new[fresh])
      parent += (part[i][image][fresh]).tolist()
      via += a[image][fresh].tolist()
      if known.count > most:
        break
    stop = known.count > most or len(wrongs) + len(cut) >= WRONGS
    frontier = frontier[:0] if stop else len(rows) + np.arange(sum(map(len, found)))
    pairs += found
  rows = np.concatenate(pairs)
  for at, a, o, bounds in wrongs:  # a run of the graph wrong there is the answer; else cut where the way parts
    why, more = wrong_or_cut(space, rows, parent, via, at, a, o, bounds)
    if why.reason is Reason.WRONG:
      return None, why, None
    example, cut = example or why.text, cut + list(more)
  if known.count > most:
    return None, Unproven(Reason.BUDGET, f"more than {most} (cell, machine state) pairs reached",
                          reached=known.count), None
  if cut:
    cut = np.unique(np.array(cut), axis=0)
    return None, Unproven(Reason.UNDECIDED, f"{example} ({len(cut)} cells to cut)", reached=len(rows)), cut
  return {"side": space["side"], "leaves": rows, "splits": space["splits"]}, None, None


def merged(i: np.ndarray, a: np.ndarray, q2: np.ndarray, low: np.ndarray, high: np.ndarray, side: float,
           level: np.ndarray):
  """Images that touch the same cells of the grid of their cell's side, going to the same machine state, as one:
  the box around them (neighbouring cells often have one image; a box around images holds every point they hold,
  so it stays sound). (i, a of one image each, low, high)."""
  size = (side / 2.0 ** level)[:, None]
  bounds = np.column_stack([np.floor(low / size), np.floor(high / size), q2, level]).astype(np.int64)
  _, first, group = np.unique(pack(bounds, bounds.min(axis=0), bounds.max(axis=0)), return_index=True,
                              return_inverse=True)
  group = group.ravel()
  union_low, union_high = np.full((len(first), low.shape[1]), np.inf), np.full((len(first), low.shape[1]), -np.inf)
  np.minimum.at(union_low, group, low)
  np.maximum.at(union_high, group, high)
  return i[first], a[first], union_low, union_high


def undecided_text(space: dict, rows: np.ndarray, at: np.ndarray, out_low: np.ndarray, out_high: np.ndarray) -> str:
  """In words: output o undecided on input a at the pair rows[i], for (i, a, o) = at."""
  i, a, o = at
  q, size = rows[i, -1], space["side"] / 2 ** rows[i, 0]
  return (f"in state {q} on input {a}, output {o} ranges over [{out_low[i, a, o]:.3g}, {out_high[i, a, o]:.3g}] in "
          f"a cell of side {size:.3g} reached, not only {space['machine'][2][q, a, o]:+.0f}")


def cell_step(space: dict, rows: np.ndarray):
  """interval_step from the leaves of some (leaf, machine state) rows: (((low, high), (out_low, out_high)), None),
  or (None, Unproven) when an image is not finite."""
  low, high = leaf_bounds(rows[:, :-1], space["side"])
  step = interval_step(space["compiled"], space["act"], low, high, space["symbols"])
  if not all(np.isfinite(v).all() for v in step[0]):
    return None, Unproven(Reason.BUDGET, "a cell's image is not finite")
  return step, None


def leaf_bounds(leaves: np.ndarray, side: float) -> tuple[np.ndarray, np.ndarray]:
  """The boxes of leaves (rows: level, index...), with a slack at their edges: a vector's leaf comes from a rounded
  division floor(v / side_of_level), so a float just outside the exact edges may belong to it."""
  size = (side / 2.0 ** leaves[:, 0])[:, None]
  cells = leaves[:, 1:]
  slack = EPS * (1 + np.abs(cells) * size)
  return cells * size - slack, (cells + 1) * size + slack


def wrong_or_cut(space: dict, rows, parent: list, via: list, at: int, a: int, o: int, bounds) -> tuple:
  """A leaf reached where output o on input a is wholly on the wrong side: run the inputs that reached it on the
  graph. If the graph is wrong on them, (WRONG with those inputs, None); else the run leaves the cells' way
  somewhere, and the cell before, whose image was too wide, is cut: (UNDECIDED, that leaf)."""
  path, way, i = [a], [rows[at, :-1]], at
  while parent[i] >= 0:
    path.append(via[i])
    i = parent[i]
    way.append(rows[i, :-1])
  path, way = tuple(path[::-1]), np.array(way[::-1])
  _, goes, want = space["machine"]
  wants, q = [], 0
  for s in path:
    wants.append(want[q, s])
    q = goes[q, s]
  y = evaluate(space["graph"], space["symbols"][np.array(path)][None].astype(np.float32))
  right = np.all(y[0] * np.array(wants) > 0, axis=1)
  if not right.all():
    t = int(np.argmin(right))
    return Unproven(Reason.WRONG, f"the graph is wrong at step {t + 1} of {t + 1} inputs that the cells lead to",
                    path[:t + 1]), None
  text = (f"output {o} in [{bounds[0]:.3g}, {bounds[1]:.3g}] in a cell {len(path)} steps in, that no run of the "
          "graph on those inputs reaches")
  return Unproven(Reason.UNDECIDED, text, reached=len(rows)), way[[spurious_step(space, path, way)]]


def spurious_step(space: dict, path: tuple, way: np.ndarray) -> int:
  """Where a way of leaves that the graph's runs do not follow parts from them: the box of states that can be in
  way[0] (the initial vector), stepped on path[j] and cut down to way[j + 1], until it is empty: way[j]'s image was
  too wide (it reached way[j + 1] from states no run has there), so way[j] is cut. When it never empties, the last."""
  low = high = space["init"][None]
  for j, a in enumerate(path[:-1]):
    (new_low, new_high), _ = interval_step(space["compiled"], space["act"], low, high, space["symbols"][[a]])
    leaf_low, leaf_high = leaf_bounds(way[j + 1][None], space["side"])
    low, high = np.maximum(new_low[:, 0], leaf_low), np.minimum(new_high[:, 0], leaf_high)
    if np.any(low > high):
      return j
  return len(way) - 1


def locate(low: np.ndarray, high: np.ndarray, side: float, splits: dict) -> tuple[np.ndarray, np.ndarray]:
  """The leaves that boxes [low, high] touch: (rows (level, index...), the box each is for). From the grid of side
  `side` down through the cells that splits (level -> row_keys of the cut cells) holds, into the halves each box
  touches. A float v lies in cell floor(v / s) at every level: dividing by s / 2 is dividing by s times 2, exactly."""
  rows = touched(np.floor(low / side).astype(np.int64), np.floor(high / side).astype(np.int64), np.arange(len(low)))
  found, level = [], 0
  while len(rows):
    cells, box = rows[:, :-1], rows[:, -1]
    inner = np.isin(row_keys(cells), splits[level]) if level in splits else np.zeros(len(rows), bool)
    found.append(np.column_stack([np.full(np.count_nonzero(~inner), level), cells[~inner], box[~inner]]))
    cells, box, level = cells[inner], box[inner], level + 1
    size = side / 2.0 ** level
    lo = np.clip(np.floor(low[box] / size), 2 * cells, 2 * cells + 1).astype(np.int64)
    hi = np.maximum(np.clip(np.floor(high[box] / size), 2 * cells, 2 * cells + 1).astype(np.int64), lo)
    rows = touched(lo, hi, box)
  found = np.concatenate(found)
  return found[:, :-1], found[:, -1]


def leaf_of(points: np.ndarray, side: float, splits: dict) -> np.ndarray:
  """The leaf (level, index...) that holds each point."""
  leaves, point = locate(points, points, side, splits)
  return leaves[np.argsort(point, kind="stable")]


def wide(low: np.ndarray, high: np.ndarray, side: float) -> int | None:
  """The first image whose box spans more than CELLS_MAX cells of the grid (or is not finite), or None."""
  reach_low, reach_high = np.floor(low / side), np.floor(high / side)
  spans = np.prod(reach_high - reach_low + 1, axis=1)
  fits = (spans <= CELLS_MAX) & np.all((np.abs(reach_low) < 2 ** 62) & (np.abs(reach_high) < 2 ** 62), axis=1)
  return int(np.argmin(fits)) if not fits.all() else None


class Met:
  """The rows of ints a search has met, for the test "met before?": each row packed into one int64 (mixed radix over
  the rows' ranges, packed again when a new row widens them), or compared by its bytes when the ranges do not fit in
  62 bits. A class: it holds the rows and their sorted keys between the search's steps."""

  def __init__(self, rows: np.ndarray):
    self.rows, self.low, self.high, self.count = [rows], rows.min(axis=0), rows.max(axis=0), len(rows)
    self.keys = np.sort(self.pack(rows))

  def pack(self, rows: np.ndarray) -> np.ndarray:
    return pack(rows, self.low, self.high)

  def add(self, rows: np.ndarray) -> np.ndarray:
    """Where in rows the first of each distinct row not met before is; those are met now."""
    low, high = np.minimum(self.low, rows.min(axis=0)), np.maximum(self.high, rows.max(axis=0))
    if not (np.array_equal(low, self.low) and np.array_equal(high, self.high)):
      self.low, self.high = low, high
      self.keys = np.sort(self.pack(np.concatenate(self.rows)))
    keys, first = np.unique(self.pack(rows), return_index=True)
    fresh = ~np.isin(keys, self.keys, assume_unique=True)
    self.keys = np.union1d(self.keys, keys[fresh])
    self.rows.append(rows[first[fresh]])
    self.count += int(fresh.sum())
    return first[fresh]


def pack(rows: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
  """Rows of ints between low and high (per column) as one value each, equal exactly when the rows are: the row's
  number in mixed radix when that fits in 62 bits, else its bytes (row_keys)."""
  radix = high - low + 1
  if np.prod(radix.astype(np.float64)) >= 2 ** 62:
    return row_keys(rows)
  return (rows - low) @ np.cumprod(np.append(1, radix[:0:-1]))[::-1]


def row_keys(rows: np.ndarray) -> np.ndarray:
  """Each row of ints as one value, equal exactly when the rows are (its bytes): for sorting, unique and isin."""
  rows = np.ascontiguousarray(rows, np.int64)
  return rows.view(np.dtype((np.void, 8 * rows.shape[1]))).ravel()


def table_arrays(table: dict, n_symbols: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """prove.py's machine table as arrays indexed [state, input]: allowed (bool), the next state, the outputs."""
  n_q = 1 + max(machine_states(table))
  allowed, goes, want = np.zeros((n_q, n_symbols), bool), np.zeros((n_q, n_symbols), np.int64), np.zeros(
    (n_q, n_symbols, n_out))
  for (q, a), (q2, outs) in table.items():
    allowed[q, a], goes[q, a], want[q, a] = True, q2, outs
  return allowed, goes, want


def touched(low: np.ndarray, high: np.ndarray, state: np.ndarray) -> np.ndarray:
  """The (cell, machine state) rows for the cells from low to high (inclusive, a row of bounds per image) with that
  image's machine state: the images' boxes of cells enumerated at once (mixed-radix counting)."""
  spans = high - low + 1
  counts = np.prod(spans, axis=1)
  image = np.repeat(np.arange(len(low)), counts)
  rest = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)  # each cell's number in its box
  rows = np.empty((len(image), low.shape[1] + 1), np.int64)
  for d in reversed(range(low.shape[1])):
    rows[:, d] = low[image, d] + rest % spans[image, d]
    rest //= spans[image, d]
  rows[:, -1] = state[image]
  return rows


def machine_states(table: dict) -> set:
  return {q for q, _ in table} | {q2 for q2, _ in table.values()}


def grow_task_boxes(graph: dict, task, table: dict, low: np.ndarray, high: np.ndarray, filled: np.ndarray,
                    m: int) -> tuple[dict | None, str]:
  """task_boxes' growing, each box cut into m pieces a state for the step: (the boxes, "") or (None, why not)."""
  compiled, act = compile_steps(graph), graph["graph"]["activation"]
  symbols = all_symbols(task.n_in)
  q, a, q2 = np.array([(q, a, q2) for (q, a), (q2, _) in table.items()], np.int64).reshape(-1, 3).T
  want = np.array([outs for _, outs in table.values()]).reshape(len(q), task.n_out)
  for _ in range(ROUNDS):
    on = filled[q]  # a machine state no run was seen in has no box yet: its steps come once one goes there
    box_low, box_high = np.where(filled[:, None], low, 0.0), np.where(filled[:, None], high, 0.0)
    (new_low, new_high), (out_low, out_high) = pieces_step(compiled, act, box_low, box_high, symbols, m)
    wrong = on[:, None] & np.where(want > 0, ~(out_low[q, a] > 0), ~(out_high[q, a] < 0))  # NaN: wrong too
    if wrong.any():  # boxes only grow: it stays wrong
      i, o = map(int, np.argwhere(wrong)[0])
      return None, (f"in state {q[i]} on input {a[i]} output {o} ranges over [{out_low[q[i], a[i], o]:.3g}, "
                    f"{out_high[q[i], a[i], o]:.3g}], not only {want[i, o]:+.0f} ({m} pieces a state)")
    grown_low, grown_high = low.copy(), high.copy()
    np.minimum.at(grown_low, q2[on], new_low[q[on], a[on]])
    np.maximum.at(grown_high, q2[on], new_high[q[on], a[on]])
    if np.array_equal(grown_low, low) and np.array_equal(grown_high, high):  # (a box reached first moves from inf)
      return {"low": low, "high": high, "pieces": m}, ""
    filled[q2[on]] = True
    with np.errstate(invalid="ignore"):  # the boxes of states not reached yet are empty: inf - inf there
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


def seeded(graph: dict, task, table: dict, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """(low, high) (machine states, graph states): the smallest boxes around the state vectors seen on SEEN sampled
  runs at each machine state (empty: +inf, -inf), and which machine states were seen."""
  n_q = 1 + max(machine_states(table))
  ids = [n["id"] for n in graph["nodes"] if n["kind"] == "state"]
  x = checked_sample(task, np.random.default_rng(seed), *SEEN)[0]
  _, vals = evaluate(graph, x, record=ids)
  vectors = np.stack([vals[s] for s in ids], 2) if ids else np.zeros(x.shape[:2] + (0,))  # during each step
  index = ((x > 0) * (1 << np.arange(task.n_in)[::-1])).sum(axis=2)  # each step's input as its symbol's index
  at = np.zeros(x.shape[:2], np.int64)  # the machine's state during each step
  for b, t in itertools.product(range(x.shape[0]), range(x.shape[1] - 1)):
    if (at[b, t], index[b, t]) not in table:  # prove.check_task_machine ran on these very sequences first
      raise TaskError(f"task {task.name}: its machine does not allow an input its sampler draws")
    at[b, t + 1] = table[at[b, t], index[b, t]][0]
  low, high = np.full((n_q, len(ids)), np.inf), np.full((n_q, len(ids)), -np.inf)
  np.minimum.at(low, at.ravel(), vectors.reshape(-1, len(ids)))
  np.maximum.at(high, at.ravel(), vectors.reshape(-1, len(ids)))
  filled = np.zeros(n_q, bool)
  filled[at.ravel()] = True
  return low, high, filled
