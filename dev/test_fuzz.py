"""Fuzz tests for "Nothing lost, nothing crashes": malformed graphs, run files and task files, made with hypothesis.

Every stage must answer each malformed input with exit code 0, 1 (prune.py only: a graph that is wrong for its task)
or 2, with exactly one line on stderr when it fails (and nothing but its own lines when it succeeds: no warnings),
never a Python traceback, and never a partial or temporary output file: the -o target either does not exist
afterwards (or still holds what it held before), or is complete and valid; no `.NAME.*.tmp` is left in the folder.

The stages run in-process (their main() with sys.argv, stdin, stdout and stderr swapped, a SystemExit caught; any
other exception escaping main() is a traceback), and a few representative cases run as real subprocesses.
The examples pinned with @example and a "Found:" comment are bugs these tests found (all fixed); each stays as a
regression case, and its comment says what broke and where.
"""
import ast
import collections
import copy
import functools
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import graphviz
import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from testkit import ROOT, assert_clean_error, delay1_graph, open_page, random_run, run_script

import extract
import graph
import prune
import render
import tasks

FUZZ = settings(max_examples=50, deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
KINDS = ("input", "state", "neuron", "output")
FIELDS = {"input": ("index",), "state": ("cell", "index", "init"), "neuron": ("role", "cell", "index", "bias"),
          "output": ("index", "bias")}  # what the README's graph format asks of each kind of node


# ---- running a stage in-process, and what its answer must look like ----

@dataclass
class Answer:
  script: str
  rc: int
  err: list[str]  # stderr's lines, then one line per warning raised (a real run prints those on stderr too)
  out: bytes
  crash: str | None  # the traceback of an exception that escaped main()
  error: str = ""  # ... and its last line (the first line of it, for a message of several lines)

  def __str__(self):
    if self.crash:
      return f"{self.script} crashed: {self.error}\n{self.crash}"
    return f"{self.script} exit {self.rc}, stderr: {self.err!r}"


def call_main(module, args, stdin: bytes = b"") -> Answer:
  """module.main() as `python module.py args...` would run it, in this process."""
  script = f"{module.__name__}.py"
  out, err = io.BytesIO(), io.StringIO()
  text_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
  text_out = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
  saved = sys.argv, sys.stdin, sys.stdout, sys.stderr
  rc, crash, error = 0, None, ""
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    sys.argv, sys.stdin, sys.stdout, sys.stderr = [script, *map(str, args)], text_in, text_out, err
    try:
      module.main()
    except SystemExit as e:
      if isinstance(e.code, str):  # sys.exit("text"): Python prints the text and exits 1
        err.write(e.code + "\n")
      rc = 1 if isinstance(e.code, str) else e.code or 0
    except Exception as e:
      rc, crash, error = 1, traceback.format_exc(), traceback.format_exception_only(e)[0].strip().splitlines()[0]
    finally:
      sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
  text_out.flush()
  stdout = out.getvalue()
  lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
  lines += [f"{w.category.__name__}: {str(w.message).splitlines()[0] if str(w.message) else ''}" for w in caught]
  return Answer(script, rc, lines, stdout, crash, error)


def assert_answer(a: Answer, codes=(0, 2)):
  """Exit code in `codes`; a failure is exactly one line naming the script, a success prints only its own lines."""
  assert a.crash is None, str(a)
  assert a.rc in codes, str(a)
  assert not any("Traceback" in ln for ln in a.err), str(a)
  if a.rc != 0:
    assert len(a.err) == 1 and a.err[0].startswith(f"{a.script}: "), str(a)
  else:
    assert all(ln.startswith(f"{a.script}: ") for ln in a.err), f"stray output on stderr: {a}"


def assert_complete(path: Path, suffix: str):
  """The file a stage wrote is whole and of its kind."""
  data = path.read_bytes()
  assert data.strip(), f"{path.name} is empty"
  if suffix == ".json":
    graph.load_graph(str(path))  # GraphError if it is not a whole, valid graph
  elif suffix == ".dot":
    assert data.lstrip().startswith(b"digraph") and data.rstrip().endswith(b"}"), data[-200:]
    if shutil.which("dot"):
      proc = subprocess.run(["dot", "-Tcanon"], input=data, capture_output=True, timeout=60)
      assert proc.returncode == 0 and not proc.stderr.strip(), f"dot rejects {path.name}: {proc.stderr[:300]!r}"
  elif suffix == ".svg":
    ElementTree.fromstring(data)  # well-formed XML, so not cut off
  elif suffix == ".html":
    assert data.lstrip().lower().startswith(b"<!doctype html") and data.rstrip().endswith(b"</html>"), data[-200:]
  elif suffix == ".py":
    try:
      compile(data, str(path), "exec")
    except SyntaxError as e:
      raise AssertionError(f"{path.name} is not a Python program: {e}") from None
  elif suffix == ".txt":
    assert data.endswith(b"\n")


OLD = b"what was there before\n"
HOWS = ["new", "new", "new", "old", "nodir", "dir"]  # the -o target: see prepare_target


def prepare_target(folder: Path, name: str, how: str) -> Path:
  """The -o path: new (absent), old (a file already there), nodir (in a folder that does not exist), dir (a folder)."""
  target = folder / name
  if how == "old":
    target.write_bytes(OLD)
  elif how == "nodir":
    target = folder / "no-such-folder" / name
  elif how == "dir":
    target.mkdir()
  return target


def assert_nothing_lost(a: Answer, folder: Path, before: set, target: Path, how: str, suffix: str):
  """No temporary file anywhere in the folder; the target complete after a success, as it was after a failure."""
  after = listing(folder)
  assert not [n for n in after if n.endswith(".tmp")], f"left behind: {sorted(after - before)} ({a})"
  if how == "dir":
    assert target.is_dir() and not any(target.iterdir()), str(a)
    assert a.rc != 0, f"{a.script} said it wrote into the folder {target.name} ({a})"
  elif a.rc == 0:
    assert target.is_file() and target.read_bytes() != OLD, f"{a.script} exit 0 but wrote no {target.name} ({a})"
    assert_complete(target, suffix)
  elif how == "old":
    assert target.read_bytes() == OLD, f"{a.script} failed and changed the old {target.name} ({a})"
  else:
    assert not target.exists(), f"{a.script} failed and left {target.name} ({a})"
  new = after - before - {str(target.relative_to(folder))}
  assert not new, f"{a.script} left {sorted(new)} ({a})"


def listing(folder: Path) -> set:
  return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# ---- malformed graphs ----

class Case:
  """A malformed file: its bytes, the mutations that made it, and whether it is malformed by construction (every
  reader must refuse it) or may still be fine. (No dataclass: hypothesis would print all the bytes of a failure.)"""

  def __init__(self, data: bytes, ops: tuple[str, ...] = (), invalid: bool = False):
    self.data, self.ops, self.invalid = data, ops, invalid

  def __repr__(self):
    head = self.data[:160] + (b"..." if len(self.data) > 160 else b"")
    return f"Case(ops={self.ops!r}, invalid={self.invalid}, {len(self.data)} bytes: {head!r})"


BASES = {name: json.loads((ROOT / "examples" / f"{name}.json").read_text()) for name in ("delay1", "gated")}
BASES["hand"] = delay1_graph()

WEIRD = ["", "x", "in0", "NaN", [], [1.0], {}, {"factor": 1}, None, True, False, 0, -1, 1, 0.5, -0.0, 2 ** 31,
         2 ** 63, -(2 ** 63) - 1, 10 ** 400, 1e308, -1e308, 5e-324, math.nan, math.inf, -math.inf, "1" * 5000]
IDS = ["class", "a-b", "1x", "", " ", "é", "node", "edge", "subgraph", "a:b", "a\nb", "<b>x</i>", "<b", 'a"b\\',
       "x" * 300, "in1", "__import__('os')"]
TASK_NAMES = ["nope", "", "delay2", "gated", "cpu", "parens", "x.py:NAME", "no/such/dir/t.py:T", "a\nb.py:X",
              "tasks.py:TASKS", "tasks.py:", ":", "delay1 "]


def finite_number(v) -> bool:
  if type(v) is float:
    return math.isfinite(v)
  return type(v) is int and abs(v) <= sys.float_info.max


def node_ids(g) -> set:
  nodes = g.get("nodes") if isinstance(g, dict) else None
  return {n["id"] for n in nodes or () if isinstance(n, dict) and isinstance(n.get("id"), str)} \
      if isinstance(nodes, list) else set()


def wrong_value(g, where: str, holder: dict, key, v) -> bool:
  """True when v in holder[key] makes the graph malformed whatever else it holds (the README's graph format)."""
  if where == "top":
    return key in ("graph", "nodes", "edges") and not isinstance(v, dict if key == "graph" else list)
  if where == "graph":
    if key == "task":
      return not (isinstance(v, str) and v)
    good = isinstance(v, dict) and all(finite_number(v.get(k)) for k in ("factor", "leak"))
    return key == "activation" and not good
  if where == "activation":
    return key in ("factor", "leak") and not finite_number(v)
  if where == "node":
    if key == "id":
      return not isinstance(v, str)
    if key == "kind":
      return v not in KINDS
    if key not in FIELDS.get(holder.get("kind"), ()):
      return False
    if key in ("bias", "init"):
      return not finite_number(v)
    if key == "role":
      return v not in ("output", "recurrent")
    return not (type(v) is int and v >= 0)
  if where == "edge":
    if key == "weight":
      return not finite_number(v)
    if key in ("source", "target"):
      return not (isinstance(v, str) and v in node_ids(g))
  return False


def required(where: str, holder: dict, key) -> bool:
  if where == "top":
    return key in ("graph", "nodes", "edges")
  if where == "graph":
    return key in ("task", "activation")
  if where == "activation":
    return key in ("factor", "leak")
  if where == "node":
    return key in ("id", "kind") or key in FIELDS.get(holder.get("kind"), ())
  return key in ("source", "target", "weight") or (key == "feedback" and holder.get(key) is True)


def holders(g) -> dict[str, list]:
  """The dicts of a (possibly already mutated) graph that a mutation can change a key of."""
  out = {"top": [g] if isinstance(g, dict) else []}
  top = g.get("graph") if isinstance(g, dict) else None
  out["graph"] = [top] if isinstance(top, dict) else []
  out["activation"] = [top["activation"]] if out["graph"] and isinstance(top.get("activation"), dict) else []
  for where, key in (("node", "nodes"), ("edge", "edges")):
    items = g.get(key) if isinstance(g, dict) else None
    out[where] = [x for x in items if isinstance(x, dict)] if isinstance(items, list) else []
  return {k: v for k, v in out.items() if v}


def pick(draw, g):
  """(where, holder, key) of a key to change, or None when the graph has no non-empty dict left."""
  options = {w: [h for h in hs if h] for w, hs in holders(g).items()}
  options = {w: hs for w, hs in options.items() if hs}
  if not options:
    return None
  where = draw(st.sampled_from(sorted(options)))
  holder = draw(st.sampled_from(options[where]))
  return where, holder, draw(st.sampled_from(sorted(holder)))


# Each tree op changes the graph dict g in place: (name, malformed by construction?).

def op_delete_key(draw, g):
  got = pick(draw, g)
  if got is None:
    return "delete nothing", False
  where, holder, key = got
  bad = required(where, holder, key)
  del holder[key]
  return f"delete {where}.{key}", bad


def op_replace_value(draw, g):
  got = pick(draw, g)
  if got is None:
    return "replace nothing", False
  where, holder, key = got
  v = copy.deepcopy(draw(st.sampled_from(WEIRD)))
  holder[key] = v
  return f"replace {where}.{key} by {type(v).__name__}", wrong_value(g, where, holder, key, v)


def list_of(g, key) -> list:
  items = g.get(key) if isinstance(g, dict) else None
  return items if isinstance(items, list) else []


def op_duplicate(draw, g):
  key = draw(st.sampled_from(["nodes", "edges"]))
  items = list_of(g, key)
  if not items:
    return f"duplicate no {key}", False
  items.append(copy.deepcopy(draw(st.sampled_from(items))))
  return f"duplicate one of {key}", True


def op_drop_node(draw, g):
  nodes = list_of(g, "nodes")
  if not nodes:
    return "drop no node", False
  node = nodes.pop(draw(st.integers(0, len(nodes) - 1)))
  nid = node.get("id") if isinstance(node, dict) else None
  used = any(isinstance(e, dict) and nid in (e.get("source"), e.get("target")) for e in list_of(g, "edges"))
  return "drop a node", bool(used and isinstance(nid, str) and nid not in node_ids(g))


def op_drop_edge(draw, g):
  edges = list_of(g, "edges")
  if edges:
    edges.pop(draw(st.integers(0, len(edges) - 1)))
  return "drop an edge", False


def op_dangle(draw, g):
  edges = [e for e in list_of(g, "edges") if isinstance(e, dict)]
  if not edges:
    return "dangle nothing", False
  draw(st.sampled_from(edges))[draw(st.sampled_from(["source", "target"]))] = "ghost"
  return "dangling edge", True


def nodes_of(g, kind) -> list[str]:
  return sorted(n["id"] for n in list_of(g, "nodes") if isinstance(n, dict) and n.get("kind") == kind
                and isinstance(n.get("id"), str))


def op_cycle(draw, g):
  neurons = nodes_of(g, "neuron")
  if not neurons:
    return "no cycle", False
  a, b = draw(st.sampled_from(neurons)), draw(st.sampled_from(neurons))
  list_of(g, "edges").extend([{"source": a, "target": b, "weight": 1.0}, {"source": b, "target": a, "weight": -0.5}])
  return "cycle without a state", "edges" in g and isinstance(g["edges"], list)


def op_feed_state_from_input(draw, g):
  ins, states = nodes_of(g, "input"), nodes_of(g, "state")
  if not ins or not states or not isinstance(g.get("edges"), list):
    return "no state fed from an input", False
  g["edges"].append({"source": draw(st.sampled_from(ins)), "target": draw(st.sampled_from(states)), "weight": 1.0,
                     "feedback": True})
  return "state fed from an input", True


def op_rename(draw, g):
  nodes = [n for n in list_of(g, "nodes") if isinstance(n, dict) and isinstance(n.get("id"), str)]
  if not nodes:
    return "rename nothing", False
  old, new = draw(st.sampled_from(nodes))["id"], draw(st.sampled_from(IDS))
  for n in nodes:
    n["id"] = new if n["id"] == old else n["id"]
  for e in list_of(g, "edges"):
    for end in ("source", "target"):
      if isinstance(e, dict) and e.get(end) == old:
        e[end] = new
  return "rename a node", False


def op_set_task(draw, g):
  top = g.get("graph") if isinstance(g, dict) else None
  if not isinstance(top, dict):
    return "no task to set", False
  top["task"] = draw(st.sampled_from(TASK_NAMES))
  return "set graph.task", top["task"] == ""


def op_set_kind(draw, g):
  nodes = [n for n in list_of(g, "nodes") if isinstance(n, dict)]
  if not nodes:
    return "no kind to set", False
  draw(st.sampled_from(nodes))["kind"] = draw(st.sampled_from(KINDS))
  return "change a node's kind", False


def op_wide_input(draw, g):
  ins = [n for n in list_of(g, "nodes") if isinstance(n, dict) and n.get("kind") == "input"]
  if not ins:
    return "no input to widen", False
  draw(st.sampled_from(ins))["index"] = draw(st.sampled_from([7, 2 ** 20, 10 ** 12, 10 ** 400]))
  return "input index far out", False


def op_meta(draw, g):
  top = g.get("graph") if isinstance(g, dict) else None
  if not isinstance(top, dict):
    return "no meta to set", False
  key = draw(st.sampled_from(["meta", "history", "prune", "verified"]))
  top[key] = copy.deepcopy(draw(st.sampled_from(WEIRD + [{"n_in": 1e300}, {"n_in": 10 ** 9}, {"n_in": "3"},
                                                         {"step": [1], "loss": ["x"]}])))
  return f"replace graph.{key}", False


TREE_OPS = [op_delete_key, op_replace_value, op_duplicate, op_drop_node, op_drop_edge, op_dangle, op_cycle,
            op_feed_state_from_input, op_rename, op_set_task, op_set_kind, op_wide_input, op_meta]
MILD_OPS = [op_drop_edge, op_rename, op_set_task, op_wide_input, op_meta]  # drawn twice as often: graphs that may
# still be fine reach the stages' later steps (the task, the readout, writing the output)


def npz_bytes(compressed=False, **arrays) -> bytes:
  buf = io.BytesIO()
  (np.savez_compressed if compressed else np.savez)(buf, **arrays)
  return buf.getvalue()


def text_truncate(draw, data):
  end = len(data.rstrip())
  return "truncated", data[:draw(st.integers(0, end - 1))], True


def text_flip(draw, data):
  i = draw(st.integers(0, len(data) - 1))
  return "one byte changed", data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:], False


