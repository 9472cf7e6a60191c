/** 模型的使用与边界的中文文案 (Chinese messages of the model's use and limits: export, "Not sure", comparison). */
import type { enModel } from '../en/model';
import type { Translation } from '../types';

export const zhModel: Translation<typeof enModel> = {
  'useModel.heading': '使用这个模型',
  'useModel.intro':
    '把训练好的模型导出为一个 zip：完整的图像模型（输入图片，输出各类别的概率），附带 Teachable Machine 格式的元数据，凡是能运行 TensorFlow.js 的地方都能用。',
  'useModel.export': '导出模型',
  'useModel.exporting': '正在导出模型…',
  'useModel.exported':
    '已导出 retain-model.zip：{{classes}}（输入 {{size}}×{{size}} RGB）。把它解压到网页旁边，再用下面任一段代码。',
  'useModel.failed': '模型未能导出：{{reason}}',
  'useModel.nothingYet': '先完成一轮学习，才有模型可以导出',
  'useModel.howTo': '如何使用导出的模型',
  'useModel.input':
    'zip 中有 model.json、weights.bin 和 metadata.json。输入：一张 224×224 的 RGB 图片（取中央的正方形），每个像素值 p（0–255）换算为 p / 127 − 1——与 Teachable Machine 相同，所以它的库无需任何设置。输出：每个类别一个概率，顺序与 metadata.json 中的 labels 一致。',
  'useModel.tfjsTitle': '用 TensorFlow.js（tf.loadLayersModel）',
  'useModel.tmTitle': '用 Teachable Machine 的库（@teachablemachine/image）',
  'useModel.copy': '复制',
  'useModel.copied': '已复制。',
  'useModel.selected': '已选中：按 Ctrl+C（⌘C）复制。',

  'learnState.pending_other': '{{count}} 张新图片，还没学习',
  'learnState.nothingNew': '没有新内容可学：所有图片都已学过。请先给某个类别（或新类别）添加图片。',
  'learnState.withDeleted_other': '{{names}}（另有 {{count}} 个已删除）',
};
