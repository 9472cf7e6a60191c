/** 页面本身的中文文案：标题、页眉、加载、更新提示、横幅、对话框 (Chinese messages of the page itself). */
import type { enApp } from '../en/app';
import type { Translation } from '../types';

export const zhApp: Translation<typeof enApp> = {
  'meta.title': 'Retain · 增量学习',
  'meta.description':
    '用摄像头教设备认识新的东西：它学会新类别，也不忘记旧的。所有数据都只保存在这台设备上。',

  'language.label': '语言',
  'language.busy': '请等学习、拍摄或当前任务结束后再切换语言。',

  'app.tagline': '教这台设备认识新东西，旧的也不会忘。',
  'app.badgeTitle': '计算在哪里运行',
  'app.starting': '启动中…',
  'app.loading': '正在加载图像模型…（首次访问约需下载 10 MB，之后可离线使用）',
  'app.updateReady': 'Retain 有新版本可用。',
  'app.updateReload': '重新加载',
  'app.offlineReady': 'Retain 已可离线使用。',
  'app.startFailed': 'Retain 无法启动：{{reason}}',
  'app.tryAgain': '重试',
  'app.statusFailed': '无法读取项目状态：{{reason}}',
  'app.backendSwitched': '已切换到 {{backend}}。',
  'app.backendSlow':
    '正在使用 {{backend}} 运行：这台设备没有可用的高速 WebGPU，Retain 选用了能找到的最快方式。所有功能都能用，只是学习会慢一些。',

  'notice.details': '详情',
  'notice.dismiss': '关闭',
  'notice.adviceStorageFull':
    '没有做任何改动。要腾出空间，请删除不再需要的图片或类别，或者先导出项目留一份副本再重置。也可以在“存储”面板里请浏览器保留 Retain 的数据。',
  'notice.adviceProjectChanged': '此标签页现在显示的是另一个标签页的成果；如果仍然需要，请在这里再操作一次。',
  'notice.adviceDeviceLost': '图形设备丢失了；Retain 已切换计算方式，并重新载入了最近保存的模型。',
  'notice.adviceImportRefused': '当前项目没有任何改动。',
  'notice.withAdvice': '{{message}}——{{advice}}',

  'tabs.reloadedRound': '另一个 Retain 标签页修改了这个项目；此标签页已重新载入以显示最新内容。',
  'tabs.reloadedReset': '这个项目已在另一个 Retain 标签页中重置；此标签页现在显示新的空项目。',
  'tabs.upgraded': 'Retain 已在另一个标签页中更新。请重新载入此标签页以继续使用。',

  'dialog.cancel': '取消',
  'dialog.typeName': '请输入名称。',
};
