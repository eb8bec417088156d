/**
 * npm run train -- --out FILE [options]
 *
 * Trains an NN RNMF (or NN RPCA) model on a data folder and writes it in the project's model format.
 * Run with --help for the options. Progress goes to stderr; the last line on stdout sums up.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { structuredFromDense } from '../core/network/compress.ts';
import { clipFrames } from '../core/signal/features.ts';
import { mat, type Mat } from '../core/linalg/matrix.ts';
import { decodeModel, encodeModel, HEADER_RANGES, type Model, type Structure, type Variant } from '../core/model/model.ts';
import { algorithm1Model } from '../core/network/encoders.ts';
import { Random } from '../core/linalg/random.ts';
import { rnmf } from '../eval/solvers/rnmf.ts';
import { svdTop } from '../core/linalg/svd/top.ts';
import { frameCount, StftKernel } from '../core/signal/stft.ts';
import { trainNetwork, type FrameSet, type Regime } from '../core/network/train.ts';
import { cliMain, readModelFile, UsageError } from './common.ts';
import { DataError, listItems, listVoices, loadAt, mixture, type Item } from './dataset.ts';
import { buildRemix, planRemixes, recipeLength, segments } from './remix.ts';
import { resampleSignal } from '../core/signal/resample.ts';
import { averageModels } from './average.ts';
import { assertWritableFile, writeFinished } from './output-path.ts';
import { sharedData } from './paths.ts';

const HELP = `npm run train -- --out FILE [options]

Data
  --data DIR            MIR-1K folder (Wavfile/*.wav) or stems folder (<item>/voice.wav + accomp.wav)
                        (default: ../shared/data/mir1k)
  --split NAME          MIR-1K split(s) to train on, comma-separated (default: train, if splits.csv exists)
  --frames N            training frames drawn at random (default 10000)
  --remix N             N more training items, each the voice of one clip over the accompaniment of
                        another, at random gains (±--remix-gain dB, default 6) and circular shifts
  --voice-alone N       N training items of a voice alone (accompaniment silent)
  --accomp-alone N      N training items of an accompaniment alone (voice silent)
  --voice-only DIR      more voices for the remixes: DIR/<item>/voice.wav, cut into 8 s pieces
  --val-frames N        validation frames, from held-out clips (every 6th clip of each singer; default 10000)

Model
  --variant rnmf|rpca   NN RNMF (non-negative) or NN RPCA (default rnmf)
  --structure dense|structured
                        dense: the paper's shared n×n H; structured: per-layer blocks shaped like
                        Algorithm 1's H, 13× cheaper (default structured)
  --layers T            depth (default 10)      --q Q   dictionary atoms (default 20)
  --input-rank R        structured: rank of the learned frequency mixing on the input (default 0)
  --layer-rank R        structured: rank of the learned o→o mixing in each layer (default 0)
  --lambda L            ℓ1 weight (default 0.2) --lambda-star L   ‖s‖² weight (default 1)
  --level-tau S         level tracker time constant, seconds (default 4)
  --dictionary MODEL    take U from this model instead of learning it
  --init MODEL          start from this model's parameters (same variant, structure and sizes)
  --from-dense MODEL    start from a trained dense model rewritten in structured form (low-rank
                        voice blocks of --input-rank / --layer-rank; see core/compress.ts)
  --dict-frames N       frames for learning U (default 10000)   --dict-iterations N (default 500)

Training
  --regime none|supervised|semi-supervised|unsupervised   (default supervised; none = Algorithm 1)
  --dict-update         update U during training (multiplicative for RNMF, gradient for RPCA)
  --tied                structured: one set of layer parameters shared by all layers (as the dense network)
  --mask-weight W       add W × the loss on the masked outputs of both sources (default 0)
  --bin-weighting P     weight each frequency's loss by (its mean energy / the mean over bins)^−P:
                        0 (default) is plain squared error, 1 gives every bin the same say
  --residual-weight B   the mask's voice estimate becomes max(o, x − B·Us): where o is silent, what the
                        accompaniment estimate leaves of the mixture, over-subtracted B times
                        (default: the --init model's, else 0, the paper's mask o alone)
  --gradient-leak L     pass L × the gradient through thresholds that are not passed (default 0), so
                        that a code that is zero on every frame can come back
  --average A,B,…        write the mean of these models' parameters (same shapes; models fine-tuned from
                        one start) instead of training
  --compress R,S        after training a dense network, rewrite it in structured form with input and
                        layer ranks R and S (as --from-dense does), and write that
  --steps N (1500)  --batch N (256)  --lr X (1e-4)  --seed N (1)
  --schedule constant|cosine   learning-rate schedule (default constant)
  --validate-every N (50)  --patience N (0 = run all steps; keep the best on validation)
  --name TEXT           name stored in the model
`;

interface Selection {
  /** Frame indices per clip. */
  picks: Map<number, number[]>;
}

