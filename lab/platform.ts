/**
 * Lab page for the platform's browser tests and the app benchmark: exposes `LearnerClient`, the update prompt and a
 * synthetic scene generator on `window.retainLab`, and registers the service worker like the app does.
 */
import { LearnerClient } from '../src/app/client';
import { seededRng } from '../src/util/rng';
import { registerServiceWorker, onUpdateReady, applyUpdate } from '../src/app/platform/update';
import { addSceneClass, median, openSetFigures, watchFrames } from './bench-page';

/**
 * A synthetic scene of class `kind`: a class-specific background hue, shape and position, with per-sample jitter
 * (position, size, brightness, noise), so classes are visually distinct and samples within a class vary.
 */
async function makeScene(kind: number, seed: number, size = 320): Promise<ImageBitmap> {
  const rand = seededRng((seed * 2654435761 + kind * 97) >>> 0);
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d')!;
  const hue = (kind * 137.5) % 360;
  const light = 35 + 20 * rand();
  const grad = ctx.createLinearGradient(0, 0, size, size);
  grad.addColorStop(0, `hsl(${hue}, 55%, ${light}%)`);
  grad.addColorStop(1, `hsl(${(hue + 40) % 360}, 45%, ${light + 15}%)`);
  ctx.fillStyle = grad;
  ctx.fillRect(0, 0, size, size);
  const shapes = 2 + (kind % 3);
  for (let i = 0; i < shapes; i++) {
    const x = size * (0.25 + 0.5 * rand());
    const y = size * (0.25 + 0.5 * rand());
    const r = size * (0.08 + 0.08 * rand());
    ctx.fillStyle = `hsl(${(hue + 180 + 30 * i) % 360}, 80%, ${45 + 20 * rand()}%)`;
    ctx.beginPath();
    switch (kind % 4) {
      case 0:
        ctx.arc(x, y, r, 0, Math.PI * 2);
        break;
      case 1:
        ctx.rect(x - r, y - r, 2 * r, 2 * r);
        break;
      case 2:
        ctx.moveTo(x, y - r);
        ctx.lineTo(x + r, y + r);
        ctx.lineTo(x - r, y + r);
        break;
      default:
        ctx.ellipse(x, y, r * 1.6, r * 0.6, rand() * Math.PI, 0, Math.PI * 2);
    }
    ctx.fill();
  }
  // Stripes whose angle depends on the class: texture cues beyond colour.
  ctx.strokeStyle = `hsla(${(hue + 90) % 360}, 60%, 80%, 0.35)`;
  ctx.lineWidth = 3 + (kind % 5);
  const angle = (kind * 0.7) % Math.PI;
  for (let k = -size; k < 2 * size; k += 24 + 6 * (kind % 3)) {
    ctx.beginPath();
    ctx.moveTo(k, 0);
    ctx.lineTo(k + Math.cos(angle) * size, Math.sin(angle) * size + size * 0.2);
    ctx.stroke();
  }
  const img = ctx.getImageData(0, 0, size, size);
  for (let i = 0; i < img.data.length; i += 4) {
    const n = (rand() - 0.5) * 30;
    img.data[i] += n;
    img.data[i + 1] += n;
    img.data[i + 2] += n;
  }
  ctx.putImageData(img, 0, 0);
  return createImageBitmap(canvas);
}

window.retainLab = { LearnerClient, makeScene, onUpdateReady, applyUpdate, swRegistered: registerServiceWorker(), addSceneClass, watchFrames, median, openSetFigures };
document.getElementById('state')!.textContent = 'ready';
