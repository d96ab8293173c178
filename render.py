"""Draw a graph (from extract.py or prune.py) the way the write-up draws it.

In:  a graph JSON file (or stdin).
Out: a drawing, its format chosen by the suffix of -o: .dot (Graphviz source), .svg, .png or .pdf; without -o,
     the DOT source goes to stdout. Or .html: the interactive page (page.html filled in), this drawing animated
     step by step.
     What readout.py (this file's companion) reads out of the graph: -o NAME.py an equivalent Python program,
     -o NAME.txt each neuron's truth table and boolean expression; --fsm the graph's minimized state machine
     (prove.py finds it; drawn, .dot .svg .png .pdf).

One step of the graph, left to right: the inputs and states (what a step reads) in the first column, each neuron in
a column of its own after what it reads, the outputs last. Neurons are squares, states circles, inputs and outputs
IN/OUT boxes; a recurrent neuron ends in a dashed stub "→ s0" naming the state it writes (it acts when the timestep
advances). Neurons that read mostly the same sources read them through a table of their weights (a row a neuron, a
column a source), one wire from each source into it and one from each row out, instead of a wire a weight (see
weight_tables). Colours run from blue (-1) through white to red (+1); an edge is thicker for a larger |weight|, and
the weights into the outputs are written out (--weights: every weight, a wire each, no tables). By default edges
and cells are coloured by the sign of their weight; with --inputs every node is coloured by its value at --step and
every edge and cell by source value x weight, as the graph computes them (graph.evaluate).

  python render.py bonsai.json -o bonsai.svg
  python render.py bonsai.json --inputs=-1,1,1,-1 --step 2 -o step2.png  # one input per step ('=': it starts with -)
  python render.py gated.json --inputs "1:-1:1,-1:1:1" -o gated.svg          # three inputs per step, ':' apart
  python render.py gated.json --inputs "+-,-+,++" -o gated.svg                # the same two steps as signs
  python render.py bonsai.json -o bonsai.py && python bonsai.py 1 -1 -1       # the graph as a program
  python render.py bonsai.json --fsm -o fsm.svg                               # ... as a state machine

Sections: the drawing; the state machine's drawing; the interactive page (its JavaScript runs graph.py's
evaluator again, so that a click on an input can flip it and recompute everything downstream); the command line.
What each output needs beside this file, tasks.py and graph.py: page.html for .html; readout.py, prove.py and
boxes.py for .py, .txt and --fsm. A missing one is one line, not a traceback.
"""
import html
import importlib
import json
import math
import re
import sys
from pathlib import Path

import graphviz
import numpy as np

from graph import (
  COLOUR_STOPS,
  GraphError,
  check_fits,
  colour,
  evaluate,
  format_size,
  input_count,
  json_safe,
  load_graph,
  size,
  task_of,
  write_output,
)
from tasks import (
  TASKS,
  ArgumentParser,
  TaskError,
  checked_sample,
  checked_target,
  get_task,
  io_names,
  named_ids,
)

GRAPHVIZ_FORMATS = (".dot", ".svg", ".png", ".pdf")
TITLE_CHARS = 100  # of a task name or --inputs in a drawing's title: dot refuses a string over 16384 characters
TEMPLATE = Path(__file__).with_name("page.html")
STAIRS = 24  # neurons, at most, that the drawing gives a column each (gated has 9, cpu 12)
TABLE_FULL = 2 / 3  # of a weight table's sources, at least, that each of its rows reads
TABLE_SAVES = 1  # wires, at least, that a weight table saves
MEANING_CHARS = 40  # of the task's states a machine state stands for, in its circle
MAX_FLIP_TABLE = 4000  # (steps x inputs) above which the page knows no expected output once an input is flipped
# JSON inside <script>: with no < > & left, no string from the graph can end the script (</script>) or make the
# HTML parser read on past it (<!--<script>); U+2028 and U+2029 are line ends to old JavaScript. JSON.parse reads
# the escapes back as the same characters.
SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                             "\u2029": "\\u2029"})


# ---- the drawing ----

def dot_text(text: str) -> str:
  """A label shown as written: graphviz.escape keeps dot from reading backslashes (\\N is the node's name) and <...>
  (an HTML label); dot decodes entities in every label, and &#1; would put a control byte in the SVG."""
  return graphviz.escape(text.replace("&", "&amp;"))


