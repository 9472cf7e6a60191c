/** 摄像头与拍摄的中文文案 (Chinese messages of the camera and its panel). */
import type { enCamera } from '../en/camera';
import type { Translation } from '../types';

export const zhCamera: Translation<typeof enCamera> = {
  'camera.heading': '摄像头',
  'camera.previewLabel': '摄像头预览',
  'camera.start': '打开摄像头',
  'camera.stop': '关闭摄像头',
  'camera.switch': '切换摄像头',
  'camera.useBack': '用后置摄像头',
  'camera.useFront': '用前置摄像头',
  'camera.tryAgain': '重试',
  'camera.off': '摄像头已关闭。打开它，就能用实时画面教 Retain，并看看它认出了什么。',
  'camera.starting': '正在打开摄像头…',
  'camera.holdToCapture': '按住拍摄',
  'camera.capturing': '正在拍摄…松开即停止',
  'camera.addTo': '图片加入',
  'camera.noClass': '还没有类别',
  'camera.needClass': '请先添加一个类别（见“类别”），再按住这个按钮为它拍摄图片。',
  'camera.needCamera': '打开摄像头才能拍摄；也可以在类别列表里从文件添加图片。',
  'camera.pausedLearning': 'Retain 学习期间暂停拍摄。',
  'camera.wait': '请稍候：{{task}}',
  'camera.captureFailed': '无法添加图片：{{reason}}',
  'camera.burst': '+{{n}} → {{name}}（共 {{total}} 张）',
  'camera.burstShort': '+{{n}}',
  'camera.saving': '{{text}} · 还有 {{n}} 张正在保存…',
  'camera.savingOverlay': '正在保存… {{text}}',
  'camera.filesInstead': '你仍然可以用文件里的图片来教 Retain。',
  'camera.denied': '摄像头权限被拒绝了。请在本网站的设置中允许使用摄像头，然后点“重试”。{{files}}',
  'camera.notFound': '这台设备上没有找到摄像头。{{files}}',
  'camera.busy': '摄像头正被其他应用占用，或无法启动。请关闭那个应用后重试。{{files}}',
  'camera.failed': '无法打开摄像头（{{reason}}）。{{files}}',
  'camera.unsupported':
    '这个浏览器在此页面不提供摄像头（需要安全的 https:// 页面）。你仍然可以用文件里的图片来教 Retain。',
  'camera.ended': '摄像头已停止。点“打开摄像头”即可继续。',
  'camera.defaultLabel': '摄像头',
  'camera.notReady': '摄像头还没有画面。',
};
