"""Grow a bonsai: train from the generic start, prune, then re-fit and prune again while the graph shrinks.

In:  a task (--task NAME, or path/file.py:NAME for your own) and a seed.
Out: the smallest verified graph of the rounds, except that once one is proven for every length only a smaller
     proven one replaces it (-o, default runs/<task>-s<seed>/bonsai.json), its path as the last line on stdout;
     beside it every round's run file and graphs; one line per round on stderr. It is the same as typing

  python train.py --task delay2 --seed 0 -o runs/delay2-s0/round0.npz
  python extract.py runs/delay2-s0/round0.npz | python prune.py -o runs/delay2-s0/round0.json
and then, for each later round R, with roundR-start.json the smallest graph so far (or it without one state):
  python train.py --from runs/delay2-s0/roundR-start.json [--all-weights] --steps HALF --restarts 0 \
                  -o runs/delay2-s0/roundR.npz
  python extract.py runs/delay2-s0/roundR.npz | python prune.py -o runs/delay2-s0/roundR.json

Why re-fit: pruning only deletes what can go with every other weight left as it is. Each round first tries the
smallest graph so far without one of its states (least used first, replaced by its mean value), re-fit with every
weight of that smaller network, which has to heal the cut; then the graph as it is, re-fit on its own edges with
the penalty on, which moves the work onto fewer weights. The first try that prunes to a smaller verified graph
wins and the next round starts from it (once a graph is proven for every length, only a proven one can replace
it: a proof is worth more than an edge); a round where no try shrinks it ends the growing. When round 0 gives no
correct network, it trains once more with noise on the states (--state-noise 0.1, or the task's own if more),
with --seq-len at most 8 (unrolled 8 steps at a time; with --windows the sequences are that many windows long),
for twice the steps, with up to 15 fresh starts, and the re-fits keep that noise and length. When the smallest
graph is not proven for every length and the task declares its machine, grow settles it (train.py --settle: its run
trained on, half the task's steps, toward the smooth activation with noise on the states; settle.npz and
settle.json) and keeps the settled graph if it is proven, whatever its size, then re-fits it in the rounds left. A
finished round's files are reused when grow.py runs again (an interrupted round resumes), so stopping it loses
nothing; --force starts over.
"""
import sys
from pathlib import Path

import numpy as np

import extract
import prune
import train
from graph import (
  FROM,
  GraphError,
  RunError,
  evaluate,
  format_size,
  load_run,
  remove_dead,
  save_graph,
  size,
)
from tasks import ArgumentParser, TaskError, check_settings, checked_sample, get_task

REFIT_STEPS = 0.5  # a re-fit runs this fraction of the task's steps (it starts from a correct network)
# When round 0 is not correct: train again with this much noise on the states (train.py --state-noise), on
# sequences of at most SHORT steps, for twice the steps. Counters such as mod 3 then settle into exact states;
# without noise they drifted after the training length, every attempt. Short sequences make the transitions
# easier to find (without the penalty, a mod-4 counter learned nothing in 10000 steps on 20-step sequences and
# fitted 8-step ones in 3000); validation still runs 100 steps. Not the default: analog solutions (parens' depth
# counter, one-state parity) do not survive the noise.
NOISE, SHORT = 0.1, 8
# and with this many fresh starts (train.py --restarts; an attempt that is not perfect by 40% of the steps starts
# over): mod4_high finds its counter in about one attempt in ten; 4 attempts grew 3 of 10 seeds, 16 grew the
# failed seeds 0 and 2 after 10 and 14. A task that grows in round 0 never pays for them.
RETRY_RESTARTS = 15
# The settle phase (train.settle), when the smallest graph is not proven for every length and the task declares its
# machine (states= or machine=): this fraction of the task's steps more, toward the smooth activation with noise on
# the states. The settled graph replaces the smallest one only when it is proven, whatever its size.
SETTLE_STEPS = 0.5


def weight(g: dict) -> int:
  """How big a graph is, for "smaller": its neurons, states and edges together."""
  return sum(size(g).values())


def proven(g: dict) -> bool:
  return bool(g["graph"]["verified"].get("every_length"))


def proof_note(g: dict) -> str:
  """Whether a round's graph is proven for every length, and if not, why (prove.py's words, first clause)."""
  if proven(g):
    return "proven for every length"
  how = g["graph"]["verified"].get("proof", {}).get("how", "not proven")
  return how.split(";")[0][:200]


def better(g: dict, best: dict) -> bool:
  """Smaller, and not a proof traded for size: a graph proven for every length gives way only to a proven one."""
  return weight(g) < weight(best) and (proven(g) or not proven(best))


class Mismatch(RunError):
  """A round's file holds a run of other settings or another start."""


