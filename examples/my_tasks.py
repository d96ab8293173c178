# my_tasks.py: your own task (README, "Your own task"); `python tasks.py examples/my_tasks.py:AND_PREV` shows it
from tasks import Task, pm1, shift


def and_prev(x):
  """out[n] = x[n] AND x[n-1] (before the first step counts as false)"""
  return pm1((x > 0) & (shift(x, 1) > 0))


AND_PREV = Task(name="and_prev", n_in=1, n_out=1, target=and_prev, states=2,
                config={"steps": 1500, "seq_len": 10})
