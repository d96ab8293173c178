"""Check that the tests catch deliberate bugs: apply each of a curated list of small mutations to a copy of the repo,
one at a time, and run the tests that should catch it.

In:  this repo (its tracked files and the untracked ones git does not ignore), and the MUTANTS below: file, exact old
     text, new text, the pytest -k expression of the tests that should fail, and what the bug is.
Out: one line per mutant as it finishes (caught, MISSED, error, timeout), then "caught N/M"; exit 0 when every mutant
     was caught, 1 when one was not, 2 when a mutation no longer applies or the tests fail without any.

  python dev/mutants.py                         # all of them against test_all.py (minutes)
  python dev/mutants.py --only drop-dy          # one
  python dev/mutants.py --list                  # what there is
  python dev/mutants.py --tests test_all.py
  python dev/mutants.py --only drop-dy -k finite_differences   # would these other tests catch it?

A mutant is caught when pytest fails (exit 1). Any other outcome counts as missed: exit 5 (no test matched -k),
2 to 4 (the mutated code did not even import: a broken mutation, not a caught bug), a timeout. Before the mutants,
the union of their -k expressions runs once on the unmutated copy (--no-baseline skips it): a test that fails
anyway would make every mutant look caught. A developer tool, not part of `make test`.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repo, copied for each mutant


@dataclass(frozen=True)
class Mutant:
  name: str
  file: str
  old: str
  new: str
  tests: str  # pytest -k expression
  about: str


M = Mutant
PROOF = "prove or proof or machine or box or cell or suite or minimi or apart or fsm or every_input or zero"
MUTANTS = [
  # ---- the bugs of the first mutation run that the tests let through ----
  M("validation-leak-0", "train.py",
    "      outputs.append(graph_activation(c @ w_o + b_o, factor, leak))\n"
    "      state = graph_activation(c @ w_r + b_r, factor, leak)",
    "      outputs.append(graph_activation(c @ w_o + b_o, factor, 0.0))\n"
    "      state = graph_activation(c @ w_r + b_r, factor, 0.0)",
    "validation_evaluator", "train.numpy_forward (the validation evaluator) forces the leak to 0"),
  M("resume-ignores-settings", "train.py",
    "cfg = {**{k: meta.get(k, v) for k, v in DEFAULTS.items()}, \"cells\":",
    "cfg = {**task.settings(), \"cells\":",
    "flag_reaches or ctrl_c_twice", "--resume takes the task's settings, not the run's"),
  M("resume-empty-history", "train.py",
    "run.history = [list(r) for r in arrays.get(\"history\", np.zeros((0, 5)))]",
    "run.history = []",
    "flag_reaches or interrupt_at_any_moment", "--resume starts an empty history"),
  M("ignore-seq-len", "train.py",
    "flags = {k: getattr(args, k) for k in DEFAULTS if getattr(args, k) is not None}",
    "flags = {k: getattr(args, k) for k in DEFAULTS if k != \"seq_len\" and getattr(args, k) is not None}",
    "flag_reaches", "main() ignores --seq-len"),
  M("ignore-windows", "train.py",
    "self.windows, self.sequence = int(cfg.get(\"windows\", 1)), None",
    "self.windows, self.sequence = 1, None",
    "flag_reaches or windows_carry", "the trainer ignores --windows"),
  M("ignore-reg-from", "train.py",
    "cfg[\"reg_intensity\"], cfg.get(\"reg_from\", 0.0))",
    "cfg[\"reg_intensity\"], 0.0)",
    "flag_reaches", "the schedule ignores --reg-from (the penalty is on from the start)"),
  M("drop-dy", "activation.cl",
    "dx[i] = ameo_grad(x[i], FACTOR, LEAK) * dy[i];",
    "dx[i] = ameo_grad(x[i], FACTOR, LEAK);",
    "finite_difference and CPU", "the kernel's backward drops the upstream gradient dy"),
  M("act-mix-swapped", "readout.py",
    "  return factor * linear + (1 - factor) * smooth",
    "  return (1 - factor) * linear + factor * smooth",
    "act_is_the_graphs_activation", "generated programs' act() swaps the mix (the same at factor 0.5)"),
  M("sampled-machines-vanish", "prove.py",
    "  if not (exp[\"complete\"] or np.all(high >= 0)):",
    "  if not exp[\"complete\"]:",
    "machine_is_the_pinned_one", "no machine from a sampled search: gated's 4 states vanish"),
  # ---- activation.cl and kernel.py ----
  M("kernel-mix-swapped", "activation.cl",
    "return factor * ameo_linear(x, leak) + (1.0f - factor) * ameo_smooth(x, leak);",
    "return (1.0f - factor) * ameo_linear(x, leak) + factor * ameo_smooth(x, leak);",
    "kernel_matches_the_formula_tables and CPU", "activation.cl swaps the mix of the linear and smooth forms"),
  M("kernel-grad-middle-sign", "activation.cl",
    "  if (x <= 1.0f) return -1.0f;",
    "  if (x <= 1.0f) return 1.0f;",
    "finite_difference and CPU", "the linear form's derivative has the wrong sign in the middle piece"),
  M("kernel-smooth-tail-no-leak", "activation.cl",
    "  if (x <= -3.0f) return -1.0f + leak * (x + 3.0f);",
    "  if (x <= -3.0f) return -1.0f;",
    "kernel_matches_the_formula_tables and CPU", "the smooth form's left tail has no leak"),
  M("kernel-factor-leak-swapped", "train.py",
    'defines = (("N", n), ("FACTOR", float(factor)), ("LEAK", float(leak)))',
    'defines = (("N", n), ("FACTOR", float(leak)), ("LEAK", float(factor)))',
    "kernel_matches_the_formula_tables and CPU", "kernel.py swaps the factor and the leak"),
  M("kernel-backward-reads-x", "train.py",
    "custom_kernel(pre, Tensor(dy).contiguous(), fxn=kernel)",
    "custom_kernel(pre, pre, fxn=kernel)",
    "finite_difference and CPU", "the backward multiplies by x instead of dy"),
  # ---- train.py ----
  M("noise-of-step-0", "train.py",
    "noise = batch_rng(self.seed, self.attempt, step, stream=2)",
    "noise = batch_rng(self.seed, self.attempt, 0, stream=2)",
    "state_noise", "every step adds the same noise (a resumed run would too, so only a direct check sees it)"),
  M("noise-never-added", "train.py",
    "    nz = None if noise is None else noise[:, :, first:first + n_s]",
    "    nz = None",
    "state_noise", "the state noise is never added"),
  M("forward-drops-bias", "train.py",
    "from_input = layer_in @ kernel[:n_x] + bias",
    "from_input = layer_in @ kernel[:n_x]",
    "fused_cell_matches_the_step_by_step_network and CPU", "forward() drops the cell biases (the step-by-step path)"),
  M("penalty-offset-sign", "train.py",
    "step = ((a - threshold) * steepness).tanh() - float(np.tanh(-threshold * steepness))",
    "step = ((a - threshold) * steepness).tanh() + float(np.tanh(-threshold * steepness))",
    "sparsity_penalty or flag_reaches", "the penalty's offset has the wrong sign"),
  M("schedule-penalty-no-step-down", "train.py",
    "lr, intensity = lr * 0.6, intensity * 0.6",
    "lr, intensity = lr * 0.6, intensity",
    "flag_reaches", "the penalty does not step down at 20% of the steps"),
  M("windows-never-continue", "train.py",
    "np.full((1, 1), float(window > 0))",
    "np.full((1, 1), float(window < 0))",
    "windows_carry or flag_reaches", "every window starts from the initial state, none from the carried one"),
  M("restart-same-weights", "train.py",
    "init_weights(np.random.default_rng([run.seed, run.meta[\"attempt\"]])",
    "init_weights(np.random.default_rng([run.seed, 0])",
    "stuck_run_restarts", "a restart draws the first attempt's weights again"),
  M("no-perfect-fallback", "train.py",
    "if acc < 1.0 and run.best is not None:",
    "if False:",
    "last_perfect_weights", "a run that ends below 100% does not go back to its last perfect weights"),
  M("resume-fresh-adam", "train.py",
    "if \"adam_m\" in arrays:",
    "if False:",
    "interrupt_at_any_moment", "a resumed run starts Adam afresh"),
  # ---- graph.py ----
  M("graph-tail-fixed-leak", "graph.py",
    "np.where(a > 3, 1 + leak * (a - 3), inner)",
    "np.where(a > 3, 1 + 0.1 * (a - 3), inner)",
    "graph_activation_matches", "the evaluator's activation always uses leak 0.1"),
  M("evaluate-ignores-feedback", "graph.py",
    "v[c[\"feedback_to\"]] = v[c[\"feedback_from\"]]",
    "v[c[\"feedback_to\"]] = v[c[\"feedback_to\"]]",
    "graph_evaluate_steps_states", "the evaluator never feeds the recurrent neurons back into the states"),
  M("evaluate-activates-outputs", "graph.py",
    "\"act\": np.array([node[t][\"kind\"] == \"neuron\" for t in targets])",
    "\"act\": np.array([node[t][\"kind\"] != \"input\" for t in targets])",
    "graph_evaluate_steps_states or xor_and_mux", "the evaluator puts the dense outputs through the activation"),
  # ---- tasks.py ----
  M("delay-off-by-one", "tasks.py",
    "Task(name=\"delay2\", states=4, n_in=1, n_out=1, target=lambda x: shift(x, 2),",
    "Task(name=\"delay2\", states=4, n_in=1, n_out=1, target=lambda x: shift(x, 3),",
    "delays_and_loop", "delay2 delays by three steps"),
  M("shift-pads-plus-one", "tasks.py",
    "pad = -np.ones_like(x[:, :n])",
    "pad = np.ones_like(x[:, :n])",
    "delays_and_loop", "the delays start with +1 instead of -1"),
  M("replace111-window-2", "tasks.py",
    "counter = np.where(x[:, t, 0] > 0, 3, counter)",
    "counter = np.where(x[:, t, 0] > 0, 2, counter)",
    "replace111_example or replace111_a_one", "replace111 holds +1 for two steps, not three"),
  M("gated-and-is-or", "tasks.py",
    "(\"AND\", lambda a, b: a & b),",
    "(\"AND\", lambda a, b: a | b),",
    "gated_modes", "gated's AND mode computes OR"),
  M("task-file-without-trust", "tasks.py",
    "  if not trust:\n    raise TaskError(f\"{where} names the task file",
    "  if False:\n    raise TaskError(f\"{where} names the task file",
    "never_makes or trust_task", "a graph or run file's task file is imported without --trust-task"),
  M("trust-ignores-digest", "tasks.py",
    "if place and Path(place).is_file() and file_digest(place) == digest:",
    "if place and Path(place).is_file():",
    "trust_task or task_file", "--trust-task imports a task file whatever its SHA-256"),
  M("merge-closes-a-cycle", "prune.py",
    "      if a in reachable([b], lambda nid: within.get(nid, ())):",
    "      if False:",
    "never_merges_a_neuron", "prune merges a neuron into one that reads it: a cycle within a step, exit 2"),
  M("leave-runs-exit-handlers", "train.py",
    "    closing.join(POOL_CLOSE)\n    if not closing.is_alive():\n      sys.exit(code)",
    "    closing.join()\n    if not closing.is_alive():\n      sys.exit(code)",
    "signal_to_the_process_group", "after SIGTERM to the process group, train.py and grow.py hang at exit"),
  M("run-file-not-claimed", "train.py",
    "      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
    "      pass",
    "same_output or started_together", "two runs on the same -o both run, and one finished run is lost"),
  M("grow-keeps-a-cut-round", "grow.py",
    "    note(f\"{e}; training that round again\")  # round trains again, and its file is written anew\n"
    "    resume = None",
    "    raise",
    "reuses_finished_rounds", "a round's file cut short stops grow instead of being trained again"),
  # ---- the trust issue's table: bugs the tests let through, each now caught ----
  M("edge-label-drops-the-sign", "render.py", "    attrs[\"label\"] = fmt(w)", "    attrs[\"label\"] = fmt(abs(w))",
    "edge_labels_are_the_graphs_weights", "the drawing labels every edge with |weight|"),
  # ---- weight tables in the drawing (issue 23) ----
  M("table-feeds-its-own-source", "render.py",
    " if len(left[t] & sources) >= need and not after[t] & sources]", " if len(left[t] & sources) >= need]",
    "weight_tables", "a neuron becomes a row of a table that reads it: a loop no left-to-right drawing has"),
  M("table-rows-half-empty", "render.py", "      need = max(2, math.ceil(TABLE_FULL * len(sources) - 1e-9))",
    "      need = 2", "crossings_are_counted or one_shape", "a table's rows need read only two of its columns"),
  M("table-cell-unsigned", "render.py", "<FONT COLOR=\"{ink}\">{fmt(w)}</FONT>",
    "<FONT COLOR=\"{ink}\">{fmt(abs(w))}</FONT>", "one_shape", "a table's cells show |weight|"),
  M("table-loops-seen-one-step-deep", "render.py",
    "      memo[nid] = {nid}.union(*(reach(t) for t in feeds.get(nid, ())))",
    "      memo[nid] = {nid} | set(feeds.get(nid, ()))", "weight_tables",
    "a table may take a row that feeds one of its sources through two neurons"),
  M("table-loops-through-tables-unseen", "render.py",
    "  for table in tables:\n    for s in table[\"sources\"]:\n"
    "      feeds.setdefault(s, set()).update(table[\"targets\"])\n", "", "weight_tables",
    "the loop check ignores the paths through the tables already drawn"),
  M("table-blanks-dropped", "render.py", "        row.append(\"<TD></TD>\")", "        pass", "weight_tables",
    "a row without a blank where it reads no source: its weights slide under the wrong columns"),
  M("table-cells-ignore-the-values", "render.py", "      flow = w if values is None else values[s] * w",
    "      flow = w", "weight_tables", "with --inputs a table's cells are coloured by the weight alone"),
  M("table-rows-share-one-port", "render.py", "      dot.edge(f\"{table['id']}:{t}:e\", t,",
    "      dot.edge(f\"{table['id']}:{table['targets'][0]}:e\", t,", "weight_tables",
    "every row's wire leaves from the first row"),
  M("page-cell-painted-by-its-target", "page.html",
    "    const v = result.values[e.source][step] * e.weight;\n    fill.setAttribute",
    "    const v = result.values[e.target][step] * e.weight;\n    fill.setAttribute",
    "page_shows_what_the_evaluator", "the page paints a table's cell by the target's value x weight"),
  M("machine-states-mean-the-wrong-task-states", "prove.py",
    "  stands = [[meaning[q] for q in range(len(low)) if block[q] == b] for b in order] if meaning else None",
    "  stands = [[meaning[q] for q in range(len(low)) if block[q] == b] for b in order[::-1]] if meaning else None",
    "speak_in_the_tasks_names", "a machine state is labelled with another state's task states"),
  M("program-always-claims-every-sequence", "readout.py",
    "on every input sequence\" if exp[\"complete\"] else \"\"",
    "on every input sequence\" if True else \"\"",
    "claims_every_sequence", "the program claims to agree on every sequence after a sampled search"),
  M("checkpoint-counts-as-finished", "train.py",
    "  return meta[\"steps_done\"] == steps and meta.get(\"perfect_step\") is None",
    "  return meta[\"steps_done\"] == steps",
    "last_step_is_not_a_finished", "a checkpoint at the last step counts as a finished run"),
  M("run-file-written-in-place", "graph.py", "  write_atomic(path, data.getvalue())",
    "  Path(path).write_bytes(data.getvalue())",
    "write_that_fails", "the run file is written in place, not atomically"),
  M("suite-for-the-graphs-states", "prove.py", "  suite = w_method(nxt, max(n, k), tell)",
    "  suite = w_method(nxt, n, tell)", "more_than_the_graph", "the W-method suite ignores the task's k states"),
  # ---- extract.py ----
  M("extract-rows-swapped", "extract.py",
    "connect(arrays[f\"cell{k}_output_kernel\"], cell_inputs + states, outputs)",
    "connect(arrays[f\"cell{k}_output_kernel\"], states + cell_inputs, outputs)",
    "extract_and_evaluate_match_numpy or validation_evaluator",
    "extract reads the output kernel's rows in the wrong order (states before inputs)"),
  M("extract-init-from-bias", "extract.py",
    "for p in (\"initial_state\", \"recurrent_bias\", \"output_bias\")",
    "for p in (\"recurrent_bias\", \"recurrent_bias\", \"output_bias\")",
    "extract_and_evaluate_match_numpy", "extract takes the initial states from the recurrent biases"),
  # ---- prune.py ----
  M("prune-skips-final-check", "prune.py",
    "  if final[\"first_failure\"]:  # every edit above",
    "  if False:  # every edit above",
    "final_check", "prune writes its graph without acting on the final check"),
  M("quantize-floor", "prune.py",
    "round(float(np.round(holder[key] / step)) * step, 10)",
    "round(float(np.floor(holder[key] / step)) * step, 10)",
    "no_quantize", "quantize rounds down instead of to the nearest step"),
  M("clip-smallest-first", "prune.py",
    "if h[k] != 0}, reverse=True):",
    "if h[k] != 0}):",
    "clip_search or clip_takes_the_largest", "the clip search takes the smallest passing threshold, not the largest"),
  M("dead-code-kept", "graph.py",
    "keep = {n[\"id\"] for n in graph[\"nodes\"] if n[\"id\"] in live or n[\"kind\"] in (\"input\", \"output\")}",
    "keep = {n[\"id\"] for n in graph[\"nodes\"]}",
    "exactly_the_dead or live_nodes_cross", "dead-code removal removes nothing"),
  M("greedy-trusts-screen", "prune.py",
    "    if kept and not passes(g, sets):",
    "    if False:",
    "only_the_screen_passes", "the greedy pass keeps edits that only the screen checked"),
  M("fold-wrong-sign", "prune.py",
    "node[e[\"target\"]][\"bias\"] += e[\"weight\"] * const[e[\"source\"]]",
    "node[e[\"target\"]][\"bias\"] -= e[\"weight\"] * const[e[\"source\"]]",
    "folds_constant", "constant folding subtracts what it should add"),
  # ---- fsm.py and readout.py ----
  M("minimize-never-splits", "prove.py",
    "    if max(new) == max(block):",
    "    if True:",
    "program_and_machine_of_the_writeup or machine_is_the_pinned_one",
    "the machine's minimization never splits a block (states told apart by their outputs only)"),
  M("program-weight-sign", "readout.py",
    "return (\"-\" if w < 0 else \"+\"), text",
    "return (\"+\" if w < 0 else \"-\"), text",
    "program_and_machine_of_the_writeup", "generated programs write every weight with the opposite sign"),
  # ---- prove.py and boxes.py ----
  M("w-method-no-middle", "prove.py",
    "for r in range(m - n + 1) for mid in",
    "for r in range(1) for mid in",
    "m_states_apart", "the suite leaves out the m - n extra inputs (complete only for machines of n states)"),
  M("w-method-one-separator", "prove.py",
    "    if told[p] != told[q] or length[p, q] == 0:",
    "    if found or length[p, q] == 0:",
    "m_states_apart", "the characterizing set keeps one sequence: it tells only two states apart"),
  M("interval-signed-spread", "boxes.py",
    "np.abs(s[\"w\"]) @ rad",
    "s[\"w\"] @ rad",
    "interval_step", "interval arithmetic spreads a box through the signed weights (a negative weight shrinks it)"),
  M("interval-misses-the-peak", "boxes.py",
    "  peak = np.where((low <= -1) & (high >= -1), 1.0, -np.inf)",
    "  peak = np.full_like(low, -np.inf)",
    "interval_step", "the upper bound over an interval comes from its ends only (a peak inside is missed)"),
  M("boxes-no-gap-split", "boxes.py",
    "GAPS = (0.0, 0.01)",
    "GAPS = (0.0,)",
    "1000_sequences", "boxes never split a group at the gaps in its values"),
  M("proof-ignores-zero-outputs", "prove.py",
    "  suite = w_method(nxt, max(n, k), tell) + zero_outputs(exp)",
    "  suite = w_method(nxt, max(n, k), tell)",
    "exactly_0", "an output of exactly 0 that the sign machine hides is not tested"),
  M("product-one-step-short", "prove.py",
    "for a in range(len(run[\"symbols\"])) if (q, a) in table]",
    "for a in range(len(run[\"symbols\"]) - 1) if (q, a) in table]",
    "beside_the_tasks", "the search beside the task's machine never tries the last input"),
  M("product-pairs-by-vector", "prove.py",
    "      if (v.tobytes(), q) not in seen:",
    "      if (v.tobytes(), 0) not in seen:",
    "beside_the_tasks", "the search takes a state vector met once for done, whatever state the task's machine is in"),
  M("task-boxes-skip-new-states", "boxes.py",
    "  for _ in range(ROUNDS):\n    on = filled[q]",
    "  on = filled[q]\n  for _ in range(ROUNDS):\n    on = on",
    "beside_the_tasks", "task boxes never check the machine states that no sampled run was in"),
  M("cells-miss-the-top", "boxes.py",
    "np.floor(high / side).astype(np.int64), np.arange(len(low)))",
    "np.maximum(np.floor(high / side) - 1, np.floor(low / side)).astype(np.int64), np.arange(len(low)))",
    "cells_prove or cell_search", "a cell's image reaches the cells it touches but the top one along each state"),
  M("cells-skip-outputs", "boxes.py",
    "      ok = np.where(want[q] > 0, out_low > 0, out_high < 0)",
    "      ok = np.ones_like(out_low, bool)",
    "cells_prove or cut_where", "the cells never check the outputs"),
  M("proof-fsm-ranges-short", "prove.py",
    "np.minimum.at(low, found[\"leaves\"][:, -1], edge_low)",
    "np.minimum.at(low, found[\"leaves\"][:, -1], (edge_low + edge_high) / 2)",
    "read_out_of_the_proof", "a machine state read out of cells leaves out the lower half of each cell"),
  M("locate-ignores-cuts", "boxes.py",
    "inner = np.isin(row_keys(cells), splits[level]) if level in splits else",
    "inner = np.zeros(len(rows), bool) if level in splits else",
    "cell_search or cut_where", "a cell cut in two is still taken for a leaf: its halves are never reached"),
  M("row-keys-collide", "boxes.py",
    "  return rows.view(np.dtype((np.void, 8 * rows.shape[1]))).ravel()",
    "  return np.ascontiguousarray(rows[:, :1]).view(np.dtype((np.void, 8))).ravel()",
    "cell_search", "a row's key is its first column: different rows share a key"),
  M("pack-weighs-backwards", "boxes.py",
    "  return (rows - low) @ np.cumprod(np.append(1, radix[:0:-1]))[::-1]",
    "  return (rows - low) @ np.cumprod(np.append(1, radix[:0:-1]))",
    "cell_search", "the packed keys weigh the columns in the wrong order: different rows share a key"),
  M("met-never-repacks", "boxes.py",
    "      self.keys = np.sort(self.pack(np.concatenate(self.rows)))",
    "      pass",
    "cell_search", "a row that widens the ranges leaves the old keys packed with the old radix"),
  M("cuts-none", "boxes.py",
    "    cut = cut[cut[:, 0] < LEVELS] if cut is not None else None",
    "    cut = cut[:0] if cut is not None else None",
    "cut_where", "the cells are never cut: the grid alone"),
  M("spurious-called-wrong", "boxes.py",
    "  if not right.all():\n    t = int(np.argmin(right))",
    "  if True:\n    t = int(np.argmin(right))",
    "cut_where", "a cell reached with a wrong output is called wrong without running the graph on the way there"),
  M("drift-not-searched", "prove.py",
    "  if boxes is None and (path := drift(run, init)):",
    "  if boxes is None and (path := None):",
    "drifting_graph_wrong", "no search deeper than breadth first: a graph that drifts is only not proven"),
  M("target-table-merges-states", "prove.py",
    "      key, outputs = after(prefix + (a,))",
    "      key, outputs = after(prefix + (a,))\n      key = key[:8]",
    "read_off_its_target", "states the target tells apart only after one step are merged"),
  M("cells-none", "boxes.py",
    "SIDES = (0.05, 0.02, 0.01, 0.005)",
    "SIDES = ()",
    "cells_prove", "no cells: one box a machine state only"),
  M("pieces-miss-the-top", "boxes.py",
    "  piece_high = np.where(grid == m - 1, high[:, None], low[:, None] + width * (grid + 1))",
    "  piece_high = low[:, None] + width * (grid + 1) * 0.999",
    "interval_step", "the pieces of a box leave a sliver of it uncovered"),
  M("prune-ignores-proven-wrong", "prune.py",
    "    if proof[\"failure\"] is None:",
    "    if True:",
    "right_for_60", "prune writes a graph its proof shows wrong"),
  # ---- the fused cell (activation.cl's CELL_FORWARD/CELL_BACKWARD, train.cell) ----
  M("cell-backward-drops-the-future", "activation.cl",
    "      for (int j = 0; j < NS; j++) d[NO + j] = dy[(b * T + t) * NN + NO + j] + ds[j];",
    "      for (int j = 0; j < NS; j++) d[NO + j] = dy[(b * T + t) * NN + NO + j];",
    "fused_cell and CPU", "backward through time stops at each step: the gradient from later steps is lost"),
  M("cell-forward-skips-the-noise", "activation.cl",
    "    for (int j = 0; j < NS; j++) c[NX + j] = a[NO + j] + NOISE(b, t, j);",
    "    for (int j = 0; j < NS; j++) c[NX + j] = a[NO + j];",
    "fused_cell and CPU", "the fused cell ignores --state-noise"),
  M("cell-weight-gradient-one-sequence", "train.py",
    "    d_w, d_bias = d_w.sum(axis=0).reshape(n_x + n_s, nn), d_bias.sum(axis=0)",
    "    d_w, d_bias = d_w[0].reshape(n_x + n_s, nn), d_bias.sum(axis=0)",
    "fused_cell", "the weights' gradient takes the first sequence's share only"),
  # ---- the trust issue's table, and the five the tests let through after it ----
  M("cell-slack-shrinks-the-cell", "boxes.py",
    "  slack = EPS * (1 + np.abs(cells) * size)", "  slack = -EPS * (1 + np.abs(cells) * size)",
    "cells_hold_every_float", "a cell's box is its edges less the slack: smaller than the cell"),
  M("boxes-eps-0", "boxes.py", "EPS = 1e-12", "EPS = 0.0",
    "cells_hold_every_float", "no slack on the bounds: a cell's edges rely on the rounded division agreeing"),
  M("box-machine-highs-unchecked", "boxes.py",
    "    if np.array_equal(grown_low, low) and np.array_equal(grown_high, high):\n      break",
    "    if np.array_equal(grown_low, low):\n      break",
    "highs_stop", "the boxes count as closed once their lows stop growing"),
  M("beside-machine-zero-is-right", "prove.py",
    "    if (wrong := np.flatnonzero(~np.all(margin > 0, axis=1))).size:",
    "    if (wrong := np.flatnonzero(~np.all(margin >= 0, axis=1))).size:",
    "exactly_0_beside", "beside the task's machine, an output of exactly 0 counts as right"),
  M("tables-count-the-signs", "prove.py",
    "sum(int(b) << j for j, b in enumerate(o))", "sum(int(b) for b in o)",
    "which_is_positive", "the machine's outputs coded as how many are +: (+, -) and (-, +) look alike"),
  M("accepts-an-open-proof", "prune.py",
    "(keep is None or proof_of(graph, keep)[\"every_length\"])",
    "(keep is None or proof_of(graph, keep)[\"failure\"] is None)",
    "keeps_a_proof_through", "prune keeps an edit whose proof is open (not proven, not wrong)"),
  M("requantize-ignores-the-proof", "prune.py",
    "q, requantized = coarsest_quantization(g, sets, keep)", "q, requantized = coarsest_quantization(g, sets)",
    "keeps_a_proof_through", "the rounding after the greedy pass may lose the proof"),
  M("greedy-not-told-to-keep-the-proof", "prune.py",
    "g, done = greedy(g, sets, keep)", "g, done = greedy(g, sets)",
    "keeps_a_proof_through", "the greedy pass may lose the proof"),
  M("constant-state-whatever-feeds-it", "prune.py",
    "const.get(feeder[n[\"id\"]]) == n[\"init\"]", "feeder[n[\"id\"]] in const",
    "fed_by_a_constant_other", "a state fed by a constant counts as constant at its init, even when the two differ"),
  M("minimize-splits-on-the-first-input", "prove.py",
    "if (q, a) in trans else None for a in symbols) for q in range(n)]",
    "if (q, a) in trans else None for a in symbols[:1]) for q in range(n)]",
    "merges_exactly", "minimization splits blocks by their moves on the first input only"),
  M("grow-refit-bypasses-better", "grow.py",
    "if g is not None and better(g, best):", "if g is not None and weight(g) < weight(best):",
    "smaller_unproven_refit", "a smaller re-fit replaces a proven bonsai even when it is not proven"),
  M("boxes-from-some-input-steps", "prove.py",
    "  if len(exp[\"symbols\"]) < 2 ** exp[\"n_in\"]:", "  if False:",
    "every_input_step_seen", "boxes are tried on a sampled search that saw only some of the input steps"),
  # ---- twenty more in the proof path, planted for the trust issue (the -k: every proof-related test) ----
  M("own-separating-first-input-0", "prove.py",
    "    length[differ], first[differ] = 1, a", "    length[differ], first[differ] = 1, 0",
    PROOF, "a pair told apart in one step is told by input 0, whatever input does it"),
  M("own-separating-two-steps-at-most", "prove.py",
    "  for level in range(2, n + 1):", "  for level in range(2, 3):",
    PROOF, "pairs told apart only after three or more steps count as the same"),
  M("own-outputs-from-all-never-move", "prove.py",
    "    trace.append(out[q, a])\n    q = nxt[q, a]", "    trace.append(out[q, a])",
    PROOF, "the characterizing set's bookkeeping reads every step's outputs at the start state"),
  M("own-cover-from-the-start-only", "prove.py",
    "  cover = [()] + [w + (a,) for w in access(nxt) for a in range(s)]",
    "  cover = [()] + [(a,) for a in range(s)]",
    PROOF, "the W-method's transition cover leaves out the ways to the other states"),
  M("own-access-one-step", "prove.py",
    "        order.append(int(nxt[q, a]))", "        pass",
    PROOF, "the ways to the states stop one step from the start"),
  M("own-suite-keeps-the-prefixes", "prove.py",
    "if seq and after[:len(seq)] != seq]", "if seq and after[:len(seq)] == seq]",
    PROOF, "the suite keeps the sequences that are prefixes of others and drops the rest"),
  M("own-abstraction-mixed-outputs", "prove.py",
    "  if np.any(mixed | ((high >= 0) & (low != high))):", "  if np.any((high >= 0) & (low != high)):",
    PROOF, "vectors of one group whose outputs differ still make a machine"),
  M("own-abstraction-open-moves", "prove.py",
    "  if not (exp[\"complete\"] or np.all(high >= 0)):", "  if False:",
    PROOF, "a sampled search's groups whose moves were never seen to their end still make a machine"),
  M("own-k-defaults-to-the-graph", "prove.py",
    "  k = task.states\n", "  k = task.states or 1\n",
    PROOF, "a task that declares no states is taken to have one: the suite is built for the graph's states"),
  M("own-beside-machine-closes-on-budget", "prove.py",
    "  if not frontier:\n    vectors", "  if len(seen):\n    vectors",
    PROOF, "beside the task's machine, a search stopped by its budget counts as closed"),
  M("own-beside-machine-one-output-right", "prove.py",
    "    if (wrong := np.flatnonzero(~np.all(margin", "    if (wrong := np.flatnonzero(~np.any(margin",
    PROOF, "beside the task's machine, a step is right when any one of its outputs is"),
  M("own-failed-trusts-the-machine", "prove.py",
    "  if report[\"first_failure\"] is None:\n    raise TaskError", "  if False:\n    raise TaskError",
    PROOF, "a machine that disagrees with its own target is believed over the target"),
  M("own-task-machine-checked-once-for-all", "prove.py",
    "  if CHECKED.get(id(task)) is task:", "  if CHECKED:",
    PROOF, "only the first task's machine is ever checked against its target"),
  M("own-task-boxes-lows-only", "boxes.py",
    "    if np.array_equal(grown_low, low) and np.array_equal(grown_high, high):  # (a box",
    "    if np.array_equal(grown_low, low):  # (a box",
    PROOF, "the boxes a machine state count as closed once their lows stop growing"),
  M("own-task-boxes-wrong-ends", "boxes.py",
    "np.where(want > 0, ~(out_low[q, a] > 0), ~(out_high[q, a] < 0))",
    "np.where(want > 0, ~(out_high[q, a] > 0), ~(out_low[q, a] < 0))",
    PROOF, "an output interval counts when some of it has the machine's sign"),
  M("own-pieces-join-the-low-highs", "boxes.py",
    "  return (join(nl, np.min), join(nh, np.max)),", "  return (join(nl, np.min), join(nh, np.min)),",
    PROOF, "the pieces' images are joined with the least of their highs"),
  M("own-cells-machine-stays", "boxes.py",
    "new = np.column_stack([leaves, goes[q[i], a][image]])", "new = np.column_stack([leaves, q[i][image]])",
    PROOF, "a cell's image keeps the machine state it came from"),
  M("own-interval-drops-the-bias", "boxes.py",
    "    center, spread = s[\"w\"] @ mid + s[\"bias\"], np.abs(s[\"w\"]) @ rad",
    "    center, spread = s[\"w\"] @ mid, np.abs(s[\"w\"]) @ rad",
    PROOF, "interval arithmetic forgets the biases"),
  M("own-unique-rows-add-columns", "prove.py",
    "    code, bound = code * size + column.ravel(), bound * size",
    "    code, bound = code + column.ravel(), bound * size",
    PROOF, "state vectors are keyed by the sum of their columns' ranks: different vectors collide"),
  M("own-graph-machine-trusts-samples", "prove.py",
    "  if exp[\"complete\"]:  # every reachable", "  if True:  # every reachable",
    PROOF, "the proof takes the machine read off sampled runs as exact"),
]


def repo_files() -> list[str]:
  """The tracked files that exist, and the untracked ones git does not ignore."""
  out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                       capture_output=True, check=True).stdout.decode()
  return sorted({f for f in out.split("\0") if f and (ROOT / f).is_file()})


def copy_repo(target: Path) -> None:
  """The repo's files (repo_files(), listed anew: others may be editing it) copied into target."""
  for f in repo_files():
    (target / f).parent.mkdir(parents=True, exist_ok=True)
    try:
      shutil.copy2(ROOT / f, target / f)
    except FileNotFoundError:  # removed since it was listed
      pass


