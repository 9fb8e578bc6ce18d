/*
 * fake_nvml.c: a scenario-driven stand-in for NVIDIA's libnvidia-ml.so.1, for tests on machines
 * without a GPU. It exports a subset of NVML's C ABI (versioned export names, exact struct layouts)
 * plus three test hooks. Behaviour comes from a scenario (tests/fake_nvml/README.md): a file named
 * by FAKE_NVML_SCENARIO, read at the first nvmlInit and again after a full shutdown, then the env
 * overrides FAKE_NVML_GPU_COUNT, FAKE_NVML_FAIL and FAKE_NVML_CLOCK.
 *
 * Time model: "scenario time" is either seconds since the first successful init (CLOCK_MONOTONIC)
 * or, with clock=manual, a value only fakeNvmlSetTimeSeconds moves. It is kept in whole
 * nanoseconds. Power traces are integrated in closed form with time in milliseconds, so watts
 * times milliseconds gives millijoules directly.
 *
 * Layouts follow nvml.h for x86_64/aarch64 LP64 and are pinned by static assertions below.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------------------------ */
/* NVML types                                                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef int nvmlReturn_t;

enum {
  NVML_SUCCESS = 0,
  NVML_ERROR_UNINITIALIZED = 1,
  NVML_ERROR_INVALID_ARGUMENT = 2,
  NVML_ERROR_NOT_SUPPORTED = 3,
  NVML_ERROR_NOT_FOUND = 6,
  NVML_ERROR_INSUFFICIENT_SIZE = 7,
  NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
  NVML_ERROR_UNKNOWN = 999,
};

/* The opaque device handle: callers only ever see pointers into g_devices. */
struct fake_device {
  unsigned index;
};
typedef struct fake_device *nvmlDevice_t;

typedef struct {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
} nvmlMemory_t;

typedef struct {
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
} nvmlMemory_v2_t;

typedef struct {
  unsigned int gpu;
  unsigned int memory;
} nvmlUtilization_t;

typedef struct {
  unsigned int version;
  int sensorType;
  int temperature;
} nvmlTemperature_v1_t;

typedef union {
  double dVal;
  int siVal;
  unsigned int uiVal;
  unsigned long ulVal;
  unsigned long long ullVal;
  signed long long sllVal;
  unsigned short usVal;
} nvmlValue_t;

typedef struct {
  unsigned int fieldId;
  unsigned int scopeId;
  long long timestamp;
  long long latencyUsec;
  int valueType;
  nvmlReturn_t nvmlReturn;
  nvmlValue_t value;
} nvmlFieldValue_t;

typedef struct {
  char busIdLegacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[32];
} nvmlPciInfo_t;

typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
} nvmlProcessInfo_t;

_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t");
_Static_assert(sizeof(nvmlMemory_v2_t) == 40, "nvmlMemory_v2_t");
_Static_assert(offsetof(nvmlMemory_v2_t, total) == 8, "nvmlMemory_v2_t.total");
_Static_assert(offsetof(nvmlMemory_v2_t, reserved) == 16, "nvmlMemory_v2_t.reserved");
_Static_assert(offsetof(nvmlMemory_v2_t, free) == 24, "nvmlMemory_v2_t.free");
_Static_assert(offsetof(nvmlMemory_v2_t, used) == 32, "nvmlMemory_v2_t.used");
_Static_assert(sizeof(nvmlUtilization_t) == 8, "nvmlUtilization_t");
_Static_assert(sizeof(nvmlTemperature_v1_t) == 12, "nvmlTemperature_v1_t");
_Static_assert(sizeof(nvmlValue_t) == 8, "nvmlValue_t");
_Static_assert(sizeof(nvmlFieldValue_t) == 40, "nvmlFieldValue_t");
_Static_assert(offsetof(nvmlFieldValue_t, timestamp) == 8, "nvmlFieldValue_t.timestamp");
_Static_assert(offsetof(nvmlFieldValue_t, latencyUsec) == 16, "nvmlFieldValue_t.latencyUsec");
_Static_assert(offsetof(nvmlFieldValue_t, valueType) == 24, "nvmlFieldValue_t.valueType");
_Static_assert(offsetof(nvmlFieldValue_t, nvmlReturn) == 28, "nvmlFieldValue_t.nvmlReturn");
_Static_assert(offsetof(nvmlFieldValue_t, value) == 32, "nvmlFieldValue_t.value");
_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t");
_Static_assert(offsetof(nvmlPciInfo_t, domain) == 16, "nvmlPciInfo_t.domain");
_Static_assert(offsetof(nvmlPciInfo_t, pciSubSystemId) == 32, "nvmlPciInfo_t.pciSubSystemId");
_Static_assert(offsetof(nvmlPciInfo_t, busId) == 36, "nvmlPciInfo_t.busId");
_Static_assert(sizeof(nvmlProcessInfo_t) == 24, "nvmlProcessInfo_t");
_Static_assert(offsetof(nvmlProcessInfo_t, usedGpuMemory) == 8, "nvmlProcessInfo_t.usedGpuMemory");
_Static_assert(offsetof(nvmlProcessInfo_t, gpuInstanceId) == 16, "nvmlProcessInfo_t.gpuInstanceId");

#define NVML_MEMORY_V2_VERSION 0x02000028u
#define NVML_TEMPERATURE_V1_VERSION 0x0100000Cu

#define FI_TOTAL_ENERGY_CONSUMPTION 83
#define FI_POWER_AVERAGE 185
#define FI_POWER_INSTANT 186
#define FI_ENERGY 191

#define VALUE_TYPE_UNSIGNED_INT 1
#define VALUE_TYPE_UNSIGNED_LONG_LONG 3

/* ------------------------------------------------------------------------------------------ */
/* Function table (for call counting and fault injection)                                     */
/* ------------------------------------------------------------------------------------------ */

#define FAKE_FUNCTIONS(X)                      \
  X(nvmlInit_v2)                               \
  X(nvmlInitWithFlags)                         \
  X(nvmlShutdown)                              \
  X(nvmlSystemGetDriverVersion)                \
  X(nvmlSystemGetCudaDriverVersion)            \
  X(nvmlDeviceGetCount_v2)                     \
  X(nvmlDeviceGetHandleByIndex_v2)             \
  X(nvmlDeviceGetHandleByUUID)                 \
  X(nvmlDeviceGetIndex)                        \
  X(nvmlDeviceGetName)                         \
  X(nvmlDeviceGetUUID)                         \
  X(nvmlDeviceGetPciInfo_v3)                   \
  X(nvmlDeviceGetCudaComputeCapability)        \
  X(nvmlDeviceGetArchitecture)                 \
  X(nvmlDeviceGetMigMode)                      \
  X(nvmlDeviceGetPersistenceMode)              \
  X(nvmlDeviceGetTotalEnergyConsumption)       \
  X(nvmlDeviceGetPowerUsage)                   \
  X(nvmlDeviceGetPowerManagementLimit)         \
  X(nvmlDeviceGetEnforcedPowerLimit)           \
  X(nvmlDeviceGetFieldValues)                  \
  X(nvmlDeviceGetTemperature)                  \
  X(nvmlDeviceGetTemperatureV)                 \
  X(nvmlDeviceGetMemoryInfo)                   \
  X(nvmlDeviceGetMemoryInfo_v2)                \
  X(nvmlDeviceGetUtilizationRates)             \
  X(nvmlDeviceGetClockInfo)                    \
  X(nvmlDeviceGetCurrentClocksEventReasons)    \
  X(nvmlDeviceGetCurrentClocksThrottleReasons) \
  X(nvmlDeviceGetComputeRunningProcesses_v3)   \
  X(nvmlErrorString)

#define AS_ENUM(name) FN_##name,
enum fn_id { FAKE_FUNCTIONS(AS_ENUM) FN_COUNT };
#undef AS_ENUM

#define AS_STRING(name) #name,
static const char *const fn_names[FN_COUNT] = {FAKE_FUNCTIONS(AS_STRING)};
#undef AS_STRING

/* ------------------------------------------------------------------------------------------ */
/* Scenario                                                                                    */
/* ------------------------------------------------------------------------------------------ */