def text_insert(draw, data):
  i = draw(st.integers(0, len(data)))
  return "bytes inserted", data[:i] + draw(st.binary(min_size=1, max_size=20)) + data[i:], False


def text_random(draw, data):
  return "random bytes", draw(st.binary(max_size=300)), True


def text_deep(draw, data):
  n = draw(st.sampled_from([500, 5000, 200000]))
  opener = draw(st.sampled_from(["[", '{"a":', '{"graph":']))
  return "deep nesting", (opener * n).encode(), True


def text_empty(draw, data):
  return "empty or blank", draw(st.sampled_from([b"", b" ", b"\n\n", b"\t \r\n"])), True


def text_npz(draw, data):
  return "a .npz given as a graph", npz_bytes(a=np.zeros(3)), True


def text_not_object(draw, data):
  return "top level not an object", draw(st.sampled_from([b"[]", b"5", b'"graph"', b"null", b"true", b"[{}]"])), True


def text_utf16(draw, data):
  return "UTF-16", data.decode().encode("utf-16"), True


def text_bom(draw, data):
  return "UTF-8 BOM", b"\xef\xbb\xbf" + data, False


def text_latin1(draw, data):
  return "invalid UTF-8", data[:1] + b'"t\xe9sk": 1, ' + data[1:], True


