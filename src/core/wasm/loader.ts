/**
 * Loading the embedded WebAssembly modules: base64 decoding (no `atob` in an AudioWorklet), a
 * synchronous compile on first use, an optional asynchronous one for pages that refuse synchronous
 * compilation, and fresh instances on demand.
 *
 * Pure TS, no DOM or Node APIs (lib ES2022): the same code runs in Node, on the page, in workers and
 * in an AudioWorkletGlobalScope (which has WebAssembly but no atob, fetch or performance).
 */

// The few WebAssembly APIs used, typed here so that callers need only lib ES2022.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
export interface WasmInstance {
  readonly exports: unknown;
}
export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<WasmInstance>;
}

export const WASM_PAGE = 65536;

export const wasmApi = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

export function decodeBase64(s: string): Uint8Array {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  let len = s.length;
  while (len > 0 && s.charCodeAt(len - 1) === 61 /* = */) len--;
  const out = new Uint8Array((len * 3) >> 2);
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < len; i++) {
    const code = s.charCodeAt(i);
    const v = code < 128 ? table[code] : -1;
    if (v < 0) throw new Error('embedded wasm: invalid base64');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Grows a memory to at least `bytes`; false where it cannot. */
export function ensureMemory(memory: WasmMemory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (bytes <= have) return true;
  if (bytes > 65536 * WASM_PAGE) return false;
  try {
    memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
    return true;
  } catch {
    return false;
  }
}

/**
 * One embedded module: compiled once (synchronously on first use, or ahead of time by
 * {@link preload}), then instantiated as often as needed, each instance with its own memory.
 */
export class EmbeddedModule<Exports> {
  private module: object | null = null;
  private syncFailed = false;
  private pending: Promise<boolean> | null = null;

  constructor(private readonly base64: string) {}

  private compiled(): object | null {
    if (this.module || this.syncFailed) return this.module;
    try {
      const api = wasmApi();
      if (!api) throw new Error('no WebAssembly');
      this.module = new api.Module(decodeBase64(this.base64));
    } catch {
      this.syncFailed = true;
    }
    return this.module;
  }

  /** A fresh instance, or null where the module does not compile or run here. */
  instantiate(imports: object = {}): Exports | null {
    const module = this.compiled();
    const api = wasmApi();
    if (!module || !api) return null;
    try {
      return new api.Instance(module, imports).exports as Exports;
    } catch {
      return null;
    }
  }

  /** True where the module compiles here (WebAssembly with SIMD). */
  available(): boolean {
    return this.compiled() !== null;
  }

  /** Compiles asynchronously (allowed on every thread, whatever the module size). */
  preload(): Promise<boolean> {
    if (this.module) return Promise.resolve(true);
    this.pending ??= (async () => {
      try {
        const api = wasmApi();
        if (!api) return false;
        const module = await api.compile(decodeBase64(this.base64));
        this.module ??= module;
        return true;
      } catch {
        return this.module !== null;
      }
    })();
    return this.pending;
  }
}

/**
 * One wasm memory shared by several modules' instances (modules built with --importMemory: they
 * keep nothing of their own in memory and work only where they are told). Lets the parts of the
 * separator hand buffers to each other without leaving wasm memory: a copy between two regions is
 * one `heap.copyWithin` (a memmove), not a JS loop.
 *
 * Two phases: users reserve regions (and register what to do once the memory exists), then
 * commit() grows the memory once and runs those callbacks, which write data and create the typed
 * array views. The memory never grows afterwards, so views stay valid.
 */
/**
 * Bytes left at the bottom of an arena's memory to the modules' own static data, which each writes
 * there when instantiated: the compiler starts it at 1024, and only the stft module has any (the
 * tables of its Mathf.pow, up to 1536), so the modules sharing an arena do not overwrite each other.
 */
const ARENA_START = 2048;

export class WasmArena {
  readonly memory: WasmMemory;
  /** The whole memory as floats (after commit). */
  heap = new Float32Array(0);
  private end = ARENA_START;
  private committed = false;
  private readonly binders: (() => void)[] = [];
  private readonly instances = new Map<object, unknown>();

  private constructor(memory: WasmMemory) {
    this.memory = memory;
  }

  /** A new arena, or null where WebAssembly is missing. */
  static create(): WasmArena | null {
    const api = wasmApi();
    if (!api || typeof api.Memory !== 'function') return null;
    try {
      return new WasmArena(new api.Memory({ initial: 1 }));
    } catch {
      return null;
    }
  }

  /** The module's instance on this memory (one per module), or null where it does not run here. */
  instance<E>(module: EmbeddedModule<E>): E | null {
    if (!this.instances.has(module)) {
      let e = module.instantiate({ env: { memory: this.memory } }) as { scratchBase?: () => number } | null;
      // A module whose static data reached past the low area would share bytes with the regions.
      if (e && typeof e.scratchBase === 'function' && e.scratchBase() > ARENA_START) e = null;
      this.instances.set(module, e);
    }
    return this.instances.get(module) as E | null;
  }

  /** Byte offset of a new 64-byte-aligned region of `count` 4-byte values (before commit only). */
  reserve(count: number): number {
    if (this.committed) throw new Error('wasm arena: reserve after commit');
    const at = Math.ceil(this.end / 64) * 64;
    this.end = at + 4 * Math.max(0, count);
    return at;
  }

  /** Runs fn at commit(), in registration order. */
  onCommit(fn: () => void): void {
    if (this.committed) throw new Error('wasm arena: onCommit after commit');
    this.binders.push(fn);
  }

  /** Grows the memory to hold every region and runs the callbacks; false where it cannot grow. */
  commit(): boolean {
    if (this.committed) return true;
    if (!ensureMemory(this.memory, this.end)) return false;
    this.committed = true;
    this.heap = new Float32Array(this.memory.buffer);
    for (const fn of this.binders) fn();
    this.binders.length = 0;
    return true;
  }

  get isCommitted(): boolean {
    return this.committed;
  }

  /** A view of `count` floats at byte offset `at` (after commit). */
  f32(at: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, count);
  }

  i32(at: number, count: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, count);
  }
}
