"""parens: what the graph below computes, as a program read out of it by render.py.
  examples/parens.json

run(xs): xs is a list of timesteps, each a tuple of 1 input (1 or -1); it returns the outputs of every step.
As a script: `python parens.py 1 -1 -1` (an argument per step) prints one output per line.
Other names are the graph's node ids; True stands for +1, False for -1.
The task's names (the variables below): in0 = close, out0 = balanced.
Each line agrees with the graph on
16 (state, input) pairs seen in 4096 sampled sequences of 64 steps.
"""
import sys

N_IN = 1


def act(x, factor=1.0, leak=0.1):
  """The neurons' activation (graph.py)."""
  if x < -3:
    linear = -1 + leak * (x + 3)
  elif x <= -1:
    linear = x + 2
  elif x <= 1:
    linear = -x
  elif x <= 3:
    linear = x - 2
  else:
    linear = 1 + leak * (x - 3)
  if x <= -3:
    smooth = -1 + leak * (x + 3)
  elif x <= -2:
    smooth = (x + 3) ** 4 - 1
  elif x <= 0:
    smooth = 1 - (x + 1) ** 4
  elif x <= 2:
    smooth = (x - 1) ** 4 - 1
  elif x <= 3:
    smooth = 1 - (x - 3) ** 4
  else:
    smooth = 1 + leak * (x - 3)
  return factor * linear + (1 - factor) * smooth


def run(xs):
  c0_s0 = 0.4
  ys = []
  for inputs in xs:
    close = inputs[0] > 0
    c0_o2 = not close
    balanced = -act(2.6 * c0_s0) - 0.8 * (0.8999999999999999 if c0_o2 else -0.29999999999999993) - 1.0
    ys.append((1 if balanced > 0 else -1,))
    c0_s0 = act((-0.1 if close else 0.1) - c0_s0)
  return ys


def main(args):
  xs = []
  for arg in args:
    step = arg.split(",")
    if len(step) != N_IN or any(v not in ("1", "-1", "+1") for v in step):
      print(f"{sys.argv[0]}: step {arg!r} is not {N_IN} value(s) of 1 or -1 separated by commas", file=sys.stderr)
      sys.exit(2)
    xs.append(tuple(int(v) for v in step))
  for y in run(xs):
    print(",".join(str(v) for v in y))


if __name__ == "__main__":
  main(sys.argv[1:])
