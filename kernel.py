"""train.py's kernel plumbing: activation.cl as a tinygrad custom op with a hand-written backward, and input buffers
that numpy arrays are copied straight into.

In:  tensors on tinygrad's device (train.py picks it, with DEV and HCQ2, before it imports tinygrad and this file).
Out: activation(x, factor, leak), A(x) elementwise with its gradient; cell(...), one cell's whole recurrence with
     its backward through time; input_buffer() and copy_into() for the inputs.
"""
import functools
from pathlib import Path

import numpy as np
from tinygrad import Device, Tensor
from tinygrad.uop.ops import KernelInfo, Ops, ProgramInfo, UOp

ACTIVATION_SOURCE = Path(__file__).with_name("activation.cl")


@functools.cache
def compile_source(device: str, entry: str, defines: tuple[tuple[str, int | float], ...]) -> tuple[str, bytes]:
  """Source and binary of one entry point of activation.cl (entry: ameo_forward, cell_backward, ...), specialised to
  the -D constants in defines (sizes, FACTOR, LEAK)."""
  lines = [f"#define {entry.upper()} 1"] + [f"#define {k} {float(v)!r}f" if isinstance(v, float) else f"#define {k} {v}"
                                           for k, v in defines]
  src = "\n".join(lines) + "\n" + ACTIVATION_SOURCE.read_text()
  backend = device.split(":")[0]
  if backend == "CPU":
    # tinygrad's CPU loader jumps to the first byte of the object: the -D above leaves one function in it
    from tinygrad.runtime.support.compiler_cpu import ClangCompiler
    return src, ClangCompiler(Device[device].arch.split(",")).compile_cached(src)
  if backend in ("CUDA", "NV"):
    src = "#define __CUDACC__ 1\n" + src
  return src, Device[device].renderer.compiler.compile_cached(src)


def program(device: str, entry: str, defines: tuple, items: int, *bufs: UOp) -> UOp:
  """The kernel for Tensor.custom_kernel: bufs[0] is written, the rest are read; items: work items on a GPU (one
  element, or one sequence), a loop inside the one call on the CPU."""
  bufs = tuple(b.base for b in bufs)  # multi-dimensional placeholders arrive as RESHAPE(PARAM)
  src, binary = compile_source(device, entry, defines)
  cpu = device.split(":")[0] == "CPU"
  threads = 128
  info = ProgramInfo(name=entry, global_size=(1, 1, 1) if cpu else ((items + threads - 1) // threads, 1, 1),
                     local_size=None if cpu else (threads, 1, 1), globals=tuple(range(len(bufs))),
                     outs=(0,), ins=tuple(range(1, len(bufs))), target=Device[device].renderer.target)
  sink = UOp.sink(*bufs, arg=KernelInfo(name=entry))
  return UOp(Ops.PROGRAM, src=(sink, UOp(Ops.LINEAR, src=bufs), UOp(Ops.SOURCE, arg=src), UOp(Ops.BINARY, arg=binary)),
             arg=info)


def activation(x: Tensor, factor: float, leak: float) -> Tensor:
  """A(x) elementwise, forward and backward from activation.cl."""
  x = x.contiguous()
  device, n = x.device, x.numel()
  defines = (("N", n), ("FACTOR", float(factor)), ("LEAK", float(leak)))

  def backward(dy: UOp, call: UOp):
    pre = Tensor(call.src[2])  # the call's sources: program, output, input x
    kernel = functools.partial(program, device, "ameo_backward", defines, n)
    dx = Tensor.empty(*x.shape, device=device).custom_kernel(pre, Tensor(dy).contiguous(), fxn=kernel)[0]
    return None, dx.uop

  return Tensor.empty(*x.shape, device=device).custom_kernel(
    x, fxn=functools.partial(program, device, "ameo_forward", defines, n), grad_fxn=backward)[0]


def cell(x: Tensor, w: Tensor, bias: Tensor, s0: Tensor, noise: Tensor | None, n_o: int, factor: float,
         leak: float) -> Tensor:
  """One cell over every step in one kernel (activation.cl's cell_forward), with backward through time
  (cell_backward). x (B, T, NX): the cell's input; w (NX + NS, NN): the input's rows, then the state's; bias (NN);
  s0 (B, NS): the state before the first step; noise (B, T, NS) or None: added to each new state. Returns a_t
  (B, T, NN): NO outputs, then the NS new states (before their noise). noise gets no gradient."""
  batch, length, n_x = x.shape
  nn = w.shape[1]
  n_s = nn - n_o
  device = x.device
  sizes = [length * n_x, n_s, (n_x + n_s) * nn, nn, length * n_s, length * nn]  # activation.cl's ROW
  if batch * sum(sizes) >= 2 ** 31:  # the kernels index with 32-bit ints
    raise ValueError(f"a batch of {batch} sequences of {length} steps is too big for the fused cell")
  ins = [t.contiguous() for t in (x, w, bias, s0)] + ([noise.contiguous()] if noise is not None else [])
  defines = (("B", batch), ("T", length), ("NX", n_x), ("NO", n_o), ("NS", n_s), ("HAS_NOISE", int(noise is not None)),
             ("FACTOR", float(factor)), ("LEAK", float(leak)))

  def backward(dy: UOp, call: UOp):
    saved = [Tensor(u) for u in call.src[2:]]  # the call's sources: program, output, then ins
    kernel = functools.partial(program, device, "cell_backward", defines, batch)
    out = Tensor.empty(batch, sum(sizes), device=device).custom_kernel(Tensor(dy).contiguous(), *saved, fxn=kernel)[0]
    d_x, d_s0, d_w, d_bias, _, _ = out.split(sizes, dim=1)
    d_w, d_bias = d_w.sum(axis=0).reshape(n_x + n_s, nn), d_bias.sum(axis=0)  # each sequence's share
    grads = (None, d_x.reshape(batch, length, n_x).uop, d_w.uop, d_bias.uop, d_s0.uop)  # output, x, w, bias, s0
    return grads if noise is None else grads + (None,)

  return Tensor.empty(batch, length, nn, device=device).custom_kernel(
    *ins, fxn=functools.partial(program, device, "cell_forward", defines, batch), grad_fxn=backward)[0]


def input_buffer(shape: tuple[int, ...]) -> Tensor:
  """A realized float32 tensor whose memory later steps overwrite with copy_into."""
  return Tensor.empty(*shape).contiguous().realize()


def copy_into(t: Tensor, a: np.ndarray) -> None:
  """Copy a numpy array straight into a realized tensor's memory. Tensor(a) would schedule a copy every step, which
  cost more than the training step itself (measured: 12 ms a replace111 step with Tensor(x), 3.7 ms with this)."""
  if a.shape != tuple(t.shape):  # a copy of another size would write past the buffer's end
    raise ValueError(f"an array of shape {a.shape} does not fit the input buffer of shape {tuple(t.shape)}")
  buf = t.uop.base.buffer.ensure_allocated()
  buf.allocator._copyin(buf._buf, memoryview(np.ascontiguousarray(a, np.float32)).cast("B"))  # waits for the device

