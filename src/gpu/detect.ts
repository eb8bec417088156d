/**
 * What WebGL this browser offers, and which compute mode the batch work (whole-file export,
 * training) should use with it:
 *
 *   'gpu'   hardware WebGL2 (or WebGL): gpu.js kernels run the matrix products on the graphics card
 *   'wasm'  our WebAssembly SIMD products on the CPU: where WebGL is software (SwiftShader, llvmpipe,
 *           Microsoft Basic Render Driver…) or missing — gpu.js on a software rasteriser is several
 *           times slower than the CPU code it would replace (see ../shared/PLATFORM.md)
 *
 * Works on a page (a <canvas>) and in a worker (an OffscreenCanvas); no gpu.js needed. The context
 * it opens is released at once.
 */

export type ComputeMode = 'gpu' | 'wasm';

export interface GpuInfo {
  /** The best WebGL API that opened, or null. */
  api: 'webgl2' | 'webgl' | null;
  /** WEBGL_debug_renderer_info's unmasked renderer (or the plain RENDERER string), null if unknown. */
  renderer: string | null;
  vendor: string | null;
  /** True when the renderer is a software rasteriser, or when there is no WebGL at all. */
  software: boolean;
  /** Whether this context can make an OffscreenCanvas (gpu.js in a worker needs one). */
  offscreenCanvas: boolean;
  /** One line for people: what was found and why it counts as hardware or software. */
  summary: string;
}

/** Renderer strings of software rasterisers. */
const SOFTWARE = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render|microsoft basic|mesa offscreen|subzero|apple software|gdi generic/i;

type GL = WebGLRenderingContext | WebGL2RenderingContext;

function canvas(): HTMLCanvasElement | OffscreenCanvas | null {
  if (typeof document !== 'undefined' && typeof document.createElement === 'function') return document.createElement('canvas');
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(1, 1);
  return null;
}

function open(api: 'webgl2' | 'webgl', caveat: boolean): GL | null {
  const c = canvas();
  if (!c) return null;
  try {
    return (c.getContext(api, { failIfMajorPerformanceCaveat: caveat }) as GL | null) ?? null;
  } catch {
    return null;
  }
}

function release(gl: GL | null): void {
  try {
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
  } catch {
    /* nothing to release */
  }
}

/** Is this renderer string a software rasteriser? */
export function isSoftwareRenderer(renderer: string | null | undefined): boolean {
  return !!renderer && SOFTWARE.test(renderer);
}

/** Probes WebGL2, then WebGL; reads the renderer; decides hardware or software. */
export function detectGpu(): GpuInfo {
  const offscreenCanvas = typeof OffscreenCanvas !== 'undefined';
  let api: GpuInfo['api'] = null;
  let gl: GL | null = null;
  for (const a of ['webgl2', 'webgl'] as const) {
    gl = open(a, false);
    if (gl) {
      api = a;
      break;
    }
  }
  if (!gl || !api) {
    return { api: null, renderer: null, vendor: null, software: true, offscreenCanvas, summary: 'no WebGL in this browser: the CPU (WebAssembly SIMD) does the batch work' };
  }
  let renderer: string | null = null, vendor: string | null = null;
  try {
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '') || null;
    vendor = String(gl.getParameter(ext ? ext.UNMASKED_VENDOR_WEBGL : gl.VENDOR) ?? '') || null;
  } catch {
    /* unknown renderer */
  }
  release(gl);
  // A browser that falls back to software rendering refuses a context that asks to fail on a
  // "major performance caveat": a second signal where the renderer string is masked.
  const strict = open(api, true);
  const caveat = strict === null;
  release(strict);
  const software = isSoftwareRenderer(renderer) || caveat;
  const name = renderer ?? 'unknown renderer';
  const summary = software
    ? `software ${api === 'webgl2' ? 'WebGL2' : 'WebGL'} (${name}${caveat && !isSoftwareRenderer(renderer) ? ', with a major performance caveat' : ''}): the CPU (WebAssembly SIMD) is faster here`
    : `hardware ${api === 'webgl2' ? 'WebGL2' : 'WebGL'} (${name}): gpu.js kernels on the GPU`;
  return { api, renderer, vendor, software, offscreenCanvas, summary };
}

/**
 * The compute mode for batch work: 'gpu' on hardware WebGL, else 'wasm'. `override` (from a URL
 * parameter or a test) forces one.
 */
export function pickMode(info: GpuInfo = detectGpu(), override?: ComputeMode | null): ComputeMode {
  if (override === 'gpu' || override === 'wasm') return override;
  return info.api && !info.software ? 'gpu' : 'wasm';
}

/** `?compute=gpu|wasm` in a page's address forces a mode (for tests and for comparing); null otherwise. */
export function modeOverride(search: string = typeof location !== 'undefined' ? location.search : ''): ComputeMode | null {
  const v = new URLSearchParams(search).get('compute');
  return v === 'gpu' || v === 'wasm' ? v : null;
}
