import type { StrategyConfig, StrategyPlugin } from '../types';
import { EwcPlugin } from './ewc';
import { LwfPlugin } from './lwf';
import { ReplayPlugin } from './replay';

export { EwcPlugin, LwfPlugin, ReplayPlugin };

/** The plugins for a strategy config, in hook order: replay (adds samples), then LwF, then EWC. */
export function createStrategyPlugins(config: StrategyConfig): StrategyPlugin[] {
  const plugins: StrategyPlugin[] = [];
  if (config.replay) plugins.push(new ReplayPlugin(config.replay));
  // Order matters: replay sets the new data's loss weight in beforeBatch, LwF's inverse-task weighting scales it.
  if (config.lwf) plugins.push(new LwfPlugin(config.lwf));
  if (config.ewc) plugins.push(new EwcPlugin(config.ewc));
  return plugins;
}