TEXT_OPS = [text_truncate, text_flip, text_insert, text_random, text_deep, text_empty, text_npz, text_not_object,
            text_utf16, text_bom, text_latin1]
BREAKING_TEXT_OPS = [text_truncate, text_random, text_deep, text_empty, text_npz, text_not_object, text_utf16,
                     text_latin1]  # malformed whatever the graph was
ALL_GRAPH_OPS = {f.__name__ for f in TREE_OPS + TEXT_OPS}


@st.composite
def graph_files(draw, bases=("delay1", "gated", "hand")):
  """A graph file: a valid example, then 1-3 changes to its JSON tree, or 0-1 of those and one to its bytes.
  The changes stop at the first that makes the graph malformed by construction, so that none can undo it (a task
  set to "" and then to "delay2", an edge added and then dropped), and a byte-level change after it is one that
  cannot repair it either."""
  g = copy.deepcopy(BASES[draw(st.sampled_from(bases))])
  text = draw(st.integers(0, 3)) == 0
  ops, invalid = [], False
  for _ in range(draw(st.integers(0 if text else 1, 1 if text else 3))):
    op = draw(st.sampled_from(TREE_OPS + MILD_OPS))
    name, invalid = op(draw, g)
    ops.append(op.__name__)
    event(f"graph: {name}")
    if invalid:
      break
  data = json.dumps(g).encode()
  if text:
    text_op = draw(st.sampled_from([op for op in TEXT_OPS if not invalid or op in BREAKING_TEXT_OPS]))
    name, data, bad = text_op(draw, data)
    ops.append(text_op.__name__)
    invalid |= bad
    event(f"graph: {name}")
  event(f"graph: malformed by construction: {invalid}")
  return Case(data, tuple(ops), bool(invalid))


def graph_case(change, base="delay1", invalid=False, ops=("pinned",)) -> Case:
  """A pinned example: `change(g)` applied to a copy of a base graph."""
  g = copy.deepcopy(BASES[base])
  change(g)
  return Case(json.dumps(g).encode(), ops, invalid)


def rename(g, old, new):
  for n in g["nodes"]:
    n["id"] = new if n["id"] == old else n["id"]
  for e in g["edges"]:
    e.update({k: new for k in ("source", "target") if e[k] == old})


# The bugs these tests found, pinned (each is a failing example until the stage is fixed):
# Found: a number too big for a float (JSON allows 1e400 written out as digits): graph.is_number calls math.isfinite on
#      it and raises "OverflowError: int too large to convert to float" in load_graph, so prune.py and render.py crash.
BIG_WEIGHT = graph_case(lambda g: g["edges"][0].update(weight=10 ** 400), invalid=True)
# Found: an edge whose source is a list: check_edges does `end not in kind_of` -> "TypeError: unhashable type: 'list'".
LIST_SOURCE = graph_case(lambda g: g["edges"][0].update(source=["in0"]), invalid=True)
# Found: a node id that looks like HTML to the graphviz package ('<b>x</i>') or holds a quote and a backslash: dot
#      fails and render.py -o x.svg / .html crashes with graphviz CalledProcessError; .dot is written but broken.
HTML_ID = graph_case(lambda g: rename(g, "c0_r0", "<b>x</i>"))
QUOTE_ID = graph_case(lambda g: rename(g, "c0_o0", 'a"b\\'))
# Found: a node id with a colon is read by dot as node:port ("Warning: node a, port b unrecognized" on stderr).
COLON_ID = graph_case(lambda g: rename(g, "c0_o0", "a:b"))
# Found: a node id that is no Python name ('class'): render.py -o x.py exits 0 with a program that does not compile.
KEYWORD_ID = graph_case(lambda g: rename(g, "c0_s0", "class"))
# Found: a graph of an unknown task whose input index is huge: input_count() believes it, and render.py -o x.html / .py
#      crashes allocating (24, 10**12) ("numpy._core._exceptions._ArrayMemoryError").
WIDE_INPUT = graph_case(lambda g: (g["nodes"][0].update(index=10 ** 12), g["graph"].update(task="nope")))
# Found: the same with graph.meta.n_in = 1e300: "OverflowError: Python int too large to convert to C long".
HUGE_META_N_IN = graph_case(lambda g: (g["graph"]["meta"].update(n_in=1e300), g["graph"].update(task="nope")))
# Found: graph.meta that is not an object ("x"): graph.input_count does meta.get(...) -> "AttributeError: 'str' object
#      has no attribute 'get'" when the task is not known: render.py -o x.html / .py / .txt / --inputs crash.
META_STRING = graph_case(lambda g: (g["graph"].update(meta="x"), g["graph"].update(task="nope")))
# Found: a task name holding a newline and ending in .py:NAME: TaskError "task file a\nb.py does not exist" is 2 lines.
NEWLINE_TASK = graph_case(lambda g: g["graph"].update(task="a\nb.py:X"))
# Found: a graph whose task is not known (here "nope"): render.py prints its "No expected output" note on stderr, and
#      when the output then cannot be written (-o into a folder that does not exist) the error is a second line.
UNKNOWN_TASK = graph_case(lambda g: g["graph"].update(task="nope"))
# Found: the same with --fsm: the machine's summary line goes to stderr before the write fails (two lines, exit 2).
FSM_GRAPH = graph_case(lambda g: None)
# Found: a bias of 1e308 passes the checks, and the evaluator overflows: render.py -o x.py exits 0 with numpy
#      "RuntimeWarning: overflow encountered in multiply" on stderr.
HUGE_BIAS = graph_case(lambda g: g["nodes"][2].update(bias=1e308))


@settings(FUZZ, max_examples=200)
@given(case=graph_files())
@example(case=BIG_WEIGHT)
@example(case=LIST_SOURCE)
@example(case=META_STRING)
def test_load_graph_refuses_every_malformed_graph_with_a_graph_error(case):
  """graph.load_graph: a GraphError of one line naming the file, or a graph every later step can run on."""
  with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "g.json"
    path.write_bytes(case.data)
    try:
      g = graph.load_graph(str(path))
    except graph.GraphError as e:
      text = str(e)
      assert text.startswith(f"{path}: ") and "\n" not in text, text
      event("load_graph: refused")
      return
    except Exception as e:  # anything else is a traceback for every stage that reads graphs
      raise AssertionError(f"load_graph raised {type(e).__name__}: {e}\n{traceback.format_exc()}") from None
  assert not case.invalid, f"load_graph accepted a graph malformed by construction: {case}"
  event("load_graph: accepted")
  try:  # what the stages ask of any graph load_graph accepts: its levels, live nodes, size, inputs, outputs
    for ask in (graph.levels, graph.live_nodes, graph.size, graph.input_count):
      ask(g)
    n_in = graph.input_count(g)
    if n_in <= 16:
      with np.errstate(all="ignore"):  # a bias of 1e308 overflows; the stage tests hold the stages to that
        y = graph.evaluate(g, np.ones((2, 3, n_in)))
      assert y.shape == (2, 3, sum(n["kind"] == "output" for n in g["nodes"]))
  except Exception:
    raise AssertionError(f"load_graph accepted a graph that then crashed: {traceback.format_exc()}") from None


