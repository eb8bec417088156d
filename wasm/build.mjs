#!/usr/bin/env node
/**
 * Compiles the AssemblyScript modules in wasm/assembly and writes each into src/core/wasm as a
 * TypeScript module holding the wasm bytes as a base64 string, so the same import works in Node, on
 * the page and in the AudioWorklet (no fetch, no fs):
 *
 *   kernels   wasm/assembly/gemm.ts      → src/core/wasm/kernels.wasm.ts   (dense products, training)
 *   encoder   wasm/assembly/encoder.ts   → src/core/wasm/encoder.wasm.ts   (structured encoder, per frame)
 *   resample  wasm/assembly/resample.ts  → src/core/wasm/resample.wasm.ts  (polyphase resampler)
 *   stft      wasm/assembly/stft.ts      → src/core/wasm/stft.wasm.ts      (window, FFT, mask, overlap-add)
 *
 *   node wasm/build.mjs                          writes all of them
 *   node wasm/build.mjs --out FILE               writes the kernels module to FILE instead (used by
 *                                                the up-to-date test)
 *   node wasm/build.mjs --module NAME --out FILE writes module NAME to FILE instead
 *   node wasm/build.mjs --outdir DIR             writes all of them into DIR instead (same file names)
 *   node wasm/build.mjs [--module NAME] --raw FILE   also writes the raw .wasm (for inspection)
 *
 * The kernels share wasm/assembly/common.ts; the encoder and stft kernels read descriptor tables
 * whose slots src/core/wasm/{encoder,stft}-slots.ts declare for both languages (the TypeScript side
 * imports the same files).
 *
 * The output depends only on the sources and the compiler version: rebuilding gives the same bytes.
 * Modules are kept small (under 4 KB each where possible): some Chromium builds refuse synchronous
 * compilation of larger ones on a page's main thread. The encoder and stft modules are about 5 KB
 * (stft: 1.5 KB of it is Mathf.pow, for a soft mask of any power); a page compiles them with
 * loadFastPaths() (src/core/separate/separator.ts) before building a separator there.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

/** The modules: source, generated file, exported constant, description. */
export const MODULES = {
  kernels: { source: 'gemm.ts', out: 'src/core/wasm/kernels.wasm.ts', name: 'kernelsWasmBase64', what: 'The compiled kernels' },
  // These three import their memory (one memory shared by a separator's parts: src/core/wasm/loader.ts).
  encoder: { source: 'encoder.ts', out: 'src/core/wasm/encoder.wasm.ts', name: 'encoderWasmBase64', what: 'The compiled structured encoder', flags: ['--importMemory'] },
  resample: { source: 'resample.ts', out: 'src/core/wasm/resample.wasm.ts', name: 'resampleWasmBase64', what: 'The compiled resampler kernel', flags: ['--importMemory'] },
  stft: { source: 'stft.ts', out: 'src/core/wasm/stft.wasm.ts', name: 'stftWasmBase64', what: 'The compiled STFT frame and sample path', flags: ['--importMemory'] },
};

/** The compiler flags; also recorded in the generated file's header. */
export const ASC_FLAGS = ['-O3', '--enable', 'simd', '--runtime', 'stub', '--noAssert', '--noColors'];

function ascVersion() {
  const require = createRequire(import.meta.url);
  return require('assemblyscript/package.json').version;
}

/** Compiles one module (default: the gemm kernels); returns the wasm bytes. */
export async function compileKernels(module = 'kernels') {
  const spec = MODULES[module];
  if (!spec) throw new Error(`unknown module ${module} (${Object.keys(MODULES).join(', ')})`);
  const source = await readFile(resolve(here, 'assembly', spec.source), 'utf8');
  const entry = spec.source;
  let binary = null;
  const stderr = [];
  const result = await asc.main([entry, ...ASC_FLAGS, ...(spec.flags ?? []), '--outFile', 'kernels.wasm'], {
    // Paths are relative to wasm/assembly, where the entry is: the kernels import helpers there
    // (./common) and the descriptor layouts they share with the TypeScript side from src/core/wasm.
    readFile: async (name, baseDir) => {
      if (name === entry && (baseDir === '.' || baseDir === '')) return source;
      try {
        return await readFile(resolve(here, 'assembly', baseDir, name), 'utf8');
      } catch {
        return null;
      }
    },
    writeFile: (name, contents) => {
      if (name === 'kernels.wasm') binary = contents;
    },
    listFiles: () => [],
    stdout: { write: () => true },
    stderr: { write: (s) => (stderr.push(String(s)), true) },
  });
  if (result.error || !binary) {
    throw new Error(`asc failed on ${entry}: ${result.error?.message ?? 'no output'}\n${stderr.join('')}`);
  }
  return new Uint8Array(binary);
}

/** The generated TypeScript module for the given wasm bytes. */
export function moduleText(bytes, module = 'kernels') {
  const spec = MODULES[module];
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = [];
  for (let i = 0; i < b64.length; i += 100) lines.push(b64.slice(i, i + 100));
  const src = `wasm/assembly/${spec.source}`;
  return (
    `// Generated by wasm/build.mjs from ${src}: do not edit. Rebuild with \`node wasm/build.mjs\`.\n` +
    `// assemblyscript ${ascVersion()}: asc ${[...ASC_FLAGS, ...(spec.flags ?? [])].join(' ')}\n` +
    `\n` +
    `/** ${spec.what} (${bytes.length} bytes of WebAssembly, with SIMD), base64. */\n` +
    `export const ${spec.name} =\n` +
    lines.map((l) => `  '${l}'`).join(' +\n') +
    `;\n`
  );
}

async function main(argv) {
  let out = null;
  let outDir = null;
  let wasmOut = null;
  let only = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = resolve(argv[++i]);
    else if (argv[i] === '--outdir') outDir = resolve(argv[++i]);
    else if (argv[i] === '--raw') wasmOut = resolve(argv[++i]);
    else if (argv[i] === '--module') only = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if ((out || wasmOut) && !only) only = 'kernels';
  if (only && !MODULES[only]) throw new Error(`unknown module ${only} (${Object.keys(MODULES).join(', ')})`);
  for (const module of only ? [only] : Object.keys(MODULES)) {
    const bytes = await compileKernels(module);
    const file = out ?? (outDir ? resolve(outDir, basename(MODULES[module].out)) : resolve(root, MODULES[module].out));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, moduleText(bytes, module));
    if (wasmOut) await writeFile(wasmOut, bytes);
    console.log(`wrote ${relative(process.cwd(), file)} (${bytes.length} bytes of wasm)`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
