/**
 * npx tsx scripts/train-paper-models.ts [--force] [--jobs N]
 *
 * Trains every model of the Table 1 reproduction into models/paper/, the product's steps into
 * models/quality/ and the shipped model into public/models/default.nnrnmf, with the exact commands listed below (each model file also records
 * its own command). Models that exist are kept unless --force. Two jobs run at a time by default
 * (this machine has 2 cores); later steps wait for the models they start from.
 *
 * Shared settings: the paper's (T = 10, q = 20, λ = 0.2, λ* = 1, 16 kHz, FFT 1024, hop 256), trained
 * on MIR-1K's `train` singers (abjones, amy) with the dictionary learned once by multiplicative
 * robust NMF (the untrained model holds it), Adam at 3e-4 for 3000 steps of 256 frames drawn from
 * all ~75 000 training frames, keeping the best of 10 000 validation frames from held-out clips.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/cli/paths.ts';

const TRAIN = '--steps 3000 --lr 3e-4 --frames 80000 --validate-every 200';
const RNMF_DICT = '--dictionary models/paper/rnmf-untrained.nnrnmf';
const RPCA_DICT = '--variant rpca --dictionary models/paper/rpca-untrained.nnrnmf';
/** The product's model trains on the train and extra singers, then is rewritten structured. */
const PRODUCT = '--structure dense --regime supervised --dict-update --steps 4000 --lr 3e-4 --split train,extra --frames 160000 --validate-every 250 --compress 64,32';
const REMIX = '--remix 300 --voice-alone 60 --accomp-alone 30 --voice-only ../shared/data/voice_only';
const LEAK = `--structure structured --input-rank 64 --layer-rank 32 --regime supervised --lr 1e-4 --split train,extra --frames 160000 --mask-weight 1 ${REMIX} --gradient-leak 0.1`;

interface Job {
  out: string;
  args: string;
  after?: string[];
}

