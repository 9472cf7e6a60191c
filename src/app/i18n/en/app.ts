/** English messages of the page itself: title, header, loading, update prompt, banners, dialogs. */
export const enApp = {
  'meta.title': 'Retain',
  'meta.description':
    'Teach your device new visual classes from the camera; it learns them without forgetting the old ones. Everything stays on the device.',

  'language.label': 'Language',
  'language.busy': 'Switch the language once learning, capturing or the running task has finished.',

  'app.tagline': 'Teach this device new things. It keeps the old ones.',
  'app.badgeTitle': 'Where the maths runs',
  'app.starting': 'starting…',
  'app.loading':
    'Loading the image model… (the first visit downloads about 10 MB; later visits work offline)',
  'app.updateReady': 'A new version of Retain is ready.',
  'app.updateReload': 'Reload',
  'app.offlineReady': 'Retain is ready to work offline.',
  'app.startFailed': 'Retain could not start: {{reason}}',
  'app.tryAgain': 'Try again',
  'app.statusFailed': 'The project state could not be read: {{reason}}',
  'app.backendSwitched': 'Switched to {{backend}}.',
  'app.backendSlow':
    'Running on {{backend}}: this device offers no fast WebGPU, so Retain uses the quickest option it found. Everything works; learning just takes longer.',

  'notice.details': 'Details',
  'notice.dismiss': 'Dismiss',
  'notice.adviceStorageFull':
    'Nothing was changed. To make room, delete pictures or classes you no longer need, or export the project to keep a copy and then reset it. In the Storage panel you can also ask the browser to keep Retain’s data.',
  'notice.adviceProjectChanged':
    'This tab now shows the other tab’s work; do it again here if it is still needed.',
  'notice.adviceDeviceLost':
    'The graphics device was lost; Retain switched backend and reloaded the last saved model.',
  'notice.adviceImportRefused': 'Your current project is unchanged.',
  'notice.withAdvice': '{{message}} — {{advice}}',

  'tabs.reloadedRound': 'Another Retain tab changed this project; this tab was reloaded to show it.',
  'tabs.reloadedReset':
    'The project was reset in another Retain tab; this tab now shows the new, empty project.',
  'tabs.upgraded': 'Retain was updated in another tab. Reload this tab to keep working.',

  'dialog.cancel': 'Cancel',
  'dialog.typeName': 'Please type a name.',
} as const;
