/**
 * npm run eval -- --data DIR [--split dev] [--methods a,b,…] [--pick N] [--json FILE]
 *
 * The paper's Table 1 on a data folder: BSS-eval (v3) of the voice — GNSDR, GSIR, GSAR — for ideal
 * masks, the exact solvers, NN RPCA and NN RNMF in each training regime, and the shipped model,
 * all in one run, with the seconds each method took per second of audio. Clips are scored the way
 * `../shared/tools/score.py` scores them (mixture = voice + accompaniment, references [voice,
 * accompaniment], no permutation), and the NN methods run exactly the path `npm run separate` runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BssEval, globalScores, type ClipScore } from '../eval/bsseval.ts';
import { clipFrames, type ClipFrames } from '../core/signal/features.ts';
import { softMask } from '../core/signal/masks.ts';
import { mat, type Mat } from '../core/linalg/matrix.ts';
import { HEADER_RANGES, inRange, WHOLE_VOICE_RESIDUAL, withResidualWeight, type Model } from '../core/model/model.ts';
import { resampleSignal } from '../core/signal/resample.ts';
import { separateChannels } from '../core/separate/separator.ts';
import { rnmf } from '../eval/solvers/rnmf.ts';
import { binaryMask, rpcaAdmm } from '../eval/solvers/rpca-admm.ts';
import { rpcaProximal } from '../eval/solvers/rpca-prox.ts';
import { istft, magnitude, StftKernel } from '../core/signal/stft.ts';
import { cliMain, readModelFile, UsageError } from './common.ts';
import { listItems, singersOfSplit, type Item } from './dataset.ts';
import { assertWritableFile, writeFinished } from './output-path.ts';
import { repoRoot, sharedData, shippedModelPath } from './paths.ts';

/** The models of the paper's table, trained by `npm run train` (see README, Reproducing Table 1). */
export const PAPER_MODELS: { key: string; label: string; file: string }[] = [
  { key: 'nn-rpca-untrained', label: 'NN RPCA untrained', file: 'models/paper/rpca-untrained.nnrnmf' },
  { key: 'nn-rpca-unsupervised', label: 'NN RPCA unsupervised', file: 'models/paper/rpca-dense-unsupervised.nnrnmf' },
  { key: 'nn-rpca-supervised', label: 'NN RPCA supervised', file: 'models/paper/rpca-dense-supervised.nnrnmf' },
  { key: 'nn-rpca-dict', label: 'NN RPCA dict. update', file: 'models/paper/rpca-dense-dictupdate.nnrnmf' },
  { key: 'nn-rnmf-untrained', label: 'NN RNMF untrained', file: 'models/paper/rnmf-untrained.nnrnmf' },
  { key: 'nn-rnmf-unsupervised', label: 'NN RNMF unsupervised', file: 'models/paper/rnmf-dense-unsupervised.nnrnmf' },
  { key: 'nn-rnmf-semi', label: 'NN RNMF semi-supervised', file: 'models/paper/rnmf-dense-semisupervised.nnrnmf' },
  { key: 'nn-rnmf-supervised', label: 'NN RNMF supervised', file: 'models/paper/rnmf-dense-supervised.nnrnmf' },
  { key: 'nn-rnmf-dict', label: 'NN RNMF dict. update', file: 'models/paper/rnmf-dense-dictupdate.nnrnmf' },
];

/**
 * The steps from the model shipped before to the one shipped now, one lever each (README, Quality
 * beyond the paper): models/quality/*.nnrnmf in name order, scored as the method "levers".
 */
