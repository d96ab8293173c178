"""A suite of small tasks beyond the write-up's, written as a user writes a task file (see tasks.py).

Regular languages, mod-k counters, pattern detectors, delays and gates with memory. Each declares `states`, the
number of states of the smallest (Mealy) machine that computes it: a bonsai needs at least ceil(log2(states))
boolean states. test_all.py checks each declaration against the task's own outputs.

  python tasks.py examples/suite.py:PARITY
  python train.py --task examples/suite.py:PARITY
  python bench.py --tasks suite                # all of them, as the built-in tasks are grown
"""
import numpy as np

from tasks import Task, pm1, shift


def running(x: np.ndarray, step, start) -> np.ndarray:
  """The states a machine passes through: state[:, t] after the input of step t (start before step 0)."""
  state = np.full(x.shape[0], start)
  out = np.empty(x.shape[:2], dtype=np.asarray(start).dtype)
  for t in range(x.shape[1]):
    state = step(state, x[:, t])
    out[:, t] = state
  return out


def ones_mod(k: int):
  """The number of +1 inputs so far, mod k."""
  return lambda x: running(x, lambda s, xt: (s + (xt[:, 0] > 0)) % k, 0)


def parity(x):  # +1 when an odd number of the inputs so far were +1
  return pm1(ones_mod(2)(x) == 1)[..., None]


def mod3(x):  # +1 when the number of +1 inputs so far is a multiple of 3
  return pm1(ones_mod(3)(x) == 0)[..., None]


def mod4_high(x):  # +1 when the number of +1 inputs so far is 2 or 3 mod 4: the counter's high bit
  return pm1(ones_mod(4)(x) >= 2)[..., None]


def pattern_pmp(x):  # +1 when the last three inputs were +1, -1, +1 (overlaps count)
  p = x[..., 0] > 0
  return pm1(p & ~(shift(x, 1)[..., 0] > 0) & (shift(x, 2)[..., 0] > 0) & (np.arange(x.shape[1]) >= 2))[..., None]


def two_plus(x):  # +1 when the last two inputs were both +1
  return pm1((x[..., 0] > 0) & (shift(x, 1)[..., 0] > 0))[..., None]


def majority3(x):  # +1 when at least two of the last three inputs were +1 (before the first step counts as -1)
  votes = sum((shift(x, d)[..., 0] > 0).astype(int) for d in range(3))
  return pm1(votes >= 2)[..., None]


def delay3(x):  # the input three steps ago, -1 for the first three steps
  return shift(x, 3)


def no_three_minus(x):  # Tomita 4: +1 while the inputs so far hold no three -1 in a row
  run = running(x, lambda s, xt: np.where(xt[:, 0] > 0, np.minimum(s, 3) * (s >= 3), np.minimum(s + 1, 3)), 0)
  return pm1(run < 3)[..., None]


def alternating(x):  # Tomita 2: +1 when the inputs so far are +1 -1 +1 -1 ... +1 -1 (the rare accepted prefixes)
  def move(state, xt):  # 0: whole (+1 -1) pairs so far, 1: one +1 more, 2: off the pattern for good
    plus = xt[:, 0] > 0
    return np.select([state == 2, (state == 0) & plus, (state == 1) & ~plus], [2, 1, 0], 2)
  return pm1(running(x, move, 0) == 0)[..., None]


def latch(x):  # set-reset latch: in0 sets, in1 resets (set wins); the output is the latch after this step
  move = lambda s, xt: np.where(xt[:, 0] > 0, True, np.where(xt[:, 1] > 0, False, s))
  return pm1(running(x, move, False))[..., None]


def memory(x):  # a one-bit memory: when in0 is +1, in1 is stored; the output is what is stored after this step
  move = lambda s, xt: np.where(xt[:, 0] > 0, xt[:, 1] > 0, s)
  return pm1(running(x, move, False))[..., None]


def at_least_two(x):  # +1 once two of the inputs so far were +1
  return pm1(running(x, lambda s, xt: np.minimum(s + (xt[:, 0] > 0), 2), 0) == 2)[..., None]


PARITY = Task(name="parity", n_in=1, n_out=1, target=parity, states=2, about="odd number of +1 so far")
MOD3 = Task(name="mod3", n_in=1, n_out=1, target=mod3, states=3, about="number of +1 so far is a multiple of 3")
MOD4_HIGH = Task(name="mod4_high", n_in=1, n_out=1, target=mod4_high, states=4, about="count of +1 mod 4 is 2 or 3")
PATTERN = Task(name="pattern_pmp", n_in=1, n_out=1, target=pattern_pmp, states=3, about="last inputs were + - +")
TWO_PLUS = Task(name="two_plus", n_in=1, n_out=1, target=two_plus, states=2, about="last two inputs were +1")
MAJORITY3 = Task(name="majority3", n_in=1, n_out=1, target=majority3, states=4, about="majority of the last 3")
DELAY3 = Task(name="delay3", n_in=1, n_out=1, target=delay3, states=8, about="y[n] = x[n-3], -1 at first")
NO_THREE_MINUS = Task(name="no_three_minus", n_in=1, n_out=1, target=no_three_minus, states=4,
                      about="Tomita 4: no three -1 in a row so far")
ALTERNATING = Task(name="alternating", n_in=1, n_out=1, target=alternating, states=3,
                   about="Tomita 2: the inputs so far are (+1 -1) repeated")
LATCH = Task(name="latch", n_in=2, n_out=1, target=latch, states=2, about="set-reset latch: in0 sets, in1 resets")
MEMORY = Task(name="memory", n_in=2, n_out=1, target=memory, states=2, about="stores in1 when in0 is +1")
AT_LEAST_TWO = Task(name="at_least_two", n_in=1, n_out=1, target=at_least_two, states=3,
                    about="two of the inputs so far were +1")

SUITE = [PARITY, MOD3, MOD4_HIGH, PATTERN, TWO_PLUS, MAJORITY3, DELAY3, NO_THREE_MINUS, ALTERNATING, LATCH, MEMORY,
         AT_LEAST_TWO]
