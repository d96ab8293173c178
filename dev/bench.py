"""Grow bonsais for several tasks and seeds and measure it: train, extract, prune, verify.

In:  task names and seeds.
Out: a table on stdout, and the same as markdown and JSON (bench-results/bench.md, bench.json by default):
     per task and seed the wall time of training and of extract + prune, the step of the first 100%
     validation, training throughput, the pruned size and whether it verified; per task the success rate and
     the median size and time.

Each run is the same command a user types (train.py, then extract.py | prune.py), in its own process, so
--jobs runs several at once. Example: python dev/bench.py --tasks replace111,delay2 --seeds 10 --jobs 2
"""
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent  # the repo: the stages run from there, as a user runs them
sys.path.insert(0, str(HERE))  # a developer tool in dev/ imports the stages it measures
import graph  # noqa: E402
from tasks import DEFAULTS, ArgumentParser, TaskError, get_task, parse_cells  # noqa: E402

PY = sys.executable
SIMPLE = ["delay1", "delay2", "loop3", "replace111", "parens"]


def timed(cmd: list[str], **kw) -> tuple[subprocess.CompletedProcess, float]:
  start = time.time()
  proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, **kw)
  return proc, time.time() - start


def grow(task: str, seed: int, workdir: Path, train_args: list[str]) -> dict:
  """One bonsai: train, then extract | prune. Returns a row of the table (task: a name, or path/file.py:NAME)."""
  name = task.rsplit(":", 1)[-1]
  workdir.mkdir(parents=True, exist_ok=True)  # on a Ray cluster's other machines too
  run, graph = workdir / f"{name}-s{seed}.npz", workdir / f"{name}-s{seed}.json"
  row = {"task": name, "seed": seed, "verified": False}
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
  row.update(g["prune"]["after"], **checks(g))
  return row


def checks(g: dict) -> dict:
  """A pruned graph's verified (correct on the test sets) and proven (for every length) flags: columns of a row."""
  verified = g.get("verified", {})
  return {"verified": bool(verified.get("correct")), "proven": bool(verified.get("every_length"))}


def grow_refit(task: str, seed: int, workdir: Path, grow_args: list[str]) -> dict:
  """One bonsai as grow.py grows it (train, prune, then re-fit and prune while it shrinks): a row of the table."""
  name = task.rsplit(":", 1)[-1]
  workdir.mkdir(parents=True, exist_ok=True)
  out = workdir / f"{name}-s{seed}.json"
  row = {"task": name, "seed": seed, "verified": False}
  proc, row["total_s"] = timed([PY, "grow.py", "--task", task, "--seed", str(seed), "--runs", str(workdir), "--force",
                                "-o", str(out), *grow_args])
  if proc.returncode != 0:
    err = proc.stderr.strip().splitlines()
    return {**row, "error": err[-1] if err else f"exit {proc.returncode}"}
  folder = workdir / f"{Path(name).name}-s{seed}"
  with np.load(folder / ("round0-noise.npz" if (folder / "round0-noise.npz").exists() else "round0.npz")) as f:
    meta = json.loads(str(f["meta"]))
  rate = meta.get("steps_per_second") or 0.0
  rounds = len(re.findall(r"^grow.py: round \d+:", proc.stderr, re.M))
  g = json.loads(out.read_text())["graph"]
  row.update(g["prune"]["after"], **checks(g), rounds=rounds,
             first_perfect_step=meta.get("first_perfect_step"), attempts=meta["attempt"] + 1, steps_per_s=rate)
  return row