def stale(mutants: list[Mutant]) -> list[str]:
  """Why each mutation that no longer applies to the repo as it is does not (its old text must occur exactly once)."""
  problems = []
  for m in mutants:
    path = ROOT / m.file
    count = path.read_text().count(m.old) if path.is_file() else -1
    if count != 1:
      where = "the file is missing" if count < 0 else f"the old text occurs {count} times"
      problems.append(f"{m.name}: {m.file}: {where}: {m.old!r}")
  return problems


def run_tests(folder: Path, tests: list[str], expr: str, timeout: float) -> tuple[str, float, str]:
  """pytest -k expr on the copy in folder: (outcome, seconds, the end of its output)."""
  cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests, "-k", expr]
  env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
  start = time.time()
  try:
    proc = subprocess.run(cmd, cwd=folder, capture_output=True, timeout=timeout, env=env)
  except subprocess.TimeoutExpired:
    return "timeout", time.time() - start, ""
  outcome = {0: "passed", 1: "failed", 5: "no tests"}.get(proc.returncode, f"error {proc.returncode}")
  return outcome, time.time() - start, (proc.stdout + proc.stderr).decode(errors="replace")[-1500:]


def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  ap.add_argument("--only", metavar="NAME", action="append", help="run this mutant only (repeatable)")
  ap.add_argument("--list", action="store_true", help="list the mutants and exit")
  ap.add_argument("--tests", nargs="+", default=["test_all.py"], metavar="FILE",
                  help="the test files to run (default test_all.py)")
  ap.add_argument("-k", dest="expr", metavar="EXPR", help="run this -k expression for every mutant instead of its own "
                  "(e.g. to see whether other tests catch it)")
  ap.add_argument("--timeout", type=float, default=600, help="seconds per pytest run (default 600)")
  ap.add_argument("--no-baseline", action="store_true", help="skip the run of the tests on the unmutated copy")
  ap.add_argument("-v", "--verbose", action="store_true", help="show pytest's output for mutants that are not caught")
  args = ap.parse_args()
  names = [m.name for m in MUTANTS]
  assert len(set(names)) == len(names), "two mutants share a name"
  if args.list:
    for m in MUTANTS:
      print(f"{m.name:<30} {m.file:<14} -k {m.tests!r:<70} {m.about}")
    return
  unknown = sorted(set(args.only or []) - set(names))
  if unknown:
    print(f"mutants.py: no mutant named {', '.join(unknown)} (--list lists them)", file=sys.stderr)
    sys.exit(2)
  chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
  if args.expr:
    chosen = [Mutant(m.name, m.file, m.old, m.new, args.expr, m.about) for m in chosen]
  problems = stale(chosen)
  if problems:
    print("mutants.py: these mutations no longer apply (update their old text):\n  " + "\n  ".join(problems),
          file=sys.stderr)
    sys.exit(2)

  if not args.no_baseline:
    with tempfile.TemporaryDirectory(prefix="mutant-base-") as tmp:
      copy_repo(Path(tmp))
      expr = " or ".join(f"({m.tests})" for m in chosen)
      outcome, seconds, tail = run_tests(Path(tmp), args.tests, expr, args.timeout)
    print(f"baseline (no mutation): {outcome} in {seconds:.0f} s", flush=True)
    if outcome != "passed":
      print(f"mutants.py: the tests do not pass without a mutation, so no mutant can be judged:\n{tail}",
            file=sys.stderr)
      sys.exit(2)

  print(f"{'mutant':<30} {'file':<14} {'result':<10} {'time':>5}  bug", flush=True)
  missed = []
  for m in chosen:
    with tempfile.TemporaryDirectory(prefix=f"mutant-{m.name}-") as tmp:
      folder = Path(tmp)
      copy_repo(folder)
      path = folder / m.file
      path.write_text(path.read_text().replace(m.old, m.new, 1))
      outcome, seconds, tail = run_tests(folder, args.tests, m.tests, args.timeout)
    result = "caught" if outcome == "failed" else "MISSED" if outcome == "passed" else outcome
    print(f"{m.name:<30} {m.file:<14} {result:<10} {seconds:>4.0f}s  {m.about}", flush=True)
    if result != "caught":
      missed.append(m.name)
      if args.verbose:
        print("    " + tail.replace("\n", "\n    "), flush=True)
  print(f"caught {len(chosen) - len(missed)}/{len(chosen)}" + (f"; not caught: {', '.join(missed)}" if missed else ""))
  sys.exit(1 if missed else 0)


if __name__ == "__main__":
  main()