@settings(FUZZ, max_examples=100)
@given(case=graph_files(), stdin=st.booleans(), how=st.sampled_from(HOWS), greedy=st.booleans())
@example(case=BIG_WEIGHT, stdin=False, how="new", greedy=True)
@example(case=LIST_SOURCE, stdin=False, how="old", greedy=True)
@example(case=NEWLINE_TASK, stdin=False, how="new", greedy=True)
def test_prune_answers_every_malformed_graph_in_one_line(case, stdin, how, greedy):
  with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp)
    (folder / "g.json").write_bytes(case.data)
    target = prepare_target(folder, "pruned.json", how)
    before = listing(folder)
    args = ["-" if stdin else folder / "g.json", "-o", target, "--sequences", "40", "--length", "8"]
    a = call_main(prune, args + ([] if greedy else ["--no-greedy"]), stdin=case.data if stdin else b"")
    event(f"prune: exit {a.rc}")
    assert_answer(a, codes=(0, 1, 2))
    if case.invalid:
      assert a.rc == 2, f"prune.py did not refuse a malformed graph: {a}"
    if a.rc == 0:
      assert len(a.err) == 1 and "verified" in a.err[0], str(a)
    assert_nothing_lost(a, folder, before, target, how, ".json")


RENDER_OUTPUTS = [".dot", ".svg", ".html", ".py", ".txt", "fsm.dot", "fsm.svg"]
RENDER_INPUTS = [None] * 6 + ["-1,1,1,-1", "+-,-+", "1:-1:1,-1:1:1", "1,x", "", "nan", "1e999", "+-+,+", "²"]


@settings(FUZZ, max_examples=100)
@given(case=graph_files(), output=st.sampled_from(RENDER_OUTPUTS), inputs=st.sampled_from(RENDER_INPUTS),
       step=st.sampled_from([None] * 5 + [0, 2, -1, 10 ** 6]), stdin=st.booleans(), how=st.sampled_from(HOWS))
@example(case=BIG_WEIGHT, output=".svg", inputs=None, step=None, stdin=False, how="new")
@example(case=HTML_ID, output=".svg", inputs=None, step=None, stdin=False, how="new")
@example(case=QUOTE_ID, output=".html", inputs=None, step=None, stdin=False, how="old")
@example(case=QUOTE_ID, output=".dot", inputs=None, step=None, stdin=False, how="new")
@example(case=COLON_ID, output=".svg", inputs=None, step=None, stdin=False, how="new")
@example(case=KEYWORD_ID, output=".py", inputs=None, step=None, stdin=False, how="new")
@example(case=WIDE_INPUT, output=".html", inputs=None, step=None, stdin=False, how="new")
@example(case=META_STRING, output=".dot", inputs="1,-1", step=None, stdin=False, how="new")
@example(case=HUGE_META_N_IN, output=".py", inputs=None, step=None, stdin=False, how="new")
@example(case=NEWLINE_TASK, output=".html", inputs=None, step=None, stdin=False, how="new")
@example(case=HUGE_BIAS, output=".py", inputs=None, step=None, stdin=False, how="new")
@example(case=UNKNOWN_TASK, output=".html", inputs=None, step=None, stdin=False, how="nodir")
@example(case=FSM_GRAPH, output="fsm.svg", inputs=None, step=None, stdin=False, how="nodir")
def test_render_answers_every_malformed_graph_in_one_line(case, output, inputs, step, stdin, how):
  fsm, suffix = output.startswith("fsm"), output[output.index("."):]
  with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp)
    (folder / "g.json").write_bytes(case.data)
    target = prepare_target(folder, f"drawing{suffix}", how)
    before = listing(folder)
    args = ["-" if stdin else folder / "g.json", "-o", target] + (["--fsm"] if fsm else [])
    args += ([f"--inputs={inputs}"] if inputs is not None else []) + (["--step", step] if step is not None else [])
    a = call_main(render, args, stdin=case.data if stdin else b"")
    event(f"render: exit {a.rc}")
    assert_answer(a)
    if case.invalid:
      assert a.rc == 2, f"render.py did not refuse a malformed graph: {a}"
    assert_nothing_lost(a, folder, before, target, how, suffix)


# ---- malformed run files (extract.py) ----

@functools.cache
def run_bases() -> dict[str, dict[str, np.ndarray]]:
  """Two valid runs (random weights, no training): two stacked cells with 3 inputs and 2 outputs, and a 1x1 cell."""
  bases = {}
  with tempfile.TemporaryDirectory() as tmp:
    for name, kw in (("two cells", {}), ("one cell", {"cells": ((1, 1),), "n_in": 1, "n_out": 1})):
      random_run(Path(tmp) / "r.npz", **kw)
      with np.load(Path(tmp) / "r.npz") as f:
        bases[name] = {k: f[k] for k in f.files}
  return bases


def is_weight(key: str) -> bool:
  return key.startswith(("cell", "dense"))


def run_op_drop(draw, a):
  key = draw(st.sampled_from(sorted(a)))
  del a[key]
  return f"drop {key}", is_weight(key) or key == "meta"


def numeric_keys(a) -> list[str]:
  return sorted(k for k in a if k != "meta" and np.issubdtype(a[k].dtype, np.number))


def run_op_shape(draw, a):
  key = draw(st.sampled_from(sorted(k for k in a if k != "meta")))
  shape = tuple(draw(st.lists(st.integers(0, 7), max_size=3)))
  if shape == a[key].shape:
    shape += (1,)
  a[key] = np.asarray(draw(st.sampled_from([0.0, 0.5, -1.0])), np.float32) * np.ones(shape, np.float32)
  return f"reshape {key}", is_weight(key)


DTYPES = [np.bool_, np.int8, np.float16, np.float64, np.complex64, "<U3", "S3", [("a", "<f4")]]


def run_op_dtype(draw, a):
  key = draw(st.sampled_from(sorted(k for k in a if k != "meta")))
  dtype = np.dtype(draw(st.sampled_from(DTYPES)))
  try:
    with warnings.catch_warnings():
      warnings.simplefilter("ignore")  # NaN cast to an integer, say: the generator's business, not the stage's
      if dtype.names:
        new = np.zeros(a[key].shape, dtype)
      elif dtype.kind == "c":
        new = a[key].astype(dtype) + 1j * (np.arange(a[key].size).reshape(a[key].shape) % 2)
      else:
        new = a[key].astype(dtype)
  except (TypeError, ValueError):  # an earlier change made it strings or records
    return f"{key} kept its dtype", False
  a[key] = new
  return f"{key} as {dtype}", is_weight(key) and (dtype.kind in "bUSV")