def summarize(rows: list[dict], smallest: dict[str, int | None]) -> list[dict]:
  """Per task: seeds verified, median sizes (over verified seeds) and times (over all); the smallest machine's
  state count and the boolean states it needs, ceil(log2 of it), when the task declares it."""
  out = []
  for task in dict.fromkeys(r["task"] for r in rows):
    mine = [r for r in rows if r["task"] == task]
    ok = [r for r in mine if r["verified"]]
    def med(key, rs=ok):
      values = [r[key] for r in rs if r.get(key) is not None]
      return statistics.median(values) if values else None
    k = smallest.get(task)
    proven = sum(r.get("proven", False) for r in mine)
    out.append({"task": task, "verified": f"{len(ok)}/{len(mine)}", "proven": f"{proven}/{len(mine)}",
                "neurons": med("neurons"), "states": med("states"),
                "edges": med("edges"), "machine": k, "bool_states": math.ceil(math.log2(k)) if k else None,
                "total_s": med("total_s", mine), "train_s": med("train_s", mine),
                "steps_per_s": med("steps_per_s", mine), "seqs_per_s": med("seqs_per_s", mine)})
  return out


def markdown(rows: list[dict], columns: list[str]) -> str:
  def cell(v):
    return "" if v is None else f"{v:.1f}" if isinstance(v, float) else str(v)
  lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
  return "\n".join(lines + ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows])


def padded_graph(neurons: int, seed: int = 0) -> dict:
  """examples/delay1.json with `neurons` more neurons that read its input and state with random weights and feed the
  output with weights below 1e-4: a big graph whose first clip leaves the bonsai (prune's scaling benchmark)."""
  g = graph.load_graph(str(HERE / "examples" / "delay1.json"))
  rng = np.random.default_rng(seed)
  sources = [n["id"] for n in g["nodes"] if n["kind"] in ("input", "state")]
  for j in range(neurons):
    nid = f"c0_o{100 + j}"
    g["nodes"].insert(-1, {"id": nid, "kind": "neuron", "role": "output", "cell": 0, "index": 100 + j,
                           "bias": float(rng.normal(0, 0.1))})
    g["edges"] += [{"source": s, "target": nid, "weight": float(rng.normal(0, 0.5))} for s in sources]
    g["edges"].append({"source": nid, "target": "out0", "weight": float(rng.uniform(-1e-4, 1e-4))})
  return g


def prune_scaling(sizes: list[int], work: Path) -> list[dict]:
  """prune.py's wall time on padded graphs of each size, as a user runs it."""
  rows = []
  for n in sizes:
    path = work / f"padded-{n}.json"
    graph.save_graph(padded_graph(n), str(path))
    proc, seconds = timed([PY, "prune.py", str(path), "-o", str(work / f"padded-{n}-pruned.json")])
    after = json.loads((work / f"padded-{n}-pruned.json").read_text())["graph"]["prune"] if not proc.returncode else {}
    rows.append({"neurons": n + 2, "edges": graph.size(graph.load_graph(str(path)))["edges"], "prune_s": seconds,
                 "after": graph.format_size(after["after"]) if after else proc.stderr.strip()[-200:]})
    print(f"prune.py on {n + 2} neurons: {seconds:.1f}s -> {rows[-1]['after']}", file=sys.stderr, flush=True)
  return rows


def drawing_figures() -> list[dict]:
  """Every graph in examples/ as render.py draws it (.dot), laid out by Graphviz's dot: the edges, the pairs of
  edges that do not share a node and whose splines cross (edge_crossings), and the drawing's height over its width."""
  import render
  rows = []
  for path in sorted((HERE / "examples").glob("*.json")):
    g = graph.load_graph(str(path))
    layout = dot_layout(render.draw(g).source)
    x0, y0, x1, y1 = map(float, layout["bb"].split(","))
    rows.append({"graph": path.name, "edges": len(layout.get("edges", [])), "crossings": edge_crossings(layout),
                 "height_over_width": f"{(y1 - y0) / (x1 - x0):.2f}"})
  return rows


def dot_layout(source: str) -> dict:
  """Graphviz's own layout of a DOT source: `dot -Tjson`."""
  return json.loads(subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True, check=True).stdout)


