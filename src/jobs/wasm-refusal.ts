/**
 * Whether WebAssembly compiles in this context, and if not, why: a Content-Security-Policy without
 * 'wasm-unsafe-eval' refuses every module (the browser's message says so). The page asks it for
 * the AudioWorklet (which runs under the page's policy), the export worker for itself, so that
 * neither falls back to JavaScript without saying so.
 */
export function wasmRefusal(): string | null {
  const api = (globalThis as { WebAssembly?: { Module: new (b: Uint8Array) => object } }).WebAssembly;
  if (!api) return 'this browser has no WebAssembly';
  try {
    new api.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])); // the empty module
    return null;
  } catch (e) {
    return (e as Error)?.message || String(e);
  }
}
