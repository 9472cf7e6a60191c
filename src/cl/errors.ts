/** The learner's error types: each says what went wrong and that nothing was changed. */

/** Thrown when a training loss becomes NaN or infinite; the model is rolled back to before the task. */
export class NonFiniteLossError extends Error {
  constructor(step: number, losses: Record<string, number>) {
    const terms = Object.entries(losses)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    super(`training diverged at step ${step} (${terms}); the model was left as it was before this round`);
    this.name = 'NonFiniteLossError';
  }
}

/** Thrown when training is cancelled through its AbortSignal; the model is rolled back to before the task. */
export class TrainingCancelledError extends Error {
  constructor() {
    super('training was cancelled; the model was left as it was before this round');
    this.name = 'AbortError';
  }
}

/** Thrown for task data that does not fit the model (wrong sizes, labels out of range, NaN inputs). */
export class InvalidTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTaskError';
  }
}

/** Thrown for a setting or option out of its range or not among its names; refused before anything changes. */
export class InvalidConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidConfigError';
  }
}