def edge_crossings(layout: dict, samples: int = 16) -> int:
  """How many pairs of edges that share no node cross, in a `dot -Tjson` layout: each edge's spline (its cubic
  Bezier pieces, `samples` points a piece) as a polyline, two polylines crossing where a segment of one properly
  crosses a segment of the other."""
  names = {o["_gvid"]: o["name"] for o in layout.get("objects", [])}
  lines = []
  for e in layout.get("edges", []):
    points = next((op["points"] for op in e.get("_draw_", []) if op["op"] in ("b", "B")), None)
    if points:
      lines.append(({names[e["tail"]], names[e["head"]]}, bezier_polyline(np.array(points, float), samples)))
  return sum(not (ends & other_ends) and polylines_cross(p, q)
             for i, (ends, p) in enumerate(lines) for other_ends, q in lines[i + 1:])


def bezier_polyline(points: np.ndarray, samples: int) -> np.ndarray:
  """Points along a spline of cubic Bezier pieces (points: 1 + 3k control points)."""
  t = np.linspace(0, 1, samples + 1)[1:, None]
  out = [points[:1]]
  for i in range(0, len(points) - 3, 3):
    p0, p1, p2, p3 = points[i:i + 4]
    out.append((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3)
  return np.concatenate(out)


def polylines_cross(p: np.ndarray, q: np.ndarray) -> bool:
  """Whether a segment of polyline p properly crosses one of q (each pair of segments at once, in numpy)."""
  a, b, c, d = p[:-1, None], p[1:, None], q[None, :-1], q[None, 1:]

  def side(u, v, w):  # the sign of the turn u -> v -> w
    turn = (v[..., 0] - u[..., 0]) * (w[..., 1] - u[..., 1]) - (v[..., 1] - u[..., 1]) * (w[..., 0] - u[..., 0])
    return np.sign(turn)
  return bool(np.any((side(a, b, c) * side(a, b, d) < 0) & (side(c, d, a) * side(c, d, b) < 0)))


def readout_times(repeats: int = 20) -> list[dict]:
  """The readout of every graph in examples/ (what render.py does for -o x.txt and -o x.py: explore, the machine,
  the gates, the program), best of `repeats` in ms, each from cold caches as in a fresh render.py; and the time
  prove.py takes to prove it (or to say why not), once."""

  import prove
  import readout
  rows = []
  for path in sorted((HERE / "examples").glob("*.json")):
    g = graph.load_graph(str(path))
    task, best = graph.task_of(g), math.inf
    for _ in range(repeats):
      readout.cached_shortest.cache_clear()
      readout.act_body.cache_clear()
      start = time.perf_counter()
      exp = prove.explore(g, task)
      states = prove.machine(g, exp)["states"]
      readout.program(g, exp), readout.report(g, exp)
      best = min(best, time.perf_counter() - start)
    start = time.perf_counter()
    proof = prove.prove(g, task)
    rows.append({"graph": path.name, "readout_ms": f"{best * 1000:.2f}", "machine": states, "how": exp["how"],
                 "prove_s": f"{time.perf_counter() - start:.2f}", "proven": proof["every_length"]})
  return rows


# bench.py --speed: a small run, and the write-up's gated scale (its 2 cells of 16x10, batch 4096, sequences of 40)
SPEEDS = {"small": ("replace111", "4x2", 1024, 20, 300), "large": ("gated", "16x10,16x10", 4096, 40, 30)}


def train_speed(work: Path) -> list[dict]:
  """train.py at each SPEEDS setting, as a user runs it, twice: first with an empty compile cache (tinygrad's
  CACHEDB pointed at a new file), then with the cache the first run filled. Per setting: seconds from launch to the
  end of the first step (cold, warm), ms per step after the first few, and the same network and step in PyTorch
  eager when torch is installed (torch_ms; ratio = train.py's ms / PyTorch's)."""
  rows = []
  for name, (task, cells, batch, seq_len, steps) in SPEEDS.items():
    row = {"setting": name, "task": task, "cells": cells, "batch": batch, "seq_len": seq_len}
    for cache in ("cold", "warm"):
      out = work / f"speed-{name}.npz"
      proc, _ = timed([PY, "train.py", "--task", task, "--cells", cells, "--batch", str(batch), "--seq-len",
                       str(seq_len), "--windows", "1", "--steps", str(steps), "--restarts", "0", "--force", "-o",
                       str(out)], env={**os.environ, "CACHEDB": str(work / f"cache-{name}.db")})
      if proc.returncode:
        row["error"] = proc.stderr.strip()[-300:]
        break
      meta = graph.load_run(out)[1]
      row[f"{cache}_start_s"] = meta["first_step_s"]
      row["ms_per_step"] = round(1000 / meta["steps_per_second"], 2)
    torch_ms = torch_ms_per_step(task, cells, batch, seq_len, steps)
    if torch_ms is not None and "ms_per_step" in row:
      row.update(torch_ms=round(torch_ms, 2), ratio=round(row["ms_per_step"] / torch_ms, 2))
    print(f"{name}: {row}", file=sys.stderr, flush=True)
    rows.append(row)
  return rows


def torch_ms_per_step(task_name: str, cells: str, batch: int, seq_len: int, steps: int) -> float | None:
  """The same network and training step as train.py in PyTorch eager (sample a batch, forward, MSE + the sparsity
  penalty, backward, Adam), ms per step after 3 warm-up steps; None when torch is not installed (it is a benchmark
  extra: pip install -r requirements-bench.txt)."""
  try:
    import torch
  except ImportError:
    return None
  task, shape, cfg = get_task(task_name), parse_cells(cells), DEFAULTS
  rng = np.random.default_rng(0)
  w = {k: torch.tensor(rng.normal(0, 0.3, s), dtype=torch.float32, requires_grad=True)
       for k, s in graph.weight_shapes(task.n_in, shape, task.n_out).items()}
  opt = torch.optim.Adam(w.values(), lr=cfg["lr"])

  def act(z):  # graph.activation, in torch
    a, low = z.abs(), z.abs() <= 2
    q = torch.where(low, a - 1, a - 3) ** 4
    inner = cfg["factor"] * ((a - 1).abs() - 1) + (1 - cfg["factor"]) * torch.where(low, q - 1, 1 - q)
    return z.sign() * torch.where(a > 3, 1 + cfg["leak"] * (a - 3), inner)

  def step():
    x, y = (torch.from_numpy(v) for v in task.sample(rng, batch, seq_len))
    layer_in = x
    for k, (n_o, n_s) in enumerate(shape):
      kernel = torch.cat([w[f"cell{k}_output_kernel"], w[f"cell{k}_recurrent_kernel"]], 1)
      bias = torch.cat([w[f"cell{k}_output_bias"], w[f"cell{k}_recurrent_bias"]])
      n_x = kernel.shape[0] - n_s
      from_input, state, outs = layer_in @ kernel[:n_x] + bias, w[f"cell{k}_initial_state"].expand(batch, n_s), []
      for t in range(seq_len):
        a = act(from_input[:, t] + state @ kernel[n_x:])
        outs.append(a[:, :n_o])
        state = a[:, n_o:]
      layer_in = torch.stack(outs, 1)
    loss = ((layer_in @ w["dense_weight"] + w["dense_bias"] - y) ** 2).mean()
    for k, v in w.items():  # train.sparsity_penalty
      if k.endswith("_kernel") or k == "dense_weight":
        t, s_ = cfg["reg_threshold"], cfg["reg_steepness"]
        loss = loss + (cfg["reg_intensity"] * (torch.tanh((v.abs() - t) * s_) - np.tanh(-t * s_))
                       + cfg["reg_l1"] * v.abs()).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

  for _ in range(3):
    step()
  start = time.perf_counter()
  for _ in range(steps):
    step()
  return (time.perf_counter() - start) * 1000 / steps


RUN_COLUMNS = ["task", "seed", "verified", "proven", "neurons", "states", "edges", "total_s", "train_s", "prune_s",
               "rounds", "first_perfect_step", "attempts", "steps_per_s", "seqs_per_s", "error"]
SUMMARY_COLUMNS = ["task", "verified", "proven", "neurons", "states", "edges", "machine", "bool_states", "total_s",
                   "train_s", "steps_per_s", "seqs_per_s"]
SUITE = HERE / "examples" / "suite.py"


def arguments():
  ap = ArgumentParser(description=__doc__.split("\n\n")[0])
  ap.add_argument("--tasks", default=",".join(SIMPLE + ["gated"]), help="comma separated: task names, "
                  "path/file.py:NAME, or suite (every task of examples/suite.py)")
  ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per task (default 5)")
  ap.add_argument("--jobs", type=int, default=1, help="runs at once, each in its own process (default 1)")
  ap.add_argument("--ray", metavar="ADDRESS", help="run the grid on a Ray cluster instead, one CPU a run: the "
                  "address of its head (e.g. ray://HEAD:10001), or auto (the cluster this machine is in, else a local "
                  "one); pip install -r requirements-ray.txt")
  ap.add_argument("--quick", action="store_true", help="a short check: 2 seeds of delay1 and replace111")
  ap.add_argument("--out", default="bench-results", help="folder for bench.md and bench.json")
  ap.add_argument("--prune", metavar="N,N", help="instead: time prune.py on delay1's bonsai padded with N neurons "
                  "that do not matter, for each N (e.g. 1000,3000)")
  ap.add_argument("--grow", action="store_true", help="grow each bonsai with grow.py: after the prune, re-fit and "
                  "prune again while it shrinks (extra flags after -- go to grow.py)")
  ap.add_argument("--readout", action="store_true", help="instead: time the readout (render.py -o x.txt, -o x.py) "
                  "and the proof (prove.py) of every graph in examples/")
  ap.add_argument("--drawings", action="store_true", help="instead: how each graph in examples/ draws (render.py's "
                  ".dot in Graphviz's layout): its edges, the pairs of them that cross, its height over its width")
  ap.add_argument("--speed", action="store_true", help="instead: train.py's speed at a small setting and at the "
                  "write-up's gated scale (start-up on a cold and a warm compile cache, ms per step), beside PyTorch "
                  "eager when torch is installed")
  ap.add_argument("train_args", nargs="*", help="extra train.py flags after --, e.g. -- --steps 1000")
  return ap.parse_args()


def main():
  args = arguments()
  names = ["delay1", "replace111"] if args.quick else args.tasks.split(",")
  suite = re.findall(r"^([A-Z_0-9]+) = Task\(", SUITE.read_text(), re.M)
  names = [m for n in names for m in ([f"{SUITE}:{s}" for s in suite] if n == "suite" else [n])]
  seeds = 2 if args.quick else args.seeds
  try:
    found = {n.rsplit(":", 1)[-1]: get_task(n) for n in names}
    if seeds < 1 or args.jobs < 1:
      raise TaskError("--seeds and --jobs must be >= 1")
  except TaskError as e:
    print(f"bench.py: {e}", file=sys.stderr)
    sys.exit(2)

  if args.prune is not None and not all(n.isdigit() for n in args.prune.split(",")):  # before anything is made
    print(f"bench.py: --prune {args.prune!r} is not a list of sizes like 1000,3000", file=sys.stderr)
    sys.exit(2)
  out = Path(args.out).resolve()  # absolute: runs elsewhere (Ray's workers) write there too
  try:
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-", dir=out))
  except OSError as e:  # a file there, a path under a file, a folder it may not write in
    print(f"bench.py: --out {args.out}: cannot write there ({e.strerror or e})", file=sys.stderr)
    sys.exit(2)
  if args.prune is not None:
    rows = prune_scaling([int(n) for n in args.prune.split(",")], work)
    print(markdown(rows, ["neurons", "edges", "prune_s", "after"]))
    return
  if args.speed:
    print(markdown(train_speed(work), ["setting", "task", "cells", "batch", "seq_len", "cold_start_s", "warm_start_s",
                                       "ms_per_step", "torch_ms", "ratio", "error"]))
    return
  if args.drawings:
    print(markdown(drawing_figures(), ["graph", "edges", "crossings", "height_over_width"]))
    return
  if args.readout:
    print(markdown(readout_times(), ["graph", "readout_ms", "machine", "prove_s", "proven", "how"]))
    return
  if args.ray:
    try:
      import ray  # noqa: F401
    except ImportError:
      print("bench.py: --ray needs Ray: pip install -r requirements-ray.txt", file=sys.stderr)
      sys.exit(2)
  grow_grid([run_path(n) for n in names], seeds, args.jobs, args.grow, args.train_args, found, work, out, args.ray)


def run_path(spec: str) -> str:
  """A task as the runs name it (they run in this checkout's folder, or in the copy Ray ships): a task file's path
  relative to the checkout when it is inside it, else absolute; a built-in's name as it is."""
  if ":" not in spec:
    return spec
  path, name = spec.rsplit(":", 1)
  file = Path(path).resolve()
  return f"{file.relative_to(HERE) if file.is_relative_to(HERE) else file}:{name}"


def grow_grid(names: list, seeds: int, jobs: int, refit: bool, train_args: list, found: dict, work: Path,
              out: Path, ray_address: str | None = None) -> None:
  """Every task x seed grown (grow.py with refit, else train + prune), `jobs` at a time, or on the Ray cluster at
  `ray_address`; the tables to stdout and to out/bench.md and out/bench.json."""
  runs, rows = [(t, s, work, train_args) for t in names for s in range(seeds)], []
  one = grow_refit if refit else grow

  def collect(results) -> None:
    for row in results:
      rows.append(row)
      size = f"{row.get('neurons')}/{row.get('states')}/{row.get('edges')}"
      print(f"{row['task']:<11} seed {row['seed']}: {'verified' if row['verified'] else 'FAILED'} {size} "
            f"in {row.get('total_s') or row.get('train_s', 0):.0f}s {row.get('error', '')}", file=sys.stderr,
            flush=True)
  if ray_address:
    collect(on_ray(ray_address, one, runs))
  else:
    if jobs > 1:
      os.environ["NUM_CPU_THREADS"] = "1"  # parallel runs each on one core rather than fighting over both
    with ThreadPoolExecutor(jobs) as pool:
      collect(pool.map(lambda run: one(*run), runs))
  summary = summarize(rows, {r["task"]: found[r["task"]].states for r in rows if r["task"] in found})
  table = (f"Per task (medians over verified seeds; times over all seeds):\n\n{markdown(summary, SUMMARY_COLUMNS)}\n\n"
           f"Per run:\n\n{markdown(rows, RUN_COLUMNS)}\n")
  print(table)
  (out / "bench.md").write_text(table)
  (out / "bench.json").write_text(json.dumps({"summary": summary, "runs": rows, "argv": sys.argv[1:]}, indent=1))
  print(f"wrote {out / 'bench.md'} and {out / 'bench.json'}", file=sys.stderr)


def on_ray(address: str, one, runs: list):
  """one(*run) for every run, each a Ray task of one CPU on the cluster at `address` ("auto": the one running on this
  machine, else a fresh local instance), in the order of runs; a task that Ray loses is a row with its error. The
  checkout goes along as the tasks' working directory (what .gitignore names stays behind), and each task imports
  this file from there, so it runs those very scripts with the worker's own Python."""
  import ray  # an optional extra (requirements-ray.txt): only --ray needs it
  env = {"working_dir": str(HERE), "excludes": [".git", "runs", "bench-results"], "env_vars": {"NUM_CPU_THREADS": "1"}}
  try:
    ray.init(address=address, runtime_env=env, log_to_driver=False)
  except ConnectionError:
    if address != "auto":
      raise
    ray.init(runtime_env=env, log_to_driver=False, include_dashboard=False)

  def remote(name: str, *run):  # pickled by value: on the worker, `import bench` is the shipped copy
    sys.path.insert(0, "dev")  # the worker runs in the shipped checkout
    import bench
    return getattr(bench, name)(*run)
  try:
    task = ray.remote(num_cpus=1)(remote)
    for run, ref in [(run, task.remote(one.__name__, *run)) for run in runs]:
      try:
        yield ray.get(ref)
      except ray.exceptions.RayError as e:  # a worker lost, killed for memory: the other runs still count
        yield {"task": run[0].rsplit(":", 1)[-1], "seed": run[1], "verified": False,
               "error": str(e).strip().splitlines()[0][:300]}
  finally:
    ray.shutdown()


if __name__ == "__main__":
  main()