def shorten(text: str, limit: int = TITLE_CHARS) -> str:
  """text cut to `limit` characters, an ellipsis saying so."""
  return text if len(text) <= limit else text[:limit - 1] + "…"


def fmt(v: float) -> str:
  return f"{v:.3g}"


def parse_inputs(text: str, n_in: int) -> np.ndarray:
  """--inputs as a (steps, n_in) array. Two spellings:
  numbers, one step after another: "-1,1,1,-1"; several inputs in a step joined by ':': "1:-1:1,-1:1:1";
  signs, one string per input: "+--+" ; several inputs comma separated: "+-+,--+,++-" (as `python tasks.py` prints)."""
  if not any(c.isdigit() for c in text):
    rows = [r.replace(" ", "") for r in text.split(",")]
    if any(set(r) - {"+", "-"} for r in rows) or len({len(r) for r in rows}) != 1 or not rows[0]:
      raise GraphError(f"--inputs {text!r}: sign strings must be + and - only, one per input, all the same length")
    steps = [[1.0 if c == "+" else -1.0 for c in step] for step in zip(*rows, strict=True)]
  else:
    try:
      steps = [[float(v) for v in step.split(":")] for step in text.split(",")]
    except ValueError:
      raise GraphError(f"--inputs {text!r}: not numbers like -1,1,1 or 1:-1:1,-1:1:1") from None
  if any(len(s) != n_in for s in steps):
    raise GraphError(f"--inputs {text!r}: the graph has {n_in} input(s) per step; see --help for the format")
  if not np.isfinite(steps).all():
    raise GraphError(f"--inputs {text!r}: the inputs must be finite numbers")
  return np.array(steps, np.float64)


def values_at(graph: dict, task, text: str, step: int | None) -> tuple[dict[str, float], int, int]:
  """The value of every node at one step when the graph runs on --inputs: (values, step, steps)."""
  x = parse_inputs(text, input_count(graph, task))[None]
  steps = x.shape[1]
  t = steps - 1 if step is None else step
  if not 0 <= t < steps:
    raise GraphError(f"--step {step}: the inputs have steps 0..{steps - 1}")
  _, record = evaluate(graph, x, record=True)
  return {nid: float(v[0, t]) for nid, v in record.items()}, t, steps


def short_name(node: dict, cells: bool = False, named: dict | None = None) -> str:
  """A node's name in a drawing: the task's name for an input or output (named: id -> name), else IN0, OUT0; a
  cell's states and neurons without their cell (unless there are several cells: then "c1 s0")."""
  nid = node["id"]
  if node["kind"] in ("input", "output"):
    return (named or {}).get(nid, nid.upper())
  return nid.replace("_", " ", 1) if cells else nid.split("_", 1)[-1]


def node_label(node: dict, value: float | None, cells: bool = False, named: dict | None = None) -> str:
  kind = node["kind"]
  lines = [short_name(node, cells, named)]
  if kind in ("neuron", "output") and node["bias"] != 0:
    lines.append(f"b {fmt(node['bias'])}")
  if kind == "state":
    lines.append(f"init {fmt(node['init'])}")
  if value is not None:
    lines.append(f"= {fmt(value)}")
  return dot_text("\n".join(lines))


def node_attrs(node: dict, value: float | None, cells: bool = False, named: dict | None = None) -> dict:
  shape = {"input": "box", "output": "box", "state": "circle", "neuron": "square"}[node["kind"]]
  fill = colour(value) if value is not None else "white"
  dark = value is not None and abs(value) > 0.6
  style = "filled,rounded,bold" if node["kind"] in ("input", "output") else "filled"
  return {"shape": shape, "style": style, "fillcolor": fill, "fontcolor": "white" if dark else "black",
          "label": node_label(node, value, cells, named)}


def edge_attrs(edge: dict, values: dict | None, label: bool) -> dict:
  """Colour by sign (or by value x weight), thickness by |weight|; the weight as a label where asked for."""
  w = edge["weight"]
  flow = np.sign(w) if values is None else values[edge["source"]] * w
  attrs = {"color": colour(flow), "penwidth": fmt(0.6 + min(abs(w), 3)), "fontcolor": "gray25"}
  if edge.get("feedback"):
    attrs.update(style="dashed", penwidth="1", arrowhead="none")  # into the state's stub: it acts between steps
  elif label:
    attrs["label"] = fmt(w)
  return attrs