/** Draws `count` distinct frames, uniformly, from the clips. */
function pickFrames(lengths: number[], count: number, rng: Random): Map<number, number[]> {
  const total = lengths.reduce((a, b) => a + b, 0);
  const all = new Int32Array(total).map((_, i) => i);
  rng.shuffle(all);
  const chosen = Array.from(all.subarray(0, Math.min(count, total))).sort((a, b) => a - b);
  const picks = new Map<number, number[]>();
  let clip = 0, start = 0;
  for (const f of chosen) {
    while (f >= start + lengths[clip]) start += lengths[clip++];
    if (!picks.has(clip)) picks.set(clip, []);
    picks.get(clip)!.push(f - start);
  }
  return picks;
}

/** Per-bin loss weights (mean energy of the bin / mean over bins)^−power, from the training mixtures. */
function binWeightsOf(x: Mat, power: number): Float32Array {
  const m = x.rows, energy = new Float64Array(m);
  for (let j = 0; j < x.cols; j++) for (let i = 0; i < m; i++) energy[i] += x.data[j * m + i] ** 2;
  const mean = energy.reduce((a, b) => a + b, 0) / m;
  return Float32Array.from(energy, (e) => (Math.max(e, 1e-4 * mean) / mean) ** -power);
}

function gatherFrames(
  sel: Selection, itemAt: (clip: number) => Item, header: Pick<Model['header'], 'fftSize' | 'hop' | 'sampleRate' | 'levelTau'>, semi: boolean, total: number,
): FrameSet {
  const m = header.fftSize / 2 + 1;
  // Semi-supervised: each picked frame yields an isolated-voice frame and an isolated-accompaniment frame.
  const count = semi ? 2 * total : total;
  const x = mat(m, count), voice = mat(m, count), accomp = mat(m, count);
  let k = 0;
  const copy = (src: Mat, j: number, dst: Mat, at: number) => dst.data.set(src.data.subarray(j * m, (j + 1) * m), at * m);
  for (const [clip, frames] of sel.picks) {
    const item = itemAt(clip);
    if (semi) {
      // The paper's semi-supervised regime: isolated sources, the missing one set to zero.
      const v = clipFrames(item.voice, [], header), a = clipFrames(item.accomp, [], header);
      for (const j of frames) {
        copy(v.x, j, x, k); copy(v.x, j, voice, k); k++;
        copy(a.x, j, x, k); copy(a.x, j, accomp, k); k++;
      }
    } else {
      const f = clipFrames(mixture(item), [item.voice, item.accomp], header);
      for (const j of frames) {
        copy(f.x, j, x, k); copy(f.sources[0], j, voice, k); copy(f.sources[1], j, accomp, k); k++;
      }
    }
  }
  return { x, voice, accomp };
}

