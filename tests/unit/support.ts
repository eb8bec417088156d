/** Shared by the unit tests: running a CLI, feeding a separator in blocks, and a runtime without WebAssembly SIMD. */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { vi } from 'vitest';
import { repoRoot } from '../../src/cli/paths.ts';
import type { Separator } from '../../src/core/separate/separator.ts';

/** Runs a command-line tool as a user does (`tsx src/cli/<tool>.ts`): exit code, signal, outputs, and whether it ran out of time. */
export function runCli(tool: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'src/cli', `${tool}.ts`), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, ...opts });
  return { code: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr), timedOut: r.error !== undefined };
}

/** Runs `input` through `sep` in blocks of `block(k)` samples (the k-th block); voice and accompaniment as long as the input. */
export function runBlocks(sep: Separator, input: Float32Array[], block: (k: number) => number): { voice: Float32Array[]; accomp: Float32Array[] } {
  const n = input[0].length;
  const voice = input.map(() => new Float32Array(n)), accomp = input.map(() => new Float32Array(n));
  for (let i = 0, k = 0; i < n; k++) {
    const len = Math.min(block(k), n - i);
    sep.process(input.map((c) => c.subarray(i, i + len)), voice.map((c) => c.subarray(i, i + len)), accomp.map((c) => c.subarray(i, i + len)), len);
    i += len;
  }
  return { voice, accomp };
}

/**
 * Makes WebAssembly refuse every module (as a runtime without SIMD does) and forgets the loaded
 * modules, so the next import() sees it; undo with vi.unstubAllGlobals() and vi.resetModules().
 */
export function refuseWebAssembly(): void {
  const real = WebAssembly;
  const refuse = () => {
    throw new real.CompileError('no SIMD here');
  };
  vi.stubGlobal('WebAssembly', { ...real, Module: refuse, compile: async () => refuse() });
  vi.resetModules();
}