def step_edges(graph: dict) -> dict[str, list[str]]:
  """What each node reads within a step (the edges that are not feedback): target -> its sources, in edge order."""
  reads = {}
  for e in graph["edges"]:
    if not e.get("feedback"):
      reads.setdefault(e["target"], []).append(e["source"])
  return reads


def weight_tables(graph: dict) -> list[dict]:
  """Neurons that read mostly the same sources, grouped: each group is drawn as one table of weights (a row a
  neuron, a column a source, blank where the neuron does not read it) with one wire from each source into the
  table and one from each row to its neuron, instead of a wire for every weight. This is edge concentration
  (Newbery 1989): the wires into a dense block cross each other in every order (cpu's registers read all six
  states: 172 crossing pairs without tables, docs/benchmarks.md). Greedily, the group that saves the most wires
  first; a row reads at least TABLE_FULL of its table's sources, and no table feeds, through the rest of the step,
  one of its own sources. Returns [{"id": "w0", "sources": [...], "targets": [...], "reads": {target: [its
  sources in the table]}}], sources and targets in the graph's node order. Past STAIRS neurons, or past 2 x STAIRS
  nodes that read something (neurons and outputs), none: the drawing is coarse there, and the search below grows
  with the cube of the readers."""
  order = {n["id"]: i for i, n in enumerate(graph["nodes"])}
  left = {t: set(s) for t, s in step_edges(graph).items()}
  if sum(n["kind"] == "neuron" for n in graph["nodes"]) > STAIRS or len(left) > 2 * STAIRS:
    return []
  tables = []
  for _ in range(len(graph["edges"])):  # each table takes 3 weights at least: it ends long before
    after = downstream(left, tables)
    best, most = None, TABLE_SAVES - 1
    for sources in table_candidates(left):
      need = max(2, math.ceil(TABLE_FULL * len(sources) - 1e-9))
      rows = [t for t in sorted(left, key=order.get) if len(left[t] & sources) >= need and not after[t] & sources]
      saves = sum(len(left[t] & sources) for t in rows) - len(sources) - len(rows)
      if len(rows) >= 2 and saves > most:
        best, most = (sources, rows), saves
    if best is None:
      break
    sources, rows = best
    tables.append({"id": f"w{len(tables)}", "sources": sorted(sources, key=order.get), "targets": rows,
                   "reads": {t: sorted(left[t] & sources, key=order.get) for t in rows}})
    for t in rows:
      left[t] -= sources
  return tables


def table_candidates(left: dict[str, set]) -> list[frozenset]:
  """The source sets worth trying as a table's columns: what each node reads, and what any two read in common
  (sorted, so that ties break the same way every time)."""
  sets = {frozenset(s) for s in left.values() if len(s) >= 2}
  sets |= {a & b for a in list(sets) for b in sets if len(a & b) >= 2}
  return sorted(sets, key=lambda s: (len(s), sorted(s)))


def downstream(left: dict[str, set], tables: list[dict]) -> dict[str, set]:
  """Each node: the nodes it feeds within a step, itself included, through the wires and tables drawn so far."""
  feeds = {}
  for t, sources in left.items():
    for s in sources:
      feeds.setdefault(s, set()).add(t)
  for table in tables:
    for s in table["sources"]:
      feeds.setdefault(s, set()).update(table["targets"])
  memo = {}
  def reach(nid):
    if nid not in memo:
      memo[nid] = {nid}.union(*(reach(t) for t in feeds.get(nid, ())))
    return memo[nid]
  return {t: reach(t) for t in left}


