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

  'notSure.group': '不确定',
  'notSure.setting': '已学类别图片的接受比例',
  'notSure.settingHint':
    '已学类别的新图片中至少有多大比例会被直接认出（界线按已存图片划定，每张都当作新图片衡量）；离所有已学类别都太远的图片会回答“不确定”，并给出最接近的类别。调低：更常回答“不确定”；设为 1：从不回答“不确定”。',
  'notSure.nearest': '不确定——最接近：',
  'notSure.fileNearest': '{{file}}：不确定——最接近：',

  'compare.heading': '与重新训练比较',
  'compare.intro':
    '用所有保存的图片从头训练一个模型——不做增量学习的应用每次改动后都要这样做——并在同样的预留测试图片上与你的模型并排比较。不会保存任何东西。',
  'compare.run': '与重新训练比较',
  'compare.cancel': '取消',
  'compare.progress': '重新训练进度',
  'compare.busy': '正在与重新训练比较',
  'compare.starting': '正在从头重新训练…',
  'compare.step': '重新训练：第 {{step}} 步，共 {{total}} 步',
  'compare.cancelling': '正在取消…',
  'compare.cancelled': '比较已取消：没有任何改变。',
  'compare.done': '完成：两个模型都在同样的预留测试图片上测量。',
  'compare.failed': '比较失败：{{reason}}',
  'compare.needRound': '先完成一轮学习，才有模型可以比较',
  'compare.caption_other': '在 {{count}} 张预留测试图片上测量',
  'compare.colIncremental': '增量学习（{{preset}}）',
  'compare.colRetrain': '从头重新训练',
  'compare.rowTime': '学习最近一次改动的时间',
  'compare.rowOld': '旧类别的准确率',
  'compare.rowNew': '最新类别的准确率',
  'compare.rowStorage': '所需存储',
  'compare.storageValue_other': '{{count}} 张图片 · {{bytes}}',
  'compare.classes': '旧类别：{{old}}。最新类别（上一轮学的）：{{new}}。',
  'compare.helpTitle': '什么情况用哪种策略',
  'compare.helpNoNumbers':
    '运行比较后，这里会显示本项目自己的数字。在基准测试中（14 个类别），用“精确”学习一个新类别比重新训练快 4–5 倍，旧类别一个不忘；用“均衡”约快 4 倍，旧类别准确率低 2.4 个百分点。',
  'compare.helpLive':
    '在本项目中：学习最近一次改动，增量学习用了 {{incremental}}，从头重新训练用了 {{retrain}}；旧类别准确率 {{oldIncremental}} 对 {{oldRetrain}}；存储 {{storageIncremental}} 对 {{storageRetrain}}。',
  'compare.helpFast': '最快，不额外存储，但旧类别会逐渐被遗忘（在 Split MNIST 上单纯微调只保留约 20 %）。适合快速试一试。',
  'compare.helpBalanced':
    '经验回放一个有上限的记忆库，并对上一版模型做知识蒸馏：旧类别得以保留（Split MNIST 上 90.8–92.3 %），代价是稍多的时间和每张保留图片约 8 KB。',
  'compare.helpMax': '在“均衡”基础上对以前重要的权重加正则化惩罚：最慢；适合记忆库很小的情况。',
  'compare.helpExact':
    '由累积的统计量以闭式解求出分类器：从原理上不会遗忘，删除的类别也能被精确地“忘掉”。默认选项：在基准测试中，它学一个新类别比“均衡”更快，而且旧类别一个不忘。',
  'compare.retrainName': '从头重新训练',
  'compare.helpRetrain': '准确率的参照标准，但必须保留拍过的每一张图片，耗时也随图片总数增长：适合不在乎存储、改动又很少的情况。',
  'worker.compareBusy': '请等正在进行的学习或与重新训练的比较结束（或取消它）。',
};