/** Writes the model (it must read back); where the write fails it is saved elsewhere and said so. */
function writeModel(out: string, model: Model, summary: string): void {
  const bytes = encodeModel(model);
  decodeModel(bytes);
  const written = writeFinished(out, bytes);
  if (written.rescued) {
    process.stderr.write(`error: ${written.rescued}\n`);
    process.exitCode = 1;
  }
  process.stdout.write(`wrote ${written.path} (${(bytes.length / 1024).toFixed(0)} KiB): ${summary}\n`);
}

function main(argv: string[]): void {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean' }, out: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' },
      frames: { type: 'string' }, 'val-frames': { type: 'string' }, variant: { type: 'string' }, structure: { type: 'string' },
      layers: { type: 'string' }, q: { type: 'string' }, 'input-rank': { type: 'string' }, 'layer-rank': { type: 'string' }, lambda: { type: 'string' }, 'lambda-star': { type: 'string' },
      'level-tau': { type: 'string' }, dictionary: { type: 'string' }, init: { type: 'string' },
      'dict-frames': { type: 'string' }, 'from-dense': { type: 'string' }, 'dict-iterations': { type: 'string' }, regime: { type: 'string' },
      'dict-update': { type: 'boolean' }, tied: { type: 'boolean' }, steps: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
      remix: { type: 'string' }, 'voice-alone': { type: 'string' }, 'accomp-alone': { type: 'string' }, 'remix-gain': { type: 'string' },
      'voice-only': { type: 'string' }, average: { type: 'string' }, 'bin-weighting': { type: 'string' }, 'mask-weight': { type: 'string' }, 'residual-weight': { type: 'string' }, 'gradient-leak': { type: 'string' }, compress: { type: 'string' },
      seed: { type: 'string' }, schedule: { type: 'string' }, 'validate-every': { type: 'string' }, patience: { type: 'string' }, name: { type: 'string' },
    },
  });
  if (a.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!a.out) throw new UsageError('--out FILE is required (where to write the model)');
  if (a.average) {
    assertWritableFile(a.out, '--out');
    const model = averageModels(a.average.split(','));
    model.info = {
      ...model.info, ...(a.name ? { name: a.name } : {}),
      command: `npm run train -- ${argv.map((x) => (/[\s()"]/.test(x) ? JSON.stringify(x) : x)).join(' ')}`, created: new Date().toISOString(),
    };
    writeModel(a.out, model, String(model.info.summary));
    return;
  }
  const num = (v: string | undefined, d: number, what: string) => {
    if (v === undefined) return d;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new UsageError(`${what} must be a number, got "${v}"`);
    return x;
  };
  const int = (v: string | undefined, d: number, what: string, min: number, max = Infinity) => {
    const x = num(v, d, what);
    if (!Number.isInteger(x) || x < min || x > max) throw new UsageError(`${what} must be a whole number ${max < Infinity ? `from ${min} to ${max}` : `≥ ${min}`}, got "${v}"`);
    return x;
  };
  const positive = (v: string | undefined, d: number, what: string, orZero = false, max = Infinity) => {
    const x = num(v, d, what);
    if (!(x > 0 || (orZero && x === 0)) || x > max) throw new UsageError(`${what} must be ${orZero ? '≥ 0' : '> 0'}${max < Infinity ? ` and at most ${max}` : ''}, got "${v}"`);
    return x;
  };
  // What a model file may hold (core/model/header.ts), checked now rather than when the model is saved.
  const range = (field: keyof typeof HEADER_RANGES) => HEADER_RANGES[field].max;
  const oneOf = <T extends string>(v: string | undefined, d: T, allowed: readonly T[], what: string): T => {
    const x = (v ?? d) as T;
    if (!allowed.includes(x)) throw new UsageError(`${what} must be one of ${allowed.join(', ')}; got "${v}"`);
    return x;
  };
  const variant = oneOf<Variant>(a.variant, 'rnmf', ['rnmf', 'rpca'], '--variant');
  const structure = oneOf<Structure>(a.structure, 'structured', ['dense', 'structured'], '--structure');
  const regime = oneOf<Regime | 'none'>(a.regime, 'supervised', ['none', 'supervised', 'semi-supervised', 'unsupervised'], '--regime');
  const dataDir = a.data ?? `${sharedData}/mir1k`;
  // Every option is checked here, before the data loads: a typo must not cost a training run.
  const m = 513; // bins of the 1024-point frames the models use
  const seed = int(a.seed, 1, '--seed', 0);
  const q = int(a.q, 20, '--q', 1, m), lambda = positive(a.lambda, 0.2, '--lambda', true, range('lambda')), lambdaStar = positive(a['lambda-star'], 1, '--lambda-star', true, range('lambdaStar'));
  const layers = int(a.layers, 10, '--layers', structure === 'structured' ? 2 : 1, 1000);
  const inputRank = int(a['input-rank'], 0, '--input-rank', 0, m), layerRank = int(a['layer-rank'], 0, '--layer-rank', 0, m);
  const frameBudget = int(a.frames, 10000, '--frames', 1), valFrames = int(a['val-frames'], 10000, '--val-frames', 1);
  const dictFrames = int(a['dict-frames'], 10000, '--dict-frames', 1), dictIterations = int(a['dict-iterations'], 500, '--dict-iterations', 1);
  const steps = int(a.steps, 1500, '--steps', 1), batch = int(a.batch, 256, '--batch', 1);
  const learningRate = positive(a.lr, 1e-4, '--lr'), validateEvery = int(a['validate-every'], 50, '--validate-every', 1);
  const patience = int(a.patience, 0, '--patience', 0), maskWeight = positive(a['mask-weight'], 0, '--mask-weight', true);
  const binWeighting = positive(a['bin-weighting'], 0, '--bin-weighting', true);
  const residualWeight = a['residual-weight'] === undefined ? undefined : positive(a['residual-weight'], 0, '--residual-weight', true, range('residualWeight'));
  const gradientLeak = positive(a['gradient-leak'], 0, '--gradient-leak', true, 1);
  const levelTau = positive(a['level-tau'], 4, '--level-tau', false, range('levelTau'));
  const schedule = oneOf(a.schedule, 'constant', ['constant', 'cosine'] as const, '--schedule');
  const remixPlan = {
    mixtures: int(a.remix, 0, '--remix', 0), voiceAlone: int(a['voice-alone'], 0, '--voice-alone', 0),
    accompAlone: int(a['accomp-alone'], 0, '--accomp-alone', 0), gainDb: positive(a['remix-gain'], 6, '--remix-gain', true),
  };
  const compress = a.compress === undefined ? null : a.compress.split(',').map((r) => int(r, 0, '--compress ranks', 1, m));
  if (compress && (compress.length !== 2 || structure !== 'dense')) throw new UsageError('--compress R,S rewrites a dense network: give two ranks and --structure dense');
  assertWritableFile(a.out, '--out');
  const started = Date.now();
  const log = (s: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);

  const base = { sampleRate: 16000, fftSize: 1024, hop: 256 };
  const header = {
    ...base,
    levelTau,
  };
  const kernel = new StftKernel(base);
  // MIR-1K folders with a splits.csv train on the paper's training singers unless told otherwise.
  const split = a.split ?? (existsSync(join(dataDir, 'splits.csv')) ? 'train' : undefined);
  const refs = listItems(dataDir, split);
  log(`loading ${refs.length} clips from ${dataDir}`);
  const items = refs.map((r) => loadAt(r, base.sampleRate));
  const seconds = items.reduce((s, it) => s + it.voice.length / base.sampleRate, 0);
  // Hold out every 6th clip of each group for validation.
  const byGroup = new Map<string, number[]>();
  refs.forEach((r, i) => byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), i]));
  const valSet = new Set<number>();
  for (const idx of byGroup.values()) idx.forEach((i, k) => { if (k % 6 === 5) valSet.add(i); });
  if (valSet.size === 0) valSet.add(refs.length - 1);
  const trainIdx = refs.map((_, i) => i).filter((i) => !valSet.has(i));
  const valIdx = [...valSet].sort((x, y) => x - y);
  if (trainIdx.length === 0) throw new UsageError(`${dataDir}: need at least 2 clips (one is held out for validation)`);
  const lengths = (idx: number[]) => idx.map((i) => frameCount(items[i].voice.length, kernel));
  const rng = new Random(seed);
  const count = (s: Selection) => [...s.picks.values()].reduce((t, f) => t + f.length, 0);

  // Training frames: the training clips, then the remixes (built when their frames are gathered).
  const voices = trainIdx.map((i) => items[i].voice), accomps = trainIdx.map((i) => items[i].accomp);
  if (a['voice-only']) {
    const extra = listVoices(a['voice-only']).flatMap((v) => segments(resampleSignal(v.signal, v.sampleRate, base.sampleRate), base.sampleRate, 8));
    log(`voice alone: ${extra.length} pieces of singing from ${a['voice-only']}`);
    voices.push(...extra);
  }
  const recipes = planRemixes(voices, accomps, remixPlan, new Random(seed + 1)); // its own stream: runs without remixes draw the frames they always drew
  if (recipes.length) log(`remixes: ${recipes.length} items (${recipes.filter((r) => r.voice !== null && r.accomp !== null).length} mixtures of different clips, the rest one source alone)`);
  const trainLengths = [...lengths(trainIdx), ...recipes.map((r) => frameCount(recipeLength(r, voices, accomps), kernel))];
  const trainSel: Selection = { picks: pickFrames(trainLengths, frameBudget, rng) };
  const valSel: Selection = { picks: new Map([...pickFrames(lengths(valIdx), valFrames, rng)].map(([k, v]) => [valIdx[k], v])) };
  const trainItem = (k: number): Item => (k < trainIdx.length ? items[trainIdx[k]] : buildRemix(recipes[k - trainIdx.length], voices, accomps, base.sampleRate));

  // Dictionary and the untrained network (Algorithm 1).
  let model: Model;
  if (a['from-dense']) {
    if (structure !== 'structured') throw new UsageError('--from-dense builds a structured model (use --structure structured)');
    const c = structuredFromDense(readModelFile(a['from-dense']), inputRank, layerRank);
    model = c.model;
    log(`from ${a['from-dense']}: low-rank terms keep ${(100 * c.keptInput).toFixed(1)} % (input) and ${(100 * c.keptLayer).toFixed(1)} % (layers) of the off-diagonal energy`);
  } else if (a.init) {
    model = readModelFile(a.init);
    const h = model.header;
    if (h.variant !== variant || h.structure !== structure || h.q !== q || h.layers !== layers || h.inputRank !== inputRank || h.layerRank !== layerRank) {
      throw new UsageError(`--init ${a.init} is a ${h.structure} ${h.variant} model with q = ${h.q}, T = ${h.layers}; this run asks for ${structure} ${variant}, q = ${q}, T = ${layers}`);
    }
    log(`starting from ${a.init}`);
  } else {
    let U: Mat;
    if (a.dictionary) {
      U = readModelFile(a.dictionary).arrays.U;
      if (U.cols !== q) throw new UsageError(`--dictionary ${a.dictionary} has q = ${U.cols}, this run asks for q = ${q}`);
      log(`dictionary from ${a.dictionary}`);
    } else {
      const dictSel: Selection = { picks: new Map([...pickFrames(lengths(trainIdx), dictFrames, rng)].map(([k, v]) => [trainIdx[k], v])) };
      const frames = gatherFrames(dictSel, (i) => items[i], header, false, count(dictSel));
      if (variant === 'rnmf') {
        const iterations = dictIterations;
        log(`learning the dictionary: multiplicative robust NMF on ${frames.x.cols} mixture frames, q = ${q}, ${iterations} iterations`);
        U = rnmf(frames.x, {
          q, lambda, lambdaStar, iterations, seed,
          onIter: (i, obj) => { if ((i + 1) % 100 === 0) log(`  RNMF iteration ${i + 1}: objective ${obj.toFixed(1)}`); },
        }).U;
      } else {
        log(`dictionary: top ${q} left singular vectors of ${frames.accomp!.cols} clean accompaniment frames`);
        U = svdTop(frames.accomp!, q).U;
      }
    }
    model = algorithm1Model(U, { lambda, lambdaStar, layers, variant, structure, ...header, maskPower: 2, inputRank, layerRank, seed });
  }

  if (residualWeight !== undefined) model.header = { ...model.header, residualWeight };
  let summary = a['from-dense'] ? `structured rewrite of ${a['from-dense']} (not fine-tuned)` : 'untrained (Algorithm 1)';
  if (regime !== 'none') {
    const semi = regime === 'semi-supervised';
    const train = gatherFrames(trainSel, trainItem, model.header, semi, count(trainSel));
    const val = gatherFrames(valSel, (i) => items[i], model.header, semi, count(valSel));
    if (!train.x.data.some((v) => v > 0)) throw new DataError(`${dataDir}: the training frames are silent (every magnitude is zero): there is nothing to learn from`);
    log(`${regime} training${a['dict-update'] ? ' with dictionary update' : ''}: ${train.x.cols} frames, ${val.x.cols} validation frames`);
    const history = trainNetwork(model, train, val, {
      regime, dictUpdate: !!a['dict-update'], maskWeight, binWeights: binWeighting > 0 ? binWeightsOf(train.x, binWeighting) : undefined, tied: !!a.tied, steps, batch, gradientLeak,
      learningRate, seed, schedule, validateEvery, patience,
      onProgress: (p) => log(`step ${String(p.step).padStart(5)}/${p.steps}  train ${p.step === 0 ? '–' : p.trainLoss.toFixed(4)}  validation ${p.valLoss.toFixed(4)}  (best ${p.bestValLoss.toFixed(4)} at step ${p.bestStep})`),
    });
    const last = history[history.length - 1];
    summary = `${regime}${a['dict-update'] ? ' + dictionary update' : ''}, best validation loss ${last.bestValLoss.toFixed(4)} at step ${last.bestStep} of ${last.step}`;
  }
  if (compress) {
    const c = structuredFromDense(model, compress[0], compress[1]);
    log(`structured rewrite (ranks ${compress.join(', ')}): the low-rank terms keep ${(100 * c.keptInput).toFixed(1)} % (input) and ${(100 * c.keptLayer).toFixed(1)} % (layers) of the off-diagonal energy`);
    c.model.info = model.info;
    model = c.model;
    summary += `, rewritten structured (ranks ${compress.join(', ')})`;
  }
  const trainSeconds = (Date.now() - started) / 1000;
  // A compressed model keeps the description of the training it inherits.
  const inherited = a['from-dense'] && regime === 'none' ? { regime: model.info.regime, dictUpdate: model.info.dictUpdate } : null;
  model.info = {
    ...model.info,
    name: a.name ?? `NN ${variant.toUpperCase()} ${compress ? 'structured, from dense' : structure} (${regime === 'none' ? (a['from-dense'] ? 'from dense' : 'untrained') : regime}${a['dict-update'] ? ', dictionary update' : ''})`,
    regime, dictUpdate: !!a['dict-update'],
    ...inherited,
    trainedOn: `${dataDir.replace(/.*\/shared\/data\//, '../shared/data/')}${split ? ` split ${split}` : ''}: ${refs.length} clips, ${(seconds / 60).toFixed(1)} min`,
    command: `npm run train -- ${argv.map((x) => (/[\s()"]/.test(x) ? JSON.stringify(x) : x)).join(' ')}`,
    summary,
    trainSeconds: Math.round(trainSeconds),
    created: new Date().toISOString(),
  };
  writeModel(a.out, model, `${summary}; ${trainSeconds.toFixed(0)} s`);
}

cliMain(main);
