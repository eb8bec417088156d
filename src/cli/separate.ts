/**
 * npm run separate -- [--model FILE] --out DIR INPUT...
 *
 * For each input WAV (any sample rate, mono or stereo) writes DIR/<name>/voice.wav and
 * DIR/<name>/accompaniment.wav: float WAV, same rate, channels and length as the input. The
 * separation is the real-time path itself (core/separate/separator.ts) fed the file a block at a
 * time (core/separate/stream.ts: the same samples as separateChannels on the whole file), read and
 * written in blocks (wav-file.ts), so memory does not grow with the length.
 *
 * Nothing is lost: everything that can be checked is checked before any work (the inputs, their
 * headers and rates, the output folders, no output over an input); each output is written to a
 * temporary file beside it and both are renamed into place only when both are complete, so a
 * failed write (a full disk) or Ctrl-C leaves an earlier pair as it was and no partial file.
 */
import { statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeModel, WHOLE_VOICE_RESIDUAL, withResidualWeight, type Model } from '../core/model/model.ts';
import { separatorDelays } from '../core/separate/latency.ts';
import { StreamSeparation } from '../core/separate/stream.ts';
import { AudioFormatError } from '../io/wav.ts';
import { cliMain, readModelFile, UsageError } from './common.ts';
import { entryKind, errnoReason, FileError, isErrnoError } from './fs-errors.ts';
import { checkReplaceable, makeFolder, protectedEntries, wouldReplace } from './outputs.ts';
import { shippedModelPath } from './paths.ts';
import { discardTemporaries, FloatWavFileWriter, removeStaleTemporaries, WavFileReader } from './wav-file.ts';

const HELP = `npm run separate -- [--model FILE] --out DIR INPUT...

Writes DIR/<input name>/voice.wav and DIR/<input name>/accompaniment.wav for every input WAV file
(any sample rate from 3 to 768 kHz, mono or stereo, RIFF or RF64): 32-bit float, same rate,
channels and length as the input. Both files of an input are replaced together, only once both are
complete; an input is never overwritten.
  --model FILE   model to use (default: public/models/default.nnrnmf)
  --whole-voice  the page's Whole voice setting: what the accompaniment estimate leaves unexplained
                 goes to the voice too (keeps a voice alone whole, its highs included)
  --quiet        print nothing but errors
`;

const STEMS = [['voice', 'voice.wav'], ['accompaniment', 'accompaniment.wav']] as const;
/**
 * Samples per channel read, separated and written at a time: a few milliseconds of work, so that
 * Ctrl-C is answered at once (tsx, between the terminal and this process, kills a process that
 * has not taken the signal within 60 ms).
 */
const BLOCK = 16384;

/** Whether `e` is a failure of one input (reported, the rest goes on) rather than a bug. */
const expected = (e: unknown) => e instanceof AudioFormatError || e instanceof FileError || e instanceof UsageError || isErrnoError(e);

/** An input's problem found before the work, or null: its header, channels, rate, output folder. */
function check(model: Model, path: string, dir: string): string | null {
  try {
    const reader = WavFileReader.open(path);
    const { channels, sampleRate } = reader.layout;
    reader.close();
    if (channels > 2) return `${path}: ${channels} channels; only mono and stereo are supported`;
    try {
      separatorDelays(sampleRate, model.header);
    } catch {
      return `${path}: sample rate ${sampleRate} Hz is not supported (the separator takes 3000 to 768000 Hz)`;
    }
    makeFolder(dir);
    for (const [, file] of STEMS) checkReplaceable(join(dir, file));
    removeStaleTemporaries(dir, STEMS.map(([, file]) => file));
    return null;
  } catch (e) {
    if (!expected(e)) throw e;
    return (e as Error).message;
  }
}