export const LEVERS_DIR = 'models/quality';
const LEVER_LABELS: Record<string, string> = {
  '0-before.nnrnmf': 'Before: the model shipped until now (train singers)',
  '1-more-singers.nnrnmf': '+ the extra singers (train + extra, 6 singers)',
  '2-remixes.nnrnmf': '+ remixes, sources alone, voice_only/ voices',
  '3-masked-output-loss.nnrnmf': '+ the loss on the masked outputs',
  '4-untied-finetune.nnrnmf': '+ a fine-tune of the structured rewrite, layers untied',
  '5-finetune-bin-weighted.nnrnmf': '(the same fine-tune, loss weighted per frequency)',
  '6-average-of-fine-tunes.nnrnmf': '+ the mean of the two fine-tunes (the model shipped before this one)',
  '7-gradient-leak.nnrnmf': '+ a fine-tune with a gradient leak: the dead upper bins come back',
  '8-leak-finetune.nnrnmf': '+ 3000 more steps, dictionary update',
  '9-leak-finetune-fixed-dictionary.nnrnmf': '(the same 3000 steps, dictionary fixed)',
};
const SHIPPED_UNGATED_LABEL = '+ the mean of the two: the network shipped, without the presence gate (public/models/default.nnrnmf)';

const HELP = `npm run eval -- --data DIR [--split dev] [options]

  --data DIR        MIR-1K folder (Wavfile/*.wav + splits.csv) or stems folder (default ../shared/data/mir1k)
  --split NAME      split to score (default: dev when the folder has splits.csv)
  --methods LIST    comma-separated method keys (default: all); see the list below
  --pick N          only N clips per singer, spread evenly (a quick figure)
  --json FILE       also write every clip's figures as JSON
  --model FILE      also score this model (repeatable); with --methods none, only the given models
  --residual-weight B   run every NN model with the mask's residual voice estimate max(o, x − B·Us)
                    (${WHOLE_VOICE_RESIDUAL}: the page's Whole voice setting; 0: the paper's mask)
  --model-band      leave the input above the model's band (over 8 kHz for a 16 kHz model) all in
                    the accompaniment, as the separator did before it gave the voice its share
  --no-presence-gate   run the shipped model and the --model files without the presence gate (the
                    voice mask above 1.6 kHz believed only while the voice is present below 1.2 kHz);
                    the paper's models and the lever steps before the gate always run without it

Methods: ideal-binary, ideal-ratio, admm-rpca, prox-rpca, mult-rnmf, ${PAPER_MODELS.map((m) => m.key).join(', ')}, levers (every
model in ${LEVERS_DIR}/, one row each, then the shipped network without the presence gate), shipped
`;

interface Separation {
  voice: Float32Array;
  accomp: Float32Array;
}

interface Clip {
  name: string;
  rate: number;
  voice: Float32Array;
  accomp: Float32Array;
  mixture: Float32Array;
  /** Frames at the model rate (16 kHz), for the whole-signal methods. */
  frames: ClipFrames;
  mixture16: Float32Array;
}

interface Method {
  key: string;
  label: string;
  run(clip: Clip): Separation;
  /** Separates one signal (a source alone); the NN methods only, which run on any input. */
  separate?(signal: Float32Array, rate: number): Separation;
}

/**
 * How the NN models run: the mask's residual weight (default: the model's), whether the voice takes
 * its share above the model's band, and whether the presence gate runs (the separator's defaults: yes).
 */
interface RunOptions {
  residualWeight?: number;
  fullBand: boolean;
  presenceGate: boolean;
}

/** A model as `npm run separate` runs it. */
function modelMethod(key: string, label: string, model: Model, { residualWeight, fullBand, presenceGate }: RunOptions): Method {
  const run = residualWeight === undefined ? model : withResidualWeight(model, residualWeight);
  if (residualWeight !== undefined) label += ` [residual weight ${residualWeight}]`;
  if (!fullBand) label += ' [model band only]';
  const separate = (signal: Float32Array, rate: number): Separation => {
    const r = separateChannels(run, rate, [signal], { fullBand, presenceGate });
    return { voice: r.voice[0], accomp: r.accomp[0] };
  };
  return { key, label, run: (c) => separate(c.mixture, c.rate), separate };
}

const energy = (x: Float32Array) => x.reduce((e, v) => e + v * v, 0);
const decibels = (ratio: number) => (ratio > 0 ? 10 * Math.log10(ratio) : -Infinity);

const MODEL_RATE = 16000;
const KERNEL = new StftKernel({ fftSize: 1024, hop: 256 });
const FRAME_HEADER = { sampleRate: MODEL_RATE, fftSize: 1024, hop: 256, levelTau: 4 };

