"""Shortest boolean formulas for truth tables, and their text as Python: what readout.py writes for a gate.

In:  a truth table as rows (n, k) bool (the input combinations that occurred) and outs (n,) bool; rows that never
     occur are don't-cares.
Out: a formula as a tree of tuples: ("var", i), ("const", bool), ("not", t), ("and" | "or" | "xor" | "xnor", a, b),
     ("mux", s, a, b) (a if s else b), ("maj", a, b, c) (two of three), and its text:
  t = shortest(rows, outs)          the smallest formula found (search), else a sum of products
  to_python(t, leaf)                the formula as a Python expression; leaf(i) -> (text, precedence) of variable i
  patterns(symbols, chosen)         input symbols (rows of ±1) as few patterns of + - and * (either)
"""
import functools
import itertools

import numpy as np

COMBINE = {"and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
           "xnor": lambda a, b: ~(a ^ b), "mux": lambda s, a, b: (s & a) | (~s & b),
           "maj": lambda a, b, c: (a & b) | (a & c) | (b & c)}


def search(rows: np.ndarray, outs: np.ndarray, max_cost: int = 15, budget: int = 1_000_000):
  """The smallest formula that gives `outs` on `rows`, bottom up by size over NOT, AND, OR, XOR, XNOR, MUX and MAJ;
  a tree, or None when there are over 64 rows or the budget runs out first.

  A formula's cost is its size: the number of variables, constants and operators in it (a and not b: 4). Level c
  holds one formula per behaviour on the rows (a truth table as the bits of a uint64) first reached at cost c:
  cost 1 the constants and the variables, cost c one operator over formulas whose costs add up to c - 1. The budget
  is the number of candidate formulas tried before giving up (one million: about a second)."""
  n, _ = rows.shape
  if n > 64:
    return None
  bits = np.left_shift(np.uint64(1), np.arange(n, dtype=np.uint64))
  full = np.bitwise_or.reduce(bits)
  mask = lambda col: np.bitwise_or.reduce(np.where(col, bits, np.uint64(0)))
  target = int(mask(outs))
  tree, level = {}, {}  # truth table -> its formula; cost -> the tables first found at that cost
  for cost in range(1, max_cost + 1):  # level `cost`: the tables whose smallest formula has that many symbols
    found = []
    if cost == 1:
      candidates = [("const", np.array([0, full], np.uint64), ()),
                    ("var", np.array([mask(c) for c in rows.T], np.uint64), ())]
    else:
      candidates = combinations(level, cost, budget)
    for op, masks, parts in candidates:
      budget -= masks.size  # every candidate formula tried counts, duplicates too
      if budget < 0:
        return None
      uniq, first = np.unique(masks.ravel() & full, return_index=True)
      fresh = [k for k, m in enumerate(uniq.tolist()) if m not in tree]
      for m, f in zip(uniq[fresh].tolist(), first[fresh].tolist(), strict=True):
        if op in ("const", "var"):
          tree[m] = (op, bool(f) if op == "const" else f)
        else:
          tree[m] = (op, *(int(p[i]) for p, i in zip(parts, np.unravel_index(f, masks.shape), strict=True)))
      found.append(uniq[fresh])
      if target in tree:
        return build(tree, target)
    level[cost] = np.concatenate(found)
  return None


def combinations(level: dict, cost: int, budget: int) -> list:
  """The candidates of one cost: (op, truth tables of every combination, the operand levels). A product of levels
  that alone would take over an eighth of the budget is left out."""
  candidates = [("not", ~level[cost - 1], (level[cost - 1],))]
  for c1 in range(1, cost - 1):
    a, b = level[c1], level[cost - 1 - c1]
    if c1 <= cost - 1 - c1 and a.size * b.size <= budget // 8:  # symmetric: one order of the operands is enough
      candidates += [(op, COMBINE[op](a[:, None], b[None, :]), (a, b)) for op in ("and", "or", "xor", "xnor")]
  for c1, c2 in itertools.product(range(1, cost - 2), repeat=2):
    c3 = cost - 1 - c1 - c2
    if c3 >= 1 and level[c1].size * level[c2].size * level[c3].size <= budget // 8:
      s, a, b = level[c1][:, None, None], level[c2][None, :, None], level[c3][None, None, :]
      candidates.append(("mux", COMBINE["mux"](s, a, b), (level[c1], level[c2], level[c3])))
      if c1 <= c2 <= c3:
        candidates.append(("maj", COMBINE["maj"](s, a, b), (level[c1], level[c2], level[c3])))
  return candidates


def build(tree: dict, m: int) -> tuple:
  """The formula of truth table m, from search's table of (op, operand truth tables...)."""
  node = tree[m]
  return node if node[0] in ("const", "var") else (node[0], *(build(tree, c) for c in node[1:]))


