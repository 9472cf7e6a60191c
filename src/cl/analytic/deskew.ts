/** Moment-based deskewing of grey-level images: a fixed, per-image preprocessing step of the analytic feature map. */

/** Size of the images a deskew step expects (row-major, one channel, values >= 0). */
export interface ImageShape {
  width: number;
  height: number;
}

/**
 * Straightens each image: the shear that makes its intensity-weighted principal axis vertical, centred on its
 * centre of mass, resampled bilinearly (the classical MNIST deskewing; the same image always gives the same
 * output, so it is part of a fixed feature map and keeps the closed-form learner exact). `x` is n images of
 * width x height; returns a new array. Blank images are returned unchanged.
 */
export function deskewImages(x: Float32Array, n: number, shape: ImageShape): Float32Array {
  const { width: w, height: h } = shape;
  const size = w * h;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 2 || h < 2) throw new Error(`deskew: image size must be at least 2 x 2, got ${w} x ${h}`);
  if (x.length !== n * size) throw new Error(`deskew: ${x.length} values are not ${n} images of ${w} x ${h}`);
  const out = new Float32Array(x.length);
  const cy = h / 2;
  const cx = w / 2;
  for (let s = 0; s < n; s++) {
    const img = x.subarray(s * size, (s + 1) * size);
    let total = 0;
    let mr = 0;
    let mc = 0;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const v = img[r * w + c];
        total += v;
        mr += v * r;
        mc += v * c;
      }
    }
    if (!(total > 0)) {
      out.set(img, s * size);
      continue;
    }
    mr /= total;
    mc /= total;
    let vrr = 0;
    let vrc = 0;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const v = img[r * w + c];
        vrr += v * (r - mr) * (r - mr);
        vrc += v * (r - mr) * (c - mc);
      }
    }
    const alpha = vrr > 0 ? vrc / vrr : 0;
    const base = s * size;
    for (let r = 0; r < h; r++) {
      // Output pixel (r, c) reads input (r + mr - cy, c + alpha (r - cy) + mc - cx).
      const ir = r + mr - cy;
      const r0 = Math.floor(ir);
      const fr = ir - r0;
      for (let c = 0; c < w; c++) {
        const ic = c + alpha * (r - cy) + mc - cx;
        const c0 = Math.floor(ic);
        const fc = ic - c0;
        let v = 0;
        if (r0 >= 0 && r0 < h) {
          if (c0 >= 0 && c0 < w) v += img[r0 * w + c0] * (1 - fr) * (1 - fc);
          if (c0 + 1 >= 0 && c0 + 1 < w) v += img[r0 * w + c0 + 1] * (1 - fr) * fc;
        }
        if (r0 + 1 >= 0 && r0 + 1 < h) {
          if (c0 >= 0 && c0 < w) v += img[(r0 + 1) * w + c0] * fr * (1 - fc);
          if (c0 + 1 >= 0 && c0 + 1 < w) v += img[(r0 + 1) * w + c0 + 1] * fr * fc;
        }
        out[base + r * w + c] = v;
      }
    }
  }
  return out;
}