#define MAX_GPUS 16
#define MAX_POINTS 1024
#define MAX_INTERVALS 64
#define MAX_PROCESSES 64
#define MAX_FAIL_SPECS 32
#define ERR_LEN 512

enum trace_kind { TRACE_CONST, TRACE_POINTS, TRACE_SQUARE };

/* A value over scenario time. Times are milliseconds. */
struct trace {
  int kind;
  double value;         /* const */
  int n;                /* points: count, times (ms, non-decreasing), values, */
  double t[MAX_POINTS]; /* and cum[i] = integral from t[0] to t[i] */
  double v[MAX_POINTS];
  double cum[MAX_POINTS];
  double low, high;     /* square */
  double period;        /* ms */
  double high_len;      /* ms of HIGH at the start of each period */
};

struct interval {
  double start_ms, end_ms;
  unsigned long long mask;
};

struct process {
  unsigned pid;
  unsigned long long used_mib;
};

struct gpu {
  char name[96];
  char uuid[80];
  char bus_id[32];
  unsigned domain, bus, device, function;
  unsigned long long memory_total_mib, memory_used_mib, memory_reserved_mib;
  int cc_major, cc_minor;
  unsigned power_limit_mw, enforced_power_limit_mw;
  int persistence;
  unsigned mig;
  int energy_supported;
  unsigned long long energy_offset_mj;
  struct trace power;
  struct trace temperature;
  unsigned sm_clock_mhz, mem_clock_mhz;
  unsigned utilization_gpu, utilization_memory;
  int n_throttle;
  struct interval throttle[MAX_INTERVALS];
  int n_processes;
  struct process processes[MAX_PROCESSES];
};

struct fail_spec {
  int fn; /* enum fn_id, or -1 for "*" */
  int code;
  unsigned long long from, until;
  int gpu; /* -1: any */
};

struct config {
  int gpu_count;
  char driver_version[80];
  int cuda_version;
  int clock_manual;
  unsigned energy_update_ms;
  int power_average;
  int n_fail;
  struct fail_spec fail[MAX_FAIL_SPECS];
  struct gpu gpu[MAX_GPUS];
};

/* ------------------------------------------------------------------------------------------ */
/* Global state (all guarded by g_lock)                                                        */
/* ------------------------------------------------------------------------------------------ */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct config g_cfg;     /* the active scenario */
static struct config g_scratch; /* a scenario being read; too big for a thread's stack */
static struct fake_device g_devices[MAX_GPUS];
static int g_refcount;
static unsigned long long g_calls[FN_COUNT];
static unsigned long long g_calls_total; /* every call except nvmlErrorString */
static int g_origin_set;
static struct timespec g_origin;
static long long g_manual_ns;

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */
/* ------------------------------------------------------------------------------------------ */

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) {
    s[--n] = '\0';
  }
  return s;
}

/* Splits s in place at every sep (empty parts kept). Returns the part count, or -1 past max. */
static int split(char *s, char sep, char **parts, int max) {
  int n = 0;
  for (;;) {
    if (n == max) return -1;
    parts[n++] = s;
    char *p = strchr(s, sep);
    if (!p) break;
    *p = '\0';
    s = p + 1;
  }
  for (int i = 0; i < n; i++) parts[i] = trim(parts[i]);
  return n;
}

static int count_char(const char *s, char c) {
  int n = 0;
  for (; *s; s++) n += (*s == c);
  return n;
}

static int parse_double(const char *s, double *out) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno != 0 || *end != '\0' || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

/* Decimal, or hexadecimal with a 0x prefix. No sign. */
static int parse_u64(const char *s, unsigned long long *out) {
  if (!*s || *s == '-' || *s == '+' || *s == ' ') return -1;
  int base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
    if (!*s || *s == '-' || *s == '+') return -1;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, base);
  if (errno != 0 || *end != '\0') return -1;
  *out = v;
  return 0;
}

