"""gated: what the graph below computes, as a program read out of it by render.py.
  examples/gated.json

run(xs): xs is a list of timesteps, each a tuple of 3 inputs (1 or -1); it returns the outputs of every step.
As a script: `python gated.py -1,1,-1 1,-1,1` (an argument per step) prints one output per line.
Other names are the graph's node ids; True stands for +1, False for -1.
The task's names (the variables below): in0 = change_mode, in1 = a, in2 = b, out0 = y.
Each line agrees with the graph on
232868 (state, input) pairs seen in 4096 sampled sequences of 64 steps.
"""
import sys

N_IN = 3


def act(x, factor=0.0, leak=0.01):
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
  c0_s0 = 0.0
  c0_s1 = 0.0
  c0_s2 = -1.28
  c0_s3 = 1.21
  ys = []
  for inputs in xs:
    change_mode = inputs[0] > 0
    a = inputs[1] > 0
    b = inputs[2] > 0
    c0_o2 = not change_mode
    y = -3.09 * act((0.42 if change_mode else -0.42) + (-0.68 if a else 0.68) + (-0.69 if b else 0.69) - 0.1 * c0_s1 + 1.28) + 0.87 * act((-0.49 if change_mode else 0.49) + (0.61 if a else -0.61) + (0.61 if b else -0.61) - 0.53 * c0_s1 + 0.7 * c0_s2 - 0.3 * c0_s3 - 0.42) + 0.72 * (0.94691584 if c0_o2 else -0.94691584) - 2.44 * act((-0.83 if change_mode else 0.83) + (0.82 if a else -0.82) + (0.82 if b else -0.82) + 0.06 * c0_s3 - 1.14) - 1.54 * act((-0.69 if a else 0.69) + (-0.69 if b else 0.69) - 0.63) - 0.39  # noqa: E501
    ys.append((1 if y > 0 else -1,))
    c0_s0, c0_s1, c0_s2, c0_s3 = act((1.06 if change_mode else -1.06) - 0.54 * c0_s0 + 0.58 * c0_s1 + 0.58), act(0.49 * c0_s0 - 0.48 * c0_s1 + 0.44 * c0_s3), act((-0.96 if change_mode else 0.96) + 0.19 * c0_s0 - 0.25 * c0_s2 + 0.24 * c0_s3 - 1.06), act((-2.0 if b else 2.0) + 0.53 * c0_s1 - 0.65 * c0_s2 + 0.54 * c0_s3)  # noqa: E501
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