def columns(graph: dict, tables: list[dict] = ()) -> dict[str, int]:
  """Each node's column, left to right: the inputs and the states (what a step reads) in column 0, then every neuron
  and weight table (see weight_tables) in a column of its own, after what it reads (tables first, then recurrent
  neurons, then output neurons, by cell and index), then the outputs. A neuron alone in its column lets dot route
  the edges that pass it on either side: without labels or stubs, gated's drawing crossed 36 pairs of edges so, 77
  with all its neurons in one column (docs/benchmarks.md). Past STAIRS neurons, a column holds every neuron of one
  depth instead: the edges that span many columns cost dot time that grows steeply (40 neurons 5.5 s, 60 neurons a
  minute)."""
  node = {n["id"]: n for n in graph["nodes"]}
  reads = {t: list(s) for t, s in step_edges(graph).items()}
  for table in tables:  # a table reads its sources; its rows' neurons read the table
    reads[table["id"]] = table["sources"]
    for t in table["targets"]:
      reads[t] = [s for s in reads[t] if s not in table["reads"][t]] + [table["id"]]
  col = {nid: 0 for nid, n in node.items() if n["kind"] in ("input", "state")}
  neurons = sorted((n for n in graph["nodes"] if n["kind"] == "neuron"),
                   key=lambda n: (n.get("role") != "recurrent", n.get("cell", 0), n.get("index", 0)))
  stairs = len(neurons) <= STAIRS
  todo, last = [t["id"] for t in tables] + [n["id"] for n in neurons], 0
  while todo:  # the first one in that order whose inputs all have their columns (a DAG within a step)
    nid = next((t for t in todo if all(s in col for s in reads.get(t, []))), todo[0])
    todo.remove(nid)
    col[nid] = max([last if stairs else 0] + [col.get(s, 0) for s in reads.get(nid, [])]) + 1
    last = max(last, col[nid])
  for nid, n in node.items():
    if n["kind"] == "output":
      col[nid] = last + 1
  return col