/** Mask (m × frames, at 16 kHz) → voice at the clip's rate; accompaniment = mixture − voice. */
function fromMask(clip: Clip, mask: Mat): Separation {
  const { re, im } = clip.frames.spectrum;
  const vr = mat(re.rows, re.cols), vi = mat(re.rows, re.cols);
  for (let i = 0; i < mask.data.length; i++) {
    vr.data[i] = re.data[i] * mask.data[i];
    vi.data[i] = im.data[i] * mask.data[i];
  }
  let voice = istft({ re: vr, im: vi }, clip.mixture16.length, KERNEL);
  if (clip.rate !== MODEL_RATE) voice = resampleSignal(voice, MODEL_RATE, clip.rate).subarray(0, clip.mixture.length);
  const accomp = new Float32Array(clip.mixture.length);
  for (let i = 0; i < accomp.length; i++) accomp[i] = clip.mixture[i] - voice[i];
  return { voice, accomp };
}

function maskOf(fn: (v: number, a: number) => number, voice: Mat, accomp: Mat): Mat {
  const out = mat(voice.rows, voice.cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = fn(voice.data[i], accomp.data[i]);
  return out;
}

function buildMethods(only: Set<string> | null, models: Map<string, Model>, runOptions: RunOptions): { methods: Method[]; skipped: string[] } {
  // The paper's models and the steps before the presence gate ran without it.
  const ungated: RunOptions = { ...runOptions, presenceGate: false };
  const all: Method[] = [
    {
      key: 'ideal-binary', label: 'Ideal binary mask',
      run: (c) => fromMask(c, maskOf((v, a) => (v > a ? 1 : 0), c.frames.sources[0], c.frames.sources[1])),
    },
    {
      key: 'ideal-ratio', label: 'Ideal ratio mask',
      run: (c) => fromMask(c, maskOf((v, a) => (v * v + a * a > 0 ? (v * v) / (v * v + a * a) : 0), c.frames.sources[0], c.frames.sources[1])),
    },
    {
      key: 'admm-rpca', label: 'ADMoM RPCA (Huang et al.)',
      run: (c) => {
        // Scale-free: the raw magnitudes, as Huang et al. use them.
        const r = rpcaAdmm(magnitude(c.frames.spectrum, KERNEL));
        return fromMask(c, binaryMask(r.sparse, r.low));
      },
    },
    {
      key: 'prox-rpca', label: 'Proximal RPCA',
      run: (c) => {
        const r = rpcaProximal(c.frames.x);
        return fromMask(c, binaryMask(r.sparse, r.low));
      },
    },
  ];
  const skipped: string[] = [];
  const dictModel = models.get('nn-rnmf-untrained') ?? models.get('shipped');
  if (dictModel) {
    const h = dictModel.header;
    all.push({
      key: 'mult-rnmf', label: 'Multiplicative RNMF',
      // Eq. (6) solved on the clip itself, started from the learned dictionary.
      run: (c) => {
        const r = rnmf(c.frames.x, { q: h.q, lambda: h.lambda, lambdaStar: h.lambdaStar, iterations: 200, init: { U: dictModel.arrays.U }, seed: 1 });
        const low = mat(r.U.rows, r.S.cols);
        for (let j = 0; j < r.S.cols; j++) {
          for (let a = 0; a < h.q; a++) {
            const s = r.S.data[a + j * h.q];
            if (s === 0) continue;
            for (let i = 0; i < h.m; i++) low.data[i + j * h.m] += r.U.data[i + a * h.m] * s;
          }
        }
        const mask = mat(low.rows, low.cols);
        softMask(r.O.data, low.data, h.maskPower, mask.data);
        return fromMask(c, mask);
      },
    });
  } else skipped.push('mult-rnmf (needs a dictionary: models/paper/rnmf-untrained.nnrnmf)');
  if (!only || only.has('levers')) {
    const dir = join(repoRoot, LEVERS_DIR);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.nnrnmf')).sort() : [];
    if (files.length === 0) skipped.push(`levers (no model in ${LEVERS_DIR}/)`);
    for (const f of files) {
      const model = readModelFile(join(dir, f));
      all.push(modelMethod(`levers:${f}`, `${LEVER_LABELS[f] ?? String(model.info.name ?? f)} (${LEVERS_DIR}/${f})`, model, ungated));
    }
    const shipped = models.get('shipped');
    if (shipped && files.length > 0) all.push(modelMethod('levers:shipped-ungated', SHIPPED_UNGATED_LABEL, shipped, ungated));
  }
  for (const pm of [...PAPER_MODELS, { key: 'shipped', label: 'Shipped model (public/models/default.nnrnmf)', file: '' }]) {
    const model = models.get(pm.key);
    if (!model) {
      if (!only || only.has(pm.key)) skipped.push(`${pm.key} (no model file ${pm.file || shippedModelPath})`);
      continue;
    }
    const isShipped = pm.key === 'shipped';
    const label = isShipped && !runOptions.presenceGate ? `${pm.label} [no presence gate]` : pm.label;
    all.push(modelMethod(pm.key, label, model, isShipped ? runOptions : ungated));
  }
  const methods = only ? all.filter((m) => only.has(m.key) || (only.has('levers') && m.key.startsWith('levers:'))) : all;
  // --methods '' (empty) with --model: only the given models.
  if (only) for (const k of only) if (k !== 'levers' && !all.some((m) => m.key === k) && !skipped.some((s) => s.startsWith(k))) throw new UsageError(`unknown method "${k}"`);
  return { methods, skipped };
}

function pickEvenly<T>(list: T[], n: number): T[] {
  if (list.length <= n) return list;
  const idx = new Set(Array.from({ length: n }, (_, i) => Math.round((i * (list.length - 1)) / (n - 1 || 1))));
  return list.filter((_, i) => idx.has(i));
}

function main(argv: string[]): void {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean' }, data: { type: 'string' }, split: { type: 'string' }, methods: { type: 'string' },
      pick: { type: 'string' }, json: { type: 'string' }, model: { type: 'string', multiple: true }, 'residual-weight': { type: 'string' },
      'model-band': { type: 'boolean' }, 'no-presence-gate': { type: 'boolean' },
    },
  });
  if (a.help) {
    process.stdout.write(HELP);
    return;
  }
  if (a.json) assertWritableFile(a.json, '--json'); // before the evaluation, not after it
  const residualWeight = a['residual-weight'] === undefined ? undefined : Number(a['residual-weight']);
  if (residualWeight !== undefined && !inRange('residualWeight', residualWeight)) {
    const range = HEADER_RANGES.residualWeight;
    throw new UsageError(`--residual-weight must be a number from ${range.min} to ${range.max}, got "${a['residual-weight']}"`);
  }
  const dataDir = a.data ?? join(sharedData, 'mir1k');
  const split = a.split ?? (existsSync(join(dataDir, 'splits.csv')) ? 'dev' : undefined);
  let refs = listItems(dataDir, split);
  if (a.pick) {
    const n = Number(a.pick);
    if (!(n >= 1)) throw new UsageError(`--pick must be a positive number, got "${a.pick}"`);
    const groups = new Map<string, typeof refs>();
    for (const r of refs) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
    refs = [...groups.values()].flatMap((g) => pickEvenly(g, n));
  }
  // --methods none: only the --model files.
  const only = a.methods === 'none' ? new Set<string>() : a.methods ? new Set(a.methods.split(',').map((s) => s.trim()).filter(Boolean)) : null;
  const models = new Map<string, Model>();
  for (const pm of PAPER_MODELS) {
    const path = join(repoRoot, pm.file);
    if (existsSync(path) && (!only || only.has(pm.key) || (pm.key === 'nn-rnmf-untrained' && only.has('mult-rnmf')))) models.set(pm.key, readModelFile(path));
  }
  if (existsSync(shippedModelPath) && (!only || only.has('shipped') || only.has('levers') || only.has('mult-rnmf'))) models.set('shipped', readModelFile(shippedModelPath));
  const runOptions: RunOptions = { residualWeight, fullBand: !a['model-band'], presenceGate: !a['no-presence-gate'] };
  const { methods, skipped } = buildMethods(only, models, runOptions);
  for (const file of a.model ?? []) {
    const model = readModelFile(file);
    methods.push(modelMethod(`model:${file}`, `${typeof model.info.name === 'string' ? model.info.name : file} (${file})`, model, runOptions));
  }
  if (methods.length === 0) throw new UsageError('no method to run');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`scoring ${methods.length} methods on ${refs.length} clips of ${dataDir}${split ? ` (split ${split})` : ''}`);
  for (const s of skipped) log(`  skipped: ${s}`);

  // Dev clips of the singers in `extra` (training data of the product's model) are not unseen singers
  // for that model: the table gives the figures on the other clips too.
  const extraSingers = singersOfSplit(dataDir, 'extra');
  const unseen = refs.filter((r) => !extraSingers.has(r.group)).length;
  const showUnseen = extraSingers.size > 0 && unseen > 0 && unseen < refs.length;
  type SingerScore = ClipScore & { singer: string };
  // Sources alone: the energy each output gets when the input is the voice alone or the accompaniment alone.
  const scores = new Map<string, { voice: SingerScore[]; accomp: SingerScore[]; seconds: number; alone: { voiceIn: [number, number]; accompIn: [number, number] } }>(
    methods.map((m) => [m.key, { voice: [], accomp: [], seconds: 0, alone: { voiceIn: [0, 0], accompIn: [0, 0] } }]));
  const perClip: Record<string, unknown>[] = [];
  let audioSeconds = 0;
  const started = Date.now();
  for (const [k, ref] of refs.entries()) {
    const item: Item = ref.load();
    let { voice, accomp } = item;
    // As score.py: keep the mixture below full scale by scaling both sources alike.
    let peak = 0;
    for (let i = 0; i < voice.length; i++) peak = Math.max(peak, Math.abs(voice[i] + accomp[i]));
    if (peak > 0.99) {
      const g = 0.99 / peak;
      voice = voice.map((v) => v * g);
      accomp = accomp.map((v) => v * g);
    }
    const mixture = new Float32Array(voice.length);
    for (let i = 0; i < mixture.length; i++) mixture[i] = voice[i] + accomp[i];
    const rate = item.sampleRate;
    const at16 = (x: Float32Array) => (rate === MODEL_RATE ? x : resampleSignal(x, rate, MODEL_RATE));
    const mixture16 = at16(mixture);
    const clip: Clip = {
      name: item.name, rate, voice, accomp, mixture, mixture16,
      frames: clipFrames(mixture16, [at16(voice), at16(accomp)], FRAME_HEADER),
    };
    const seconds = mixture.length / rate;
    audioSeconds += seconds;
    const bss = new BssEval([voice, accomp]);
    const mix = bss.evaluate([mixture, mixture], false);
    const row: Record<string, unknown> = { clip: item.name, singer: ref.group, seconds, mixtureSdr: [mix.sdr[0], mix.sdr[1]] };
    for (const m of methods) {
      const t0 = performance.now();
      const sep = m.run(clip);
      const dt = (performance.now() - t0) / 1000;
      const r = bss.evaluate([sep.voice, sep.accomp], false);
      const s = scores.get(m.key)!;
      s.seconds += dt;
      const singer = ref.group;
      s.voice.push({ seconds, sdr: r.sdr[0], sir: r.sir[0], sar: r.sar[0], sdrMixture: mix.sdr[0], singer });
      s.accomp.push({ seconds, sdr: r.sdr[1], sir: r.sir[1], sar: r.sar[1], sdrMixture: mix.sdr[1], singer });
      row[m.key] = { sdr: [r.sdr[0], r.sdr[1]], sir: [r.sir[0], r.sir[1]], sar: [r.sar[0], r.sar[1]], seconds: dt };
      if (m.separate) {
        const fromVoice = m.separate(voice, rate), fromAccomp = m.separate(accomp, rate);
        const e = [energy(fromVoice.voice), energy(fromVoice.accomp), energy(fromAccomp.voice), energy(fromAccomp.accomp)];
        s.alone.voiceIn[0] += e[0]; s.alone.voiceIn[1] += e[1]; s.alone.accompIn[0] += e[2]; s.alone.accompIn[1] += e[3];
        Object.assign(row[m.key] as object, { voiceAloneDb: decibels(e[1] / e[0]), accompAloneDb: decibels(e[2] / e[3]) });
      }
    }
    perClip.push(row);
    const eta = ((Date.now() - started) / 1000 / (k + 1)) * (refs.length - k - 1);
    log(`[${k + 1}/${refs.length}] ${item.name} (${seconds.toFixed(1)} s)  ~${eta.toFixed(0)} s left`);
  }

  const rows = methods.map((m) => {
    const s = scores.get(m.key)!;
    const v = globalScores(s.voice), acc = globalScores(s.accomp);
    const isUnseen = (c: { singer: string }) => !extraSingers.has(c.singer);
    const vu = showUnseen ? globalScores(s.voice.filter(isUnseen)) : v, au = showUnseen ? globalScores(s.accomp.filter(isUnseen)) : acc;
    return {
      key: m.key, label: m.label, gnsdr: v.gnsdr, gsir: v.gsir, gsar: v.gsar, accompGnsdr: acc.gnsdr,
      unseenGnsdr: vu.gnsdr, unseenAccompGnsdr: au.gnsdr, secondsPerSecond: s.seconds / audioSeconds,
      // dB of the wrong output below the right one, over all clips' energy (NN methods only).
      voiceAloneDb: m.separate ? decibels(s.alone.voiceIn[1] / s.alone.voiceIn[0]) : null,
      accompAloneDb: m.separate ? decibels(s.alone.accompIn[0] / s.alone.accompIn[1]) : null,
    };
  });
  const out: string[] = [];
  out.push(`Voice separation on ${dataDir.replace(/.*\/shared\/data\//, '../shared/data/')}${split ? ` split ${split}` : ''}: ${refs.length} clips, ${(audioSeconds / 60).toFixed(1)} min (BSS-eval v3, duration-weighted)`);
  out.push('');
  const unseenHead = showUnseen ? ` GNSDR, ${unseen} clips of unseen singers | accomp., unseen |` : '';
  out.push(`| Method | GNSDR | GSIR | GSAR | accomp. GNSDR |${unseenHead} voice alone: accomp. out, dB | accomp. alone: voice out, dB | s per s of audio |`);
  out.push(`|---|---:|---:|---:|---:|${showUnseen ? '---:|---:|' : ''}---:|---:|---:|`);
  const db = (x: number | null) => (x === null ? '–' : x.toFixed(1));
  for (const r of rows) {
    const unseenCells = showUnseen ? ` ${r.unseenGnsdr.toFixed(2)} | ${r.unseenAccompGnsdr.toFixed(2)} |` : '';
    out.push(`| ${r.label} | ${r.gnsdr.toFixed(2)} | ${r.gsir.toFixed(2)} | ${r.gsar.toFixed(2)} | ${r.accompGnsdr.toFixed(2)} |${unseenCells} ${db(r.voiceAloneDb)} | ${db(r.accompAloneDb)} | ${r.secondsPerSecond < 0.01 ? r.secondsPerSecond.toExponential(1) : r.secondsPerSecond.toFixed(3)} |`);
  }
  out.push('', 'Sources alone (NN methods): the voice alone, then the accompaniment alone, go through the separator; each figure is the energy of the output that should stay silent, in dB relative to the other output (lower is better).');
  if (showUnseen) out.push('', `Unseen singers: the clips of singers outside the \`extra\` split (${[...extraSingers].sort().join(', ')}), which the product's model may train on.`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (a.json) {
    const written = writeFinished(a.json, JSON.stringify({ data: dataDir, split, summary: rows, clips: perClip }, null, 1));
    if (written.rescued) {
      process.stderr.write(`error: ${written.rescued}\n`);
      process.exitCode = 1;
    }
  }
}

cliMain(main);
