/**
 * The code's layout, checked: every import in src/, worklet/ and scripts/ goes down the layers
 * below (or stays in its own folder), no file imports itself back through others, and no source
 * file is over 400 lines (the generated wasm modules and the AssemblyScript kernels aside).
 *
 *   npx tsx scripts/layout.ts        prints each problem; exit 1 if there is one
 *
 * tests/unit/layout.test.ts runs the same check, so `npm test` keeps the house in order.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The layers, lowest first. A file may import from its own folder or from a folder of a lower
 * layer; never from a higher layer, nor sideways into another folder of the same layer.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['src/core/wasm'], //            the WebAssembly loader and the generated modules
  ['src/core/linalg'], //          matrices, the matrix-product backends, SVD
  ['src/core/model'], //           the model, its file format
  ['src/core/signal'], //          FFT, STFT, resampling, level, masks, features
  ['src/core/network'], //         the encoders (NN RNMF), training, compression
  ['src/core/separate'], //        the separator and its frame path, batch, spans
  ['src/eval', 'src/io', 'src/gpu', 'src/store'], // metrics and exact solvers; files; gpu.js; IndexedDB
  ['worklet', 'src/jobs'], //      the audio thread; the page's workers (export, train)
  ['src/audio'], //                the page's Web Audio graph
  ['src/bench'], //                the in-page benchmark
  ['src/ui', 'src/cli'], //        the page; the Node command lines
  ['scripts'], //                  developer scripts
];

/** Folders whose code never reaches the page's bundle (exact solvers, Node tools). */
const NODE_ONLY = ['src/eval', 'src/cli', 'scripts'];
const PAGE = ['src/ui', 'src/audio', 'src/jobs', 'src/bench', 'worklet', 'src/store', 'src/gpu', 'src/io', 'src/core'];

const MAX_LINES = 400;
const EXEMPT_LINES = [/\.wasm\.ts$/, /^wasm\/assembly\//];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(join(repoRoot, dir))) {
    const p = posix.join(dir, name);
    if (statSync(join(repoRoot, p)).isDirectory()) walk(p, out);
    else if (/\.(ts|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The folder (as named in LAYERS) a file belongs to, the longest match. */
function folderOf(file: string): string | null {
  let best: string | null = null;
  for (const f of LAYERS.flat()) if ((file === f || file.startsWith(f + '/')) && (!best || f.length > best.length)) best = f;
  return best;
}

const rank = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));

/** Relative imports of a file (static, dynamic, type-only and Vite's `?worker` forms), as repo paths. */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g)) {
    const spec = m[2].split('?')[0];
    out.push(posix.normalize(posix.join(posix.dirname(file), spec)));
  }
  return out;
}

export interface LayoutReport {
  files: number;
  problems: string[];
}

export function checkLayout(): LayoutReport {
  const files = [...walk('src'), ...walk('worklet'), ...walk('scripts')];
  const problems: string[] = [];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const from = folderOf(file);
    if (!from) problems.push(`${file}: in no layer (add its folder to LAYERS in scripts/layout.ts)`);
    const deps = importsOf(file).filter((d) => d.startsWith('src/') || d.startsWith('worklet/') || d.startsWith('scripts/'));
    graph.set(file, deps);
    for (const dep of deps) {
      const to = folderOf(dep);
      if (!from || !to || from === to) continue;
      if (rank(to) >= rank(from)) problems.push(`${file} imports ${dep}: ${to} is not below ${from}`);
      if (PAGE.some((p) => from === p || from.startsWith(p + '/')) && NODE_ONLY.includes(to)) problems.push(`${file} imports ${dep}: page code may not use ${to}`);
    }
    const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n').length - 1;
    if (lines > MAX_LINES && !EXEMPT_LINES.some((r) => r.test(file))) problems.push(`${file}: ${lines} lines (at most ${MAX_LINES})`);
  }
  for (const file of walk('tests')) {
    const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n').length - 1;
    if (lines > MAX_LINES) problems.push(`${file}: ${lines} lines (at most ${MAX_LINES})`);
  }
  for (const cycle of findCycles(graph)) problems.push(`import circle: ${cycle.join(' → ')}`);
  return { files: files.length, problems };
}

/** Every strongly connected set of files, as one circle through it (Tarjan's algorithm). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), cycles: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      if (set.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push([...set.reverse(), set[0]]);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  const { files, problems } = checkLayout();
  for (const p of problems) console.log(p);
  console.log(problems.length ? `${problems.length} problems in ${files} files` : `layout ok: ${files} files, ${LAYERS.length} layers, no circle, none over ${MAX_LINES} lines`);
  process.exit(problems.length ? 1 : 0);
}
