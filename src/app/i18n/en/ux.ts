/**
 * English messages of the layout, accessibility and first-use work (issue 18, items 2-4): name errors under the
 * field, the first-run guide and help, per-class guidance, the capture rate, the mirror, installing.
 */
export const enUx = {
  'metrics.tableRegion': 'Accuracy after each round (scrolls sideways)',
  'advanced.unusedBy': 'not used by {{preset}}',

  'classes.nameEmpty': 'Type a name for the class.',
  'classes.nameSpacesOnly': 'Spaces alone are not a name: type at least one letter or digit.',
  'classes.nameTooLong':
    'This name has {{length}} characters; a class name can have at most {{max}}. Shorten it: nothing has been cut.',
  'classes.nameDuplicate':
    'There is already a class called “{{name}}” (capital letters do not count as different).',
  'classes.adviceFew': 'Aim for 20 to 50 pictures: vary the angle, the light and the background.',
  'classes.adviceSimilar':
    'Not enough variety: these pictures look almost the same to Retain. Turn the object, change the light or the background.',

  'help.button': 'Help',
  'guide.title': 'Teach Retain in three steps',
  'guide.step1Title': 'Add a class',
  'guide.step1':
    'One for each thing to recognise, for example “mug”, “keys” and “nothing” (the empty scene).',
  'guide.step2Title': 'Give each class pictures',
  'guide.step2':
    'Hold “Hold to capture” while you move the object: 20 to 50 pictures per class, from different angles, in different light, in front of different backgrounds.',
  'guide.step3Title': 'Press Learn',
  'guide.step3':
    'Retain then names what the camera sees. Add new classes at any time and learn again: it keeps the old ones.',
  'guide.privacy': 'Pictures and the model stay on this device.',
  'guide.close': 'Got it',

  'install.button': 'Install',
  'install.hintIos': 'To install Retain as an app: tap Share, then “Add to Home Screen”.',
  'install.hintOther':
    'To install Retain as an app, use your browser’s menu (“Install app” or “Add to Home screen”) where it offers one.',

  'camera.mirror': 'Mirror',
  'camera.mirrorTitle':
    'Show the preview as a mirror image (handy with a front camera); pictures are stored unmirrored.',
  'camera.hintHold':
    'Hold the button, or the Space bar, to add pictures to “{{name}}”. Turn the object and move the camera a little for variety.',
  'camera.hintHoldRate':
    'Hold the button, or the Space bar, to add about {{rate}} pictures a second to “{{name}}” (measured on this device). Turn the object and move the camera a little for variety.',
} as const;
