"""gated: what the graph below computes, as a program read out of it by render.py.
  examples/gated.json

run(xs): xs is a list of timesteps, each a tuple of 3 inputs (1 or -1); it returns the outputs of every step.
As a script: `python gated.py -1,1,-1 1,-1,1` (an argument per step) prints one output per line.
Names are the graph's node ids; True stands for +1, False for -1. Each line agrees with the graph on
219667 (state, input) pairs seen in 4096 sampled sequences of 64 steps.
"""
import sys

N_IN = 3


def act(x, factor=0.5, leak=0.01):
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
  c0_s1 = 0.0
  c0_s4 = -0.85
  c0_s5 = -0.85
  ys = []
  for x in xs:
    in0 = x[0] > 0
    in1 = x[1] > 0
    in2 = x[2] > 0
    out0 = 0.6 * act((0.7 if in0 else -0.7) + (-0.85 if in1 else 0.85) + 0.8 * c0_s4 - 0.75 * c0_s5 - 0.4) - 0.95 * act((-0.55 if in0 else 0.55) + (0.9 if in1 else -0.9) + (1.05 if in2 else -1.05) - 0.55 * c0_s1 - 0.7 * c0_s4 - 0.5 * c0_s5 - 1.5350000000000001) + 0.55 * act((1.45 if in0 else -1.45) + (0.75 if in2 else -0.75) - 0.8 * c0_s4 + 0.85 * c0_s5 + 0.6) - 0.65 * act((-1.0 if in1 else 1.0) + (1.2 if in2 else -1.2) - 0.8 * c0_s1 - 0.95) - 0.4  # noqa: E501
    ys.append((1 if out0 > 0 else -1,))
    c0_s1, c0_s4, c0_s5 = act((-0.5 if in0 else 0.5) - 0.55 * c0_s1 - 0.55 * c0_s4 - 0.9 * c0_s5 - 0.16000000000000003), act((-0.85 if in0 else 0.85) - 0.9 * c0_s4 - 0.9), act((0.5 if in0 else -0.5) - 0.6 * c0_s1 + 0.55 * c0_s4 - 0.9 * c0_s5 + 0.7)  # noqa: E501
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
