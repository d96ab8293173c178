// The interpolated, leaky "Ameo" activation and its derivative: the one source of this function for training.
//
//   A(x) = f * L(x) + (1 - f) * S(x)      f: interpolation factor in [0, 1], leak: slope of the tails
//
// L is piecewise linear, S is made of quartic pieces; both pass through (-3,-1) (-2,0) (-1,1) (0,0) (1,-1) (2,0)
// (3,1), so one set of weights computes the same gate for every f. Beyond |x| = 3 both continue with slope `leak`.
//
// The file is plain C99 that is also valid OpenCL C and CUDA C: train.py compiles it with clang for DEV=CPU,
// hands it to the OpenCL driver for DEV=CL, and to NVRTC for DEV=CUDA. It defines one entry point per build,
// chosen with -D: AMEO_FORWARD (out = A(x)) or AMEO_BACKWARD (dx = A'(x) * dy), elementwise, N of them; or
// CELL_FORWARD and CELL_BACKWARD, one RNN cell over all its timesteps (below). Sizes, FACTOR and LEAK are -D
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

// ---- one cell's whole recurrence in one kernel (train.py's fused path) ----
// For each sequence b, with A the activation above, c_t = concat(x[b, t], s_{t-1}) and s_{-1} = s0[b]:
//   a_t = A(c_t @ W + bias)      NN values: NO outputs, then NS new states
//   s_t = a_t[NO:] + noise[b, t]  (HAS_NOISE; --state-noise)
// Shapes (row-major floats): x (B, T, NX); W (NX + NS, NN): the input's rows, then the state's; bias (NN);
// s0 (B, NS); noise (B, T, NS); out (B, T, NN). B, T, NX, NO, NS are -D constants too. One work item per sequence
// on a GPU, a loop over them on the CPU. Sums run over k innermost, on small local arrays: the compiler vectorizes.
#if defined(CELL_FORWARD) || defined(CELL_BACKWARD)
#define NN (NO + NS)
#define NW (NX + NS)
#define SCRATCH (NS > 0 ? NS : 1)
#define SMALL_W 1024  // floats of W that cell_backward copies, transposed, to private memory (4 KB)

#if defined(__OPENCL_VERSION__)
#define FOR_EACH_SEQUENCE(b) int b = get_global_id(0); if (b < B)
#elif defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define FOR_EACH_SEQUENCE(b) int b = blockIdx.x * blockDim.x + threadIdx.x; if (b < B)
#else
#define FOR_EACH_SEQUENCE(b) for (int b = 0; b < B; b++)
#endif

#if HAS_NOISE
#define NOISE(b, t, j) noise[((b) * T + (t)) * NS + (j)]
#define NOISE_PARAM , GLOBAL const float *noise
#define NOISE_ARG , noise
#else
#define NOISE(b, t, j) 0.0f
#define NOISE_PARAM
#define NOISE_ARG
#endif

// The forward steps of sequence b: a_t into act (T, NN) when act is not 0; for the backward, pre-activations into
// pre (T, NN) and s_{t-1} into prev (T, NS) when they are not 0.
HELPER void cell_steps(int b, GLOBAL float *act, GLOBAL float *pre, GLOBAL float *prev, GLOBAL const float *x,
                       GLOBAL const float *w, GLOBAL const float *bias, GLOBAL const float *s0 NOISE_PARAM) {
  float c[NW], z[NN], a[NN];
  for (int j = 0; j < NS; j++) c[NX + j] = s0[b * NS + j];
  for (int t = 0; t < T; t++) {
    for (int i = 0; i < NX; i++) c[i] = x[(b * T + t) * NX + i];
    for (int k = 0; k < NN; k++) z[k] = bias[k];
    for (int i = 0; i < NW; i++)
      for (int k = 0; k < NN; k++) z[k] += c[i] * w[i * NN + k];
    for (int k = 0; k < NN; k++) a[k] = ameo(z[k], FACTOR, LEAK);
    if (pre)
      for (int k = 0; k < NN; k++) pre[t * NN + k] = z[k];
    if (act)
      for (int k = 0; k < NN; k++) act[t * NN + k] = a[k];
    if (prev)
      for (int j = 0; j < NS; j++) prev[t * NS + j] = c[NX + j];
    for (int j = 0; j < NS; j++) c[NX + j] = a[NO + j] + NOISE(b, t, j);
  }
}

