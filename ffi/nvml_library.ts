import { NVML_RETURN, NvmlError, NvmlUnavailableError } from "./nvml_error.ts";
import {
  NVML_MEMORY_V2_VERSION,
  NVML_SIZEOF,
  NVML_SYMBOLS,
  NVML_TEMPERATURE_GPU,
  type NvmlSymbols,
} from "./nvml_symbols.ts";

/** An NVML device handle (nvmlDevice_t). */
export type NvmlDevice = Deno.PointerValue;

/** The default library: the driver's soname. */
export const DEFAULT_NVML_LIBRARY = "libnvidia-ml.so.1";

/** One element of nvmlDeviceGetFieldValues: its own return code and, on success, the value. */
export interface NvmlFieldValue {
  fieldId: number;
  nvmlReturn: number;
  /** CPU timestamp of the reading, microseconds since the epoch. */
  timestampUs: bigint;
  /** The value as a number (u64 values converted; exact below 2^53). */
  value: number;
}

/** nvmlMemory_t / nvmlMemory_v2_t, in bytes; `reservedBytes` null from the v1 call. */
export interface NvmlMemory {
  totalBytes: bigint;
  reservedBytes: bigint | null;
  freeBytes: bigint;
  usedBytes: bigint;
}

/** nvmlPciInfo_t, decoded. */
export interface NvmlPciInfo {
  busId: string;
  domain: number;
  bus: number;
  device: number;
  pciDeviceId: number;
}

/** nvmlProcessInfo_t, decoded. */
export interface NvmlProcessInfo {
  pid: number;
  usedGpuMemoryBytes: bigint;
}

const decoder = new TextDecoder();

/** Field values read into a reused buffer (the sampler reads one, many times a second); more get their own. */
const MAX_REUSED_FIELDS = 8;

/**
 * A thin typed layer over the NVML shared library: each method calls the NVML function of the same
 * name, turns a non-zero return into NvmlError, and decodes out-parameters. No policy lives here.
 * Methods on optional symbols throw NvmlError with NVML_ERROR_FUNCTION_NOT_FOUND when the driver lacks them.
 */
export class NvmlLibrary {
  readonly #library: Deno.DynamicLibrary<typeof NVML_SYMBOLS>;
  readonly #s: NvmlSymbols;
  // Reused out-parameter buffers: the sampler calls these many times a second.
  readonly #u32 = new Uint32Array(2);
  readonly #i32 = new Int32Array(2);
  readonly #u64 = new BigUint64Array(1);
  readonly #text = new Uint8Array(96);
  readonly #fieldValues = new DataView(new ArrayBuffer(NVML_SIZEOF.fieldValue * MAX_REUSED_FIELDS));
  readonly #memoryV2 = new DataView(new ArrayBuffer(NVML_SIZEOF.memoryV2));

  private constructor(library: Deno.DynamicLibrary<typeof NVML_SYMBOLS>, readonly path: string) {
    this.#library = library;
    this.#s = library.symbols;
  }

  /** Open the library at `path` (nothing is loaded until this is called). */
  static open(path: string = DEFAULT_NVML_LIBRARY): NvmlLibrary {
    try {
      return new NvmlLibrary(Deno.dlopen(path, NVML_SYMBOLS), path);
    } catch (error) {
      const message = (error as Error).message;
      const reason = /Failed to register symbol (\w+)/.exec(message)?.[1];
      throw new NvmlUnavailableError(
        path,
        reason
          ? `the library lacks the required symbol ${reason}`
          : message.replace(/^.*Could not open library: /s, ""),
        { cause: error },
      );
    }
  }

  /** Whether an optional symbol is present in this driver. */
  has(symbol: keyof typeof NVML_SYMBOLS): boolean {
    return this.#s[symbol] !== null;
  }

  /** Unload the library. */
  close(): void {
    this.#library.close();
  }

  /** nvmlErrorString */
  errorString(code: number): string {
    const pointer = this.#s.nvmlErrorString(code);
    return pointer === null ? "unknown error" : Deno.UnsafePointerView.getCString(pointer);
  }