def draw(graph: dict, values: dict | None = None, title: str = "", weights: bool = False,
         names: tuple[list, list] | None = None, page: bool = False) -> graphviz.Digraph:
  """The graph as a graphviz.Digraph, one step of it laid out left to right in columns (see columns()): each state
  drawn once, where it is read; the neuron that writes its next value ends in a small stub that names the state
  (a dashed edge to a node named after the state, with a prime). Neurons that read mostly the same sources read
  them through a table of their weights (see weight_tables). Edge labels: the weights into the outputs, or every
  weight with weights=True; colour and thickness show the others. names: the task's names for the inputs and the
  outputs (tasks.io_names). page: for the interactive page (each weight in a table an element it can find)."""
  dot = graphviz.Digraph("bonsai", graph_attr={"rankdir": "LR", "label": dot_text(title), "labelloc": "t",
                                                "fontsize": "16", "fontname": "Helvetica", "nodesep": "0.25",
                                                "ranksep": "0.55", "newrank": "true"},
                         node_attr={"fontname": "Helvetica", "fontsize": "11", "margin": "0.04"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.6"})
  node = {n["id"]: n for n in graph["nodes"]}
  cells = len({n.get("cell") for n in graph["nodes"] if n["kind"] in ("state", "neuron")}) > 1
  named = named_ids(names)
  tables = [] if weights else weight_tables(graph)
  col = columns(graph, tables)
  by_column = {}
  for nid, c in col.items():
    by_column.setdefault(c, []).append(nid)
  table_of = {t["id"]: t for t in tables}
  for _, nids in sorted(by_column.items()):
    with dot.subgraph() as same:
      same.attr(rank="same")
      for nid in nids:
        if nid in table_of:
          same.node(nid, table_label(table_of[nid], graph, values, cells, named, page), shape="plaintext", margin="0")
        else:
          same.node(nid, **node_attrs(node[nid], None if values is None else values[nid], cells, named))
  draw_edges(dot, graph, tables, col, values, weights, cells)
  return dot


def draw_edges(dot: graphviz.Digraph, graph: dict, tables: list[dict], col: dict, values: dict | None,
               weights: bool, cells: bool):
  """The edges of draw(): a wire a weight, except the weights in a table: a grey wire from each of its sources into
  the table, and one from each row to its neuron."""
  node = {n["id"]: n for n in graph["nodes"]}
  tabled = {(s, t) for table in tables for t, sources in table["reads"].items() for s in sources}
  for edge in graph["edges"]:
    source, target = edge["source"], edge["target"]
    if (source, target) in tabled:
      continue
    if edge.get("feedback"):  # the stub: right after the neuron, not a loop back across the picture
      place, target = {}, f"{target}'"
      dot.node(target, dot_text(f"→ {short_name(node[edge['target']], cells)}"), shape="plaintext",
               fontcolor="gray30", width="0.3", height="0.3")
    else:  # as many ranks to the right as columns
      place = {"minlen": str(max(1, col[target] - col[source]))}
    label = weights or node[edge["target"]]["kind"] == "output"
    dot.edge(source, target, **edge_attrs(edge, values, label), **place)
  wire = {"color": "gray45", "penwidth": "1"}
  for table in tables:
    for s in table["sources"]:
      dot.edge(s, f"{table['id']}:w", arrowhead="none", minlen=str(max(1, col[table["id"]] - col[s])), **wire)
    for t in table["targets"]:
      dot.edge(f"{table['id']}:{t}:e", t, minlen=str(max(1, col[t] - col[table["id"]])), **wire)


def table_label(table: dict, graph: dict, values: dict | None, cells: bool, named: dict, page: bool = False) -> str:
  """A weight table as a Graphviz HTML-like label: the sources across the top, a row a neuron with its name on the
  right (the port its wire leaves from), each weight on its colour (sign and size, or source value x weight with
  values), blank where the row does not read that column. page: each weight's cell a link to nowhere with the ID
  "source->target", as dot 2.43 writes a cell's ID into the SVG only for a link; the page finds it so."""
  node = {n["id"]: n for n in graph["nodes"]}
  weight = {(e["source"], e["target"]): e["weight"] for e in graph["edges"] if not e.get("feedback")}
  name = lambda nid: html.escape(short_name(node[nid], cells, named))
  rows = ["<TR>" + "".join(f"<TD>{name(s)}</TD>" for s in table["sources"]) + '<TD BORDER="0"></TD></TR>']
  for t in table["targets"]:
    row = []
    for s in table["sources"]:
      if s not in table["reads"][t]:
        row.append("<TD></TD>")
        continue
      w = weight[s, t]
      flow = w if values is None else values[s] * w
      ink = "white" if abs(flow) > 0.6 else "black"
      tip = html.escape(f"{s} → {t}: weight {fmt(w)}", quote=True)
      link = f' ID="{s}-&gt;{t}" HREF="#" TOOLTIP="{tip}"' if page else ""
      row.append(f'<TD BGCOLOR="{colour(flow)}"{link}><FONT COLOR="{ink}">{fmt(w)}</FONT></TD>')
    rows.append("<TR>" + "".join(row) + f'<TD PORT="{t}" BORDER="0" ALIGN="LEFT">{name(t)}</TD></TR>')
  return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>>"


def graphviz_output(graph: dict, task, suffix: str, inputs: str | None, step: int | None,
                    name: str = "graph", weights: bool = False, page: bool = False) -> bytes:
  title = f"{shorten(graph['graph']['task'])}: {format_size(size(graph))}"
  values = None
  if inputs:
    values, t, steps = values_at(graph, task, inputs, step)
    title += f"\nstep {t} of {steps}, inputs {shorten(inputs)}"
  dot = draw(graph, values, title, weights, io_names(task), page)
  return dot_output(dot, suffix, name)


def dot_output(dot: graphviz.Digraph, suffix: str, name: str = "graph") -> bytes:
  """The DOT source (.dot), or what Graphviz's `dot` program makes of it (.svg .png .pdf). name: the graph's file,
  for the message when dot fails."""
  if suffix == ".dot":
    return dot.source.encode()
  try:
    return dot.pipe(format=suffix[1:], quiet=True)  # dot's own words go into our one line when it fails
  except graphviz.ExecutableNotFound:
    raise GraphError("Graphviz's `dot` program was not found: install graphviz (apt install graphviz)") from None
  except (graphviz.CalledProcessError, OSError) as e:  # a string too long for dot, say: one line, not a traceback
    why = e.stderr.decode(errors="replace") if isinstance(e, graphviz.CalledProcessError) and e.stderr else \
      f"it stopped reading the graph: {e.strerror or e}"
    first = why.strip().splitlines()[0] if why.strip() else "no reason given"
    raise GraphError(f"{name}: Graphviz's `dot` could not draw it ({shorten(first)})") from None


# ---- the state machine's drawing (prove.py finds the machine) ----

def state_label(rows: np.ndarray, clear: np.ndarray, ids: list, boxed: bool = False) -> list[str]:
  """The state vectors one machine state stands for: '+-' (signs of boolean states) or values; for many, the range
  of each state's value; boxed: rows are a box's low and high corners."""
  def one(key):
    parts = [("+" if v > 0 else "-" if v < 0 else "0") if c else f"{v:.3g}" for v, c in zip(key, clear, strict=True)]
    return "".join(parts) if clear.all() else " ".join(parts)
  if boxed:  # a sign where the whole range has one
    return [f"{i} {'+' if lo > 0 else '-' if hi < 0 else f'{lo:.3g}..{hi:.3g}'}" for i, lo, hi in zip(ids, *rows,
                                                                                                       strict=True)]
  if len(rows) <= 4:
    return [one(r) for r in rows]
  spans = ["±" if c and col.min() < 0 < col.max() else "+" if c and col.min() > 0 else "-" if c else
           f"{col.min():.3g}..{col.max():.3g}" for c, col in zip(clear, rows.T, strict=True)]
  if clear.all():
    return ["".join(spans), f"({len(rows)} patterns)"]
  return [f"{i} {span}" for i, span in zip(ids, spans, strict=True)] + [f"({len(rows)} vectors)"]


def condition(found: list[str], names: list[str]) -> str:
  """Patterns of + - * (readout.patterns': the fewest that cover an arrow's inputs) as a formula over the named
  inputs: a ∧ ¬b for +-*, the patterns joined by ∨; "any" when one pattern takes every input."""
  terms = [" ∧ ".join(n if c == "+" else f"¬{n}" for c, n in zip(p, names, strict=True) if c != "*") or "any"
           for p in found]
  return " ∨ ".join(f"({t})" if " ∧ " in t and len(terms) > 1 else t for t in terms)


def arrow_label(found: list[str], outputs: tuple, names: tuple[list, list] | None) -> list[str]:
  """An arrow's label: `inputs / outputs`, as patterns and signs, or in the task's names (one line)."""
  if not names or not names[0]:
    return [f"{p} / {''.join('+' if v else '-' for v in outputs)}" for p in found]
  outs = ", ".join(f"{n}={'+' if v else '-'}" for n, v in zip(names[1], outputs, strict=True))
  return [f"{condition(found, names[0])} / {outs}"]


def machine_dot(fsm: dict, title: str, patterns, names: tuple[list, list] | None = None) -> graphviz.Digraph:
  """The machine for Graphviz: a circle per state (labelled with the state vectors it stands for), an arrow per
  move labelled `inputs / outputs`, its inputs merged into few patterns by patterns(symbols, chosen) (readout's);
  with names (the task's inputs' and outputs', tasks.io_names), each arrow says it with them: `a ∧ ¬b / y=+`."""
  text = [title, fsm["summary"], fsm["detail"]]
  if fsm["states"]:
    what = "signs" if fsm["clear"].all() else "ranges" if fsm.get("boxes") else "values"
    arrow = "a condition on the inputs / the outputs (+ true, - false)" if names and names[0] else \
      "inputs / outputs (+ true, - false, * either)"
    task = "; and the task's own state it stands for" if fsm.get("meaning") else ""
    text.append(f"a state: the {what} of {' '.join(fsm['state_ids']) or '(none)'}{task}; an arrow: {arrow}")
  dot = graphviz.Digraph("fsm", graph_attr={"rankdir": "LR", "labelloc": "t", "fontname": "Helvetica",
                                            "label": dot_text("\n".join(t for t in text if t))},
                         node_attr={"shape": "circle", "fontname": "Helvetica"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "11"})
  if fsm["states"] is None:
    dot.node("none", "\n".join(f"{s}: analog, {c} distinct values" for s, c in fsm["analog"].items())
             or "no finite machine", shape="box")
    return dot
  dot.node("start", "", shape="point")
  for q, rows in enumerate(fsm["blocks"]):
    text = [f"q{q}"] + state_label(rows, fsm["clear"], fsm["state_ids"], fsm.get("boxes", False))
    if fsm.get("meaning"):  # the task's own state(s) it stands for, as the task's machine writes them
      text.append("task " + shorten(" or ".join(map(repr, fsm["meaning"][q])), MEANING_CHARS))
    dot.node(f"q{q}", dot_text("\n".join(text)), shape="circle" if max(map(len, text)) <= 8 else "box",
             style="rounded")
  dot.edge("start", "q0")
  moves = {}
  for q, a, o, nx in fsm["edges"]:
    moves.setdefault((q, nx), {}).setdefault(o, []).append(a)
  for (q, nx), by_out in moves.items():
    text = [line for o, syms in sorted(by_out.items())
            for line in arrow_label(patterns(fsm["symbols"], syms), o, names)]
    dot.edge(f"q{q}", f"q{nx}" if nx >= 0 else "unseen", dot_text("\n".join(text)))
  if any(nx < 0 for *_, nx in fsm["edges"]):
    dot.node("unseen", "not seen", shape="plaintext")
  return dot


# ---- the interactive page: page.html with the SVG, the graph and the inputs filled in ----

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
    "names": named_ids(io_names(task)),  # the task's names for its inputs and outputs, by node id
    "colourStops": [[v, *rgb] for v, rgb in COLOUR_STOPS],
  }


def html_page(graph: dict, task, svg: str, inputs: np.ndarray | None = None, steps: int = 24, seed: int = 0,
              start: int = 0, title: str | None = None, note: str = "") -> str:
  """The page's HTML. svg: dot's SVG of the graph, whose node and edge <title>s are the graph's ids (and "a->b").
  inputs: (steps, n_in), or None for `steps` steps from the task's own sampler with `seed`; the page opens at
  step `start`. Raises GraphError for inputs that do not fit the graph."""
  data = page_data(graph, task, inputs, steps, seed, start, note)
  title = title or f"bonsai: {shorten(data['task'])}"
  svg = svg[svg.find("<svg"):]  # no XML prolog or DOCTYPE inside HTML
  blob = json.dumps(data, separators=(",", ":")).translate(SCRIPT_SAFE)
  fill = {"TITLE": html.escape(title), "SVG": svg, "DATA": blob}
  return re.sub(r"__(TITLE|SVG|DATA)__", lambda m: fill[m.group(1)], TEMPLATE.read_text())  # one pass


# ---- the command line ----

def companion(module: str, output: str):
  """readout or prove, which some outputs need beside this file; GraphError, one line, when one is missing."""
  try:
    return importlib.import_module(module)
  except ModuleNotFoundError as e:
    if e.name not in ("readout", "prove", "boxes"):
      raise
    raise GraphError(f"{output} needs {e.name}.py beside render.py (readout.py, prove.py and boxes.py)") from None


def readout_output(graph: dict, task, suffix: str, out: str | None, source: str) -> tuple[bytes, str]:
  """readout.py's views of the graph: the program (.py), the gates (.txt), or the state machine (--fsm); and a line
  for stderr (the machine's size, for --fsm)."""
  output = f"-o {suffix}" if suffix in (".py", ".txt") else "--fsm"
  prove, readout = companion("prove", output), companion("readout", output)
  exp, name = prove.explore(graph, task), "<stdin>" if source == "-" else source
  if suffix == ".py":
    return readout.program(graph, exp, Path(out).name, name, io_names(task)).encode(), ""
  if suffix == ".txt":
    return readout.report(graph, exp).encode(), ""
  machine = prove.machine(graph, exp, boxes=True, task=task)
  title = f"{shorten(graph['graph']['task'])}: {format_size(size(graph))}"
  dot = machine_dot(machine, title, readout.patterns, io_names(task))
  return dot_output(dot, suffix, name), f"{title}; {machine['note']}"


def page_output(graph: dict, task, inputs: str | None, step: int | None, note: str, name: str = "graph") -> bytes:
  """The interactive page: dot's SVG of the graph, animated over the inputs."""
  if not TEMPLATE.is_file():
    raise GraphError(f"-o .html needs {TEMPLATE.name} beside render.py")
  x = parse_inputs(inputs, input_count(graph, task)) if inputs else None
  svg = graphviz_output(graph, task, ".svg", None, None, name, page=True).decode()
  return html_page(graph, task, svg, x, start=step or 0, note=note).encode()


def resolve_task(graph: dict, spec: str | None, name: str, trust: bool = False) -> tuple[object, str]:
  """(task, note): the task of --task, else the one the graph names. A task that cannot be found is an error only
  with --task; otherwise the outputs that use it go on without it (free ±1 inputs, no expected outputs), and
  `note` says why (main prints it when `needed`, once the output is written)."""
  if spec:
    task = get_task(spec)
    check_fits(graph, task, name)
    return task, ""
  try:
    task = task_of(graph, name, trust)
  except TaskError as e:
    return None, f"No expected output: {e}."
  check_fits(graph, task, name)
  return task, ""


def main():
  ap = ArgumentParser(description="Draw a graph JSON with Graphviz: neurons as squares, states as circles, "
                               "edges labelled with their weight, red +1 / blue -1.",
                               epilog="--inputs, two spellings: numbers step by step, comma separated (-1,1,1,-1), "
                               "a step's several inputs joined by ':' (1:-1:1,-1:1:1 is two steps of three inputs); "
                               "or + and - signs, one string per input (+--+), inputs comma separated (+-,-+,++ is "
                               "two steps of three inputs).")
  ap.add_argument("graph", nargs="?", default="-", help="graph JSON from extract.py or prune.py, or - for stdin")
  ap.add_argument("-o", "--out", help="output file; its suffix picks the format: "
                  f"{' '.join(GRAPHVIZ_FORMATS)} .html, or .py (the graph as a Python program) .txt (each neuron's "
                  "truth table and expression) (default: DOT to stdout)")
  ap.add_argument("--inputs", help="run the graph on these inputs and colour nodes by value, edges by value x weight "
                  "(.html: the page's inputs; default: a sample from the task)")
  ap.add_argument("--task", help="the task the graph computes, instead of the one it names (e.g. "
                  "path/to/my_tasks.py:NAME when rendering from another folder): it gives the inputs' width, the "
                  "page's expected output, and the inputs that .py, .txt and --fsm explore")
  ap.add_argument("--trust-task", action="store_true", help="without --task: import the task file the graph names, "
                  "when it is the very file its run was trained with (by SHA-256); a graph never runs code otherwise")
  ap.add_argument("--step", type=int, help="the step (0-based) whose values colour the drawing (default: the last)")
  ap.add_argument("--weights", action="store_true", help="label every edge with its weight (by default only the "
                  "edges into the outputs: colour and thickness show the others)")
  ap.add_argument("--fsm", action="store_true", help="draw the graph's state machine instead: every state it reaches, "
                  "minimized (arrows say inputs / outputs); the number of states also goes to stderr")
  args = ap.parse_args()
  suffix = Path(args.out).suffix.lower() if args.out else ".dot"
  name = "<stdin>" if args.graph == "-" else args.graph
  try:
    if args.step is not None and not args.inputs:
      raise GraphError("--step needs --inputs: the values at a step depend on the inputs so far")
    if args.fsm and suffix not in GRAPHVIZ_FORMATS:
      raise GraphError(f"--fsm draws the state machine with Graphviz: use -o with {' '.join(GRAPHVIZ_FORMATS)}")
    if suffix not in GRAPHVIZ_FORMATS + (".html", ".py", ".txt"):
      raise GraphError(f"{args.out}: unknown output format {suffix or '(no suffix)'}; "
                       f"use one of {' '.join(GRAPHVIZ_FORMATS)} .html .py .txt")
    graph = load_graph(args.graph)
    reads_out = args.fsm or suffix in (".py", ".txt")
    task, note, told = None, "", []
    if args.task or args.inputs or reads_out or suffix == ".html":  # a plain drawing needs no task
      task, note = resolve_task(graph, args.task, name, args.trust_task)
      told = [f"{name}: {note}"] if note and (reads_out or suffix == ".html") else []
    elif graph["graph"]["task"] in TASKS:  # ... but a built-in's names label its inputs and outputs
      task = TASKS[graph["graph"]["task"]]
    if args.task:
      graph = {**graph, "graph": {**graph["graph"], "task": args.task}}
    if reads_out:
      data, summary = readout_output(graph, task, suffix, args.out, args.graph)
      told += [summary] if summary else []
    elif suffix == ".html":
      data = page_output(graph, task, args.inputs, args.step, note, name)
    else:
      data = graphviz_output(graph, task, suffix, args.inputs, args.step, name, args.weights)
    write_output(data, args.out or "-")
    for line in told:  # after the output, so that a failure to write it is the only line
      print(f"render.py: {line}", file=sys.stderr)
  except (GraphError, TaskError) as e:
    print(f"render.py: {e}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
  main()
