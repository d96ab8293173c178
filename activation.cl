// The interpolated, leaky "Ameo" activation and its derivative: the one source of this function for training.
//
//   A(x) = f * L(x) + (1 - f) * S(x)      f: interpolation factor in [0, 1], leak: slope of the tails
//
// L is piecewise linear, S is made of quartic pieces; both pass through (-3,-1) (-2,0) (-1,1) (0,0) (1,-1) (2,0)
// (3,1), so one set of weights computes the same gate for every f. Beyond |x| = 3 both continue with slope `leak`.
//
// The file is plain C99 that is also valid OpenCL C and CUDA C: train.py compiles it with clang for DEV=CPU,
// hands it to the OpenCL driver for DEV=CL, and to NVRTC for DEV=CUDA. It defines one entry point per build,
// chosen with -D: AMEO_FORWARD (out = A(x)) or AMEO_BACKWARD (dx = A'(x) * dy). N, FACTOR and LEAK are -D
// constants too. (The CPU loader jumps to the first byte of the object file, so there must be exactly one
// non-inlined function in each build.)

#if defined(__OPENCL_VERSION__)
#define KERNEL __kernel void
#define GLOBAL __global
#define HELPER static inline
#elif defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define KERNEL extern "C" __global__ void
#define GLOBAL
#define HELPER static __device__ __forceinline__
#else
#define KERNEL void
#define GLOBAL
#define HELPER static inline __attribute__((always_inline))
#endif

HELPER float ameo_linear(float x, float leak) {
  if (x < -3.0f) return -1.0f + leak * (x + 3.0f);
  if (x <= -1.0f) return x + 2.0f;
  if (x <= 1.0f) return -x;
  if (x <= 3.0f) return x - 2.0f;
  return 1.0f + leak * (x - 3.0f);
}

HELPER float ameo_linear_grad(float x, float leak) {
  if (x < -3.0f) return leak;
  if (x <= -1.0f) return 1.0f;
  if (x <= 1.0f) return -1.0f;
  if (x <= 3.0f) return 1.0f;
  return leak;
}

HELPER float pow4(float x) { return (x * x) * (x * x); }
HELPER float pow3(float x) { return x * x * x; }

HELPER float ameo_smooth(float x, float leak) {
  if (x <= -3.0f) return -1.0f + leak * (x + 3.0f);
  if (x <= -2.0f) return pow4(x + 3.0f) - 1.0f;
  if (x <= 0.0f) return 1.0f - pow4(x + 1.0f);
  if (x <= 2.0f) return pow4(x - 1.0f) - 1.0f;
  if (x <= 3.0f) return 1.0f - pow4(x - 3.0f);
  return 1.0f + leak * (x - 3.0f);
}

HELPER float ameo_smooth_grad(float x, float leak) {
  if (x <= -3.0f) return leak;
  if (x <= -2.0f) return 4.0f * pow3(x + 3.0f);
  if (x <= 0.0f) return -4.0f * pow3(x + 1.0f);
  if (x <= 2.0f) return 4.0f * pow3(x - 1.0f);
  if (x <= 3.0f) return -4.0f * pow3(x - 3.0f);
  return leak;
}

HELPER float ameo(float x, float factor, float leak) {
  return factor * ameo_linear(x, leak) + (1.0f - factor) * ameo_smooth(x, leak);
}

HELPER float ameo_grad(float x, float factor, float leak) {
  return factor * ameo_linear_grad(x, leak) + (1.0f - factor) * ameo_smooth_grad(x, leak);
}

// One element per work item on a GPU, a plain loop over all N on the CPU.
#if defined(__OPENCL_VERSION__)
#define FOR_EACH_ELEMENT(i) int i = get_global_id(0); if (i < N)
#elif defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define FOR_EACH_ELEMENT(i) int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < N)
#else
#define FOR_EACH_ELEMENT(i) for (int i = 0; i < N; i++)
#endif

#ifdef AMEO_FORWARD
KERNEL ameo_forward(GLOBAL float *out, GLOBAL const float *x) {
  FOR_EACH_ELEMENT(i) out[i] = ameo(x[i], FACTOR, LEAK);
}
#endif

#ifdef AMEO_BACKWARD
KERNEL ameo_backward(GLOBAL float *dx, GLOBAL const float *x, GLOBAL const float *dy) {
  FOR_EACH_ELEMENT(i) dx[i] = ameo_grad(x[i], FACTOR, LEAK) * dy[i];
}
#endif
