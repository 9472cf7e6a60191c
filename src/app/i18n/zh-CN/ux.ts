/** 布局、无障碍与首次使用的中文文案 (Chinese messages of the layout, accessibility and first-use work, issue 18). */
import type { enUx } from '../en/ux';
import type { Translation } from '../types';

export const zhUx: Translation<typeof enUx> = {
  'metrics.tableRegion': '每轮学习后的准确率（可左右滚动）',
  'advanced.unusedBy': '{{preset}}不使用此项',

  'classes.nameEmpty': '请为这个类别输入名称。',
  'classes.nameSpacesOnly': '只有空格不能作为名称：请至少输入一个文字、字母或数字。',
  'classes.nameTooLong':
    '这个名称有 {{length}} 个字符，类别名称最多 {{max}} 个字符。请缩短它：没有任何内容被截掉。',
  'classes.nameDuplicate': '已经有一个名为“{{name}}”的类别了（不区分大小写）。',
  'classes.adviceFew': '建议拍 20 到 50 张：换换角度、光线和背景。',
  'classes.adviceSimilar': '变化不够：这些图片在 Retain 看来几乎一样。请转动物体，或者换一下光线、背景。',

  'help.button': '帮助',
  'guide.title': '三步教会 Retain',
  'guide.step1Title': '添加类别',
  'guide.step1': '每种要识别的东西建一个类别，例如“杯子”“钥匙”和“什么都没有”（空画面）。',
  'guide.step2Title': '给每个类别拍照',
  'guide.step2': '按住“按住拍摄”并移动物体：每个类别拍 20 到 50 张，换不同的角度、光线和背景。',
  'guide.step3Title': '点击“学习”',
  'guide.step3': '之后 Retain 会说出摄像头看到的是什么。随时可以添加新类别再学习：旧的不会忘。',
  'guide.privacy': '图片和模型都只保存在这台设备上。',
  'guide.close': '知道了',

  'install.button': '安装',
  'install.hintIos': '要把 Retain 安装为应用：点“分享”，再选“添加到主屏幕”。',
  'install.hintOther':
    '要把 Retain 安装为应用，请在浏览器菜单里选择“安装应用”或“添加到主屏幕”（如果浏览器提供）。',

  'camera.mirror': '镜像',
  'camera.mirrorTitle': '以镜像方式显示预览（适合前置摄像头）；保存的图片不做镜像。',
  'camera.hintHold': '按住按钮或空格键，为“{{name}}”添加图片。稍微转动物体、移动摄像头，让图片有些变化。',
  'camera.hintHoldRate':
    '按住按钮或空格键，每秒约为“{{name}}”添加 {{rate}} 张图片（在这台设备上实测）。稍微转动物体、移动摄像头，让图片有些变化。',
};
