/**
 * English messages the learner worker raises for the person (it works in the page's language: LearnerClient.start
 * passes it), and the client's own about the worker. Deeper layers' technical details are placed into these as
 * `{{detail}}` / `{{reason}}`; the project store's refusals are given these words by their code (storage-errors.ts).
 */
export const enWorker = {
  'worker.roundRunning': 'A learning round is already running',
  'worker.roundRunningNow': 'A learning round is running',
  'worker.nothingNew': 'Nothing new to learn: add samples to a class first',
  'worker.needTwo':
    'Teach at least two classes before the first round: the model learns to tell classes apart',
  'worker.waitDeleteClass': 'Wait for the learning round to finish (or cancel it) before deleting a class',
  'worker.waitDeleteSample': 'Wait for the learning round to finish (or cancel it) before deleting samples',
  'worker.waitExport': 'Wait for the learning round to finish before exporting',
  'worker.waitImport': 'Wait for the learning round to finish before importing',
  'worker.noModel': 'There is no model yet: teach at least one class first',
  'worker.noSample': 'No sample with id {{id}} (it may have been deleted)',
  'worker.deviceLost':
    'The GPU stopped working during learning. The app switched backend; the round was not saved: start it again.',
  'worker.learningFailed': 'Learning failed: {{reason}}',
  'worker.storageFull': 'Storage is full: could not {{action}}.',
  'worker.projectChanged':
    'Another Retain tab changed this project, so this tab could not {{action}}: it was reloaded and now shows the other tab’s work.',
  'worker.otherTabReloadFailed': 'Another Retain tab changed this project and it could not be read again here ({{reason}}). Reload this tab.',
  'worker.storageFailed': 'Could not {{action}}: {{reason}}',
  'worker.actionAddClass': 'add the class',
  'worker.actionRenameClass': 'rename the class',
  'worker.actionDeleteClass': 'delete the class',
  'worker.actionStoreSample': 'store the sample',
  'worker.actionDeleteSample': 'delete the sample',
  'worker.actionSaveRound': 'save the learning round',
  'worker.actionImport': 'import the project',
  'worker.actionReset': 'reset the project',
  'worker.otherBackbone':
    'This project was made with another image model (features of width {{theirs}}, this app uses {{ours}})',
  'worker.noStrategy':
    'This project file has a model without its learning settings: it was not made by this app',
  'worker.modelNotRestored': 'The model in this file cannot be restored: {{reason}}',
  'worker.cannotImport': 'This file cannot be imported: {{reason}}',
  'worker.emptyFrame': 'The frame is empty (0 pixels): the camera or picture has not produced an image yet',
  'worker.classDeleted': 'The class was deleted while the frame was being processed',
  'worker.moreSamplesRound': 'more pictures of learned classes',
  'worker.noClass': 'No class with id {{id}} (it may have been deleted)',
  'worker.actionOpen': 'open the project',
  'worker.otherTabOpen':
    'Could not {{action}}: another Retain tab keeps this project open or busy. Close the other Retain tabs, then try again.',
  'worker.newerVersion': 'This project was saved by a newer version of Retain: reload the page to update the app.',
  'worker.classGone': 'Could not {{action}}: the class no longer exists (another tab may have deleted it)',
  'worker.sampleGone': 'Could not {{action}}: the picture no longer exists (another tab may have deleted it)',
  'worker.backboneFailed': 'Could not load the image model ({{reason}}): check the connection and reload the page',
  'worker.recoveryFailed':
    'The GPU stopped working and switching to another backend failed ({{reason}}): reload the page',
  'worker.stopped': 'The learner was stopped: reload the page to carry on',
  'worker.crashed': 'The learner stopped working ({{reason}}): reload the page',
  'worker.crashedNoReason': 'The learner stopped working: reload the page',
  'worker.allLearnedDeleted': 'Every learned class was deleted: teach a class again before exporting',
  'worker.retrainNeedsTwo': 'Retraining from scratch needs pictures of at least two classes',
  'worker.noOffscreenCanvas':
    'This browser cannot process pictures in the background (OffscreenCanvas 2D is missing): use a recent browser',
} as const;
