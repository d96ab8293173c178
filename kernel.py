"""train.py's kernel plumbing: activation.cl as a tinygrad custom op with a hand-written backward, and input buffers
that numpy arrays are copied straight into.

In:  tensors on tinygrad's device (train.py picks it, with DEV and HCQ2, before it imports tinygrad and this file).
Out: activation(x, factor, leak), A(x) elementwise with its gradient; input_buffer() and copy_into() for the inputs.
"""
import functools
from pathlib import Path

import numpy as np
from tinygrad import Device, Tensor
from tinygrad.uop.ops import KernelInfo, Ops, ProgramInfo, UOp

ACTIVATION_SOURCE = Path(__file__).with_name("activation.cl")


@functools.cache
def compile_activation(device: str, entry: str, n: int, factor: float, leak: float) -> tuple[str, bytes]:
  """Source and binary of one entry point of activation.cl, specialised to n elements and (factor, leak)."""
  src = (f"#define {entry.upper()} 1\n#define N {n}\n#define FACTOR {float(factor)!r}f\n#define LEAK {float(leak)!r}f\n"
         + ACTIVATION_SOURCE.read_text())
  backend = device.split(":")[0]
  if backend == "CPU":
    # tinygrad's CPU loader jumps to the first byte of the object: the -D above leaves one function in it
    from tinygrad.runtime.support.compiler_cpu import ClangCompiler
    return src, ClangCompiler(Device[device].arch.split(",")).compile_cached(src)
  if backend in ("CUDA", "NV"):
    src = "#define __CUDACC__ 1\n" + src
  return src, Device[device].renderer.compiler.compile_cached(src)


def activation_program(device: str, entry: str, n: int, factor: float, leak: float, *bufs: UOp) -> UOp:
  """The kernel for Tensor.custom_kernel: bufs[0] is written, the rest are read."""
  bufs = tuple(b.base for b in bufs)  # multi-dimensional placeholders arrive as RESHAPE(PARAM)
  src, binary = compile_activation(device, entry, n, factor, leak)
  cpu = device.split(":")[0] == "CPU"
  threads = 128
  info = ProgramInfo(name=entry, global_size=(1, 1, 1) if cpu else ((n + threads - 1) // threads, 1, 1),
                     local_size=None if cpu else (threads, 1, 1), globals=tuple(range(len(bufs))),
                     outs=(0,), ins=tuple(range(1, len(bufs))), target=Device[device].renderer.target)
  sink = UOp.sink(*bufs, arg=KernelInfo(name=entry))
  return UOp(Ops.PROGRAM, src=(sink, UOp(Ops.LINEAR, src=bufs), UOp(Ops.SOURCE, arg=src), UOp(Ops.BINARY, arg=binary)),
             arg=info)


def activation(x: Tensor, factor: float, leak: float) -> Tensor:
  """A(x) elementwise, forward and backward from activation.cl."""
  x = x.contiguous()
  device, n = x.device, x.numel()

  def backward(dy: UOp, call: UOp):
    pre = Tensor(call.src[2])  # the call's sources: program, output, input x
    kernel = functools.partial(activation_program, device, "ameo_backward", n, factor, leak)
    dx = Tensor.empty(*x.shape, device=device).custom_kernel(pre, Tensor(dy).contiguous(), fxn=kernel)[0]
    return None, dx.uop

  return Tensor.empty(*x.shape, device=device).custom_kernel(
    x, fxn=functools.partial(activation_program, device, "ameo_forward", n, factor, leak), grad_fxn=backward)[0]


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

