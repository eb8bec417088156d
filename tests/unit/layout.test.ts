import { describe, expect, it } from 'vitest';
import { checkLayout, importsOf } from '../../scripts/layout.ts';

describe('the code layout', () => {
  it('reads imports in every form the code uses', () => {
    expect(importsOf('src/core/linalg/matrix.ts')).toContain('src/core/linalg/gemm-wasm.ts');
    expect(importsOf('src/audio/worklets.ts')).toContain('worklet/separator.worklet.ts');
  });

  it('imports go down the layers, in no circle, and no file is over 400 lines', () => {
    const { files, problems } = checkLayout();
    expect(files).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });
});
