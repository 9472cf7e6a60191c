/** Canvas charts: the live loss curve and the colour scale of the accuracy heatmap. */
import { t } from '../i18n';
import { prepareCanvas } from './dom';

/** Colours of the loss terms, so each keeps its colour across rounds. */
const SERIES_COLOURS: Record<string, string> = {
  total: '#1d4ed8',
  ce: '#0f766e',
  replay: '#b45309',
  lwf: '#7c3aed',
  ewc: '#be123c',
  distillStored: '#4d7c0f',
};
const FALLBACK_COLOURS = ['#0369a1', '#a16207', '#9333ea', '#15803d'];

/** Plain-words names of the loss terms, for the legend (read in the current language). */
export const LOSS_LABELS: Record<string, string> = {
  get total() {
    return t('loss.total');
  },
  get ce() {
    return t('loss.ce');
  },
  get replay() {
    return t('loss.replay');
  },
  get lwf() {
    return t('loss.lwf');
  },
  get ewc() {
    return t('loss.ewc');
  },
  get distillStored() {
    return t('loss.distillStored');
  },
};

/** Colour of one loss series. */
export function seriesColour(name: string, index: number): string {
  return SERIES_COLOURS[name] ?? FALLBACK_COLOURS[index % FALLBACK_COLOURS.length];
}

/** Line chart of one or more loss series sharing an x axis (progress points). */
export class LossChart {
  private series = new Map<string, number[]>();

  constructor(readonly canvas: HTMLCanvasElement) {}

  /** Forgets every point. */
  clear(): void {
    this.series.clear();
    this.draw();
  }

  /** Replaces the data with one series. */
  setSeries(name: string, values: number[]): void {
    this.series.clear();
    this.series.set(name, values.slice());
    this.draw();
  }

  /** Adds one point to every named series. */
  push(losses: Record<string, number>): void {
    for (const [name, value] of Object.entries(losses)) {
      if (!Number.isFinite(value)) continue;
      const arr = this.series.get(name) ?? [];
      arr.push(value);
      this.series.set(name, arr);
    }
    this.draw();
  }

  /** Names of the series drawn, in drawing order. */
  names(): string[] {
    return [...this.series.keys()];
  }

  /** Number of points of the longest series. */
  get length(): number {
    return Math.max(0, ...[...this.series.values()].map((v) => v.length));
  }

  /** Redraws (also after a resize). */
  draw(): void {
    const { ctx, width, height } = prepareCanvas(this.canvas);
    const pad = { left: 40, right: 8, top: 8, bottom: 18 };
    const w = width - pad.left - pad.right;
    const hgt = height - pad.top - pad.bottom;
    const all = [...this.series.values()].flat();
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#6b7280';
    if (all.length === 0) {
      ctx.textAlign = 'center';
      ctx.fillText(t('loss.empty'), width / 2, height / 2);
      return;
    }
    const max = Math.max(...all, 1e-6) * 1.05;
    const n = Math.max(2, this.length);
    // Axes and a few gridlines.
    ctx.strokeStyle = '#e5e7eb';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const y = pad.top + (hgt * i) / 4;
      ctx.beginPath();
      ctx.moveTo(pad.left, y);
      ctx.lineTo(pad.left + w, y);
      ctx.stroke();
      ctx.fillText((max * (1 - i / 4)).toPrecision(2), pad.left - 4, y);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText(t('loss.start'), pad.left, height - 4);
    ctx.textAlign = 'right';
    ctx.fillText(t('loss.now'), pad.left + w, height - 4);
    let index = 0;
    for (const [name, values] of this.series) {
      ctx.strokeStyle = seriesColour(name, index++);
      ctx.lineWidth = name === 'total' ? 2.5 : 1.5;
      ctx.beginPath();
      values.forEach((v, i) => {
        const x = pad.left + (w * i) / (n - 1);
        const y = pad.top + hgt * (1 - v / max);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
  }
}

/** Background colour of an accuracy cell: red (0) through amber to green (1), readable with dark text. */
export function accuracyColour(fraction: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const hue = Math.round(f * 120); // 0 = red, 120 = green
  return `hsl(${hue} 70% ${80 - f * 8}%)`;
}
