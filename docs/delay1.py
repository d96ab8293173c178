"""delay1: what the graph below computes, as a program read out of it by render.py.
  examples/delay1.json

run(xs): xs is a list of timesteps, each a tuple of 1 input (1 or -1); it returns the outputs of every step.
As a script: `python delay1.py 1 -1 -1` (an argument per step) prints one output per line.
Other names are the graph's node ids; True stands for +1, False for -1.
The task's names (the variables below): in0 = x, out0 = y.
Each line agrees with the graph on
all 4 reachable (state, input) pairs,
so run(xs) gives the graph's outputs on every input sequence.
"""
import sys

N_IN = 1


def run(xs):
  c0_s0 = False  # initial value -1.0
  ys = []
  for inputs in xs:
    x = inputs[0] > 0
    y = c0_s0
    ys.append((1 if y else -1,))
    c0_s0 = x
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
