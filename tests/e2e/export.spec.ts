/**
 * The exported image model, used as someone else would: after two rounds the app exports one zip; a fresh page
 * (another browser context, no app code) loads the unzipped files with plain `tf.loadLayersModel` and with
 * Teachable Machine's own library (`@teachablemachine/image`'s bundle on tfjs's bundle, served as static files)
 * and classifies every held-out picture: the same top-1 as the app and the same probabilities within 1e-3.
 */
import { expect, test } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One held-out picture: its pixels as a PNG data URL and the app's own scores for it. */
interface HeldOutPicture {
  className: string;
  png: string;
  app: Record<string, number>;
}

/** tfjs's UMD bundle and `@teachablemachine/image`'s, as globals of the fresh page. */
type TfBundle = typeof import('@tensorflow/tfjs');
type TmBundle = typeof import('@teachablemachine/image');

/** What one way of loading the export answered for each picture (class name -> probability). */
type Answers = Record<string, number>[];

const CLASSES = ['Circles', 'Squares', 'Triangles'];
const PER_CLASS = 15;

const STATIC: Record<string, { file: string; type: string }> = {
  'tf.min.js': { file: 'node_modules/@tensorflow/tfjs/dist/tf.min.js', type: 'text/javascript' },
  'teachablemachine-image.min.js': {
    file: 'node_modules/@teachablemachine/image/dist/teachablemachine-image.min.js',
    type: 'text/javascript',
  },
};

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>export check</title>
<script src="/exported/tf.min.js"></script><script src="/exported/teachablemachine-image.min.js"></script>
</head><body><p id="state">ready</p></body></html>`;

test('the exported zip loads both ways and answers as the app does on every held-out picture', async ({ page, browser }) => {
  test.setTimeout(15 * 60_000);
  await page.goto('/lab/platform.html');
  await page.waitForFunction(() => window.retainLab !== undefined);
  const project = `export-${Date.now()}`;
  const made = await page.evaluate(
    async ({ project, classes, perClass }) => {
      const { LearnerClient, makeScene } = window.retainLab;
      const client = await LearnerClient.start({ backend: 'wasm', project });
      const ids: string[] = [];
      const addClass = async (k: number) => {
        const c = await client.addClass(classes[k]);
        ids.push(c.id);
        for (let i = 0; i < perClass; i++) await client.addSample(c.id, await makeScene(k, i, 224), 'file');
      };
      await addClass(0);
      await addClass(1);
      const r1 = await client.learn({ preset: 'balanced', advanced: { epochs: 15 } });
      await addClass(2);
      const r2 = await client.learn({ preset: 'balanced', advanced: { epochs: 15, laterEpochs: 10 } });

      const pictures: HeldOutPicture[] = [];
      for (const [k, id] of ids.entries()) {
        const samples = await client.listSamples(id);
        for (const [i, s] of samples.entries()) {
          if (!s.heldOut) continue;
          const prediction = await client.predict(await makeScene(k, i, 224));
          const bitmap = await makeScene(k, i, 224);
          const canvas = new OffscreenCanvas(224, 224);
          canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
          const blob = await canvas.convertToBlob({ type: 'image/png' });
          const png = await new Promise<string>((resolve) => {
            const reader = new FileReader();
            reader.onload = () => resolve(reader.result as string);
            reader.readAsDataURL(blob);
          });
          pictures.push({ className: classes[k], png, app: Object.fromEntries(prediction.scores.map((x) => [x.name, x.p])) });
        }
      }
      const tensorsBefore = (await client.memory()).numTensors;
      const exported = await client.exportImageModel();
      const tensorsAfter = (await client.memory()).numTensors;
      const bytes = new Uint8Array(exported.zip);
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      client.terminate();
      return { rounds: [r1.round, r2.round], pictures, zip: btoa(binary), labels: exported.labels, tensorsBefore, tensorsAfter };
    },
    { project, classes: CLASSES, perClass: PER_CLASS },
  );
  expect(made.rounds).toEqual([1, 2]);
  expect(made.labels).toEqual(CLASSES);
  expect(made.tensorsAfter).toBe(made.tensorsBefore);
  // Every 5th picture of a class is held out: 3 per class here.
  expect(made.pictures).toHaveLength(CLASSES.length * (PER_CLASS / 5));

  const files = unzipSync(new Uint8Array(Buffer.from(made.zip, 'base64')));
  expect(Object.keys(files).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
  const metadata = JSON.parse(strFromU8(files['metadata.json']));
  expect(metadata).toMatchObject({ labels: CLASSES, imageSize: 224, packageName: '@teachablemachine/image' });

  // A fresh browser context with no app code and no service worker: the unzipped files and the two bundles.
  const fresh = await browser.newContext({ serviceWorkers: 'block' });
  await fresh.route('**/exported/**', async (route) => {
    const name = new URL(route.request().url()).pathname.replace('/exported/', '');
    if (name === 'index.html') return route.fulfill({ body: PAGE, contentType: 'text/html' });
    if (STATIC[name]) return route.fulfill({ body: readFileSync(path.resolve(STATIC[name].file)), contentType: STATIC[name].type });
    const file = files[name];
    if (!file) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ body: Buffer.from(file), contentType: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
  });
  const other = await fresh.newPage();
  await other.goto('/exported/index.html');
  const answers = await other.evaluate(async (pngs) => {
    const { tf, tmImage } = window as unknown as { tf: TfBundle; tmImage: TmBundle };
    // The CPU backend: float32 throughout, so a difference from the app is the model's, not the GPU's rounding.
    await tf.setBackend('cpu');
    const images = await Promise.all(
      pngs.map(async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        return img;
      }),
    );
    const plain = await tf.loadLayersModel('/exported/model.json');
    const { labels } = (await (await fetch('/exported/metadata.json')).json()) as { labels: string[] };
    const viaTfjs: Record<string, number>[] = [];
    for (const img of images) {
      const input = tf.tidy(() => tf.browser.fromPixels(img).toFloat().div(127).sub(1).expandDims(0));
      const output = plain.predict(input) as ReturnType<TfBundle['tensor']>;
      const p = await output.data();
      tf.dispose([input, output]);
      viaTfjs.push(Object.fromEntries(labels.map((l, i) => [l, p[i]])));
    }
    const tm = await tmImage.load('/exported/model.json', '/exported/metadata.json');
    const viaTm: Record<string, number>[] = [];
    for (const img of images) {
      const predictions = await tm.predict(img);
      viaTm.push(Object.fromEntries(predictions.map((x) => [x.className, x.probability])));
    }
    return { viaTfjs, viaTm };
  }, made.pictures.map((p) => p.png));
  await fresh.close();

  const argmax = (scores: Record<string, number>) => Object.entries(scores).sort((a, b) => b[1] - a[1])[0][0];
  for (const [way, got] of Object.entries(answers) as [string, Answers][]) {
    expect(got, way).toHaveLength(made.pictures.length);
    const sameTop = made.pictures.filter((p, i) => argmax(p.app) === argmax(got[i])).length;
    expect(sameTop / made.pictures.length, `${way}: share of pictures with the app's top-1`).toBeGreaterThanOrEqual(0.99);
    let worst = 0;
    made.pictures.forEach((p, i) => {
      expect(Object.keys(got[i]).sort(), way).toEqual(Object.keys(p.app).sort());
      for (const [name, prob] of Object.entries(p.app)) worst = Math.max(worst, Math.abs(prob - got[i][name]));
    });
    console.log(`${way}: ${sameTop}/${made.pictures.length} same top-1, largest probability difference ${worst.toExponential(2)}`);
    expect(worst, `${way}: largest probability difference from the app`).toBeLessThan(1e-3);
  }
  // The model is worth exporting: the app's own answers on these held-out pictures are mostly right.
  const right = made.pictures.filter((p) => argmax(p.app) === p.className).length;
  expect(right / made.pictures.length).toBeGreaterThanOrEqual(0.8);
});