/** Separates one file into `dir`: both outputs complete and in place, or neither touched. */
async function separateFile(model: Model, path: string, dir: string): Promise<{ frames: number; sampleRate: number; channels: number }> {
  const reader = WavFileReader.open(path);
  const { sampleRate, channels, frames } = reader.layout;
  const writers: FloatWavFileWriter[] = [];
  try {
    for (const [, file] of STEMS) writers.push(new FloatWavFileWriter(join(dir, file), sampleRate, channels, frames));
    const [voice, accomp] = writers;
    const stream = new StreamSeparation(model, sampleRate, channels, BLOCK);
    const input = Array.from({ length: channels }, () => new Float32Array(BLOCK));
    const sink = (v: readonly Float32Array[], a: readonly Float32Array[], from: number, n: number) => {
      voice.append(v, from, n);
      accomp.append(a, from, n);
    };
    let yielded = performance.now();
    for (let n; (n = reader.read(input, BLOCK)) > 0; ) {
      stream.push(input, n, sink);
      // Let Ctrl-C in (its handler removes the temporary files).
      if (performance.now() - yielded > 10) {
        await new Promise((r) => setImmediate(r));
        yielded = performance.now();
      }
    }
    stream.finish(sink);
    for (const w of writers) w.finish();
    for (const w of writers) w.commit();
    return { frames, sampleRate, channels };
  } catch (e) {
    for (const w of writers) w.discard();
    throw e;
  } finally {
    reader.close();
  }
}

/** Inputs that name something other than a readable file stop the run before any work. */
function checkInputExists(p: string): void {
  let st;
  try {
    st = statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' || code === 'ENOTDIR' ? `${p}: no such file` : `${p}: ${errnoReason(e)}`);
  }
  if (!st.isFile()) throw new UsageError(`${p}: is ${entryKind(st)}, not a WAV file`);
}

async function main(argv: string[]): Promise<void> {
  const { values: a, positionals: inputs } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean' }, model: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' }, 'whole-voice': { type: 'boolean' } },
  });
  if (a.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!a.out) throw new UsageError('--out DIR is required');
  if (inputs.length === 0) throw new UsageError('no input files given');
  // Fail before any work if an input is missing: a typo should not cost a long run.
  for (const p of inputs) checkInputExists(p);
  const names = inputs.map((p) => basename(p, extname(p)));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`two inputs are named "${dup}": their outputs would overwrite each other`);
  const modelPath = a.model ?? shippedModelPath;
  const keep = protectedEntries([...inputs, modelPath]);
  const dirs = names.map((n) => join(a.out!, n));
  for (const dir of dirs) {
    for (const [what, file] of STEMS) {
      const target = join(dir, file);
      if (wouldReplace(target, keep)) throw new UsageError(`${target} is an input: writing the ${what} there would overwrite it (choose another --out)`);
    }
  }
  makeFolder(a.out, false);
  const file = readModelFile(modelPath);
  const model = a['whole-voice'] ? withResidualWeight(file, WHOLE_VOICE_RESIDUAL) : file;
  const say = (s: string) => { if (!a.quiet) process.stderr.write(`${s}\n`); };
  say(`model: ${describeModel(model)}${a['whole-voice'] ? ', whole voice' : ''}`);

  // Every input's header, rate and output folder, before any work.
  const problems = inputs.map((p, k) => check(model, p, dirs[k]));
  for (const p of problems) if (p) process.stderr.write(`error: ${p}\n`);

  // Ctrl-C or a kill: the files being written are removed (the finished ones stay).
  const stop = (code: number) => () => {
    discardTemporaries();
    process.stderr.write('interrupted: the files being written were removed; finished outputs are kept\n');
    process.exit(code);
  };
  process.once('SIGINT', stop(130));
  process.once('SIGTERM', stop(143));
  process.once('exit', discardTemporaries);

  let failed = problems.filter(Boolean).length;
  for (const [k, path] of inputs.entries()) {
    if (problems[k]) continue;
    const t0 = performance.now();
    let r;
    try {
      r = await separateFile(model, path, dirs[k]);
    } catch (e) {
      if (!expected(e)) throw e;
      process.stderr.write(`error: ${(e as Error).message}${e instanceof FileError ? '; nothing was replaced' : ''}\n`);
      failed++;
      continue;
    }
    const seconds = (performance.now() - t0) / 1000;
    const dur = r.frames / r.sampleRate;
    say(`${names[k]}: ${dur.toFixed(1)} s at ${r.sampleRate} Hz, ${r.channels === 2 ? 'stereo' : 'mono'}: separated in ${seconds.toFixed(2)} s (${(dur / seconds).toFixed(0)}× real time) → ${dirs[k]}`);
  }
  if (failed > 0) {
    process.stderr.write(`${failed} of ${inputs.length} input(s) could not be separated\n`);
    process.exitCode = 1;
  }
}

cliMain(main);
