"""Grow bonsais for several tasks and seeds and measure it: train, extract, prune, verify.

In:  task names and seeds.
Out: a table on stdout, and the same as markdown and JSON (bench-results/bench.md, bench.json by default):
     per task and seed the wall time of training and of extract + prune, the step of the first 100%
     validation, training throughput, the pruned size and whether it verified; per task the success rate and
     the median size and time.

Each run is the same command a user types (train.py, then extract.py | prune.py), in its own process, so
--jobs runs several at once. Example: python bench.py --tasks replace111,delay2 --seeds 10 --jobs 2
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tasks import TASKS

HERE = Path(__file__).resolve().parent
PY = sys.executable
SIMPLE = ["delay1", "delay2", "loop3", "replace111", "parens"]


def timed(cmd: list[str], **kw) -> tuple[subprocess.CompletedProcess, float]:
  start = time.time()
  proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, **kw)
  return proc, time.time() - start


def grow(task: str, seed: int, workdir: Path, train_args: list[str]) -> dict:
  """One bonsai: train, then extract | prune. Returns a row of the table."""
  run, graph = workdir / f"{task}-s{seed}.npz", workdir / f"{task}-s{seed}.json"
  row = {"task": task, "seed": seed, "verified": False}
  proc, row["train_s"] = timed([PY, "train.py", "--task", task, "--seed", str(seed), "-o", str(run), *train_args])
  if proc.returncode != 0:
    err = proc.stderr.strip().splitlines()
    return {**row, "total_s": row["train_s"], "error": err[-1] if err else f"exit {proc.returncode}"}
  with np.load(run) as f:
    meta = json.loads(str(f["meta"]))
  rate = meta.get("steps_per_second") or 0.0
  row.update(first_perfect_step=meta.get("first_perfect_step"), steps=meta["steps_done"], attempts=meta["attempt"] + 1,
             steps_per_s=rate, seqs_per_s=round(rate * meta["batch"]), val_accuracy=meta.get("val_accuracy"))
  start = time.time()
  extract = subprocess.run([PY, "extract.py", str(run)], capture_output=True, text=True, cwd=HERE)
  prune = subprocess.run([PY, "prune.py", "-", "-o", str(graph)], input=extract.stdout, capture_output=True,
                         text=True, cwd=HERE)
  row["prune_s"] = time.time() - start
  row["total_s"] = row["train_s"] + row["prune_s"]
  if extract.returncode or prune.returncode:
    err = (extract.stderr or prune.stderr).strip().splitlines()
    return {**row, "error": err[-1] if err else "prune failed"}
  g = json.loads(graph.read_text())["graph"]
  row.update(g["prune"]["after"], verified=bool(g.get("verified", {}).get("correct")))
  return row


def summarize(rows: list[dict]) -> list[dict]:
  out = []
  for task in dict.fromkeys(r["task"] for r in rows):
    mine = [r for r in rows if r["task"] == task]
    ok = [r for r in mine if r["verified"]]
    def med(key, rs=ok):
      values = [r[key] for r in rs if r.get(key) is not None]
      return statistics.median(values) if values else None
    out.append({"task": task, "verified": f"{len(ok)}/{len(mine)}", "neurons": med("neurons"), "states": med("states"),
                "edges": med("edges"), "total_s": med("total_s", mine), "train_s": med("train_s", mine),
                "steps_per_s": med("steps_per_s", mine), "seqs_per_s": med("seqs_per_s", mine)})
  return out


def markdown(rows: list[dict], columns: list[str]) -> str:
  def cell(v):
    return "" if v is None else f"{v:.1f}" if isinstance(v, float) else str(v)
  lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
  return "\n".join(lines + ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows])


RUN_COLUMNS = ["task", "seed", "verified", "neurons", "states", "edges", "train_s", "prune_s", "first_perfect_step",
               "attempts", "steps_per_s", "seqs_per_s", "error"]
SUMMARY_COLUMNS = ["task", "verified", "neurons", "states", "edges", "total_s", "train_s", "steps_per_s", "seqs_per_s"]


def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  ap.add_argument("--tasks", default=",".join(SIMPLE + ["gated"]), help="comma separated task names")
  ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per task (default 5)")
  ap.add_argument("--jobs", type=int, default=1, help="runs at once, each in its own process (default 1)")
  ap.add_argument("--quick", action="store_true", help="a short check: 2 seeds of delay1 and replace111")
  ap.add_argument("--out", default="bench-results", help="folder for bench.md and bench.json")
  ap.add_argument("train_args", nargs="*", help="extra train.py flags after --, e.g. -- --steps 1000")
  args = ap.parse_args()
  names = ["delay1", "replace111"] if args.quick else args.tasks.split(",")
  seeds = 2 if args.quick else args.seeds
  unknown = [n for n in names if n not in TASKS]
  if unknown or seeds < 1 or args.jobs < 1:
    print(f"bench.py: {'unknown task ' + ', '.join(unknown) if unknown else '--seeds and --jobs must be >= 1'}",
          file=sys.stderr)
    sys.exit(2)

  out = Path(args.out)
  out.mkdir(parents=True, exist_ok=True)
  work = Path(tempfile.mkdtemp(prefix="bench-", dir=out))
  jobs = [(t, s) for t in names for s in range(seeds)]
  env_threads = {"NUM_CPU_THREADS": "1"} if args.jobs > 1 else {}
  os.environ.update(env_threads)  # parallel runs each on one core rather than fighting over both
  with ThreadPoolExecutor(args.jobs) as pool:
    rows = []
    for row in pool.map(lambda ts: grow(*ts, work, args.train_args), jobs):
      rows.append(row)
      size = f"{row.get('neurons')}/{row.get('states')}/{row.get('edges')}"
      print(f"{row['task']:<11} seed {row['seed']}: {'verified' if row['verified'] else 'FAILED'} {size} "
            f"in {row.get('total_s', row['train_s']):.0f}s {row.get('error', '')}", file=sys.stderr, flush=True)
  summary = summarize(rows)
  table = (f"Per task (medians over verified seeds; times over all seeds):\n\n{markdown(summary, SUMMARY_COLUMNS)}\n\n"
           f"Per run:\n\n{markdown(rows, RUN_COLUMNS)}\n")
  print(table)
  (out / "bench.md").write_text(table)
  (out / "bench.json").write_text(json.dumps({"summary": summary, "runs": rows, "argv": sys.argv[1:]}, indent=1))
  print(f"wrote {out / 'bench.md'} and {out / 'bench.json'}", file=sys.stderr)


if __name__ == "__main__":
  main()
