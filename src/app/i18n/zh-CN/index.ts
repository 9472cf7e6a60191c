/**
 * The Simplified Chinese catalogue, one file per area, each typed by its English area (a missing or extra key is a
 * compile error). Written for a non-expert user in the vocabulary of the source lecture: 增量学习, 灾难性遗忘,
 * 经验回放, 记忆库, 知识蒸馏, 微调, 正则化.
 */
import type { Translation } from '../types';
import { zhApp } from './app';
import { zhBench } from './bench';
import { zhCamera } from './camera';
import { zhClasses } from './classes';
import { zhInfo } from './info';
import { zhLearn } from './learn';
import { zhModel } from './model';
import { zhUx } from './ux';
import { zhWorker } from './worker';

/** Every Chinese message. */
export const zhCN: Translation = {
  ...zhApp,
  ...zhBench,
  ...zhCamera,
  ...zhClasses,
  ...zhInfo,
  ...zhLearn,
  ...zhModel,
  ...zhUx,
  ...zhWorker,
};