def sum_of_products(rows: np.ndarray, outs: np.ndarray) -> tuple:
  """A fallback for gates too wide for search(): OR of ANDs of literals, from a prime-implicant cover."""
  k = rows.shape[1]
  ints = [int(sum(1 << i for i in range(k) if r[i])) for r in rows]
  on = {r for r, o in zip(ints, outs, strict=True) if o}
  care = set(ints)
  cubes = cover(k, on, set(range(1 << k)) - care)
  if not cubes:
    return ("const", False)
  terms = []
  for value, used in cubes:
    lits = [("var", i) if value >> i & 1 else ("not", ("var", i)) for i in range(k) if used >> i & 1]
    terms.append(lits[0] if len(lits) == 1 else ("and", *lits) if lits else ("const", True))
  return terms[0] if len(terms) == 1 else ("or", *terms)


def cover(k: int, on: set, dont_care: set) -> list:
  """Prime implicants (value, used-bits) that cover `on` (Quine-McCluskey, then a greedy cover)."""
  cubes, primes = {(r, (1 << k) - 1) for r in on | dont_care}, set()
  while cubes:
    merged, used = set(), set()
    for (v1, u1), (v2, u2) in itertools.combinations(cubes, 2):
      d = v1 ^ v2
      if u1 == u2 and d & (d - 1) == 0 and d:
        merged.add((v1 & ~d, u1 & ~d))
        used |= {(v1, u1), (v2, u2)}
    primes |= cubes - used
    cubes = merged
  chosen, left = [], set(on)
  while left:
    best = max(sorted(primes), key=lambda c: (sum(r & c[1] == c[0] for r in left), -bin(c[1]).count("1")))
    chosen.append(best)
    left = {r for r in left if r & best[1] != best[0]}
  return chosen


def shortest(rows: np.ndarray, outs: np.ndarray) -> tuple:
  """search's formula, or a sum of products when the search gives up."""
  rows, outs = np.asarray(rows, bool), np.asarray(outs, bool)
  return cached_shortest(rows.shape, rows.tobytes(), outs.tobytes())


@functools.lru_cache(maxsize=4096)
def cached_shortest(shape: tuple[int, int], rows: bytes, outs: bytes) -> tuple:
  """shortest() of a truth table given as bytes: a table asked for again (a gate in the report, then its line in
  the program) is searched once."""
  rows_, outs_ = np.frombuffer(rows, bool).reshape(shape), np.frombuffer(outs, bool)
  return search(rows_, outs_) or sum_of_products(rows_, outs_)


def patterns(symbols: np.ndarray, chosen: list) -> list[str]:
  """The chosen input symbols (rows of ±1) as few patterns of + - and * (either)."""
  k = symbols.shape[1]
  ints = [int(sum(1 << i for i in range(k) if symbols[a][i] > 0)) for a in chosen]
  return ["".join(("+" if v >> i & 1 else "-") if used >> i & 1 else "*" for i in range(k))
          for v, used in sorted(cover(k, set(ints), set()), reverse=True)] if k else [""]


# Python precedence, low to high: x if c else y, or, and, not, comparisons, +, atoms
PREC = {"mux": 1, "or": 2, "and": 3, "not": 4, "xor": 5, "xnor": 5, "maj": 5, "var": 9, "const": 9}


def to_python(t: tuple, leaf) -> str:
  """A tree as a Python expression over booleans; leaf(i) -> (text, precedence) of variable i."""
  def show(t):
    op = t[0]
    if op == "var":
      return leaf(t[1])
    if op == "const":
      return str(t[1]), 9
    if op == "not":
      return "not " + wrap(t[1], 6), 4
    if op in ("and", "or"):  # a comparison inside gets parentheses: not needed, but easier to read
      flat = sorted((c for a in t[1:] for c in (a[1:] if a[0] == op else [a])), key=first_variable)
      return f" {op} ".join(wrap(c, 6 if PREC[c[0]] == 5 else 4) for c in flat), PREC[op]
    if op in ("xor", "xnor"):
      a, b = sorted(t[1:], key=first_variable)
      return f"{wrap(a, 6)} {'!=' if op == 'xor' else '=='} {wrap(b, 6)}", 5
    if op == "mux":
      return f"{wrap(t[2], 4)} if {wrap(t[1], 4)} else {wrap(t[3], 4)}", 1
    return " + ".join(wrap(c, 7) for c in sorted(t[1:], key=first_variable)) + " >= 2", 5  # maj: two of three

  def wrap(t, need):
    text, prec = show(t)
    return f"({text})" if prec < need else text

  return show(t)[0]


def first_variable(t: tuple) -> int:
  """The lowest variable in a formula (-1 for none): the order in which to_python writes operands."""
  return min(variables(t), default=-1)


def variables(t: tuple) -> set:
  """The variables a formula reads."""
  return {t[1]} if t[0] == "var" else set() if t[0] == "const" else set().union(*(variables(c) for c in t[1:]))