def train_round(run: train.Run) -> None:
  """Train a round's run, or resume it, or leave it when its file holds the finished run already; a file that is no
  readable run is trained again. Mismatch when the file there is a run of other settings or another start (grow.py
  was run with other flags: --force starts over)."""
  try:
    resume = load_run(run.out) if run.out.exists() else None
  except RunError as e:  # cut short or damaged (writes are atomic, but disks fill and files get copied): the
    note(f"{e}; training that round again")  # round trains again, and its file is written anew
    resume = None
  if resume:  # the same round of the same run: same task, settings, seed and start
    arrays, meta = resume
    train.resumed_task(run.task_spec, meta, run.out)
    train.resumed_settings(run.out, meta, run.task, run.cfg["cells"], run.seed)
    other = [k for k in run.cfg if k != "cells" and meta.get(k) != run.cfg[k]]
    start = {k[len(FROM):]: v for k, v in arrays.items() if k.startswith(FROM)}
    same_start = start.keys() == (run.start_from or {}).keys() and all(
      np.array_equal(v, run.start_from[k]) for k, v in start.items())
    if other or not same_start:
      why = f"--{other[0].replace('_', '-')} {meta.get(other[0])}" if other else "another start"
      raise Mismatch(f"{run.out}: a run of {why} is there; give --force to grow again from the start")
    if train.finished(meta, run.cfg["steps"]):
      return
    train.check_resumable(run.out, *resume, run.cfg)
  train.train(run, resume)


def pruned(run_file: Path, task, out: Path) -> dict:
  """extract.py | prune.py of a round's run file, written to out; prune.Incorrect if the network is not correct."""
  g = prune.prune(extract.extract(str(run_file)), task)
  save_graph(g, str(out))
  return g


def grow(spec: str, seed: int, folder: Path, cells: str | None, rounds: int, force: bool) -> tuple[dict, Path]:
  """Train and prune, then re-fit while it shrinks: each round tries the smallest graph so far without one of its
  states (least used first; the re-fit has to heal it), then as it is, and keeps the first re-fit that prunes to a
  smaller verified graph. Returns (smallest graph, its file)."""
  task = get_task(spec)
  cfg = check_settings({**task.settings(), **({"cells": cells} if cells else {})}, task.n_in, task.n_out)
  folder.mkdir(parents=True, exist_ok=True)
  if force:
    for old in [*folder.glob("round*"), *folder.glob("settle*")]:
      if old.is_file():
        old.unlink()
  run = train.Run(task, spec, cfg, seed, folder / "round0.npz")
  train_round(run)
  best_file = folder / "round0.json"
  try:
    best = pruned(run.out, task, best_file)
  except prune.Incorrect:  # (a task trained with noise already, such as gated, still gets the longer retry)
    cfg = {**cfg, "state_noise": max(cfg["state_noise"], NOISE), "seq_len": min(cfg["seq_len"], SHORT),
           "steps": 2 * cfg["steps"]}
    note(f"round 0: not correct on {task.name}; again with --state-noise {cfg['state_noise']} "
         f"--seq-len {cfg['seq_len']} --steps {cfg['steps']}")
    run = train.Run(task, spec, cfg, seed, folder / "round0-noise.npz", restarts=RETRY_RESTARTS)
    train_round(run)
    best_file = folder / "round0-noise.json"
    best = pruned(run.out, task, best_file)
  note(f"round 0: trained {cfg['cells']}, pruned to {format_size(size(best))}, {proof_note(best)}")
  kept = {k: cfg[k] for k in ("state_noise", "seq_len")}
  best, best_file, r = shrink(best, best_file, 0, rounds, spec, seed, folder, task, kept)
  if rounds and not proven(best) and (task.states or task.machine):  # a proof is possible: settle, keep a proof
    g = settle(best_file, spec, folder, task)
    note("settled: " + (f"pruned to {format_size(size(g))}, {proof_note(g)}" if g else "not correct"))
    if g is not None and proven(g):
      best, best_file, r = shrink(g, folder / "settle.json", r, rounds, spec, seed, folder, task, kept)
  return best, best_file


def shrink(best: dict, best_file: Path, r: int, rounds: int, spec: str, seed: int, folder: Path, task,
           kept: dict) -> tuple[dict, Path, int]:
  """Re-fit rounds r + 1 ... rounds while they shrink the graph: each tries the smallest graph so far without one of
  its states (least used first; the re-fit has to heal it), then as it is, and the first re-fit that prunes to a
  better graph (see better()) is the next start. Returns (smallest graph, its file, the last round tried)."""
  while r < rounds:
    means = state_means(best, task)
    if len(means) == 1 and task.states != 1:
      means = {}  # without a state a network has no memory: only a task of one state needs none
    tries = [(f"without {s}", s, False) for s in means] + [("as it is", None, True)]
    for what, state, masked in tries[:rounds - r]:
      r += 1
      start = best if state is None else remove_dead(prune.as_constant(best, state, means[state]))
      g = refit(start, spec, seed, folder, r, task, masked, kept)
      note(f"round {r}: re-fit {what}: " + (f"pruned to {format_size(size(g))}, {proof_note(g)}" if g else
                                                "not correct"))
      if g is not None and better(g, best):
        best, best_file = g, folder / f"round{r}.json"
        break
    else:  # nothing shrank
      break
  return best, best_file, r


