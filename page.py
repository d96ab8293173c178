"""The interactive page: one self-contained HTML file that shows a graph at work, step by step.

In:  a graph dict (the JSON of extract.py / prune.py), the SVG that `dot` laid out for it (render.py draws it),
     and one input sequence (steps, n_in), or none to draw one from the task's own sampler.
Out: the text of an HTML page with no outside references: page.html (CSS and JavaScript) with the SVG, the graph
     and the inputs filled in. Its JavaScript runs the evaluator of graph.py again, so that a click on an input
     can flip it and recompute everything downstream; test_all.py checks it against graph.evaluate in Chromium.

render.py calls it for `-o NAME.html`:
  text = page.html_page(graph, task, svg, inputs)  # task: tasks.Task or None; inputs: (steps, n_in) or None
"""
import html
import json
import re
from pathlib import Path

import numpy as np

from graph import COLOUR_STOPS, GraphError, input_count, json_safe, size
from tasks import checked_sample, checked_target

TEMPLATE = Path(__file__).with_name("page.html")
MAX_FLIP_TABLE = 4000  # (steps x inputs) above which the page knows no expected output once an input is flipped
TITLE_CHARS = 100  # of the task name in the page's title and heading; the line under it has the whole name
# JSON inside <script>: with no < > & left, no string from the graph can end the script (</script>) or make the
# HTML parser read on past it (<!--<script>); U+2028 and U+2029 are line ends to old JavaScript. JSON.parse reads
# the escapes back as the same characters.
SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                             "\u2029": "\\u2029"})


def expected_outputs(task, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
  """The task's output for x (steps, n_in), and for every single flip of it: flips[t, i] is the output when
  input i at step t is negated (None when that table would be too big). One batched call of task.target."""
  steps, n_in = x.shape
  if steps * n_in > MAX_FLIP_TABLE:
    return checked_target(task, x[None]).astype(np.float64)[0], None
  batch = np.repeat(x[None], 1 + steps * n_in, axis=0)
  for t in range(steps):
    for i in range(n_in):
      batch[1 + t * n_in + i, t, i] *= -1
  y = checked_target(task, batch).astype(np.float64)
  return y[0], y[1:].reshape(steps, n_in, steps, -1)


def page_data(graph: dict, task, inputs: np.ndarray | None, steps: int = 24, seed: int = 0, start: int = 0,
              note: str = "") -> dict:
  """Everything the JavaScript needs, as plain JSON values. task: the graph's task, or None when it is not
  available (the page then runs without expected outputs, and shows `note`)."""
  n_in = input_count(graph, task)
  if inputs is None:
    rng = np.random.default_rng(seed)
    inputs = checked_sample(task, rng, 1, steps)[0][0] if task else rng.choice([-1.0, 1.0], size=(steps, n_in))
  inputs = np.asarray(inputs, np.float64)
  if inputs.ndim != 2 or inputs.shape[1] != n_in or len(inputs) == 0:
    raise GraphError(f"the inputs have shape {inputs.shape}; the page needs (steps, {n_in}) for this graph")
  if not np.isfinite(inputs).all():
    raise GraphError("the inputs must be finite numbers")
  if not 0 <= start < len(inputs):
    raise GraphError(f"--step {start}: the inputs have steps 0..{len(inputs) - 1}")
  known = task is not None and np.isin(inputs, (-1.0, 1.0)).all()  # the task is defined on ±1 inputs only
  expected, flips = expected_outputs(task, inputs) if known else (None, None)
  info = graph["graph"]
  return {
    "task": str(info["task"]), "about": getattr(task, "about", ""), "note": note,
    "size": size(graph), "activation": info["activation"],
    "nodes": graph["nodes"], "edges": graph["edges"],
    "inputs": inputs.tolist(), "start": start,
    "expected": None if expected is None else expected.tolist(),
    "flipExpected": None if flips is None else flips.tolist(),
    "history": json_safe(info.get("history")) if isinstance(info.get("history"), dict) else None,
    "colourStops": [[v, *rgb] for v, rgb in COLOUR_STOPS],
  }


def html_page(graph: dict, task, svg: str, inputs: np.ndarray | None = None, steps: int = 24, seed: int = 0,
              start: int = 0, title: str | None = None, note: str = "") -> str:
  """The page's HTML. svg: dot's SVG of the graph, whose node and edge <title>s are the graph's ids (and "a->b").
  inputs: (steps, n_in), or None for `steps` steps from the task's own sampler with `seed`; the page opens at
  step `start`. Raises GraphError for inputs that do not fit the graph."""
  data = page_data(graph, task, inputs, steps, seed, start, note)
  name = data["task"] if len(data["task"]) <= TITLE_CHARS else data["task"][:TITLE_CHARS - 1] + "…"
  title = title or f"bonsai: {name}"
  svg = svg[svg.find("<svg"):]  # no XML prolog or DOCTYPE inside HTML
  blob = json.dumps(data, separators=(",", ":")).translate(SCRIPT_SAFE)
  fill = {"TITLE": html.escape(title), "SVG": svg, "DATA": blob}
  return re.sub(r"__(TITLE|SVG|DATA)__", lambda m: fill[m.group(1)], TEMPLATE.read_text())  # one pass
