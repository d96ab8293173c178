"""cpu: what the graph below computes, as a program read out of it by render.py.
  examples/cpu.json

run(xs): xs is a list of timesteps, each a tuple of 3 inputs (1 or -1); it returns the outputs of every step.
As a script: `python cpu.py -1,1,-1 1,-1,1` (an argument per step) prints one output per line.
Other names are the graph's node ids; True stands for +1, False for -1.
The task's names (the variables below): in0 = copy, in1 = rx, in2 = operand, out0 = written.
Each line agrees with the graph on
more than 4096 reachable state vectors; 248648 (state, input) pairs seen in 4096 sampled sequences of 64 steps.
"""
import sys

N_IN = 3


def act(x, factor=0.0, leak=0.1):
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
  c0_s0 = -1.045
  c0_s1 = 0.0
  c0_s2 = 0.0
  c0_s3 = 0.0
  c0_s4 = 0.0
  c0_s5 = 0.0
  ys = []
  for inputs in xs:
    copy = inputs[0] > 0
    rx = inputs[1] > 0
    operand = inputs[2] > 0
    written = -3.935 * act((-0.57 if copy else 0.57) - 0.045 * c0_s2 + 0.055 * c0_s3 + 0.06 * c0_s4 + 0.65) + 2.835 * act((-0.92 if copy else 0.92) + (-1.015 if rx else 1.015) + 0.03 * c0_s3 + 0.02) - 2.515 * act((-0.955 if rx else 0.955) - 0.035 * c0_s3 - 0.935) - 1.41 * act((0.68 if copy else -0.68) + (0.48 if operand else -0.48) + 0.325) - 2.635 * act((0.48 if copy else -0.48) + (-0.07 if rx else 0.07) + 0.075 * c0_s2 - 0.085 * c0_s3 - 0.455) - 0.805 * act((-0.47 if copy else 0.47) + 0.23 * c0_s0 + 0.245 * c0_s1 + 0.22 * c0_s5 + 0.475) - 1.945  # noqa: E501
    ys.append((1 if written > 0 else -1,))
    c0_s0, c0_s1, c0_s2, c0_s3, c0_s4, c0_s5 = act((0.52 if copy else -0.52) + (0.54 if rx else -0.54) - 0.3 * c0_s0 - 0.255 * c0_s1 - 0.35 * c0_s2 + 0.41 * c0_s3 - 0.4 * c0_s4 - 0.19 * c0_s5), act(-0.21 * c0_s0 - 0.395 * c0_s1 - 0.345 * c0_s2 - 0.52 * c0_s3 - 0.445 * c0_s4 - 0.415 * c0_s5), act((-0.505 if copy else 0.505) + (-0.46 if rx else 0.46) - 0.3 * c0_s0 - 0.225 * c0_s1 - 0.34 * c0_s2 + 0.4 * c0_s3 - 0.37 * c0_s4 - 0.145 * c0_s5), act((-0.495 if copy else 0.495) + (1.0 if rx else -1.0) + (0.98 if operand else -0.98) + 0.49), act((-0.51 if copy else 0.51) + (-1.115 if operand else 1.115) - 0.495), act((0.945 if copy else -0.945) + (1.095 if rx else -1.095) + 0.245 * c0_s0 + 0.34 * c0_s1 + 0.265 * c0_s2 + 0.465 * c0_s3 + 0.47 * c0_s4 + 0.325 * c0_s5)  # noqa: E501
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