def settle(best_file: Path, spec: str, folder: Path, task) -> dict | None:
  """The settle phase: the run of the smallest graph (best_file's .npz) trained on for SETTLE_STEPS of the task's
  steps toward the smooth activation with noise on the states (train.settle), then pruned; the pruned graph, or
  None when it is not correct. settle.npz is reused or resumed when grow.py runs again, as a round's file is."""
  out = folder / "settle.npz"
  try:
    train.settle(best_file.with_suffix(".npz"), task, spec, out, max(3, int(task.settings()["steps"] * SETTLE_STEPS)))
    return pruned(out, task, folder / "settle.json")
  except (prune.Incorrect, RunError, GraphError) as e:
    if not isinstance(e, prune.Incorrect):
      note(f"settling: {e}")
    return None


def refit(start: dict, spec: str, seed: int, folder: Path, r: int, task, masked: bool, kept: dict) -> dict | None:
  """Round r: train.py --from the start graph (masked: its edges only; else --all-weights; kept: round 0's noise
  and sequence length), then prune; the pruned graph, or None when it is not correct."""
  if not any(not e.get("feedback") for e in start["edges"]):
    return None  # nothing left to train
  save_graph(start, str(folder / f"round{r}-start.json"))
  steps = max(1, int(task.settings()["steps"] * REFIT_STEPS))
  flags = {"steps": steps, **kept}
  try:
    task, spec, cfg, arrays = train.refit_start(str(folder / f"round{r}-start.json"), spec, flags, masked)
    run = train.Run(task, spec, cfg, seed, folder / f"round{r}.npz", restarts=0, start_from=arrays)
    train_round(run)
    return pruned(run.out, task, folder / f"round{r}.json")
  except Mismatch:  # grow.py was run again with other flags: the user's to resolve
    raise
  except (prune.Incorrect, RunError, GraphError) as e:  # never got (back) to a correct network, or its loss
    if not isinstance(e, prune.Incorrect):                      # blew up: the smallest graph so far stands
      note(f"round {r}: {e}")
    return None


def state_means(g: dict, task) -> dict[str, float]:
  """Each state's mean value on sampled sequences, least used state first (by the |weights| of the edges out of
  it): what a try puts in its place when it removes it."""
  use = {n["id"]: 0.0 for n in g["nodes"] if n["kind"] == "state"}
  for e in g["edges"]:
    if e["source"] in use:
      use[e["source"]] += abs(e["weight"])
  _, values = evaluate(g, checked_sample(task, np.random.default_rng(0), 256, 40)[0], record=True)
  return {s: round(float(values[s].mean()), 6) for s in sorted(use, key=use.get)}


def note(line: str) -> None:
  print(f"grow.py: {line}", file=sys.stderr, flush=True)


def main():
  ap = ArgumentParser(description="Grow a bonsai: train a sparse RNN from the generic start, prune it, then "
                               "re-fit the pruned graph's own edges and prune again while it shrinks.")
  ap.add_argument("--task", default="replace111", help="task name (python tasks.py lists them) or path/file.py:NAME "
                  "(default replace111)")
  ap.add_argument("--seed", type=int, default=0, help="random seed: the same seed grows the same bonsai (default 0)")
  ap.add_argument("--cells", help="the network to start from, e.g. 8x4 (default: the task's, else tasks.DEFAULTS)")
  ap.add_argument("--rounds", type=int, default=6, help="re-fits at most (default 6; 0: train and prune only, no "
                  "re-fit and no settling)")
  ap.add_argument("--force", action="store_true", help="start over instead of reusing the rounds already done")
  ap.add_argument("--runs", default="runs", help="where each grown bonsai gets its folder of rounds (default runs)")
  ap.add_argument("-o", "--out", help="the bonsai's graph JSON (default RUNS/<task>-s<seed>/bonsai.json)")
  args = ap.parse_args()
  train.use_device_defaults()
  name = Path(args.task.split(":")[-1]).name if ":" in args.task else args.task
  folder = Path(args.runs) / f"{name}-s{args.seed}"
  out = Path(args.out or folder / "bonsai.json")
  try:
    if args.seed < 0 or args.rounds < 0:
      raise ValueError("--seed and --rounds must be 0 or more")
    train.check_output(out)  # before anything trains: a folder it can write in, not a folder itself
    train.check_output(folder / "round0.npz")
    best, best_file = grow(args.task, args.seed, folder, args.cells, args.rounds, args.force)
    save_graph(best, str(out))
  except (TaskError, GraphError, RunError, ValueError) as e:
    print(f"grow.py: {e}", file=sys.stderr)
    sys.exit(2)
  except prune.Incorrect as e:
    print(f"grow.py: the trained network is not correct on {args.task}: {e.args[0]['first_failure']}", file=sys.stderr)
    sys.exit(1)
  except KeyboardInterrupt:  # before a round's first step: nothing to save yet
    train.leave(130)
  except SystemExit as e:  # a round being trained has checkpointed already; running grow.py again resumes it
    train.leave(e.code if isinstance(e.code, int) else 1)
  note(f"the bonsai: {format_size(size(best))} ({best_file.name}), {proof_note(best)}")
  print(out)


if __name__ == "__main__":
  main()