#ifdef CELL_FORWARD
KERNEL cell_forward(GLOBAL float *out, GLOBAL const float *x, GLOBAL const float *w, GLOBAL const float *bias,
                    GLOBAL const float *s0 NOISE_PARAM) {
  FOR_EACH_SEQUENCE(b) cell_steps(b, out + b * T * NN, 0, 0, x, w, bias, s0 NOISE_ARG);
}
#endif

// Backward through time. dy (B, T, NN): the loss's gradient with respect to a_t. Out, per sequence, one row of ROW
// floats: d x (T, NX), d s0 (NS), this sequence's share of the gradients of W (NW, NN) and of bias (NN)
// (kernel.py sums the rows: partial sums keep GPU work items apart), then scratch: s_{t-1} (T, NS) and the
// pre-activations (T, NN). The forward steps are recomputed, not saved: as cheap as the forward, and nothing has to
// outlive the kernel.
#define ROW (T * NX + NS + NW * NN + NN + T * NS + T * NN)
#ifdef CELL_BACKWARD
KERNEL cell_backward(GLOBAL float *out, GLOBAL const float *dy, GLOBAL const float *x, GLOBAL const float *w,
                     GLOBAL const float *bias, GLOBAL const float *s0 NOISE_PARAM) {
  FOR_EACH_SEQUENCE(b) {
    GLOBAL float *dx = out + b * ROW, *ds0 = dx + T * NX, *dw = ds0 + NS, *db = dw + NW * NN;
    GLOBAL float *prev = db + NN, *pre = prev + T * NS;
    cell_steps(b, 0, pre, prev, x, w, bias, s0 NOISE_ARG);
    // Private memory stays O(NW + NN) but for W transposed, kept while it is small (W d then sums over i innermost,
    // which vectorizes): a big cell's arrays would overflow a CPU thread's stack and a GPU's local memory.
    float ds[SCRATCH], d[NN], c[NW], dc[NW];  // ds: d loss / d s_t, from step t + 1
#if NW * NN <= SMALL_W
    float wt[NN * NW];
    for (int i = 0; i < NW; i++)
      for (int k = 0; k < NN; k++) wt[k * NW + i] = w[i * NN + k];
#endif
    for (int j = 0; j < NS; j++) ds[j] = 0.0f;
    for (int i = 0; i < NW * NN; i++) dw[i] = 0.0f;
    for (int k = 0; k < NN; k++) db[k] = 0.0f;
    for (int t = T - 1; t >= 0; t--) {
      for (int k = 0; k < NO; k++) d[k] = dy[(b * T + t) * NN + k];
      for (int j = 0; j < NS; j++) d[NO + j] = dy[(b * T + t) * NN + NO + j] + ds[j];
      for (int k = 0; k < NN; k++) d[k] *= ameo_grad(pre[t * NN + k], FACTOR, LEAK);
      for (int k = 0; k < NN; k++) db[k] += d[k];
      for (int i = 0; i < NX; i++) c[i] = x[(b * T + t) * NX + i];
      for (int j = 0; j < NS; j++) c[NX + j] = prev[t * NS + j];
      for (int i = 0; i < NW; i++)
        for (int k = 0; k < NN; k++) dw[i * NN + k] += c[i] * d[k];
#if NW * NN <= SMALL_W
      for (int i = 0; i < NW; i++) dc[i] = 0.0f;
      for (int k = 0; k < NN; k++)
        for (int i = 0; i < NW; i++) dc[i] += d[k] * wt[k * NW + i];
#else
      for (int i = 0; i < NW; i++) {
        float v = 0.0f;
        for (int k = 0; k < NN; k++) v += d[k] * w[i * NN + k];
        dc[i] = v;
      }
#endif
      for (int i = 0; i < NX; i++) dx[t * NX + i] = dc[i];
      for (int j = 0; j < NS; j++) ds[j] = dc[NX + j];
    }
    for (int j = 0; j < NS; j++) ds0[j] = ds[j];
  }
}
#endif
#endif  // CELL_FORWARD || CELL_BACKWARD
