/** The built-in strategy plugins and the registry that turns a `StrategyConfig` into plugins. */
import type { EwcConfig, LwfConfig, ReplayConfig, StrategyConfig } from '../config';
import { InvalidConfigError } from '../errors';
import type { StrategyPlugin } from '../plugin';
import { EwcPlugin } from './ewc';
import { LwfPlugin } from './lwf';
import { ReplayPlugin } from './replay';

export { EwcPlugin, LwfPlugin, ReplayPlugin };

/** The keys of `StrategyConfig` that name a plugin (`freeze` is the learner's own). */
export type PluginKey = Exclude<keyof StrategyConfig, 'freeze'>;

/** Makes each config key's plugin from its settings. */
export type StrategyRegistry = { readonly [K in PluginKey]: (config: NonNullable<StrategyConfig[K]>) => StrategyPlugin };

/**
 * The built-in plugins, in hook order: replay first (it adds rows and sets the new rows' weight in
 * `beforeBatch`), then LwF (its inverse-task weighting scales that weight), then EWC.
 */
export const strategyRegistry: StrategyRegistry = {
  replay: (config: ReplayConfig) => new ReplayPlugin(config),
  lwf: (config: LwfConfig) => new LwfPlugin(config),
  ewc: (config: EwcConfig) => new EwcPlugin(config),
};

/** The plugins a strategy config asks for, in the registry's order; a key the registry does not know is refused. */
export function createStrategyPlugins(config: StrategyConfig, registry: StrategyRegistry = strategyRegistry): StrategyPlugin[] {
  const unknown = Object.keys(config ?? {}).filter((k) => k !== 'freeze' && !(k in registry));
  if (unknown.length > 0) {
    throw new InvalidConfigError(`unknown strategy '${unknown[0]}' (known: freeze, ${Object.keys(registry).join(', ')})`);
  }
  const plugins: StrategyPlugin[] = [];
  for (const key of Object.keys(registry) as PluginKey[]) {
    const settings = config[key];
    if (settings) plugins.push((registry[key] as (c: typeof settings) => StrategyPlugin)(settings));
  }
  return plugins;
}
