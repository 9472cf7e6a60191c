/**
 * The semantic fuzz of bench:memory: every mutation of lab/fixtures/memory/semantic-fuzz.ts through
 * `decodeProject` with the app's embedding width and settings check.
 */
import { ImportError, decodeProject, encodeProject, type DecodeOptions } from '../../src/memory';
import { appDecodeOptions } from '../../src/app/worker/import-options';
import { semanticMutations, syntheticProjectRows } from '../../lab/fixtures/memory/semantic-fuzz';

/** The app's backbone width (MobileNetV2's pooled features). */
export const APP_EMBEDDING_DIM = 1280;

/** The options the app's import passes: its backbone width and its own settings check. */
export const APP_DECODE_OPTIONS: DecodeOptions = appDecodeOptions(APP_EMBEDDING_DIM);

/** What the semantic fuzz found. */
export interface SemanticFuzzResult {
  semanticImportsTried: number;
  semanticImportsRefused: number;
  semanticImportsAcceptedByDecoder: number;
  /** Names of the accepted mutations (each one a valid project by the generator's account). */
  semanticAccepted: string[];
  /** Mutations decided against the generator's expectation (refused valid files, accepted invalid ones): must be empty. */
  semanticWrong: string[];
  /** How many refusals each ImportError code gave. */
  semanticRefusalCodes: Record<string, number>;
}

/** Decodes every mutation of a valid 1280-d project. */
export function runSemanticFuzz(): SemanticFuzzResult {
  const good = encodeProject(syntheticProjectRows(APP_EMBEDDING_DIM), { exportedAt: 1_700_000_000_000 });
  decodeProject(good, APP_DECODE_OPTIONS);
  const result: SemanticFuzzResult = { semanticImportsTried: 0, semanticImportsRefused: 0, semanticImportsAcceptedByDecoder: 0, semanticAccepted: [], semanticWrong: [], semanticRefusalCodes: {} };
  for (const m of semanticMutations(good)) {
    result.semanticImportsTried++;
    let error: unknown = null;
    try {
      decodeProject(m.bytes, APP_DECODE_OPTIONS);
    } catch (e) {
      error = e;
    }
    if (error === null) {
      result.semanticImportsAcceptedByDecoder++;
      result.semanticAccepted.push(m.name);
      if (!m.expectValid) result.semanticWrong.push(`accepted: ${m.name}`);
      continue;
    }
    result.semanticImportsRefused++;
    if (!(error instanceof ImportError)) {
      result.semanticWrong.push(`refused without an ImportError: ${m.name}: ${String(error)}`);
      continue;
    }
    result.semanticRefusalCodes[error.code] = (result.semanticRefusalCodes[error.code] ?? 0) + 1;
    if (m.expectValid) result.semanticWrong.push(`refused a valid file: ${m.name}: ${error.message}`);
  }
  return result;
}
