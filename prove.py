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

from fsm import box_fsm, explore, machine
from graph import GraphError, check_fits, load_graph, remove_dead, save_graph, task_of
from tasks import TaskError, checked_target, get_task
from verify import check

SUITE_STEPS = 1 << 22  # input steps (sequences x their lengths) the suite may take; a bigger one leaves it open
MACHINE_MAX = 1024  # states of the graph's machine: telling every pair apart takes n^2 memory, n times


def prove(graph: dict, task) -> dict:
  """The proof, or why there is none (see the module docstring)."""
  graph = remove_dead(graph)  # the same outputs: fewer state vectors to visit
  k = task.states
  out = {"every_length": False, "machine": None, "task_states": k, "sequences": 0, "length": 0, "failure": None,
         "sets": []}
  if task.inputs is not None:
    return {**out, "how": f"not proven: task {task.name} draws its own inputs, and its {k} states are on those"}
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
  args = ap.parse_args()
  name = "<stdin>" if args.graph == "-" else args.graph
  try:
    graph = load_graph(args.graph)
    task = get_task(args.task) if args.task else task_of(graph)
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
