"""gated: what the graph below computes, as a program read out of it by render.py.
  examples/gated.json

run(xs): xs is a list of timesteps, each a tuple of 3 inputs (1 or -1); it returns the outputs of every step.
As a script: `python gated.py -1,1,-1 1,-1,1` (an argument per step) prints one output per line.
Names are the graph's node ids; True stands for +1, False for -1. Each line agrees with the graph on
241362 (state, input) pairs seen in 4096 sampled sequences of 64 steps.
"""
import sys

N_IN = 3


def run(xs):
  c0_s1 = True  # initial value 0.86
  c0_s2 = False  # initial value -1.18
  c0_s3 = False  # initial value -1.06
  c0_s4 = False  # initial value -0.96
  c0_s5 = True  # initial value 0.98
  ys = []
  for x in xs:
    in0 = x[0] > 0
    in1 = x[1] > 0
    in2 = x[2] > 0
    c0_o1 = (not in0 and not in1 and not in2 and not c0_s3) or (in0 and not in1 and not c0_s4 and not c0_s5) or (in0 and in1 and not in2 and not c0_s3) or (not in0 and not in2 and not c0_s4 and c0_s5) or (in0 and in1 and not c0_s4 and c0_s5) or (not in0 and not in2 and c0_s2 and not c0_s3) or (in0 and in1 and c0_s2 and not c0_s3) or (in0 and not in1 and not in2 and not c0_s2 and c0_s3) or (not in0 and in1 and in2 and not c0_s2 and c0_s3) or (not in0 and not in1 and not in2 and not c0_s4) or (in0 and not in2 and not c0_s4 and not c0_s5) or (not in1 and in2 and c0_s2 and not c0_s3) or (not in1 and in2 and not c0_s4 and c0_s5)  # noqa: E501
    c0_o2 = not (in0 and (c0_s2 + (not c0_s3) + c0_s5 >= 2))
    c0_o7 = in1 or in2
    out0 = (c0_o1 and c0_o2 and c0_o7) or (c0_o1 and not in1 and not c0_s1) or (c0_o1 and not in2 and c0_s3) or (c0_o1 and not in2 and not c0_s1) or (not c0_o2 and in1 and in2 and c0_s1)  # noqa: E501
    ys.append((1 if out0 else -1,))
    c0_s1, c0_s2, c0_s3, c0_s4, c0_s5 = in0 != (c0_s1 or not c0_s2), not (c0_s1 + c0_s4 + c0_s5 >= 2), in0 == (c0_s1 and c0_s5), in0 != (not c0_s2 and c0_s4), c0_s2 + (not c0_s3) + c0_s5 >= 2  # noqa: E501
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
