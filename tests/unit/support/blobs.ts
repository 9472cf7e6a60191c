import type { TaskData } from '../../../src/cl';
import { SeededRandom } from '../../../src/cl';

/**
 * Synthetic Gaussian blobs: class c is centred on a distinct corner pattern in `dim` dimensions, so a small MLP
 * separates all classes easily when it sees them together, and forgets when it does not.
 */
export function gaussianBlobs(
  task: number,
  classes: number[],
  perClass: number,
  seed: number,
  dim = 8,
): TaskData {
  const r = new SeededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const x = new Float32Array(perClass * classes.length * dim);
  const y = new Int32Array(perClass * classes.length);
  let k = 0;
  for (const c of classes) {
    for (let i = 0; i < perClass; i++) {
      for (let j = 0; j < dim; j++) {
        x[k * dim + j] = (j === c % dim ? 3 : 0) + (j === (c * 3 + 1) % dim ? 2 : 0) + 0.7 * gauss();
      }
      y[k++] = c;
    }
  }
  return { task, x, y, classes };
}

/** Three class-incremental tasks of two classes each: train and test splits. */
export function threeTasks(dim = 8): { train: TaskData[]; test: TaskData[] } {
  const split = [
    [0, 1],
    [2, 3],
    [4, 5],
  ];
  return {
    train: split.map((c, t) => gaussianBlobs(t, c, 100, t + 1, dim)),
    test: split.map((c, t) => gaussianBlobs(t, c, 50, t + 100, dim)),
  };
}
