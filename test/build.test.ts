// The build this suite runs against: with nvcc and cmake on PATH, `npm ci` must have produced
// the CUDA-enabled addon (a CUDA compile error fails the build instead of falling back).
import { spawnSync } from 'child_process';
import * as lc from '../lib';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

test('the addon includes the CUDA backend when nvcc and cmake were available', () => {
  const reason = lc.backendInfo().cuda.reason ?? '';
  if (has('nvcc') && has('cmake') && process.env.LONGCONV_CUDA?.toUpperCase() !== 'OFF') {
    expect(reason).not.toMatch(/built without CUDA/);
  } else {
    expect(typeof reason).toBe('string');
  }
});
