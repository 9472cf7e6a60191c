/**
 * The English catalogue: the reference (its keys and `{{placeholders}}` type `t()`; zh-CN must match it), one file
 * per area of the app. Flat keys 'area.thing'; plurals as `key_one` / `key_other` with `{{count}}`.
 */
import { enApp } from './app';
import { enBench } from './bench';
import { enCamera } from './camera';
import { enClasses } from './classes';
import { enInfo } from './info';
import { enLearn } from './learn';
import { enModel } from './model';
import { enUx } from './ux';
import { enWorker } from './worker';

/** Every English message. */
export const en = {
  ...enApp,
  ...enBench,
  ...enCamera,
  ...enClasses,
  ...enInfo,
  ...enLearn,
  ...enModel,
  ...enUx,
  ...enWorker,
} as const;
