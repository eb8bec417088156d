/**
 * `npm run train -- --average A,B[,…] --out FILE`: the mean of the parameters of models fine-tuned
 * from one start (a "model soup", Wortsman et al. 2022): runs that ended near each other in weight
 * space average into a network at least as good as each, at no cost per frame.
 */
import { describeModel, encodeModel, decodeModel, type Model } from '../core/model/model.ts';
import { readModelFile, UsageError } from './common.ts';

export function averageModels(files: string[]): Model {
  if (files.length < 2) throw new UsageError('--average needs two or more model files, comma-separated');
  const models = files.map(readModelFile);
  const first = models[0];
  const shape = (m: Model) => JSON.stringify({ ...m.header, tied: undefined });
  for (const [k, m] of models.entries()) {
    if (shape(m) !== shape(first)) throw new UsageError(`--average: ${files[k]} (${describeModel(m)}) is not shaped like ${files[0]} (${describeModel(first)})`);
  }
  // Each model's arrays are expanded to every layer on reading, so tied and untied average alike.
  const out = decodeModel(encodeModel(first));
  out.header = { ...out.header, tied: models.every((m) => m.header.tied) };
  for (const [name, arr] of Object.entries(out.arrays)) {
    const sum = new Float64Array(arr.data.length);
    for (const m of models) { const d = m.arrays[name].data; for (let i = 0; i < sum.length; i++) sum[i] += d[i]; }
    for (let i = 0; i < sum.length; i++) arr.data[i] = sum[i] / models.length;
  }
  out.info = { ...first.info, summary: `mean of the parameters of ${files.join(', ')}` };
  return out;
}