export const JOBS: Job[] = [
  { out: 'models/paper/rnmf-untrained.nnrnmf', args: '--regime none' },
  { out: 'models/paper/rpca-untrained.nnrnmf', args: '--variant rpca --regime none' },
  { out: 'models/paper/rnmf-dense-supervised.nnrnmf', args: `${RNMF_DICT} --structure dense --regime supervised ${TRAIN}`, after: ['models/paper/rnmf-untrained.nnrnmf'] },
  { out: 'models/paper/rnmf-dense-dictupdate.nnrnmf', args: `${RNMF_DICT} --structure dense --regime supervised --dict-update ${TRAIN}`, after: ['models/paper/rnmf-untrained.nnrnmf'] },
  { out: 'models/paper/rnmf-dense-unsupervised.nnrnmf', args: `${RNMF_DICT} --structure dense --regime unsupervised ${TRAIN}`, after: ['models/paper/rnmf-untrained.nnrnmf'] },
  { out: 'models/paper/rnmf-dense-semisupervised.nnrnmf', args: `${RNMF_DICT} --structure dense --regime semi-supervised ${TRAIN}`, after: ['models/paper/rnmf-untrained.nnrnmf'] },
  { out: 'models/paper/rpca-dense-unsupervised.nnrnmf', args: `${RPCA_DICT} --structure dense --regime unsupervised ${TRAIN}`, after: ['models/paper/rpca-untrained.nnrnmf'] },
  { out: 'models/paper/rpca-dense-supervised.nnrnmf', args: `${RPCA_DICT} --structure dense --regime supervised ${TRAIN}`, after: ['models/paper/rpca-untrained.nnrnmf'] },
  { out: 'models/paper/rpca-dense-dictupdate.nnrnmf', args: `${RPCA_DICT} --structure dense --regime supervised --dict-update ${TRAIN}`, after: ['models/paper/rpca-untrained.nnrnmf'] },
  // The product's model (README, Quality beyond the paper): one lever per step, each committed in
  // models/quality/ and scored by `npm run eval -- --methods levers,shipped`.
  { out: 'models/quality/1-more-singers.nnrnmf', args: `${RNMF_DICT} ${PRODUCT}`, after: ['models/paper/rnmf-untrained.nnrnmf'] },
  { out: 'models/quality/2-remixes.nnrnmf', args: `${RNMF_DICT} ${PRODUCT} ${REMIX}`, after: ['models/paper/rnmf-untrained.nnrnmf'] },
  { out: 'models/quality/3-masked-output-loss.nnrnmf', args: `${RNMF_DICT} ${PRODUCT} ${REMIX} --mask-weight 1`, after: ['models/paper/rnmf-untrained.nnrnmf'] },
  { out: 'models/quality/4-untied-finetune.nnrnmf', args: `--structure structured --input-rank 64 --layer-rank 32 --regime supervised --dict-update --steps 3000 --lr 1e-4 --split train,extra --frames 160000 --validate-every 250 --mask-weight 1 --init models/quality/3-masked-output-loss.nnrnmf ${REMIX}`, after: ['models/quality/3-masked-output-loss.nnrnmf'] },
  { out: 'models/quality/5-finetune-bin-weighted.nnrnmf', args: `--structure structured --input-rank 64 --layer-rank 32 --regime supervised --dict-update --steps 3000 --lr 1e-4 --split train,extra --frames 160000 --validate-every 250 --mask-weight 1 --init models/quality/3-masked-output-loss.nnrnmf ${REMIX} --bin-weighting 0.5`, after: ['models/quality/3-masked-output-loss.nnrnmf'] },
  {
    out: 'models/quality/6-average-of-fine-tunes.nnrnmf',
    args: '--average models/quality/4-untied-finetune.nnrnmf,models/quality/5-finetune-bin-weighted.nnrnmf --name "NN RNMF (MIR-1K train + extra, remixes, masked-output loss; structured, untied, two fine-tunes averaged)"',
    after: ['models/quality/4-untied-finetune.nnrnmf', 'models/quality/5-finetune-bin-weighted.nnrnmf'],
  },
  { out: 'models/quality/7-gradient-leak.nnrnmf', args: `${LEAK} --steps 1500 --validate-every 100 --init models/quality/6-average-of-fine-tunes.nnrnmf`, after: ['models/quality/6-average-of-fine-tunes.nnrnmf'] },
  { out: 'models/quality/8-leak-finetune.nnrnmf', args: `${LEAK} --steps 3000 --validate-every 250 --init models/quality/7-gradient-leak.nnrnmf --dict-update`, after: ['models/quality/7-gradient-leak.nnrnmf'] },
  { out: 'models/quality/9-leak-finetune-fixed-dictionary.nnrnmf', args: `${LEAK} --steps 3000 --validate-every 250 --init models/quality/7-gradient-leak.nnrnmf`, after: ['models/quality/7-gradient-leak.nnrnmf'] },
  {
    out: 'public/models/default.nnrnmf',
    args: '--average models/quality/8-leak-finetune.nnrnmf,models/quality/9-leak-finetune-fixed-dictionary.nnrnmf --name "NN RNMF (MIR-1K train + extra, remixes, masked-output loss; structured, untied; upper bins revived with a gradient leak; two fine-tunes averaged)"',
    after: ['models/quality/8-leak-finetune.nnrnmf', 'models/quality/9-leak-finetune-fixed-dictionary.nnrnmf'],
  },
];

function run(job: Job): Promise<void> {
  const cmd = `npm run -s train -- ${job.args} --out ${job.out}`;
  process.stdout.write(`start: ${cmd}\n`);
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, { cwd: repoRoot, shell: true, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${job.out}: exit code ${code}`))));
  });
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const jobsAt = process.argv.indexOf('--jobs');
  const parallel = jobsAt > 0 ? Number(process.argv[jobsAt + 1]) : 2;
  const done = new Set(force ? [] : JOBS.filter((j) => existsSync(join(repoRoot, j.out))).map((j) => j.out));
  const pending = JOBS.filter((j) => !done.has(j.out));
  const running = new Map<string, Promise<void>>();
  while (pending.length > 0 || running.size > 0) {
    const ready = pending.findIndex((j) => (j.after ?? []).every((d) => done.has(d)));
    if (ready >= 0 && running.size < parallel) {
      const [job] = pending.splice(ready, 1);
      running.set(job.out, run(job).then(() => { done.add(job.out); running.delete(job.out); }));
      continue;
    }
    if (running.size === 0) throw new Error(`cannot start: ${pending.map((j) => j.out).join(', ')} wait for models that failed`);
    await Promise.race(running.values());
  }
  process.stdout.write('all models trained\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
