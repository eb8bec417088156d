/**
 * npm run separate -- [--model FILE] --out DIR INPUT...
 *
 * For each input WAV (any sample rate, mono or stereo) writes DIR/<name>/voice.wav and
 * DIR/<name>/accompaniment.wav: float WAV, same rate, channels and length as the input. The
 * separation is the real-time path itself (core/separator.ts), fed the whole file.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeModel } from '../core/model/model.ts';
import { separateChannels } from '../core/separate/separator.ts';
import { encodeWav } from '../io/wav.ts';
import { cliMain, readModelFile, UsageError } from './common.ts';
import { readAudioFile } from './dataset.ts';
import { shippedModelPath } from './paths.ts';

const HELP = `npm run separate -- [--model FILE] --out DIR INPUT...

Writes DIR/<input name>/voice.wav and DIR/<input name>/accompaniment.wav for every input WAV file
(any sample rate, mono or stereo): 32-bit float, same rate, channels and length as the input.
  --model FILE   model to use (default: public/models/default.nnrnmf)
  --quiet        print nothing but errors
`;

function main(argv: string[]): void {
  const { values: a, positionals: inputs } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean' }, model: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' } },
  });
  if (a.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!a.out) throw new UsageError('--out DIR is required');
  if (inputs.length === 0) throw new UsageError('no input files given');
  // Fail before any work if an input is missing: a typo should not cost a long run.
  for (const p of inputs) {
    let ok = false;
    try { ok = statSync(p).isFile(); } catch { /* reported below */ }
    if (!ok) throw new UsageError(`${p}: no such file`);
  }
  const names = inputs.map((p) => basename(p, extname(p)));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`two inputs are named "${dup}": their outputs would overwrite each other`);
  const model = readModelFile(a.model ?? shippedModelPath);
  const say = (s: string) => { if (!a.quiet) process.stderr.write(`${s}\n`); };
  say(`model: ${describeModel(model)}`);
  let failed = 0;
  for (const [k, path] of inputs.entries()) {
    let audio;
    try {
      audio = readAudioFile(path);
      if (audio.channels.length > 2) throw new UsageError(`${path}: ${audio.channels.length} channels; only mono and stereo are supported`);
    } catch (e) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      failed++;
      continue;
    }
    const t0 = performance.now();
    const { voice, accomp } = separateChannels(model, audio.sampleRate, audio.channels);
    const seconds = (performance.now() - t0) / 1000;
    const dir = join(a.out, names[k]);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'voice.wav'), encodeWav({ sampleRate: audio.sampleRate, channels: voice }));
    writeFileSync(join(dir, 'accompaniment.wav'), encodeWav({ sampleRate: audio.sampleRate, channels: accomp }));
    const dur = audio.channels[0].length / audio.sampleRate;
    say(`${names[k]}: ${dur.toFixed(1)} s at ${audio.sampleRate} Hz, ${audio.channels.length === 2 ? 'stereo' : 'mono'}: separated in ${seconds.toFixed(2)} s (${(dur / seconds).toFixed(0)}× real time) → ${dir}`);
  }
  if (failed > 0) {
    process.stderr.write(`${failed} of ${inputs.length} input(s) could not be read\n`);
    process.exitCode = 1;
  }
}

cliMain(main);
