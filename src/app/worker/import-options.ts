/** The decoder options of the app's import: its backbone's embedding width and its own settings check. */
import type { DecodeOptions } from '../../memory/project-file';
import type { AdvancedSettings } from '../protocol';
import { resolveSettings } from './settings';

/** What `decodeProject` checks for this app: embeddings `featureDim` wide, every round's settings within the settings table. */
export function appDecodeOptions(featureDim: number): DecodeOptions {
  return {
    embeddingDim: featureDim,
    validateStrategy: (s) => void resolveSettings({ preset: s.preset, advanced: s.settings as unknown as Partial<AdvancedSettings> }),
  };
}
