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

  'notSure.group': 'Not sure',
  'notSure.setting': 'Known pictures accepted',
  'notSure.settingHint':
    'At least this share of new pictures of taught classes is recognised at once (the line is drawn on the stored pictures, each measured as if new); a picture farther from every taught class answers “Not sure” with the nearest class. Lower: more “Not sure”; 1: never.',
  'notSure.nearest': 'Not sure — nearest:',
  'notSure.fileNearest': '{{file}}: not sure — nearest:',

  'compare.heading': 'Compare with retraining',
  'compare.intro':
    'Trains a model from scratch on every stored picture — what an app that does not learn incrementally does after each change — and shows it beside your model, measured on the same held-out pictures. Nothing is saved.',
  'compare.run': 'Compare with retraining',
  'compare.cancel': 'Cancel',
  'compare.progress': 'Retraining progress',
  'compare.busy': 'comparing with retraining',
  'compare.starting': 'Retraining from scratch…',
  'compare.step': 'Retraining: step {{step}} of {{total}}',
  'compare.cancelling': 'Cancelling…',
  'compare.cancelled': 'Comparison cancelled: nothing changed.',
  'compare.done': 'Done: both models measured on the same held-out pictures.',
  'compare.failed': 'The comparison failed: {{reason}}',
  'compare.needRound': 'Learn a first round to have a model to compare',
  'compare.caption_one': 'Measured on {{count}} held-out picture',
  'compare.caption_other': 'Measured on {{count}} held-out pictures',
  'compare.colIncremental': 'Learned incrementally ({{preset}})',
  'compare.colRetrain': 'Retrained from scratch',
  'compare.rowTime': 'Time to learn the last change',
  'compare.rowOld': 'Accuracy on earlier classes',
  'compare.rowNew': 'Accuracy on the newest classes',
  'compare.rowStorage': 'Storage it needs',
  'compare.storageValue_one': '{{count}} picture · {{bytes}}',
  'compare.storageValue_other': '{{count}} pictures · {{bytes}}',
  'compare.classes': 'Earlier classes: {{old}}. Newest (the last round’s): {{new}}.',
  'compare.helpTitle': 'Which strategy when',
  'compare.helpNoNumbers':
    'Run the comparison to see this project’s own numbers here. On the benchmark (14 classes), learning one new class was 4–5× faster than retraining with Exact, keeping every old class, and about 4× faster with Balanced, at 2.4 points lower accuracy on the old classes.',
  'compare.helpLive':
    'On this project: learning the last change took {{incremental}} incrementally against {{retrain}} retraining from scratch; earlier classes {{oldIncremental}} against {{oldRetrain}}; storage {{storageIncremental}} against {{storageRetrain}}.',
  'compare.helpFast': 'quickest and stores nothing extra, but old classes fade (plain fine-tuning keeps about 20 % on Split MNIST). For a quick test.',
  'compare.helpBalanced':
    'replays a bounded set of kept pictures and distils the previous model: old classes stay (90.8–92.3 % on Split MNIST) for a little more time and ~8 KB per kept picture.',
  'compare.helpMax': 'Balanced plus a penalty on weights that mattered before: slowest; meant for small memories.',
  'compare.helpExact':
    'solves the classifier in closed form from running statistics: no forgetting by construction, and a deleted class is unlearned exactly. The default: on the benchmark it learned a class faster than Balanced and kept every old class.',
  'compare.retrainName': 'Retraining from scratch',
  'compare.helpRetrain':
    'the reference for accuracy, but it must keep every picture ever taken and its time grows with all of them: worth it when storage is no concern and changes are rare.',
  'worker.compareBusy': 'Wait for the running learning round or comparison with retraining to finish (or cancel it).',
} as const;
