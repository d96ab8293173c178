"""Prove a graph right on every input sequence of every length, or find an input it gets wrong.

In:  a graph (graph.py's dict) and its task (tasks.Task; task.states = k, the states of the task's smallest machine).
Out: prove(graph, task) -> {"every_length": True when proven, "how": in words, "machine": the states of the graph's
     machine (None: no finite machine found), "task_states": k, "sequences" and "length": the test suite run (its
     size and longest sequence), "failure": the first wrong input in words (None: none found), "sets": the suite
     as verify.py's test sets (to test other graphs with)}.

How, in three steps:
1. A finite machine that the graph follows on every input: fsm.explore runs it on every input at every state
   vector it reaches; when no new vector comes, that search is complete and every run of the graph is a walk in
   it (fsm.machine minimizes it to n states). When new values keep coming (an analog state), boxes.py looks for
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
graph is wrong: prune.py refuses it with that input. Without a machine, or without k, the proof stays open and
says why. The proof trusts task.states: a task with more states than it declares may differ from the graph later.
"""
import argparse
import itertools
import sys

import numpy as np

from boxes import SEEN, machine_states, task_boxes
from fsm import box_fsm, explore, machine, state_vectors
from graph import (
  GraphError,
  all_symbols,
  check_fits,
  compile_steps,
  evaluate,
  load_graph,
  remove_dead,
  save_graph,
  task_of,
)
from tasks import TaskError, checked_sample, checked_target, get_task, one_line
from verify import check, inputs_text

SUITE_STEPS = 1 << 22  # input steps (sequences x their lengths) the suite may take; a bigger one leaves it open
CHECKED = {}  # id -> task: the tasks whose machine check_task_machine has checked
PRODUCT_MAX = 100_000  # pairs of (state vector, task machine state) a search beside the task's machine may visit
PRODUCT_DEPTH = 10_000  # and steps deep (a state that drifts alone adds one pair a step: one evaluate each)
MACHINE_MAX = 1024  # states of the graph's machine: telling every pair apart takes n^2 memory, n times


def prove(graph: dict, task) -> dict:
  """The proof, or why there is none (see the module docstring)."""
  graph = remove_dead(graph)  # the same outputs: fewer state vectors to visit
  k = task.states
  out = {"every_length": False, "machine": None, "task_states": k, "sequences": 0, "length": 0, "failure": None,
         "sets": []}
  if task.machine is not None:
    return beside_task_machine(graph, task, out)
  if task.inputs is not None:
    return {**out, "how": f"not proven: task {task.name} draws its own inputs, and its {k} states are on those "
                          "(Task(..., machine=) would give the inputs it can draw)"}
  exp = explore(graph, task)
  fsm, found = graph_machine(graph, exp, k)
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
                          f"the suite for {max(n, k)} states would take {steps} input steps (at most {SUITE_STEPS})"}
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


def beside_task_machine(graph: dict, task, out: dict) -> dict:
  """The proof for a task that gives its own machine (task.machine = (start, step); step(state, inputs) -> (next
  state, outputs), or None for an input its sampler never gives there): the graph and that machine run side by
  side on every input the machine allows, breadth first, from (the graph's initial state vector, start). When no
  new pair of (state vector, machine state) comes, every run the sampler can make is a walk among the pairs seen,
  and every output at every pair was compared: right for every length. An analog state gives new vectors forever:
  then boxes.task_boxes tries a box of state vectors for each of the machine's states, then a grid of small cells
  of the state space (boxes.cell_boxes). A first wrong output is a
  shortest failing input: it is run again against task.target with the evaluator (a machine that disagrees with
  its own target is the task's error). A machine that allows an input its sampler never draws is held to its
  target there too: allow only what the sampler can draw."""
  check_task_machine(task)
  table = machine_table(task)
  if table is None:
    return {**out, "how": f"not proven: task {task.name}'s machine has more than {MACHINE_MAX} states"}
  ids = [n["id"] for n in graph["nodes"] if n["kind"] == "state"]  # prove() removed the dead ones
  rec = {e["target"]: e["source"] for e in graph["edges"] if e.get("feedback")}
  symbols, compiled = all_symbols(task.n_in), compile_steps(graph)
  init = np.array([n["init"] for n in graph["nodes"] if n["kind"] == "state"], np.float64) + 0.0
  seen, frontier, depth = {(init.tobytes(), 0)}, [(init, 0, ())], 0
  while frontier and len(seen) <= PRODUCT_MAX and depth < PRODUCT_DEPTH:
    depth += 1
    moves = [(v, table[q, a], path + (a,)) for v, q, path in frontier for a in range(len(symbols)) if (q, a) in table]
    frontier = []  # a machine that allows no input from here on leaves nothing more to compare
    if not moves:
      break
    starts = {sid: np.array([v[j] for v, _, _ in moves]) for j, sid in enumerate(ids)}
    x = symbols[[path[-1] for _, _, path in moves]][:, None, :]
    y, vals = evaluate(graph, x, record=True, start=starts, steps=compiled)
    wrong = np.flatnonzero(~np.all(y[:, 0] * np.array([want for _, (_, want), _ in moves]) > 0, axis=1))
    if len(wrong):
      return failed(graph, task, symbols, moves[wrong[0]][2], out)
    after = state_vectors(vals, [rec.get(s, s) for s in ids], 0).reshape(len(moves), len(ids))
    for i, (_, (q, _), path) in enumerate(moves):
      if (after[i].tobytes(), q) not in seen:
        seen.add((after[i].tobytes(), q))
        frontier.append((after[i], q, path))
  n = len(machine_states(table))
  if not frontier:
    vectors = len({v for v, _ in seen})
    return {**out, "every_length": True, "machine": vectors, "length": depth,
            "how": f"proven for every length on the inputs task {task.name} gives: beside the task's machine of {n} "
                   f"states on every input it allows, the graph's {vectors} state vectors make {len(seen)} pairs "
                   "with the machine's states, and no new pair comes; every output at every pair is right"}
  boxes, how = task_boxes(graph, task, table)
  if boxes is None:
    return {**out, "how": f"not proven: beside task {task.name}'s machine of {n} states, new state vectors kept "
                          f"coming ({len(seen)} pairs, {depth} steps deep), and {how}"}
  return {**out, "every_length": True, "machine": n,
          "how": f"proven for every length on the inputs task {task.name} gives: {how}"}


