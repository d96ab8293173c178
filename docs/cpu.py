"""cpu: what the graph below computes, as a program read out of it by render.py.
  examples/cpu.json

run(xs): xs is a list of timesteps, each a tuple of 3 inputs (1 or -1); it returns the outputs of every step.
As a script: `python cpu.py -1,1,-1 1,-1,1` (an argument per step) prints one output per line.
Names are the graph's node ids; True stands for +1, False for -1. Each line agrees with the graph on
more than 4096 reachable state vectors; 248648 (state, input) pairs seen in 4096 sampled sequences of 64 steps.
"""
import sys

N_IN = 3


def act(x, factor=0.5, leak=0.1):
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
  c0_s1 = 0.86
  c0_s2 = 0.0
  c0_s3 = 0.0
  c0_s4 = -0.418
  c0_s5 = -0.723
  ys = []
  for x in xs:
    in0 = x[0] > 0
    in1 = x[1] > 0
    in2 = x[2] > 0
    out0 = -1.655 * act((-0.982 if in0 else 0.982) + (-0.894 if in1 else 0.894) - 0.821 * c0_s1 + 0.749 * c0_s3 + 1.704 * c0_s4 + 1.445) + 1.186 * act((0.525 if in0 else -0.525) - 1.071 * c0_s0 + 0.937 * c0_s1 - 1.533 * c0_s2 + 1.243 * c0_s3 - 0.764 * c0_s4 + 0.833 * c0_s5 + 0.775) + 1.909 * act((0.878 if in1 else -0.878) + 0.731 * c0_s1 - 0.674 * c0_s3 - 1.519 * c0_s4 - 0.271) - 1.073 * act((-0.419 if in0 else 0.419) + (-0.361 if in2 else 0.361) - 0.647 * c0_s0 + 0.646 * c0_s1 - 0.816 * c0_s2 + 0.641 * c0_s3 - 0.61 * c0_s4 + 0.491 * c0_s5 + 0.378) - 1.377 * act((0.44 if in2 else -0.44) - 0.368 * c0_s0 - 0.479 * c0_s2 + 0.449 * c0_s3 + 0.29 * c0_s5 + 0.609) - 0.644 * act((0.392 if in0 else -0.392) + (0.445 if in2 else -0.445) + 0.663 * c0_s1 - 0.407 * c0_s4 + 0.394) - 0.72  # noqa: E501
    ys.append((1 if out0 > 0 else -1,))
    c0_s0, c0_s1, c0_s2, c0_s3, c0_s4, c0_s5 = act((-0.902 if in0 else 0.902) + (-1.012 if in1 else 1.012) + 0.782 * c0_s1 - 0.65 * c0_s3 - 1.518 * c0_s4 + 0.587), act((-0.232 if in0 else 0.232) + (-0.522 if in1 else 0.522) + (0.012 if in2 else -0.012) + 0.036 * c0_s0 - 0.244 * c0_s1 + 0.045 * c0_s2 + 0.155 * c0_s3 + 0.466 * c0_s4 - 0.03 * c0_s5 - 0.371), act((-0.632 if in0 else 0.632) + (-0.119 if in1 else 0.119) + (0.053 if in2 else -0.053) + 0.228 * c0_s0 + 0.257 * c0_s2 - 0.258 * c0_s3 - 0.159 * c0_s5 - 0.42), act((-0.764 if in0 else 0.764) + (0.543 if in1 else -0.543) + (-0.035 if in2 else 0.035) - 0.132 * c0_s0 - 0.15 * c0_s2 + 0.149 * c0_s3 + 0.094 * c0_s5 - 0.202), act((0.319 if in0 else -0.319) + (-0.383 if in1 else 0.383) + (0.014 if in2 else -0.014) + 0.043 * c0_s0 + 0.091 * c0_s1 + 0.065 * c0_s2 - 0.156 * c0_s3 - 0.217 * c0_s4 - 0.037 * c0_s5 + 0.493), act(0.665 * c0_s0 - 0.433 * c0_s1 + 0.841 * c0_s2 - 0.587 * c0_s3 + 0.592 * c0_s4 - 0.498 * c0_s5 + 0.362)  # noqa: E501
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
