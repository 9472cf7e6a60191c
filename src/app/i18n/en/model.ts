/** English messages of the model's use and limits: export with snippets, "Not sure", comparing with a full retrain. */
export const enModel = {
  'useModel.heading': 'Use this model',
  'useModel.intro':
    'Export the trained model as one zip: a complete image model (picture in, class probabilities out) with Teachable Machine’s metadata, usable anywhere TensorFlow.js runs.',
  'useModel.export': 'Export model',
  'useModel.exporting': 'Exporting the model…',
  'useModel.exported':
    'Exported retain-model.zip: {{classes}} ({{size}}×{{size}} RGB in). Unzip it next to your page and use one of the snippets below.',
  'useModel.failed': 'The model could not be exported: {{reason}}',
  'useModel.nothingYet': 'Learn a first round to have a model to export',
  'useModel.howTo': 'How to use the exported model',
  'useModel.input':
    'The zip holds model.json, weights.bin and metadata.json. Input: a 224×224 RGB picture (the centre square), each pixel p (0–255) scaled as p / 127 − 1 — Teachable Machine’s scaling, so its library needs no option. Output: one probability per class, in the order of metadata.json’s labels.',
  'useModel.tfjsTitle': 'With TensorFlow.js (tf.loadLayersModel)',
  'useModel.tmTitle': 'With Teachable Machine’s library (@teachablemachine/image)',
  'useModel.copy': 'Copy',
  'useModel.copied': 'Copied.',
  'useModel.selected': 'Selected: press Ctrl+C (⌘C) to copy.',

  'learnState.pending_one': '{{count}} new, not learned yet',
  'learnState.pending_other': '{{count}} new, not learned yet',
  'learnState.nothingNew':
    'Nothing new to learn: every picture was learned. Add pictures to a class (or a new class) first.',
  'learnState.withDeleted_one': '{{names}} (+{{count}} deleted)',
  'learnState.withDeleted_other': '{{names}} (+{{count}} deleted)',
} as const;