def machine_table(task) -> dict | None:
  """The task's machine as a table {(state, input): (next state, outputs)}, its states numbered from 0 at the
  start in the order a breadth-first walk meets them, the inputs as indices into all_symbols; only the steps the
  machine allows. None when it has more than MACHINE_MAX states."""
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
  return table


def as_outputs(outputs, n_out: int) -> np.ndarray:
  """A machine step's outputs (one number, or one per output) as an array of n_out."""
  return np.broadcast_to(np.asarray(outputs, np.float64), n_out)


def failed(graph: dict, task, symbols: np.ndarray, path: tuple, out: dict) -> dict:
  """The proof's record for a path where the graph and the task's machine differ, checked against task.target."""
  x = symbols[np.array(path)][None].astype(np.float32)
  sets = [{"name": f"proof ({len(path)} steps)", "x": x, "y": checked_target(task, x).astype(np.float64)}]
  report = check(graph, sets)
  if report["first_failure"] is None:
    raise TaskError(f"task {task.name}: its machine and its target differ on inputs {inputs_text(x[0])}")
  return {**out, "sequences": 1, "length": len(path), "failure": report["first_failure"], "sets": sets,
          "how": f"wrong: run beside task {task.name}'s machine, the graph fails {report['first_failure']}"}


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
  """A minimized machine (fsm.machine's) as arrays: next[state, symbol] and out[state, symbol] (the outputs' signs
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
    if told[p] != told[q] or length[p, q] == 0:  # 0: the same behaviour (fsm.machine minimized it: not seen)
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
  count = (1 + n * s) * sum(s ** r for r in range(m - n + 1)) * max(1, len(tell))
  return count * padded(max(map(len, access(nxt))) + 1 + m - n + max(map(len, tell), default=0))


def padded(length: int) -> int:
  """The next power of two (the length suite_sets runs a sequence for)."""
  return 1 << (length - 1).bit_length()


def suite_sets(suite: list[tuple], symbols: np.ndarray, task) -> list[dict]:
  """The suite as verify.check's test sets: x (batch, length, n_in) of ±1 and the task's y. The sequences are
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


def record(proof: dict) -> dict:
  """What goes into graph.verified: every_length, and the proof without its test sets."""
  return {"every_length": proof["every_length"],
          "proof": {k: v for k, v in proof.items() if k not in ("sets", "every_length")}}


def main():
  ap = argparse.ArgumentParser(description="Prove a graph right on every input sequence of every length (or find "
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
      graph["graph"]["verified"] = {**graph["graph"].get("verified", {}), **record(proof)}
      save_graph(graph, args.out)
  except (GraphError, TaskError) as e:
    print(f"prove.py: {e}", file=sys.stderr)
    sys.exit(2)
  print(f"prove.py: {name}: {proof['how']}", file=sys.stderr)
  sys.exit(1 if proof["failure"] else 0)


if __name__ == "__main__":
  main()