def run_op_nan(draw, a):
  keys = [k for k in numeric_keys(a) if a[k].size and a[k].dtype.kind in "fc"]
  if not keys:
    return "no NaN", False
  key = draw(st.sampled_from(keys))
  flat = a[key].copy().reshape(-1)
  flat[draw(st.integers(0, flat.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
  a[key] = flat.reshape(a[key].shape)
  return f"NaN in {key}", is_weight(key)


META_TEXTS = ["{", "[]", "5", '"x"', "null", "[" * 100000, '{"task": "gated"}', "{'task': 'gated'}", ""]


def run_op_meta(draw, a):
  """A meta that is not JSON, or a JSON object with a key gone or holding a wrong value, or no string at all."""
  try:
    meta = json.loads(str(a["meta"]))
  except (KeyError, ValueError, RecursionError):
    meta = None
  how = draw(st.sampled_from(["text", "array", "key", "key", "key"] if isinstance(meta, dict) else ["text", "array"]))
  if how == "text":
    a["meta"] = np.array(draw(st.sampled_from(META_TEXTS)))
    return "meta text", True
  if how == "array":
    a["meta"] = draw(st.sampled_from([np.array(5), np.array(["{}", "{}"]), np.array(b'{"task": "gated"}'),
                                      np.zeros((2, 2))]))
    return "meta not a string", True
  key = draw(st.sampled_from(sorted(set(meta) | {"task", "factor", "leak", "cells", "n_in", "n_out"})))
  if draw(st.booleans()) and key in meta:
    del meta[key]
    bad = key in ("task", "factor", "leak")
  else:
    old, meta[key] = meta.get(key), copy.deepcopy(draw(st.sampled_from(WEIRD + [[5], [[1]], [[1, 1], [2]], "8x4"])))
    v = meta[key]
    bad = {"task": not (isinstance(v, str) and v), "factor": not finite_number(v), "leak": not finite_number(v),
           "cells": old is not None and v != old, "n_in": old is not None and v != old,
           "n_out": old is not None and v != old}.get(key, False)
  a["meta"] = np.array(json.dumps(meta))
  return f"meta.{key}", bad


HISTORIES = [np.zeros(0), np.zeros(3), np.zeros((2, 4)), np.zeros((2, 6)), np.array([[np.nan, 1, 1, 1, 1]]),
             np.array([[np.inf, 1, 1, 1, 1]]), np.array([[1e300, 1, 1, 1, 1]]), np.array([["a", "b", "c", "d", "e"]]),
             np.array([[-5, np.nan, np.inf, 0.5, -1]]), np.array(1.0), np.zeros((1, 5), [("a", "<f4")])]


def run_op_history(draw, a):
  a["history"] = draw(st.sampled_from(HISTORIES))
  return "history replaced", False


def run_op_extra(draw, a):
  k = 1 + max(int(key[4:key.index("_")]) for key in a if key.startswith("cell") and "_" in key) \
      if any(key.startswith("cell") for key in a) else 0
  extra = draw(st.sampled_from(["junk", f"cell{k}_output_kernel"]))
  a[extra] = np.zeros((3, 2), np.float32)
  return f"extra {extra.split('_')[0]}", extra != "junk"


RUN_OPS = [run_op_drop, run_op_shape, run_op_dtype, run_op_nan, run_op_meta, run_op_history, run_op_extra]


def file_truncate(draw, data, a):
  return "truncated", data[:draw(st.integers(0, len(data) - 1))], True


def file_flip(draw, data, a):  # a changed byte: a bad CRC, a broken header or name
  i = draw(st.integers(0, len(data) - 1))
  return "one byte changed", data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:], False


def file_npy(draw, data, a):
  buf = io.BytesIO()
  np.save(buf, a.get("dense_weight", np.zeros(3)))
  return ".npy instead of .npz", buf.getvalue(), True


def file_pickle(draw, data, a):
  buf = io.BytesIO()
  np.save(buf, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
  return "pickled .npy", buf.getvalue(), True


def file_random(draw, data, a):
  return "random bytes", draw(st.binary(max_size=300)), True


def file_graph(draw, data, a):
  return "a graph given as a run", (ROOT / "examples" / "delay1.json").read_bytes(), True


def file_zip_of_text(draw, data, a):
  buf = io.BytesIO()
  with zipfile.ZipFile(buf, "w") as z:
    z.writestr("meta.npy", "not an array")
  return "zip of a text file", buf.getvalue(), True


def file_compressed(draw, data, a):
  return "savez_compressed", npz_bytes(compressed=True, **a), False


FILE_OPS = [file_truncate, file_flip, file_npy, file_pickle, file_random, file_graph, file_zip_of_text,
            file_compressed]
ALL_RUN_OPS = {f.__name__ for f in RUN_OPS + FILE_OPS}


@st.composite
def run_files(draw):
  """A run file: a valid one with 1-2 of its arrays changed, or 0-1 of those and its bytes changed (as graph_files,
  the changes stop at the first that makes it malformed, and a changed byte never follows that)."""
  a = dict(run_bases()[draw(st.sampled_from(["two cells", "one cell"]))])
  whole_file = draw(st.integers(0, 2)) == 0
  ops, invalid = [], False
  for _ in range(draw(st.integers(0 if whole_file else 1, 1 if whole_file else 2))):
    op = draw(st.sampled_from(RUN_OPS + [run_op_history, run_op_extra, run_op_dtype]))
    name, invalid = op(draw, a)
    ops.append(op.__name__)
    event(f"run: {name}")
    if invalid:
      break
  data = npz_bytes(**a)
  if whole_file:
    file_op = draw(st.sampled_from([op for op in FILE_OPS if not invalid or op is not file_flip]))
    name, data, bad = file_op(draw, data, a)
    ops.append(file_op.__name__)
    invalid |= bad
    event(f"run: {name}")
  return Case(data, tuple(ops), bool(invalid))


def run_case(**changes) -> Case:
  a = dict(run_bases()["two cells"])
  a.update(changes)
  return Case(npz_bytes(**a), ("pinned",), False)


META = {"task": "gated", "n_in": 3, "n_out": 2, "cells": [[5, 3], [4, 2]], "factor": 0.3, "leak": 0.05}
# Found: a history that is not numbers, or whose step column is NaN or inf: history_of calls int() on it, and extract.py
#      crashes ("ValueError: invalid literal for int() with base 10: np.str_('a')", "ValueError: cannot convert float
#      NaN to integer", "OverflowError: cannot convert float infinity to integer", a structured one "TypeError").
HISTORY_TEXT = run_case(history=np.array([["a", "b", "c", "d", "e"]]))
HISTORY_NAN = run_case(history=np.array([[np.nan, 1, 1, 1, 1]]))
# Found: meta JSON nested too deeply: json.loads raises RecursionError, which load_npz does not catch.
META_DEEP = run_case(meta=np.array("[" * 100000))
# Found: meta.cells that is not a list of lists (5, or [5]): "TypeError: 'int' object is not iterable" in cell_shapes.
META_CELLS = run_case(meta=np.array(json.dumps({**META, "cells": [5]})))
# Found: meta.factor too big for a float: is_number raises "OverflowError: int too large to convert to float".
META_BIG_FACTOR = run_case(meta=np.array(json.dumps({**META, "factor": 10 ** 400})))
# Found: complex weights pass the "numeric" check; float() drops the imaginary part with a ComplexWarning on stderr.
COMPLEX = run_case(dense_weight=run_bases()["two cells"]["dense_weight"].astype(np.complex64) + 1j)


@settings(FUZZ, max_examples=100)
@given(case=run_files(), stdin=st.booleans(), how=st.sampled_from(HOWS))
@example(case=HISTORY_TEXT, stdin=False, how="new")
@example(case=HISTORY_NAN, stdin=False, how="old")
@example(case=META_DEEP, stdin=False, how="new")
@example(case=META_CELLS, stdin=False, how="new")
@example(case=META_BIG_FACTOR, stdin=True, how="new")
@example(case=COMPLEX, stdin=False, how="new")
def test_extract_answers_every_malformed_run_in_one_line(case, stdin, how):
  with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp)
    (folder / "run.npz").write_bytes(case.data)
    target = prepare_target(folder, "graph.json", how)
    before = listing(folder)
    a = call_main(extract, ["-" if stdin else folder / "run.npz", "-o", target], stdin=case.data if stdin else b"")
    event(f"extract: exit {a.rc}")
    assert_answer(a)
    if case.invalid:
      assert a.rc == 2, f"extract.py did not refuse a malformed run: {a}"
    assert_nothing_lost(a, folder, before, target, how, ".json")


# ---- malformed task files (tasks.py, prune.py --task, render.py --task) ----

GOOD_N = (1, 2)
N_VALUES = [1, 2, 0, -1, True, 1.5, "1", None, 2 ** 70]
# name: (the body of `def target(x)` or `def sampler(rng, batch, length)`, gives a valid answer)
TARGETS = {
  "good": ("return np.repeat(shift(x[..., :1], 1), W_OUT, axis=2)", True),
  "list": ("return np.repeat(shift(x[..., :1], 1), W_OUT, axis=2).tolist()", True),
  "ints": ("return np.repeat(shift(x[..., :1], 1), W_OUT, axis=2).astype(int)", True),
  "wide": ("return np.repeat(shift(x[..., :1], 1), W_OUT + 1, axis=2)", False),
  "short": ("return np.repeat(shift(x[..., :1], 1), W_OUT, axis=2)[:, 1:]", False),
  "flat": ("return shift(x[..., :1], 1)[..., 0]", False),
  "nan": ("y = np.repeat(shift(x[..., :1], 1), W_OUT, axis=2)\ny[-1, -1, -1] = np.nan\nreturn y", False),
  "half": ("return 0.5 * np.repeat(shift(x[..., :1], 1), W_OUT, axis=2)", False),
  "zero": ("return np.zeros(x.shape[:2] + (W_OUT,))", False),
  "bool": ("return np.repeat(x[..., :1] > 0, W_OUT, axis=2)", False),
  "raises": ("raise ValueError('no target here\\nsecond line')", False),
  "none": ("return None", False),
  "scalar": ("return 1.0", False),
  "text": ("return 'x'", False),
  "ragged": ("return [[1.0], [1.0, -1.0]]", False),
  "wrong list": ("return [[[1.0, -1.0]]] * len(x)", False),
}
SAMPLERS = {
  "uniform": (None, True),
  "good": ("return rng.choice(np.array([-1.0, 1.0], np.float32), size=(batch, length, W_IN))", True),
  "list": ("return rng.choice([-1.0, 1.0], size=(batch, length, W_IN)).tolist()", True),
  "wide": ("return rng.choice([-1.0, 1.0], size=(batch, length, W_IN + 1))", False),
  "short": ("return rng.choice([-1.0, 1.0], size=(batch, length - 1, W_IN))", False),
  "nan": ("return np.full((batch, length, W_IN), np.nan)", False),
  "half": ("return np.full((batch, length, W_IN), 0.5)", False),
  "zero": ("return np.zeros((batch, length, W_IN))", False),
  "raises": ("raise RuntimeError('sampler broke')", False),
  "none": ("return None", False),
}
# when a broken target or sampler is broken: always, or only for sizes that check_task (16 x 24) does not try
WHEN = {"always": "True", "for a batch over 16": "x.shape[0] > 16", "for more than 24 steps": "x.shape[1] > 24"}
OBJECTS = ["task", "not a Task", "a function", "a duck", "missing", "syntax error",
           "raises on import", "exits on import", "target not callable"]


class TaskFile:
  """A task file's text; invalid: refused by a check of a small batch (every stage must answer exit 2 in one line);
  sneaky: broken only for sizes that check does not try."""

  def __init__(self, text: str, ops: tuple[str, ...], invalid: bool, sneaky: bool):
    self.text, self.ops, self.invalid, self.sneaky = text, ops, invalid, sneaky

  def __repr__(self):
    return f"TaskFile(ops={self.ops!r}, invalid={self.invalid}, sneaky={self.sneaky}, text=\n{self.text})"


def task_file_text(obj, n_in, n_out, target, sampler, when) -> str:
  w_in = n_in if type(n_in) is int and 1 <= n_in <= 8 else 1
  w_out = n_out if type(n_out) is int and 1 <= n_out <= 8 else 1
  lines = ["import sys", "import numpy as np", "from tasks import Task, shift", f"W_IN, W_OUT = {w_in}, {w_out}", ""]
  good_target = TARGETS["good"][0]
  body, ok = TARGETS[target]
  lines += ["def target(x):"]
  broken = [f"  if {WHEN[when]}:", "    " + body.replace("\n", "\n    "), "  " + good_target]
  lines += broken if not ok else ["  " + body.replace("\n", "\n  ")]
  s_body, s_ok = SAMPLERS[sampler]
  if s_body:
    cond = WHEN[when].replace("x.shape[0]", "batch").replace("x.shape[1]", "length")
    lines += ["", "def sampler(rng, batch, length):"]
    lines += [f"  if {cond}:", "    " + s_body, "  " + SAMPLERS["good"][0]] if not s_ok else ["  " + s_body]
  inputs = "sampler" if s_body else "None"
  task = f"Task(name='fuzz', n_in={n_in!r}, n_out={n_out!r}, target=target, inputs={inputs})"
  lines += [""]
  lines += {"task": [f"NAME = {task}"], "not a Task": ["NAME = {'n_in': 1, 'target': target}"],
            "a function": ["NAME = target"],
            "a duck": ["class Duck:", "  n_in = n_out = 1", "  target = staticmethod(target)",
                       "  def sample(self, rng, batch, length):", "    return None", "NAME = Duck()"],
            "missing": [f"OTHER = {task}"], "syntax error": ["NAME = Task(name='fuzz',"],
            "raises on import": ["raise ImportError('needs a module that is not here\\nsecond line')"],
            "exits on import": ["sys.exit(3)"],
            "target not callable": [f"NAME = Task(name='fuzz', n_in=1, n_out=1, target=5, inputs={inputs})"]}[obj]
  return "\n".join(lines) + "\n"


@st.composite
def task_files(draw):
  """A task file with one fault (or none): n_in, n_out, the target, the sampler (each broken always, or only for
  sizes that check_task does not try), or what NAME is."""
  fault = draw(st.sampled_from(["none", "n_in", "n_out", "target", "target", "sampler", "object"]))
  bad_n = [v for v in N_VALUES if v not in GOOD_N or type(v) is not int]
  n_in = draw(st.sampled_from(bad_n if fault == "n_in" else GOOD_N))
  n_out = draw(st.sampled_from(bad_n if fault == "n_out" else GOOD_N))
  target = draw(st.sampled_from(sorted(t for t, (_, ok) in TARGETS.items() if ok != (fault == "target"))))
  sampler = draw(st.sampled_from(sorted(s for s, (_, ok) in SAMPLERS.items() if ok != (fault == "sampler"))))
  obj = draw(st.sampled_from([o for o in OBJECTS if o != "task"])) if fault == "object" else "task"
  when = draw(st.sampled_from(["always", "always", *WHEN])) if fault in ("target", "sampler") else "always"
  sneaky = fault in ("target", "sampler") and when != "always"
  invalid = fault != "none" and not sneaky
  ops = (obj, f"n_in {n_in!r}", f"n_out {n_out!r}", f"target {target}", f"sampler {sampler}", when)
  for op in ops:
    event(f"task file: {op}")
  event(f"task file: fault {fault}, invalid {invalid}, sneaky {sneaky}")
  return TaskFile(task_file_text(obj, n_in, n_out, target, sampler, when), ops, invalid, sneaky)


def pinned_task(target="good", sampler="uniform", when="always", obj="task") -> TaskFile:
  return TaskFile(task_file_text(obj, 1, 1, target, sampler, when), ("pinned",), False, True)


# Found: check_task tries one batch of 16 x 24; a target that fails only for other sizes crashes the stages that call it
#      later: here it raises for a batch over 16, and prune.py (its sampled and exhaustive sets) and render.py -o x.html
#      (the page's table of flipped inputs, a batch of 25) crash with "ValueError: no target here".
SNEAKY_RAISE = pinned_task("raises", when="for a batch over 16")
# Found: a target one step short for more steps than check_task tried: tasks.py (16 steps) printed 15 outputs under
#      16 inputs without a word; prune.py crashed on its exhaustive set ("ValueError: operands could not be broadcast
#      together"), render.py -o x.html too ("ValueError: cannot reshape array ...").
SNEAKY_SHORT = pinned_task("short", when="for more than 24 steps")
# Found: a task file that calls sys.exit(3) when imported: every stage exits 3 with nothing on stderr.
EXITS = TaskFile(task_file_text("exits on import", 1, 1, "good", "uniform", "always"), ("pinned",), True, False)


@settings(FUZZ, max_examples=60)
@given(tf=task_files())
@example(tf=SNEAKY_RAISE)
@example(tf=SNEAKY_SHORT)
@example(tf=EXITS)
def test_every_stage_answers_a_broken_task_file_in_one_line(tf):
  with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp)
    (folder / "mine.py").write_text(tf.text)
    (folder / "g.json").write_bytes((ROOT / "examples" / "delay1.json").read_bytes())
    spec = f"{folder / 'mine.py'}:NAME"
    before = listing(folder)
    a = call_main(tasks, [spec])
    assert_answer(a)
    if a.rc == 0:  # a sample: one row of 16 signs per input and per output
      rows = a.out.decode().splitlines()
      assert rows and all(len(r.split(":", 1)[1].split()) == 16 for r in rows), f"tasks.py printed {rows}"
    runs = [(prune, ["--sequences", "20", "--length", "6", "--no-greedy"], "p.json", (0, 1, 2)),
            (render, [], "r.html", (0, 2))]
    answers = [a]
    for module, more, name, codes in runs:
      b = call_main(module, [folder / "g.json", "--task", spec, "-o", folder / name, *more])
      assert_answer(b, codes)
      assert_nothing_lost(b, folder, before, folder / name, "new", Path(name).suffix)
      (folder / name).unlink(missing_ok=True)
      answers.append(b)
    for b in answers:
      event(f"task file: {b.script} exit {b.rc}")
      if tf.invalid:
        assert b.rc == 2 and "mine.py" in b.err[0], f"{b.script} took a broken task file: {b}"


# ---- a few cases as real subprocesses, as a user runs them ----

def cycle_graph() -> bytes:
  g = copy.deepcopy(BASES["gated"])
  neurons = nodes_of(g, "neuron")
  g["edges"] += [{"source": neurons[0], "target": neurons[1], "weight": 1.0},
                 {"source": neurons[1], "target": neurons[0], "weight": 1.0}]
  return json.dumps(g).encode()


def bad_crc_run(tmp: Path) -> bytes:
  """A run whose dense_weight member has one byte changed: its CRC no longer matches."""
  random_run(tmp / "base.npz")
  data = bytearray((tmp / "base.npz").read_bytes())
  with zipfile.ZipFile(tmp / "base.npz") as z:
    info = z.getinfo("dense_weight.npy")
  h = info.header_offset  # the local header: 30 bytes, then the name and the extra field (lengths at 26 and 28)
  start = h + 30 + int.from_bytes(data[h + 26:h + 28], "little") + int.from_bytes(data[h + 28:h + 30], "little")
  data[start + info.compress_size - 1] ^= 0xFF  # the member's last byte: a weight, not the .npy header
  return bytes(data)


SUBPROCESS_CASES = {  # name: (script, input file name, its bytes or a function of tmp, extra args, -o name, words)
  "prune, a cycle without a state": ("prune.py", "g.json", lambda t: cycle_graph(), [], "p.json", "cycle"),
  "prune, truncated gated.json": ("prune.py", "g.json", lambda t: (ROOT / "examples/gated.json").read_bytes()[:999],
                                  [], "p.json", "not valid JSON"),
  "render, a dangling edge, -o over an old page": (
    "render.py", "g.json", lambda t: graph_case(lambda g: g["edges"][1].update(target="ghost")).data, [], "old.html",
    "dangling"),
  "render, a .npz given as a graph": ("render.py", "g.json", lambda t: npz_bytes(a=np.zeros(2)), [], "x.svg",
                                      "binary data"),
  "extract, a bad CRC": ("extract.py", "run.npz", bad_crc_run, [], "g.json", "not a readable .npz"),
  "extract, a .npy": ("extract.py", "run.npz", lambda t: file_npy(None, b"", {})[1], [], "g.json", ".npz"),
}


@pytest.mark.parametrize("case", list(SUBPROCESS_CASES))
def test_representative_malformed_inputs_as_a_user_runs_them(case, tmp_path):
  script, name, make, args, out, words = SUBPROCESS_CASES[case]
  (tmp_path / name).write_bytes(make(tmp_path))
  (tmp_path / "base.npz").unlink(missing_ok=True)
  target = tmp_path / out
  if out.startswith("old"):
    target.write_bytes(OLD)
  before = sorted(os.listdir(tmp_path))
  assert_clean_error(run_script(script, tmp_path / name, "-o", target, *args), str(tmp_path / name), words)
  assert sorted(os.listdir(tmp_path)) == before
  assert not out.startswith("old") or target.read_bytes() == OLD


@pytest.mark.parametrize("target", ["nan", "short", "raises", "half"])
def test_broken_task_files_as_a_user_runs_them(target, tmp_path):
  (tmp_path / "mine.py").write_text(task_file_text("task", 1, 1, target, "uniform", "always"))
  g = tmp_path / "g.json"
  g.write_bytes((ROOT / "examples" / "delay1.json").read_bytes())
  spec = f"{tmp_path / 'mine.py'}:NAME"
  command = {"nan": ["tasks.py", spec], "short": ["prune.py", g, "--task", spec, "-o", tmp_path / "p.json"],
             "raises": ["render.py", g, "--task", spec, "-o", tmp_path / "r.html"],
             "half": ["render.py", g, "--task", spec, "--fsm", "-o", tmp_path / "f.svg"]}[target]
  assert_clean_error(run_script(*command), "mine.py:NAME", "target")
  assert sorted(os.listdir(tmp_path)) == ["g.json", "mine.py"]


# ---- strings from strangers reach every output inert ----
# Found: the task name and the graph's and -o's file names went into the generated program's docstring as they were:
#      '"""' ended it and ran what followed, a backslash (\N) made it a SyntaxError (readout.header). '<!--<script>' in
#      the task name or in a node's label stopped the page's own script (render.html_page). A title with &#1; put a
#      control byte into the SVG, \N turned into a node's name (render.dot_text), and a 20,000-character task name or
#      node id crashed dot with a traceback (render.shorten, render.dot_output).

PAYLOADS = {
  "docstring": '"""; import os; open("PWNED","w")  #',
  "backslash": "delay\\N",
  "script": '</script><script>document.title="PWNED"</script>',
  "comment": "<!--<script>",
  "cdata": "]]>",
  "dot": 'a"b\\ <b>x</b> &#1; &amp; \\G',
  "long": "x" * graph.TASK_CHARS,  # the longest task name a graph may have
}
SVG = "{http://www.w3.org/2000/svg}"


def file_safe(payload: str) -> bool:
  """The payload can be a file's name too: no slash, not too long for the file system."""
  return "/" not in payload and len(payload.encode()) < 200


def shown(payload: str) -> str:
  """The task name as a title shows it: cut to render.TITLE_CHARS."""
  return render.shorten(payload)


def render_payload(tmp: Path, payload: str, out: str, *args) -> tuple[Answer, Path]:
  """render.py on delay1.json with the payload as its task name and as every node's and edge's label (fields the
  drawings ignore and the page carries), the graph file (and a .py) named after the payload where a file can be."""
  g = copy.deepcopy(BASES["delay1"])
  g["graph"]["task"] = payload
  for item in g["nodes"] + g["edges"]:
    item["label"] = payload
  stem = payload if file_safe(payload) else "g"
  (tmp / f"{stem}.json").write_text(json.dumps(g))
  target = tmp / (f"{stem}.py" if out == ".py" else f"drawing{out.removeprefix('fsm')}")
  fsm_args = ["--fsm"] if out.startswith("fsm") else []
  return call_main(render, [tmp / f"{stem}.json", "-o", target, *fsm_args, *args]), target


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_the_program_holds_strangers_strings_inert(name, tmp_path):
  payload = PAYLOADS[name]
  a, target = render_payload(tmp_path, payload, ".py")
  assert_answer(a)
  assert a.rc == 0, str(a)
  doc = ast.get_docstring(ast.parse(target.read_text()))
  assert doc.startswith(f"{payload}: what the graph below computes"), doc[:200]  # the task name, as text
  if file_safe(payload):
    assert f"{payload}.json" in doc and f"python {payload}.py 1 -1 -1" in doc
  steps = [1, -1, -1, 1, 1, -1, 1]
  proc = subprocess.run([sys.executable, target.name, *map(str, steps)], cwd=tmp_path, capture_output=True,
                        text=True, timeout=60)
  assert proc.returncode == 0 and proc.stderr == "", proc.stderr
  assert not (tmp_path / "PWNED").exists()
  y = graph.evaluate(BASES["delay1"], np.array(steps, np.float64)[None, :, None])[0, :, 0]
  assert proc.stdout.split() == ["1" if v > 0 else "-1" for v in y]


@functools.cache
def titles_of_delay1(out: str) -> list[str]:
  """The <title>s of the nodes and edges (dot's names for them) in the drawing of the unchanged delay1.json."""
  with tempfile.TemporaryDirectory() as tmp:
    a, target = render_payload(Path(tmp), "delay1", out if out != ".dot" else ".svg")
    assert a.rc == 0, str(a)
    return svg_titles(target.read_bytes())


def svg_titles(svg: bytes) -> list[str]:
  tree = ElementTree.fromstring(svg)  # well-formed: no control byte, no stray ]]> or markup
  return sorted(t.text for g in tree.iter(f"{SVG}g") if g.get("class") in ("node", "edge")
                for t in g.iter(f"{SVG}title"))


@pytest.mark.parametrize("out", [".dot", ".svg", "fsm.svg"])
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_the_drawings_show_strangers_strings_as_text(name, out, tmp_path):
  payload = PAYLOADS[name]
  a, target = render_payload(tmp_path, payload, out)
  assert_answer(a)
  assert a.rc == 0, str(a)
  data = target.read_bytes()
  if out == ".dot":  # the source as written must be a graph dot reads whole
    proc = subprocess.run(["dot", "-Tsvg"], input=data, capture_output=True, timeout=60)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr[:300]
    data = proc.stdout
  assert svg_titles(data) == titles_of_delay1(out)  # the same nodes and edges: the title added none
  texts = ["".join(t.itertext()).replace("\xa0", " ") for t in ElementTree.fromstring(data).iter(f"{SVG}text")]
  assert f"{shown(payload)}: 2 neurons, 1 state, 2 edges" in texts  # as written: no \N or &#1; read by dot
  raw = data.decode()
  assert "<script" not in raw and "]]>" not in raw and "<b>" not in raw
  assert not set(payload) & set('<>&"') or payload not in raw  # only escaped


def test_dot_shows_a_label_as_written():
  dot_text = render.dot_text  # the drawing's labels and the machine's alike
  lines = ['say "hi" to <b>x</b>', "a \\ b < & &amp; &#1; ]]>", "\\N\\G\\l\\n \\", "<x>"]
  d = graphviz.Digraph("g", graph_attr={"label": dot_text("\n".join(lines))})
  for nid in ("a", "b"):
    d.node(nid, dot_text("\n".join(lines)))
  d.edge("a", "b", dot_text("<x>"))
  svg = d.pipe(format="svg")
  assert svg_titles(svg) == ["a", "a->b", "b"]
  texts = ["".join(t.itertext()) for t in ElementTree.fromstring(svg).iter(f"{SVG}text")]
  assert sorted(texts) == sorted(lines * 3 + ["<x>"]), texts


@pytest.mark.browser
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_the_page_runs_its_own_script_only(name, tmp_path, browser):
  payload = PAYLOADS[name]
  a, target = render_payload(tmp_path, payload, ".html", "--inputs=+-++-")
  assert_answer(a)
  assert a.rc == 0, str(a)
  tab, problems = open_page(browser, target)
  assert tab.text_content("h1") == f"bonsai: {shown(payload)}"
  assert tab.title() == " ".join(f"bonsai: {shown(payload)}".split())  # a title's spaces are collapsed
  assert tab.evaluate("document.scripts.length") == 2  # the data and the page's own: none injected
  assert tab.text_content("#about").startswith(f"{payload} · 2 neurons")  # the whole name, as text
  if file_safe(payload):
    assert f"{payload}.json" in tab.text_content("#summary")  # the note names the graph file
  data = tab.evaluate("JSON.parse(document.getElementById('bonsai-data').textContent)")
  assert {n["label"] for n in data["nodes"] + data["edges"]} == {payload}
  assert tab.evaluate("bonsai.bound") == {"nodes": 5, "edges": 4, "cells": 0}  # the script bound dot's SVG
  tab.click("#forward")
  tab.click("#forward")
  assert tab.evaluate("bonsai.step") == 2 and tab.inner_text("#steplabel") == "step 2 / 4"
  tab.click("#play")
  assert tab.inner_text("#play") == "\u275a\u275a"
  assert problems == []


BIG_NUMBER_ID = json.dumps(BASES["delay1"]).replace('"id": "in0"', '"id": ' + "1" * 5000, 1)


@pytest.mark.parametrize("out", [".dot", ".svg", ".html", ".py", "fsm.svg"])
@pytest.mark.parametrize("case", ["long task", "long id", "big number"])
def test_huge_strings_are_drawn_or_one_line(case, out, tmp_path):
  g = copy.deepcopy(BASES["delay1"])
  if case == "long task":
    g["graph"]["task"] = "x" * 20000
  rename(g, "c0_r0", "c0_r" + "0" * 20000 if case == "long id" else "c0_r0")
  (tmp_path / "g.json").write_text(BIG_NUMBER_ID if case == "big number" else json.dumps(g))
  suffix = out.removeprefix("fsm")
  target = tmp_path / f"drawing{suffix}"
  before = listing(tmp_path)
  a = call_main(render, [tmp_path / "g.json", "-o", target] + (["--fsm"] if out.startswith("fsm") else []))
  assert_answer(a)
  assert_nothing_lost(a, tmp_path, before, target, "new", suffix)
  assert a.rc == 0 or (str(tmp_path / "g.json") in a.err[0] and len(a.err[0]) < 400), str(a)[:1000]


# ---- the tests can fail: the generators make what they claim, the checks catch a broken stage ----

def test_the_generators_make_every_kind_of_malformed_input():
  seen = collections.Counter()

  @settings(FUZZ, max_examples=1000)
  @given(g=graph_files(), r=run_files(), t=task_files())
  def draw(g, r, t):
    seen.update(g.ops + r.ops + t.ops)
    seen.update(["graph invalid"] * g.invalid + ["run invalid"] * r.invalid + ["task invalid"] * t.invalid)
    seen.update(["task sneaky"] * t.sneaky)
    if "syntax error" not in t.ops:
      compile(t.text, "mine.py", "exec")  # the fault is the one named, not a typo of the generator

  draw()
  assert ALL_GRAPH_OPS | ALL_RUN_OPS <= set(seen), sorted((ALL_GRAPH_OPS | ALL_RUN_OPS) - set(seen))
  assert {f"target {t}" for t in TARGETS} | {f"sampler {s}" for s in SAMPLERS} | set(OBJECTS) <= set(seen)
  for kind in ("graph", "run", "task"):
    assert 300 < seen[f"{kind} invalid"] < 950, seen  # malformed by construction, and not only that
  assert seen["task sneaky"] > 0


def broken_stage(behaviour):
  """A fake stage module whose main() misbehaves the way a buggy stage would."""
  def main():
    out = Path(sys.argv[sys.argv.index("-o") + 1])
    if behaviour == "traceback":
      raise KeyError("nodes")
    if behaviour == "two lines":
      print("fake.py: bad\nand more", file=sys.stderr)
      sys.exit(2)
    if behaviour == "exit 3":
      sys.exit(3)
    if behaviour == "temp file left":
      (out.parent / f".{out.name}.abc123.tmp").write_text("{")
      print("fake.py: bad", file=sys.stderr)
      sys.exit(2)
    if behaviour == "half a file":
      out.write_text('{"nodes": [')
      print("fake.py: bad", file=sys.stderr)
      sys.exit(2)
    if behaviour == "a warning":
      np.log(np.zeros(1))
      out.write_bytes((ROOT / "examples" / "delay1.json").read_bytes())
    if behaviour == "old file clobbered":
      out.write_text("")
      print("fake.py: bad", file=sys.stderr)
      sys.exit(2)
  module = type(sys)("fake")
  module.main = main
  return module


@pytest.mark.parametrize("behaviour", ["traceback", "two lines", "exit 3", "temp file left", "half a file",
                                       "a warning", "old file clobbered"])
def test_the_checks_catch_a_broken_stage(behaviour, tmp_path):
  module = broken_stage(behaviour)
  how = "old" if behaviour == "old file clobbered" else "new"
  target = prepare_target(tmp_path, "out.json", how)
  before = listing(tmp_path)
  a = call_main(module, ["in.json", "-o", target])
  with pytest.raises(AssertionError):
    assert_answer(a)
    assert_nothing_lost(a, tmp_path, before, target, how, ".json")


def name_the_pins():
  """Each pinned example says which it is when it fails (its bytes alone would not)."""
  for name, value in globals().items():
    if isinstance(value, (Case, TaskFile)) and value.ops == ("pinned",):
      value.ops = (f"pinned {name}",)


name_the_pins()