static int parse_u64_range(const char *s, unsigned long long lo, unsigned long long hi,
                           unsigned long long *out) {
  unsigned long long v;
  if (parse_u64(s, &v) != 0 || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int parse_uint_range(const char *s, unsigned lo, unsigned hi, unsigned *out) {
  unsigned long long v;
  if (parse_u64_range(s, lo, hi, &v) != 0) return -1;
  *out = (unsigned)v;
  return 0;
}

/* Seconds to milliseconds, kept to whole nanoseconds so decimal inputs land on exact values. */
static int parse_seconds_ms(const char *s, double *ms) {
  double v;
  if (parse_double(s, &v) != 0 || fabs(v) > 1e9) return -1;
  *ms = (double)llround(v * 1e9) / 1e6;
  return 0;
}

static int copy_string(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) return -1;
  memcpy(dst, src, n + 1);
  return 0;
}

static unsigned long long splitmix64(unsigned long long *state) {
  unsigned long long z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* ------------------------------------------------------------------------------------------ */
/* Traces                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void trace_const(struct trace *tr, double value) {
  tr->kind = TRACE_CONST;
  tr->value = value;
  tr->n = 0;
}

static void points_finish(struct trace *tr) {
  tr->kind = TRACE_POINTS;
  tr->cum[0] = 0.0;
  for (int i = 0; i + 1 < tr->n; i++) {
    tr->cum[i + 1] = tr->cum[i] + (tr->t[i + 1] - tr->t[i]) * (tr->v[i] + tr->v[i + 1]) / 2.0;
  }
}

/* Index of the last point with t[i] <= x; requires x >= t[0]. */
static int points_segment(const struct trace *tr, double x) {
  int lo = 0, hi = tr->n - 1;
  while (lo < hi) {
    int mid = lo + (hi - lo + 1) / 2;
    if (tr->t[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

static double points_value(const struct trace *tr, double x) {
  if (x < tr->t[0]) return tr->v[0];
  int i = points_segment(tr, x);
  if (i == tr->n - 1) return tr->v[i];
  double dt = x - tr->t[i];
  return tr->v[i] + (tr->v[i + 1] - tr->v[i]) * dt / (tr->t[i + 1] - tr->t[i]);
}

/* An antiderivative: the integral from t[0] to x (negative for x < t[0]). */
static double points_antiderivative(const struct trace *tr, double x) {
  if (x < tr->t[0]) return tr->v[0] * (x - tr->t[0]);
  int i = points_segment(tr, x);
  double dt = x - tr->t[i];
  if (i == tr->n - 1) return tr->cum[i] + tr->v[i] * dt;
  double vx = tr->v[i] + (tr->v[i + 1] - tr->v[i]) * dt / (tr->t[i + 1] - tr->t[i]);
  return tr->cum[i] + dt * (tr->v[i] + vx) / 2.0;
}

static double square_phase(const struct trace *tr, double x, double *periods) {
  double n = floor(x / tr->period);
  double r = x - n * tr->period;
  if (r < 0) r = 0;
  if (r > tr->period) r = tr->period;
  *periods = n;
  return r;
}

static double trace_value(const struct trace *tr, double x_ms) {
  switch (tr->kind) {
    case TRACE_POINTS:
      return points_value(tr, x_ms);
    case TRACE_SQUARE: {
      double n;
      double r = square_phase(tr, x_ms, &n);
      return r < tr->high_len ? tr->high : tr->low;
    }
    default:
      return tr->value;
  }
}

/* The exact integral of the trace from time 0 to x_ms (value unit times milliseconds). */
static double trace_integral(const struct trace *tr, double x_ms) {
  switch (tr->kind) {
    case TRACE_POINTS:
      return points_antiderivative(tr, x_ms) - points_antiderivative(tr, 0.0);
    case TRACE_SQUARE: {
      double n;
      double r = square_phase(tr, x_ms, &n);
      double per_period = tr->high * tr->high_len + tr->low * (tr->period - tr->high_len);
      double partial = tr->high * fmin(r, tr->high_len) + tr->low * fmax(0.0, r - tr->high_len);
      return n * per_period + partial;
    }
    default:
      return tr->value * x_ms;
  }
}

static int parse_trace_value(const char *s, int nonnegative, double *out) {
  double v;
  if (parse_double(s, &v) != 0) return -1;
  if (nonnegative && v < 0) return -1;
  *out = v;
  return 0;
}

#define TRACE_SYNTAX \
  "const:V | points:T0:V0,T1:V1,... | square:LOW:HIGH:PERIOD_S[:DUTY] | ramp:FROM:TO:DURATION_S"

static int parse_trace(const char *value, int nonnegative, struct trace *tr, char *err, size_t errlen) {
  const char *what = nonnegative ? "a number >= 0" : "a number";
  char *copy = strdup(value);
  if (!copy) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  int rc = -1;
  char *colon = strchr(copy, ':');
  if (!colon) {
    snprintf(err, errlen, "expected %s", TRACE_SYNTAX);
    goto done;
  }
  *colon = '\0';
  char *kind = trim(copy);
  char *rest = colon + 1;

  if (strcmp(kind, "const") == 0) {
    double v;
    if (parse_trace_value(trim(rest), nonnegative, &v) != 0) {
      snprintf(err, errlen, "const:V needs V to be %s", what);
      goto done;
    }
    trace_const(tr, v);
    rc = 0;
  } else if (strcmp(kind, "points") == 0) {
    int n = count_char(rest, ',') + 1;
    if (n > MAX_POINTS) {
      snprintf(err, errlen, "too many points (%d, at most %d)", n, MAX_POINTS);
      goto done;
    }
    char **parts = malloc(sizeof(char *) * (size_t)n);
    if (!parts) {
      snprintf(err, errlen, "out of memory");
      goto done;
    }
    split(rest, ',', parts, n);
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
      char *tv[3];
      if (split(parts[i], ':', tv, 2) != 2 || parse_seconds_ms(tv[0], &tr->t[i]) != 0 ||
          parse_trace_value(tv[1], nonnegative, &tr->v[i]) != 0) {
        snprintf(err, errlen, "point %d: expected T:V (T seconds, V %s)", i + 1, what);
        ok = 0;
      } else if (i > 0 && tr->t[i] < tr->t[i - 1]) {
        snprintf(err, errlen, "point %d: times must not decrease", i + 1);
        ok = 0;
      }
    }
    free(parts);
    if (!ok) goto done;
    tr->n = n;
    points_finish(tr);
    rc = 0;
  } else if (strcmp(kind, "square") == 0) {
    char *p[5];
    int n = split(rest, ':', p, 4);
    double low, high, period, duty = 0.5;
    if (n < 3 || parse_trace_value(p[0], nonnegative, &low) != 0 ||
        parse_trace_value(p[1], nonnegative, &high) != 0 || parse_seconds_ms(p[2], &period) != 0 ||
        period <= 0 || (n == 4 && (parse_double(p[3], &duty) != 0 || duty < 0 || duty > 1))) {
      snprintf(err, errlen, "expected square:LOW:HIGH:PERIOD_S[:DUTY] (PERIOD_S > 0, 0 <= DUTY <= 1)");
      goto done;
    }
    tr->kind = TRACE_SQUARE;
    tr->low = low;
    tr->high = high;
    tr->period = period;
    tr->high_len = period * duty;
    tr->n = 0;
    rc = 0;
  } else if (strcmp(kind, "ramp") == 0) {
    char *p[4];
    double from, to, duration;
    if (split(rest, ':', p, 3) != 3 || parse_trace_value(p[0], nonnegative, &from) != 0 ||
        parse_trace_value(p[1], nonnegative, &to) != 0 || parse_seconds_ms(p[2], &duration) != 0 ||
        duration <= 0) {
      snprintf(err, errlen, "expected ramp:FROM:TO:DURATION_S (DURATION_S > 0)");
      goto done;
    }
    tr->n = 2;
    tr->t[0] = 0.0;
    tr->v[0] = from;
    tr->t[1] = duration;
    tr->v[1] = to;
    points_finish(tr);
    rc = 0;
  } else {
    snprintf(err, errlen, "unknown trace kind '%s'; expected %s", kind, TRACE_SYNTAX);
  }
done:
  free(copy);
  return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Other scenario values                                                                       */
/* ------------------------------------------------------------------------------------------ */

static int parse_throttle(const char *value, struct gpu *g, char *err, size_t errlen) {
  char *copy = strdup(value);
  if (!copy) return -1;
  g->n_throttle = 0;
  int rc = 0;
  char *text = trim(copy);
  if (*text != '\0') {
    char *items[MAX_INTERVALS + 1];
    int n = split(text, ',', items, MAX_INTERVALS);
    if (n < 0) {
      snprintf(err, errlen, "too many intervals (at most %d)", MAX_INTERVALS);
      rc = -1;
    }
    for (int i = 0; i < n && rc == 0; i++) {
      char *range_mask[3], *start_end[3];
      struct interval *iv = &g->throttle[i];
      if (split(items[i], ':', range_mask, 2) != 2 ||
          split(range_mask[0], '-', start_end, 2) != 2 ||
          parse_seconds_ms(start_end[0], &iv->start_ms) != 0 ||
          parse_seconds_ms(start_end[1], &iv->end_ms) != 0 || iv->start_ms < 0 ||
          iv->end_ms < iv->start_ms || parse_u64(range_mask[1], &iv->mask) != 0) {
        snprintf(err, errlen, "interval %d: expected START-END:MASK (seconds, END >= START >= 0, "
                 "MASK decimal or 0x hex)", i + 1);
        rc = -1;
      }
    }
    if (rc == 0) g->n_throttle = n;
  }
  free(copy);
  return rc;
}

static int parse_processes(const char *value, struct gpu *g, char *err, size_t errlen) {
  char *copy = strdup(value);
  if (!copy) return -1;
  g->n_processes = 0;
  int rc = 0;
  char *text = trim(copy);
  if (*text != '\0') {
    char *items[MAX_PROCESSES + 1];
    int n = split(text, ',', items, MAX_PROCESSES);
    if (n < 0) {
      snprintf(err, errlen, "too many processes (at most %d)", MAX_PROCESSES);
      rc = -1;
    }
    for (int i = 0; i < n && rc == 0; i++) {
      char *pm[3];
      if (split(items[i], ':', pm, 2) != 2 ||
          parse_uint_range(pm[0], 1, UINT_MAX, &g->processes[i].pid) != 0 ||
          parse_u64_range(pm[1], 0, 1ull << 40, &g->processes[i].used_mib) != 0) {
        snprintf(err, errlen, "process %d: expected PID:USED_MIB", i + 1);
        rc = -1;
      }
    }
    if (rc == 0) g->n_processes = n;
  }
  free(copy);
  return rc;
}

static int parse_bus_id(const char *value, struct gpu *g) {
  unsigned domain, bus, device, function;
  int used = -1;
  if (strspn(value, "0123456789abcdefABCDEF:.") != strlen(value)) return -1;
  if (sscanf(value, "%x:%x:%x.%x%n", &domain, &bus, &device, &function, &used) != 4 ||
      used != (int)strlen(value) || bus > 0xFF || device > 0x1F || function > 7) {
    return -1;
  }
  g->domain = domain;
  g->bus = bus;
  g->device = device;
  g->function = function;
  snprintf(g->bus_id, sizeof g->bus_id, "%08X:%02X:%02X.%X", domain, bus, device, function);
  return 0;
}

static const struct {
  int code;
  const char *name;
  const char *text;
} g_errors[] = {
    {0, "SUCCESS", "Success"},
    {1, "ERROR_UNINITIALIZED", "Uninitialized"},
    {2, "ERROR_INVALID_ARGUMENT", "Invalid Argument"},
    {3, "ERROR_NOT_SUPPORTED", "Not Supported"},
    {4, "ERROR_NO_PERMISSION", "Insufficient Permissions"},
    {5, "ERROR_ALREADY_INITIALIZED", "Already Initialized"},
    {6, "ERROR_NOT_FOUND", "Not Found"},
    {7, "ERROR_INSUFFICIENT_SIZE", "Insufficient Size"},
    {8, "ERROR_INSUFFICIENT_POWER", "Insufficient External Power"},
    {9, "ERROR_DRIVER_NOT_LOADED", "Driver Not Loaded"},
    {10, "ERROR_TIMEOUT", "Timeout"},
    {11, "ERROR_IRQ_ISSUE", "Interrupt Request Issue"},
    {12, "ERROR_LIBRARY_NOT_FOUND", "NVML Shared Library Not Found"},
    {13, "ERROR_FUNCTION_NOT_FOUND", "Function Not Found"},
    {14, "ERROR_CORRUPTED_INFOROM", "Corrupted infoROM"},
    {15, "ERROR_GPU_IS_LOST", "GPU is lost"},
    {16, "ERROR_RESET_REQUIRED", "GPU requires restart"},
    {17, "ERROR_OPERATING_SYSTEM", "The operating system has blocked the request."},
    {18, "ERROR_LIB_RM_VERSION_MISMATCH", "RM has detected an NVML/RM version mismatch."},
    {19, "ERROR_IN_USE", "The GPU is currently in use"},
    {20, "ERROR_MEMORY", "Insufficient Memory"},
    {21, "ERROR_NO_DATA", "No data"},
    {22, "ERROR_VGPU_ECC_NOT_SUPPORTED", "Requested vgpu operation not available with ECC enabled"},
    {23, "ERROR_INSUFFICIENT_RESOURCES", "Insufficient Resources"},
    {24, "ERROR_FREQ_NOT_SUPPORTED", "Frequency not supported"},
    {25, "ERROR_ARGUMENT_VERSION_MISMATCH", "Argument version mismatch"},
    {26, "ERROR_DEPRECATED", "Deprecated"},
    {27, "ERROR_NOT_READY", "Not Ready"},
    {28, "ERROR_GPU_NOT_FOUND", "GPU Not Found"},
    {29, "ERROR_INVALID_STATE", "Invalid State"},
    {30, "ERROR_RESET_TYPE_NOT_SUPPORTED", "Reset type not supported"},
    {999, "ERROR_UNKNOWN", "Unknown Error"},
};
#define N_ERRORS ((int)(sizeof g_errors / sizeof g_errors[0]))

/* A return code by number (1..999) or name: GPU_IS_LOST, ERROR_GPU_IS_LOST, NVML_ERROR_GPU_IS_LOST. */
static int parse_code(const char *s, int *out) {
  unsigned v;
  if (parse_uint_range(s, 1, 999, &v) == 0) {
    *out = (int)v;
    return 0;
  }
  if (strncmp(s, "NVML_", 5) == 0) s += 5;
  if (strncmp(s, "ERROR_", 6) == 0) s += 6;
  for (int i = 1; i < N_ERRORS; i++) {
    if (strcmp(s, g_errors[i].name + 6) == 0) {
      *out = g_errors[i].code;
      return 0;
    }
  }
  return -1;
}

static int parse_fail(const char *value, struct config *c, char *err, size_t errlen) {
  char *copy = strdup(value);
  if (!copy) return -1;
  int rc = 0;
  c->n_fail = 0;
  int n_items = count_char(copy, ';') + 1;
  char **items = malloc(sizeof(char *) * (size_t)n_items);
  if (!items) {
    free(copy);
    return -1;
  }
  split(copy, ';', items, n_items);
  for (int i = 0; i < n_items && rc == 0; i++) {
    if (*items[i] == '\0') continue;
    if (c->n_fail == MAX_FAIL_SPECS) {
      snprintf(err, errlen, "too many specs (at most %d)", MAX_FAIL_SPECS);
      rc = -1;
      break;
    }
    char *p[6];
    int n = split(items[i], ':', p, 5);
    struct fail_spec *f = &c->fail[c->n_fail];
    f->fn = -2;
    f->from = 1;
    f->until = ULLONG_MAX;
    f->gpu = -1;
    if (n < 2) {
      snprintf(err, errlen, "spec '%s': expected FUNCTION:CODE[:from=N][:until=M][:gpu=I]", items[i]);
      rc = -1;
      break;
    }
    if (strcmp(p[0], "*") == 0) f->fn = -1;
    for (int k = 0; k < FN_COUNT; k++) {
      if (k != FN_nvmlErrorString && strcmp(p[0], fn_names[k]) == 0) f->fn = k;
    }
    if (f->fn == -2) {
      snprintf(err, errlen, "spec %d: unknown function '%s' (an exported NVML name returning "
               "nvmlReturn_t, or *)", i + 1, p[0]);
      rc = -1;
      break;
    }
    if (parse_code(p[1], &f->code) != 0) {
      snprintf(err, errlen, "spec %d: bad code '%s' (1..999 or a name like GPU_IS_LOST)", i + 1, p[1]);
      rc = -1;
      break;
    }
    for (int k = 2; k < n && rc == 0; k++) {
      unsigned long long v;
      if (strncmp(p[k], "from=", 5) == 0 && parse_u64_range(p[k] + 5, 1, ULLONG_MAX, &v) == 0) {
        f->from = v;
      } else if (strncmp(p[k], "until=", 6) == 0 && parse_u64_range(p[k] + 6, 1, ULLONG_MAX, &v) == 0) {
        f->until = v;
      } else if (strncmp(p[k], "gpu=", 4) == 0 &&
                 parse_u64_range(p[k] + 4, 0, MAX_GPUS - 1, &v) == 0) {
        f->gpu = (int)v;
      } else {
        snprintf(err, errlen, "spec %d: bad option '%s' (from=N, until=M, gpu=0..%d)", i + 1, p[k],
                 MAX_GPUS - 1);
        rc = -1;
      }
    }
    if (rc == 0 && f->until < f->from) {
      snprintf(err, errlen, "spec %d: until must be >= from", i + 1);
      rc = -1;
    }
    if (rc == 0) c->n_fail++;
  }
  free(items);
  free(copy);
  return rc;
}

static void set_defaults(struct config *c) {
  memset(c, 0, sizeof *c);
  c->gpu_count = 1;
  copy_string(c->driver_version, sizeof c->driver_version, "580.65.06");
  c->cuda_version = 13000;
  c->clock_manual = 0;
  c->energy_update_ms = 10;
  c->power_average = 1; /* H100-like: GetPowerUsage is a 1 s average */
  for (int i = 0; i < MAX_GPUS; i++) {
    struct gpu *g = &c->gpu[i];
    copy_string(g->name, sizeof g->name, "NVIDIA H100 80GB HBM3");
    unsigned long long state = 0x6E766D6C00000000ull + (unsigned long long)i;
    unsigned long long a = splitmix64(&state), b = splitmix64(&state);
    snprintf(g->uuid, sizeof g->uuid, "GPU-%08llx-%04llx-%04llx-%04llx-%012llx", a >> 32,
             (a >> 16) & 0xFFFF, 0x4000 | (a & 0x0FFF), 0x8000 | ((b >> 48) & 0x3FFF),
             b & 0xFFFFFFFFFFFFull);
    char bus[32];
    snprintf(bus, sizeof bus, "00000000:%02X:00.0", (unsigned)(i + 1));
    parse_bus_id(bus, g);
    g->memory_total_mib = 81559;
    g->memory_used_mib = 0;
    g->memory_reserved_mib = 500;
    g->cc_major = 9;
    g->cc_minor = 0;
    g->power_limit_mw = 700000;
    g->enforced_power_limit_mw = 700000;
    g->persistence = 1;
    g->mig = 0;
    g->energy_supported = 1;
    g->energy_offset_mj = 1000000ull * (unsigned long long)(i + 1);
    trace_const(&g->power, 70.0);
    trace_const(&g->temperature, 35.0);
    g->sm_clock_mhz = 1980;
    g->mem_clock_mhz = 2619;
  }
}

static int parse_watts_mw(const char *s, unsigned *mw) {
  double w;
  if (parse_double(s, &w) != 0 || w < 0 || w * 1000.0 > (double)UINT_MAX) return -1;
  *mw = (unsigned)llround(w * 1000.0);
  return 0;
}

enum { KEY_OK = 0, KEY_UNKNOWN = 1, KEY_BAD = 2 };

#define BAD(...)                          \
  do {                                    \
    snprintf(err, errlen, __VA_ARGS__);   \
    return KEY_BAD;                       \
  } while (0)

static int apply_gpu_key(struct gpu *g, const char *key, const char *value, char *err, size_t errlen) {
  unsigned u;
  if (strcmp(key, "name") == 0) {
    if (!*value || copy_string(g->name, sizeof g->name, value) != 0) BAD("expected 1..95 characters");
  } else if (strcmp(key, "uuid") == 0) {
    if (!*value || copy_string(g->uuid, sizeof g->uuid, value) != 0) BAD("expected 1..79 characters");
  } else if (strcmp(key, "pci_bus_id") == 0) {
    if (parse_bus_id(value, g) != 0) BAD("expected DOMAIN:BUS:DEVICE.FUNCTION in hex, e.g. 00000000:1B:00.0");
  } else if (strcmp(key, "memory_total_mib") == 0) {
    if (parse_u64_range(value, 0, 1ull << 40, &g->memory_total_mib) != 0) BAD("expected an integer MiB");
  } else if (strcmp(key, "memory_used_mib") == 0) {
    if (parse_u64_range(value, 0, 1ull << 40, &g->memory_used_mib) != 0) BAD("expected an integer MiB");
  } else if (strcmp(key, "memory_reserved_mib") == 0) {
    if (parse_u64_range(value, 0, 1ull << 40, &g->memory_reserved_mib) != 0) BAD("expected an integer MiB");
  } else if (strcmp(key, "compute_capability") == 0) {
    int major, minor, used = -1;
    if (sscanf(value, "%d.%d%n", &major, &minor, &used) != 2 || used != (int)strlen(value) ||
        major < 0 || minor < 0 || value[0] == '+' || value[0] == ' ') {
      BAD("expected MAJOR.MINOR, e.g. 9.0");
    }
    g->cc_major = major;
    g->cc_minor = minor;
  } else if (strcmp(key, "power_limit_w") == 0) {
    if (parse_watts_mw(value, &g->power_limit_mw) != 0) BAD("expected watts >= 0");
  } else if (strcmp(key, "enforced_power_limit_w") == 0) {
    if (parse_watts_mw(value, &g->enforced_power_limit_mw) != 0) BAD("expected watts >= 0");
  } else if (strcmp(key, "persistence") == 0) {
    if (parse_uint_range(value, 0, 1, &u) != 0) BAD("expected 0 or 1");
    g->persistence = (int)u;
  } else if (strcmp(key, "mig") == 0) {
    if (parse_uint_range(value, 0, 1, &g->mig) != 0) BAD("expected 0 or 1");
  } else if (strcmp(key, "energy_supported") == 0) {
    if (parse_uint_range(value, 0, 1, &u) != 0) BAD("expected 0 or 1");
    g->energy_supported = (int)u;
  } else if (strcmp(key, "energy_offset_mj") == 0) {
    if (parse_u64_range(value, 0, 1ull << 62, &g->energy_offset_mj) != 0) BAD("expected an integer mJ");
  } else if (strcmp(key, "power") == 0) {
    if (parse_trace(value, 1, &g->power, err, errlen) != 0) return KEY_BAD;
  } else if (strcmp(key, "temperature_c") == 0) {
    if (parse_trace(value, 0, &g->temperature, err, errlen) != 0) return KEY_BAD;
  } else if (strcmp(key, "sm_clock_mhz") == 0) {
    if (parse_uint_range(value, 0, 100000, &g->sm_clock_mhz) != 0) BAD("expected an integer MHz");
  } else if (strcmp(key, "mem_clock_mhz") == 0) {
    if (parse_uint_range(value, 0, 100000, &g->mem_clock_mhz) != 0) BAD("expected an integer MHz");
  } else if (strcmp(key, "utilization_gpu") == 0) {
    if (parse_uint_range(value, 0, 100, &g->utilization_gpu) != 0) BAD("expected an integer 0..100");
  } else if (strcmp(key, "utilization_memory") == 0) {
    if (parse_uint_range(value, 0, 100, &g->utilization_memory) != 0) BAD("expected an integer 0..100");
  } else if (strcmp(key, "throttle") == 0) {
    if (parse_throttle(value, g, err, errlen) != 0) return KEY_BAD;
  } else if (strcmp(key, "processes") == 0) {
    if (parse_processes(value, g, err, errlen) != 0) return KEY_BAD;
  } else {
    return KEY_UNKNOWN;
  }
  return KEY_OK;
}

static int apply_key(struct config *c, const char *key, const char *value, char *err, size_t errlen) {
  unsigned u;
  if (strcmp(key, "gpu_count") == 0) {
    if (parse_uint_range(value, 1, MAX_GPUS, &u) != 0) BAD("expected an integer 1..%d", MAX_GPUS);
    c->gpu_count = (int)u;
  } else if (strcmp(key, "driver_version") == 0) {
    if (!*value || copy_string(c->driver_version, sizeof c->driver_version, value) != 0) {
      BAD("expected 1..79 characters");
    }
  } else if (strcmp(key, "cuda_version") == 0) {
    if (parse_uint_range(value, 0, 1000000, &u) != 0) BAD("expected an integer such as 13000");
    c->cuda_version = (int)u;
  } else if (strcmp(key, "clock") == 0) {
    if (strcmp(value, "monotonic") == 0) c->clock_manual = 0;
    else if (strcmp(value, "manual") == 0) c->clock_manual = 1;
    else BAD("expected monotonic or manual");
  } else if (strcmp(key, "energy_update_ms") == 0) {
    if (parse_uint_range(value, 1, 3600000, &c->energy_update_ms) != 0) BAD("expected an integer ms >= 1");
  } else if (strcmp(key, "power_semantics") == 0) {
    if (strcmp(value, "instant") == 0) c->power_average = 0;
    else if (strcmp(value, "average") == 0) c->power_average = 1;
    else BAD("expected instant or average");
  } else if (strcmp(key, "fail") == 0) {
    if (parse_fail(value, c, err, errlen) != 0) return KEY_BAD;
  } else if (strncmp(key, "gpu.", 4) == 0) {
    const char *p = key + 4;
    unsigned index = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) {
      index = index * 10 + (unsigned)(*p - '0');
      p++;
      digits++;
    }
    if (digits == 0 || *p != '.') return KEY_UNKNOWN;
    if (index >= MAX_GPUS) BAD("GPU index %u is out of range 0..%d", index, MAX_GPUS - 1);
    return apply_gpu_key(&c->gpu[index], p + 1, value, err, errlen);
  } else {
    return KEY_UNKNOWN;
  }
  return KEY_OK;
}

#undef BAD

static void report(const char *where, const char *key, const char *msg) {
  if (key) {
    fprintf(stderr, "fake_nvml: %s: key '%s': %s; nvmlInit returns NVML_ERROR_UNKNOWN (999)\n", where, key,
            msg);
  } else {
    fprintf(stderr, "fake_nvml: %s: %s; nvmlInit returns NVML_ERROR_UNKNOWN (999)\n", where, msg);
  }
  fflush(stderr);
}

static int apply_and_report(struct config *c, const char *where, const char *key, const char *value) {
  char err[ERR_LEN] = "";
  int rc = apply_key(c, key, value, err, sizeof err);
  if (rc == KEY_UNKNOWN) {
    char msg[ERR_LEN];
    snprintf(msg, sizeof msg, "unknown key '%s'", key);
    report(where, NULL, msg);
    return -1;
  }
  if (rc == KEY_BAD) {
    char msg[ERR_LEN + 300];
    snprintf(msg, sizeof msg, "bad value '%.200s': %s", value, err);
    report(where, key, msg);
    return -1;
  }
  return 0;
}

static int read_scenario_file(struct config *c, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    char msg[ERR_LEN];
    snprintf(msg, sizeof msg, "cannot open scenario file '%.300s' (FAKE_NVML_SCENARIO): %s", path,
             strerror(errno));
    report("scenario", NULL, msg);
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  int line_no = 0, rc = 0;
  while (rc == 0 && getline(&line, &cap, f) >= 0) {
    line_no++;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *text = trim(line);
    if (*text == '\0') continue;
    char where[400];
    snprintf(where, sizeof where, "%.300s line %d", path, line_no);
    char *eq = strchr(text, '=');
    if (!eq) {
      report(where, NULL, "expected 'key = value'");
      rc = -1;
      break;
    }
    *eq = '\0';
    char *key = trim(text), *value = trim(eq + 1);
    if (*key == '\0') {
      report(where, NULL, "missing key before '='");
      rc = -1;
      break;
    }
    rc = apply_and_report(c, where, key, value);
  }
  free(line);
  fclose(f);
  return rc;
}

static int load_scenario(struct config *c) {
  set_defaults(c);
  const char *path = getenv("FAKE_NVML_SCENARIO");
  if (path && *path && read_scenario_file(c, path) != 0) return -1;
  static const struct {
    const char *env, *key;
  } overrides[] = {
      {"FAKE_NVML_GPU_COUNT", "gpu_count"},
      {"FAKE_NVML_FAIL", "fail"},
      {"FAKE_NVML_CLOCK", "clock"},
  };
  for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++) {
    const char *v = getenv(overrides[i].env);
    if (!v || !*v) continue;
    char *copy = strdup(v);
    if (!copy) return -1;
    char where[64];
    snprintf(where, sizeof where, "environment %s", overrides[i].env);
    int rc = apply_and_report(c, where, overrides[i].key, trim(copy));
    free(copy);
    if (rc != 0) return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Time and derived readings                                                                   */
/* ------------------------------------------------------------------------------------------ */

static long long scenario_ns(void) {
  if (g_cfg.clock_manual) return g_manual_ns;
  if (!g_origin_set) return 0;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long long ns = (long long)(now.tv_sec - g_origin.tv_sec) * 1000000000ll + (now.tv_nsec - g_origin.tv_nsec);
  return ns < 0 ? 0 : ns;
}

static double ns_to_ms(long long ns) { return (double)ns / 1e6; }

static long long realtime_us(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (long long)now.tv_sec * 1000000ll + now.tv_nsec / 1000;
}

static unsigned to_milli_units(double v) {
  double m = v * 1000.0;
  if (!(m > 0)) return 0;
  if (m >= (double)UINT_MAX) return UINT_MAX;
  return (unsigned)llround(m);
}

static unsigned long long energy_counter_mj(const struct gpu *g, long long t_ns) {
  long long period_ns = (long long)g_cfg.energy_update_ms * 1000000ll;
  long long updates = t_ns / period_ns;
  double boundary_ms = (double)(updates * (long long)g_cfg.energy_update_ms);
  double e = trace_integral(&g->power, boundary_ms);
  if (!(e > 0)) e = 0;
  /* The tolerance absorbs double rounding in values that are whole millijoules exactly. */
  return g->energy_offset_mj + (unsigned long long)floor(e + 1e-6);
}

static unsigned power_instant_mw(const struct gpu *g, long long t_ns) {
  return to_milli_units(trace_value(&g->power, ns_to_ms(t_ns)));
}

/* (E(t) - E(max(0, t - 1 s))) / min(1 s, t); the instant value at t = 0. */
static unsigned power_average_mw(const struct gpu *g, long long t_ns) {
  double t = ns_to_ms(t_ns);
  if (t <= 0) return power_instant_mw(g, t_ns);
  double window = t < 1000.0 ? t : 1000.0;
  double watts = (trace_integral(&g->power, t) - trace_integral(&g->power, t - window)) / window;
  return to_milli_units(watts);
}

static unsigned long long clock_event_reasons(const struct gpu *g, long long t_ns) {
  double t = ns_to_ms(t_ns);
  unsigned long long mask = 0;
  int inside = 0;
  for (int i = 0; i < g->n_throttle; i++) {
    if (t >= g->throttle[i].start_ms && t < g->throttle[i].end_ms) {
      inside = 1;
      mask |= g->throttle[i].mask;
    }
  }
  if (inside) return mask;
  return trace_value(&g->power, t) < 100.0 ? 0x1ull : 0x0ull; /* GpuIdle below 100 W */
}

/* ------------------------------------------------------------------------------------------ */
/* Call bookkeeping                                                                            */
/* ------------------------------------------------------------------------------------------ */

static void count_call(enum fn_id f) {
  g_calls[f]++;
  if (f != FN_nvmlErrorString) g_calls_total++;
}

/* The code an active fail spec injects into this call (already counted), or 0. */
static int injected(enum fn_id f, int gpu) {
  for (int i = 0; i < g_cfg.n_fail; i++) {
    const struct fail_spec *s = &g_cfg.fail[i];
    if (s->fn != -1 && s->fn != (int)f) continue;
    if (s->gpu >= 0 && s->gpu != gpu) continue;
    unsigned long long n = s->fn == -1 ? g_calls_total : g_calls[f];
    if (n >= s->from && n <= s->until) return s->code;
  }
  return 0;
}

static int handle_index(nvmlDevice_t h) {
  for (int i = 0; i < g_cfg.gpu_count; i++) {
    if (h == &g_devices[i]) return i;
  }
  return -1;
}

/* For calls without a device: count, then UNINITIALIZED or an injected code, else 0. */
static int enter(enum fn_id f) {
  count_call(f);
  if (g_refcount == 0) return NVML_ERROR_UNINITIALIZED;
  return injected(f, -1);
}

/* For calls on a device handle: as enter(), plus INVALID_ARGUMENT for a bad handle. */
static int enter_device(enum fn_id f, nvmlDevice_t h, const struct gpu **g) {
  count_call(f);
  if (g_refcount == 0) return NVML_ERROR_UNINITIALIZED;
  int i = handle_index(h);
  if (i < 0) return NVML_ERROR_INVALID_ARGUMENT;
  int code = injected(f, i);
  if (code != 0) return code;
  *g = &g_cfg.gpu[i];
  return NVML_SUCCESS;
}

static int out_string(char *dst, unsigned length, const char *src) {
  if (!dst) return NVML_ERROR_INVALID_ARGUMENT;
  size_t n = strlen(src);
  if ((size_t)length < n + 1) return NVML_ERROR_INSUFFICIENT_SIZE;
  memcpy(dst, src, n + 1);
  return NVML_SUCCESS;
}

#define LOCKED(expr)                      \
  do {                                    \
    pthread_mutex_lock(&g_lock);          \
    int locked_rc_ = (expr);              \
    pthread_mutex_unlock(&g_lock);        \
    return locked_rc_;                    \
  } while (0)

#define DEVICE_PROLOGUE(fn, dev)                    \
  const struct gpu *g = NULL;                       \
  int rc = enter_device(FN_##fn, (dev), &g);        \
  if (rc != 0) return rc

/* ------------------------------------------------------------------------------------------ */
/* Init and shutdown                                                                           */
/* ------------------------------------------------------------------------------------------ */

static int do_init(enum fn_id f) {
  count_call(f);
  if (g_refcount == 0) {
    if (load_scenario(&g_scratch) != 0) return NVML_ERROR_UNKNOWN;
    g_cfg = g_scratch;
    for (int i = 0; i < MAX_GPUS; i++) g_devices[i].index = (unsigned)i;
  }
  int code = injected(f, -1);
  if (code != 0) return code;
  if (!g_origin_set) {
    clock_gettime(CLOCK_MONOTONIC, &g_origin);
    g_origin_set = 1;
  }
  g_refcount++;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void) { LOCKED(do_init(FN_nvmlInit_v2)); }

nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
  (void)flags;
  LOCKED(do_init(FN_nvmlInitWithFlags));
}

static int do_shutdown(void) {
  int rc = enter(FN_nvmlShutdown);
  if (rc != 0) return rc;
  g_refcount--;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void) { LOCKED(do_shutdown()); }

const char *nvmlErrorString(nvmlReturn_t result) {
  pthread_mutex_lock(&g_lock);
  count_call(FN_nvmlErrorString);
  pthread_mutex_unlock(&g_lock);
  for (int i = 0; i < N_ERRORS; i++) {
    if (g_errors[i].code == result) return g_errors[i].text;
  }
  return "Unknown Error";
}

/* ------------------------------------------------------------------------------------------ */
/* System                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static int do_driver_version(char *version, unsigned length) {
  int rc = enter(FN_nvmlSystemGetDriverVersion);
  if (rc != 0) return rc;
  return out_string(version, length, g_cfg.driver_version);
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
  LOCKED(do_driver_version(version, length));
}

static int do_cuda_version(int *version) {
  int rc = enter(FN_nvmlSystemGetCudaDriverVersion);
  if (rc != 0) return rc;
  if (!version) return NVML_ERROR_INVALID_ARGUMENT;
  *version = g_cfg.cuda_version;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *version) { LOCKED(do_cuda_version(version)); }

static int do_count(unsigned *count) {
  int rc = enter(FN_nvmlDeviceGetCount_v2);
  if (rc != 0) return rc;
  if (!count) return NVML_ERROR_INVALID_ARGUMENT;
  *count = (unsigned)g_cfg.gpu_count;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount) { LOCKED(do_count(deviceCount)); }

static int do_handle_by_index(unsigned index, nvmlDevice_t *device) {
  count_call(FN_nvmlDeviceGetHandleByIndex_v2);
  if (g_refcount == 0) return NVML_ERROR_UNINITIALIZED;
  int valid = index < (unsigned)g_cfg.gpu_count;
  int code = injected(FN_nvmlDeviceGetHandleByIndex_v2, valid ? (int)index : -1);
  if (code != 0) return code;
  if (!valid || !device) return NVML_ERROR_INVALID_ARGUMENT;
  *device = &g_devices[index];
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
  LOCKED(do_handle_by_index(index, device));
}

static int do_handle_by_uuid(const char *uuid, nvmlDevice_t *device) {
  count_call(FN_nvmlDeviceGetHandleByUUID);
  if (g_refcount == 0) return NVML_ERROR_UNINITIALIZED;
  int found = -1;
  for (int i = 0; uuid && i < g_cfg.gpu_count; i++) {
    if (strcmp(uuid, g_cfg.gpu[i].uuid) == 0) {
      found = i;
      break;
    }
  }
  int code = injected(FN_nvmlDeviceGetHandleByUUID, found);
  if (code != 0) return code;
  if (!uuid || !device) return NVML_ERROR_INVALID_ARGUMENT;
  if (found < 0) return NVML_ERROR_NOT_FOUND;
  *device = &g_devices[found];
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device) {
  LOCKED(do_handle_by_uuid(uuid, device));
}

/* ------------------------------------------------------------------------------------------ */
/* Device identity                                                                             */
/* ------------------------------------------------------------------------------------------ */

static int do_index(nvmlDevice_t dev, unsigned *index) {
  DEVICE_PROLOGUE(nvmlDeviceGetIndex, dev);
  if (!index) return NVML_ERROR_INVALID_ARGUMENT;
  *index = (unsigned)(g - g_cfg.gpu);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index) { LOCKED(do_index(device, index)); }

static int do_name(nvmlDevice_t dev, char *name, unsigned length) {
  DEVICE_PROLOGUE(nvmlDeviceGetName, dev);
  return out_string(name, length, g->name);
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
  LOCKED(do_name(device, name, length));
}

static int do_uuid(nvmlDevice_t dev, char *uuid, unsigned length) {
  DEVICE_PROLOGUE(nvmlDeviceGetUUID, dev);
  return out_string(uuid, length, g->uuid);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
  LOCKED(do_uuid(device, uuid, length));
}

static int do_pci(nvmlDevice_t dev, nvmlPciInfo_t *pci) {
  DEVICE_PROLOGUE(nvmlDeviceGetPciInfo_v3, dev);
  if (!pci) return NVML_ERROR_INVALID_ARGUMENT;
  memset(pci, 0, sizeof *pci);
  snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04X:%02X:%02X.%X", g->domain & 0xFFFFu, g->bus,
           g->device, g->function);
  snprintf(pci->busId, sizeof pci->busId, "%s", g->bus_id);
  pci->domain = g->domain;
  pci->bus = g->bus;
  pci->device = g->device;
  pci->pciDeviceId = 0x233010DEu;    /* H100 SXM5 80GB: device 0x2330, vendor 0x10DE */
  pci->pciSubSystemId = 0x16C110DEu;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) { LOCKED(do_pci(device, pci)); }

static int do_compute_capability(nvmlDevice_t dev, int *major, int *minor) {
  DEVICE_PROLOGUE(nvmlDeviceGetCudaComputeCapability, dev);
  if (!major || !minor) return NVML_ERROR_INVALID_ARGUMENT;
  *major = g->cc_major;
  *minor = g->cc_minor;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor) {
  LOCKED(do_compute_capability(device, major, minor));
}

/* nvmlDeviceArchitecture_t of the GPU's compute capability, as NVML numbers them (Volta 5 ... Blackwell 10);
 * what peers such as Zeus check before they read the energy counter. */
static int do_architecture(nvmlDevice_t dev, unsigned int *arch) {
  DEVICE_PROLOGUE(nvmlDeviceGetArchitecture, dev);
  if (!arch) return NVML_ERROR_INVALID_ARGUMENT;
  int cc = g->cc_major * 10 + g->cc_minor;
  *arch = cc >= 100 ? 10 : cc >= 90 ? 9 : cc >= 89 ? 8 : cc >= 80 ? 7 : cc >= 75 ? 6 : cc >= 70 ? 5
        : cc >= 60 ? 4 : cc >= 50 ? 3 : cc >= 30 ? 2 : 0xffffffffu;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t device, unsigned int *arch) {
  LOCKED(do_architecture(device, arch));
}

static int do_mig(nvmlDevice_t dev, unsigned *current, unsigned *pending) {
  DEVICE_PROLOGUE(nvmlDeviceGetMigMode, dev);
  if (!current || !pending) return NVML_ERROR_INVALID_ARGUMENT;
  *current = g->mig;
  *pending = g->mig;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode) {
  LOCKED(do_mig(device, currentMode, pendingMode));
}

static int do_persistence(nvmlDevice_t dev, int *mode) {
  DEVICE_PROLOGUE(nvmlDeviceGetPersistenceMode, dev);
  if (!mode) return NVML_ERROR_INVALID_ARGUMENT;
  *mode = g->persistence;
  return NVML_SUCCESS;
}

/* nvmlEnableState_t is a C enum: int-sized. */
nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t device, int *mode) {
  LOCKED(do_persistence(device, mode));
}

/* ------------------------------------------------------------------------------------------ */
/* Power and energy                                                                            */
/* ------------------------------------------------------------------------------------------ */

static int do_energy(nvmlDevice_t dev, unsigned long long *energy) {
  DEVICE_PROLOGUE(nvmlDeviceGetTotalEnergyConsumption, dev);
  if (!energy) return NVML_ERROR_INVALID_ARGUMENT;
  if (!g->energy_supported) return NVML_ERROR_NOT_SUPPORTED;
  *energy = energy_counter_mj(g, scenario_ns());
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy) {
  LOCKED(do_energy(device, energy));
}

static int do_power(nvmlDevice_t dev, unsigned *power) {
  DEVICE_PROLOGUE(nvmlDeviceGetPowerUsage, dev);
  if (!power) return NVML_ERROR_INVALID_ARGUMENT;
  long long t = scenario_ns();
  *power = g_cfg.power_average ? power_average_mw(g, t) : power_instant_mw(g, t);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) { LOCKED(do_power(device, power)); }

static int do_power_limit(nvmlDevice_t dev, unsigned *limit) {
  DEVICE_PROLOGUE(nvmlDeviceGetPowerManagementLimit, dev);
  if (!limit) return NVML_ERROR_INVALID_ARGUMENT;
  *limit = g->power_limit_mw;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int *limit) {
  LOCKED(do_power_limit(device, limit));
}

static int do_enforced_limit(nvmlDevice_t dev, unsigned *limit) {
  DEVICE_PROLOGUE(nvmlDeviceGetEnforcedPowerLimit, dev);
  if (!limit) return NVML_ERROR_INVALID_ARGUMENT;
  *limit = g->enforced_power_limit_mw;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int *limit) {
  LOCKED(do_enforced_limit(device, limit));
}

static int do_field_values(nvmlDevice_t dev, int count, nvmlFieldValue_t *values) {
  DEVICE_PROLOGUE(nvmlDeviceGetFieldValues, dev);
  if (count < 0 || (count > 0 && !values)) return NVML_ERROR_INVALID_ARGUMENT;
  long long t = scenario_ns();
  long long stamp = realtime_us();
  for (int i = 0; i < count; i++) {
    nvmlFieldValue_t *v = &values[i];
    v->timestamp = stamp;
    v->latencyUsec = 0;
    v->value.ullVal = 0;
    v->nvmlReturn = NVML_SUCCESS;
    switch (v->fieldId) {
      case FI_TOTAL_ENERGY_CONSUMPTION:
      case FI_ENERGY:
        v->valueType = VALUE_TYPE_UNSIGNED_LONG_LONG;
        if (g->energy_supported) v->value.ullVal = energy_counter_mj(g, t);
        else v->nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
        break;
      case FI_POWER_AVERAGE:
      case FI_POWER_INSTANT:
        v->valueType = VALUE_TYPE_UNSIGNED_INT;
        if (v->scopeId != 0) {
          v->nvmlReturn = NVML_ERROR_NOT_SUPPORTED; /* only the GPU scope is modelled */
        } else {
          v->value.uiVal = v->fieldId == FI_POWER_AVERAGE ? power_average_mw(g, t) : power_instant_mw(g, t);
        }
        break;
      default:
        v->nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
        break;
    }
  }
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int valuesCount, nvmlFieldValue_t *values) {
  LOCKED(do_field_values(device, valuesCount, values));
}

/* ------------------------------------------------------------------------------------------ */
/* Thermals, memory, utilization, clocks                                                       */
/* ------------------------------------------------------------------------------------------ */

static int temperature_c(const struct gpu *g) {
  double c = trace_value(&g->temperature, ns_to_ms(scenario_ns()));
  if (c > 100000.0) c = 100000.0;
  if (c < -100000.0) c = -100000.0;
  return (int)lround(c);
}

static int do_temperature(nvmlDevice_t dev, int sensor, unsigned *temp) {
  DEVICE_PROLOGUE(nvmlDeviceGetTemperature, dev);
  if (sensor != 0 || !temp) return NVML_ERROR_INVALID_ARGUMENT;
  int c = temperature_c(g);
  *temp = c < 0 ? 0u : (unsigned)c;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensorType, unsigned int *temp) {
  LOCKED(do_temperature(device, sensorType, temp));
}

static int do_temperature_v(nvmlDevice_t dev, nvmlTemperature_v1_t *temp) {
  DEVICE_PROLOGUE(nvmlDeviceGetTemperatureV, dev);
  if (!temp) return NVML_ERROR_INVALID_ARGUMENT;
  if (temp->version != NVML_TEMPERATURE_V1_VERSION) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  if (temp->sensorType != 0) return NVML_ERROR_INVALID_ARGUMENT;
  temp->temperature = temperature_c(g);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperatureV(nvmlDevice_t device, nvmlTemperature_v1_t *temperature) {
  LOCKED(do_temperature_v(device, temperature));
}

#define MIB 1048576ull

static int do_memory(nvmlDevice_t dev, nvmlMemory_t *memory) {
  DEVICE_PROLOGUE(nvmlDeviceGetMemoryInfo, dev);
  if (!memory) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned long long total = g->memory_total_mib * MIB;
  unsigned long long used = (g->memory_used_mib + g->memory_reserved_mib) * MIB; /* v1 counts reserved */
  memory->total = total;
  memory->used = used;
  memory->free = used < total ? total - used : 0;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
  LOCKED(do_memory(device, memory));
}

static int do_memory_v2(nvmlDevice_t dev, nvmlMemory_v2_t *memory) {
  DEVICE_PROLOGUE(nvmlDeviceGetMemoryInfo_v2, dev);
  if (!memory) return NVML_ERROR_INVALID_ARGUMENT;
  if (memory->version != NVML_MEMORY_V2_VERSION) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  unsigned long long total = g->memory_total_mib * MIB;
  unsigned long long reserved = g->memory_reserved_mib * MIB;
  unsigned long long used = g->memory_used_mib * MIB;
  memory->total = total;
  memory->reserved = reserved;
  memory->used = used;
  memory->free = used + reserved < total ? total - used - reserved : 0;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
  LOCKED(do_memory_v2(device, memory));
}

static int do_utilization(nvmlDevice_t dev, nvmlUtilization_t *u) {
  DEVICE_PROLOGUE(nvmlDeviceGetUtilizationRates, dev);
  if (!u) return NVML_ERROR_INVALID_ARGUMENT;
  u->gpu = g->utilization_gpu;
  u->memory = g->utilization_memory;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
  LOCKED(do_utilization(device, utilization));
}

static int do_clock(nvmlDevice_t dev, int type, unsigned *mhz) {
  DEVICE_PROLOGUE(nvmlDeviceGetClockInfo, dev);
  if (!mhz) return NVML_ERROR_INVALID_ARGUMENT;
  switch (type) {
    case 0: /* GRAPHICS */
    case 1: /* SM */
    case 3: /* VIDEO */
      *mhz = g->sm_clock_mhz;
      return NVML_SUCCESS;
    case 2: /* MEM */
      *mhz = g->mem_clock_mhz;
      return NVML_SUCCESS;
    default:
      return NVML_ERROR_INVALID_ARGUMENT;
  }
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned int *clock) {
  LOCKED(do_clock(device, type, clock));
}

static int do_event_reasons(enum fn_id f, nvmlDevice_t dev, unsigned long long *reasons) {
  const struct gpu *g = NULL;
  int rc = enter_device(f, dev, &g);
  if (rc != 0) return rc;
  if (!reasons) return NVML_ERROR_INVALID_ARGUMENT;
  *reasons = clock_event_reasons(g, scenario_ns());
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t device, unsigned long long *reasons) {
  LOCKED(do_event_reasons(FN_nvmlDeviceGetCurrentClocksEventReasons, device, reasons));
}

nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device, unsigned long long *reasons) {
  LOCKED(do_event_reasons(FN_nvmlDeviceGetCurrentClocksThrottleReasons, device, reasons));
}

/* ------------------------------------------------------------------------------------------ */
/* Processes                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static int do_processes(nvmlDevice_t dev, unsigned *count, nvmlProcessInfo_t *infos) {
  DEVICE_PROLOGUE(nvmlDeviceGetComputeRunningProcesses_v3, dev);
  if (!count) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned needed = (unsigned)g->n_processes;
  if (needed == 0) {
    *count = 0;
    return NVML_SUCCESS;
  }
  if (!infos || *count < needed) {
    *count = needed;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  for (unsigned i = 0; i < needed; i++) {
    infos[i].pid = g->processes[i].pid;
    infos[i].usedGpuMemory = g->processes[i].used_mib * MIB;
    infos[i].gpuInstanceId = 0xFFFFFFFFu;
    infos[i].computeInstanceId = 0xFFFFFFFFu;
  }
  *count = needed;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount,
                                                     nvmlProcessInfo_t *infos) {
  LOCKED(do_processes(device, infoCount, infos));
}

/* ------------------------------------------------------------------------------------------ */
/* Test hooks (not NVML)                                                                       */
/* ------------------------------------------------------------------------------------------ */

double fakeNvmlTimeSeconds(void) {
  pthread_mutex_lock(&g_lock);
  long long ns = scenario_ns();
  pthread_mutex_unlock(&g_lock);
  return (double)ns / 1e9;
}

/* Stores the manual clock (seconds, clamped to >= 0); it is read only while clock=manual. */
void fakeNvmlSetTimeSeconds(double seconds) {
  if (isnan(seconds)) return;
  if (seconds < 0) seconds = 0;
  if (seconds > 1e9) seconds = 1e9;
  pthread_mutex_lock(&g_lock);
  g_manual_ns = llround(seconds * 1e9);
  pthread_mutex_unlock(&g_lock);
}

/* Calls so far to an exported NVML function by name, or to all of them but nvmlErrorString for "*". */
unsigned long long fakeNvmlCallCount(const char *function) {
  if (!function) return 0;
  unsigned long long n = 0;
  pthread_mutex_lock(&g_lock);
  if (strcmp(function, "*") == 0) {
    n = g_calls_total;
  } else {
    for (int i = 0; i < FN_COUNT; i++) {
      if (strcmp(function, fn_names[i]) == 0) n = g_calls[i];
    }
  }
  pthread_mutex_unlock(&g_lock);
  return n;
}
