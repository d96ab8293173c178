"""Whether a graph is correct on its task: the check every edit of prune.py must pass, and its report.

In:  a graph (graph.py's dict) and the test sets of tasks.test_sets (sampled sequences, and every short one).
Out: passes(graph, sets) -> bool (screen=True: only the first pieces, a quick test a full check must confirm);
     check(graph, sets) -> {"right", "total", "accuracy", "first_failure"}; verification(sets, report), the record
     that goes into graph.verified.

"Correct": on every step of every test sequence the sign of each output matches the task (an output of exactly 0
is wrong). train.py validates its networks on the same sets, so a run it calls perfect is one prune.py accepts.
"""
import numpy as np

from graph import evaluate, remove_dead

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


def signs(v: np.ndarray) -> str:
  return "".join("+" if a > 0 else "-" for a in v)


def inputs_text(x: np.ndarray) -> str:
  """A sequence of input steps as signs, '+ - -'; a run of 8 or more equal steps as '-*12' (a long sequence stays
  one line, and still says exactly what went in)."""
  steps = [signs(step) for step in x]
  words, i = [], 0
  while i < len(steps):
    j = i
    while j < len(steps) and steps[j] == steps[i]:
      j += 1
    words += [f"{steps[i]}*{j - i}"] if j - i >= 8 else steps[i:j]
    i = j
  return " ".join(words)


def check(graph: dict, sets: list[dict]) -> dict:
  """The full report: how many sequences are right, and the first wrong one (inputs up to the wrong step)."""
  right, total, first = 0, 0, None
  graph = remove_dead(graph)  # the same outputs, computed from what they depend on only
  for s in sets:
    ok = evaluate(graph, s["x"]) * s["y"] > 0  # (batch, length, n_out)
    whole = ok.all(axis=(1, 2))
    right, total = right + int(whole.sum()), total + len(whole)
    if first is None and not whole.all():
      b = int(np.argmin(whole))
      t = int(np.argmin(ok[b].all(axis=1)))
      o = int(np.argmin(ok[b, t]))
      got = evaluate(graph, s["x"][b:b + 1, :t + 1])[0, t, o]
      first = (f"{s['name']} sequence {b}, inputs {inputs_text(s['x'][b, :t + 1])}: at step "
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