  #check(functionName: string, code: number): void {
    if (code !== NVML_RETURN.SUCCESS) throw new NvmlError(functionName, code, this.errorString(code));
  }

  #optional<K extends keyof NvmlSymbols>(name: K): NonNullable<NvmlSymbols[K]> {
    const fn = this.#s[name];
    if (fn === null) {
      throw new NvmlError(name, NVML_RETURN.ERROR_FUNCTION_NOT_FOUND, "not exported by this driver");
    }
    return fn as NonNullable<NvmlSymbols[K]>;
  }

  #string(functionName: string, call: (buffer: Uint8Array, length: number) => number): string {
    this.#text.fill(0);
    this.#check(functionName, call(this.#text, this.#text.length));
    const end = this.#text.indexOf(0);
    return decoder.decode(this.#text.subarray(0, end < 0 ? this.#text.length : end));
  }

  /** nvmlInit_v2 */
  init(): void {
    this.#check("nvmlInit_v2", this.#s.nvmlInit_v2());
  }

  /** nvmlShutdown */
  shutdown(): void {
    this.#check("nvmlShutdown", this.#s.nvmlShutdown());
  }

  /** nvmlSystemGetDriverVersion */
  systemGetDriverVersion(): string {
    return this.#string("nvmlSystemGetDriverVersion", (b, n) => this.#s.nvmlSystemGetDriverVersion(b, n));
  }

  /** nvmlSystemGetCudaDriverVersion: e.g. 12040 for CUDA 12.4. */
  systemGetCudaDriverVersion(): number {
    this.#check("nvmlSystemGetCudaDriverVersion", this.#s.nvmlSystemGetCudaDriverVersion(this.#i32));
    return this.#i32[0]!;
  }

  /** nvmlDeviceGetCount_v2 */
  deviceGetCount(): number {
    this.#check("nvmlDeviceGetCount_v2", this.#s.nvmlDeviceGetCount_v2(this.#u32));
    return this.#u32[0]!;
  }

  /** nvmlDeviceGetHandleByIndex_v2 */
  deviceGetHandleByIndex(index: number): NvmlDevice {
    const handle = new BigUint64Array(1);
    this.#check("nvmlDeviceGetHandleByIndex_v2", this.#s.nvmlDeviceGetHandleByIndex_v2(index, handle));
    return Deno.UnsafePointer.create(handle[0]!);
  }

  /** nvmlDeviceGetName */
  deviceGetName(device: NvmlDevice): string {
    return this.#string("nvmlDeviceGetName", (b, n) => this.#s.nvmlDeviceGetName(device, b, n));
  }

  /** nvmlDeviceGetUUID */
  deviceGetUuid(device: NvmlDevice): string {
    return this.#string("nvmlDeviceGetUUID", (b, n) => this.#s.nvmlDeviceGetUUID(device, b, n));
  }

  /** nvmlDeviceGetPciInfo_v3 */
  deviceGetPciInfo(device: NvmlDevice): NvmlPciInfo {
    const bytes = new Uint8Array(NVML_SIZEOF.pciInfo);
    this.#check("nvmlDeviceGetPciInfo_v3", this.#optional("nvmlDeviceGetPciInfo_v3")(device, bytes));
    const view = new DataView(bytes.buffer);
    const busId = bytes.subarray(36, 68);
    const end = busId.indexOf(0);
    return {
      busId: decoder.decode(busId.subarray(0, end < 0 ? 32 : end)),
      domain: view.getUint32(16, true),
      bus: view.getUint32(20, true),
      device: view.getUint32(24, true),
      pciDeviceId: view.getUint32(28, true),
    };
  }

  /** nvmlDeviceGetCudaComputeCapability: [major, minor]. */
  deviceGetCudaComputeCapability(device: NvmlDevice): [number, number] {
    const major = new Int32Array(1);
    const minor = new Int32Array(1);
    this.#check(
      "nvmlDeviceGetCudaComputeCapability",
      this.#s.nvmlDeviceGetCudaComputeCapability(device, major, minor),
    );
    return [major[0]!, minor[0]!];
  }

  /** nvmlDeviceGetMigMode: the current mode (true = enabled). */
  deviceGetMigMode(device: NvmlDevice): boolean {
    const pending = new Uint32Array(1);
    this.#check("nvmlDeviceGetMigMode", this.#optional("nvmlDeviceGetMigMode")(device, this.#u32, pending));
    return this.#u32[0] === 1;
  }

  /** nvmlDeviceGetPersistenceMode (true = enabled). */
  deviceGetPersistenceMode(device: NvmlDevice): boolean {
    this.#check(
      "nvmlDeviceGetPersistenceMode",
      this.#optional("nvmlDeviceGetPersistenceMode")(device, this.#i32),
    );
    return this.#i32[0] === 1;
  }

  /** nvmlDeviceGetTotalEnergyConsumption: millijoules since the driver was loaded. */
  deviceGetTotalEnergyConsumption(device: NvmlDevice): bigint {
    this.#check(
      "nvmlDeviceGetTotalEnergyConsumption",
      this.#optional("nvmlDeviceGetTotalEnergyConsumption")(device, this.#u64),
    );
    return this.#u64[0]!;
  }

  /** nvmlDeviceGetPowerUsage: milliwatts (a 1 s average on Ampere except GA100, and newer). */
  deviceGetPowerUsage(device: NvmlDevice): number {
    this.#check("nvmlDeviceGetPowerUsage", this.#s.nvmlDeviceGetPowerUsage(device, this.#u32));
    return this.#u32[0]!;
  }

  /** nvmlDeviceGetPowerManagementLimit: milliwatts. */
  deviceGetPowerManagementLimit(device: NvmlDevice): number {
    this.#check(
      "nvmlDeviceGetPowerManagementLimit",
      this.#optional("nvmlDeviceGetPowerManagementLimit")(device, this.#u32),
    );
    return this.#u32[0]!;
  }

  /** nvmlDeviceGetEnforcedPowerLimit: milliwatts. */
  deviceGetEnforcedPowerLimit(device: NvmlDevice): number {
    this.#check(
      "nvmlDeviceGetEnforcedPowerLimit",
      this.#optional("nvmlDeviceGetEnforcedPowerLimit")(device, this.#u32),
    );
    return this.#u32[0]!;
  }

  /**
   * nvmlDeviceGetFieldValues for `fieldIds`, read in one call so they share one driver timestamp.
   * Succeeds when any element was filled; check each element's `nvmlReturn`.
   */
  deviceGetFieldValues(device: NvmlDevice, fieldIds: readonly number[]): NvmlFieldValue[] {
    const size = NVML_SIZEOF.fieldValue;
    const view = fieldIds.length <= MAX_REUSED_FIELDS
      ? this.#fieldValues
      : new DataView(new ArrayBuffer(size * fieldIds.length));
    const bytes = new Uint8Array(view.buffer, 0, size * fieldIds.length);
    bytes.fill(0);
    fieldIds.forEach((id, i) => view.setUint32(i * size, id, true));
    this.#check(
      "nvmlDeviceGetFieldValues",
      this.#optional("nvmlDeviceGetFieldValues")(device, fieldIds.length, bytes),
    );
    return fieldIds.map((fieldId, i) => {
      const at = i * size;
      const nvmlReturn = view.getInt32(at + 28, true);
      return {
        fieldId,
        nvmlReturn,
        timestampUs: view.getBigInt64(at + 8, true),
        value: decodeValue(view, at),
      };
    });
  }

  /** nvmlDeviceGetTemperature of the GPU die: degrees Celsius. */
  deviceGetTemperature(device: NvmlDevice): number {
    this.#check(
      "nvmlDeviceGetTemperature",
      this.#s.nvmlDeviceGetTemperature(device, NVML_TEMPERATURE_GPU, this.#u32),
    );
    return this.#u32[0]!;
  }

  /** nvmlDeviceGetMemoryInfo_v2 where the driver has it (used excludes reserved memory), else v1. */
  deviceGetMemoryInfo(device: NvmlDevice): NvmlMemory {
    const v2 = this.#s.nvmlDeviceGetMemoryInfo_v2;
    if (v2 !== null) {
      const view = this.#memoryV2;
      const bytes = new Uint8Array(view.buffer);
      bytes.fill(0);
      view.setUint32(0, NVML_MEMORY_V2_VERSION, true);
      const code = v2(device, bytes);
      if (code === NVML_RETURN.SUCCESS) {
        return {
          totalBytes: view.getBigUint64(8, true),
          reservedBytes: view.getBigUint64(16, true),
          freeBytes: view.getBigUint64(24, true),
          usedBytes: view.getBigUint64(32, true),
        };
      }
      // Some drivers export v2 but reject it (NOT_SUPPORTED, version mismatch): fall back to v1.
      if (code !== NVML_RETURN.ERROR_NOT_SUPPORTED && code !== NVML_RETURN.ERROR_ARGUMENT_VERSION_MISMATCH) {
        this.#check("nvmlDeviceGetMemoryInfo_v2", code);
      }
    }
    const memory = new BigUint64Array(3);
    this.#check("nvmlDeviceGetMemoryInfo", this.#s.nvmlDeviceGetMemoryInfo(device, memory));
    return { totalBytes: memory[0]!, reservedBytes: null, freeBytes: memory[1]!, usedBytes: memory[2]! };
  }

  /** nvmlDeviceGetUtilizationRates: [gpu %, memory %] over the driver's last sample period. */
  deviceGetUtilizationRates(device: NvmlDevice): [number, number] {
    this.#check(
      "nvmlDeviceGetUtilizationRates",
      this.#optional("nvmlDeviceGetUtilizationRates")(device, this.#u32),
    );
    return [this.#u32[0]!, this.#u32[1]!];
  }

  /** nvmlDeviceGetClockInfo: MHz of one clock domain (NVML_CLOCK). */
  deviceGetClockInfo(device: NvmlDevice, clockType: number): number {
    this.#check(
      "nvmlDeviceGetClockInfo",
      this.#optional("nvmlDeviceGetClockInfo")(device, clockType, this.#u32),
    );
    return this.#u32[0]!;
  }

  /**
   * nvmlDeviceGetCurrentClocksEventReasons, or on drivers before it (≈R535) the older
   * nvmlDeviceGetCurrentClocksThrottleReasons: same signature, same bits.
   */
  deviceGetCurrentClocksEventReasons(device: NvmlDevice): bigint {
    const current = this.#s.nvmlDeviceGetCurrentClocksEventReasons;
    if (current !== null) {
      this.#check("nvmlDeviceGetCurrentClocksEventReasons", current(device, this.#u64));
    } else {
      this.#check(
        "nvmlDeviceGetCurrentClocksThrottleReasons",
        this.#optional("nvmlDeviceGetCurrentClocksThrottleReasons")(device, this.#u64),
      );
    }
    return this.#u64[0]!;
  }

  /** nvmlDeviceGetComputeRunningProcesses_v3, with the two-call pattern and room for late arrivals. */
  deviceGetComputeRunningProcesses(device: NvmlDevice): NvmlProcessInfo[] {
    const fn = this.#optional("nvmlDeviceGetComputeRunningProcesses_v3");
    const count = new Uint32Array(1);
    for (let attempt = 0; attempt < 5; attempt++) {
      const capacity = count[0]!;
      const bytes = capacity === 0 ? null : new Uint8Array(NVML_SIZEOF.processInfo * capacity);
      const code = fn(device, count, bytes);
      if (code === NVML_RETURN.ERROR_INSUFFICIENT_SIZE) {
        count[0] = count[0]! + 4; // the list can grow between the two calls
        continue;
      }
      this.#check("nvmlDeviceGetComputeRunningProcesses_v3", code);
      if (bytes === null) return [];
      const view = new DataView(bytes.buffer);
      return Array.from({ length: count[0]! }, (_, i) => ({
        pid: view.getUint32(i * NVML_SIZEOF.processInfo, true),
        usedGpuMemoryBytes: view.getBigUint64(i * NVML_SIZEOF.processInfo + 8, true),
      }));
    }
    throw new NvmlError(
      "nvmlDeviceGetComputeRunningProcesses_v3",
      NVML_RETURN.ERROR_INSUFFICIENT_SIZE,
      "the process list kept growing",
    );
  }
}

// nvmlValue_t at +32, decoded by nvmlValueType_t at +24.
function decodeValue(view: DataView, at: number): number {
  switch (view.getInt32(at + 24, true)) {
    case 0:
      return view.getFloat64(at + 32, true);
    case 1:
      return view.getUint32(at + 32, true);
    case 2: // unsigned long: 8 bytes on LP64 Linux
    case 3:
      return Number(view.getBigUint64(at + 32, true));
    case 4:
      return Number(view.getBigInt64(at + 32, true));
    case 5:
      return view.getInt32(at + 32, true);
    case 6:
      return view.getUint16(at + 32, true);
    default:
      return Number.NaN;
  }
}
