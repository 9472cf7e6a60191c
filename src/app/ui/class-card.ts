/** One class's card: name, colour, counts, learn state, advice, thumbnails, rename/delete and adding pictures. */
import type { ClassInfo, SampleInfo } from '../client';
import type { UiContext } from './context';
import { confirmDialog, promptDialog } from './dialog';
import { formatList, t } from '../i18n';
import { errorMessage, fileButton, h, replaceChildren } from './dom';
import { classNameProblem } from './class-name';
import { codeOf } from './notices';

/** Fewer pictures than this get advice on how many to take and what to vary. */
const ADVISED_PICTURES = 20;
/** Below this feature-space variety (worker/variety.ts) a class's pictures count as near-duplicates. */
const LOW_VARIETY = 0.02;
/** Thumbnails shown on a closed card (the newest ones). */
const STRIP_SIZE = 8;
/** Thumbnails shown in an opened card before "show all". */
const GRID_PAGE = 60;

/** One class in the list. */
export class ClassCard {
  readonly el: HTMLLIElement;
  private readonly swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  private readonly name = h('span', { class: 'class-name', 'data-testid': 'class-name' });
  private readonly count = h('span', { class: 'class-count', 'data-testid': 'class-count' });
  private readonly badge = h('span', { class: 'badge', 'data-testid': 'class-learned' });
  private readonly strip = h('div', { class: 'thumb-strip', 'data-testid': 'class-thumbs' });
  /** How many pictures and how much variety the class still needs (first-use guidance). */
  private readonly advice = h('p', { class: 'hint small class-advice', 'data-testid': 'class-advice' });
  private readonly grid = h('ul', { class: 'thumb-grid', 'data-testid': 'sample-grid' });
  private readonly details: HTMLDetailsElement;
  private readonly summary = h('summary', { 'data-testid': 'class-samples-toggle' });
  private readonly selectButton: HTMLButtonElement;
  private readonly fileStatus = h('span', {
    class: 'hint small',
    'data-testid': 'class-file-status',
    'aria-live': 'polite',
  });
  private readonly actions: HTMLButtonElement[] = [];
  /** Blob URL of each shown sample's thumbnail, kept across reloads so unchanged thumbnails never flicker. */
  private urls = new Map<string, string>();
  private samples: SampleInfo[] = [];
  private showAll = false;
  private loadedCount = -1;
  private cls: ClassInfo;

  constructor(
    private readonly ctx: UiContext,
    cls: ClassInfo,
  ) {
    this.cls = cls;
    const rename = h(
      'button',
      { type: 'button', class: 'small', 'data-testid': 'class-rename' },
      t('classes.rename'),
    );
    const del = h(
      'button',
      { type: 'button', class: 'small danger-text', 'data-testid': 'class-delete' },
      t('classes.delete'),
    );
    this.selectButton = h(
      'button',
      { type: 'button', class: 'small', 'data-testid': 'class-select' },
      t('classes.captureInto'),
    );
    const files = fileButton({
      label: t('classes.addImages'),
      accept: 'image/*',
      multiple: true,
      testid: 'class-files',
      className: 'small',
      onFiles: (f) => void this.addFiles(f),
    });
    this.actions.push(rename, del, this.selectButton, files.button);
    rename.addEventListener('click', () => void this.rename());
    del.addEventListener('click', () => void this.remove());
    this.selectButton.addEventListener('click', () => {
      ctx.store.set({ selectedClassId: this.cls.id });
      document
        .querySelector<HTMLElement>('[data-testid="capture-button"]')
        ?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    });
    this.details = h(
      'details',
      { class: 'samples' },
      this.summary,
      h('p', { class: 'hint small' }, t('classes.heldOutNote')),
      this.grid,
    );
    this.details.addEventListener('toggle', () => {
      if (this.details.open) this.renderGrid();
    });
    this.el = h(
      'li',
      { class: 'class-card', 'data-testid': 'class-card' },
      h(
        'div',
        { class: 'class-head' },
        this.swatch,
        h(
          'div',
          { class: 'class-title' },
          this.name,
          h('div', { class: 'class-meta' }, this.count, this.badge),
        ),
      ),
      this.strip,
      this.advice,
      h('div', { class: 'class-actions' }, this.selectButton, files.wrap, rename, del),
      this.fileStatus,
      this.details,
    );
  }

  /** Shows the latest class info. */
  update(
    cls: ClassInfo,
    selected: boolean,
    s: { capturing: boolean; learning: boolean; busy: string | null },
  ): void {
    this.cls = cls;
    this.el.dataset.classId = cls.id;
    this.el.dataset.className = cls.name;
    this.el.classList.toggle('is-selected', selected);
    this.el.style.setProperty('--class-colour', cls.colour);
    this.swatch.style.background = cls.colour;
    this.name.textContent = cls.name;
    this.count.textContent = t('classes.pictureCount', { count: cls.sampleCount });
    this.count.dataset.count = String(cls.sampleCount);
    // Pictures not learned yet say so even on a learned class: Learn would train on them.
    this.badge.textContent =
      cls.pending > 0
        ? t('learnState.pending', { count: cls.pending })
        : cls.learned
          ? t('classes.learned')
          : cls.sampleCount > 0
            ? t('classes.notLearned')
            : t('classes.needsPictures');
    this.badge.className = `badge ${cls.learned && cls.pending === 0 ? 'badge-ok' : 'badge-new'}`;
    this.badge.dataset.pending = String(cls.pending);
    this.renderAdvice(cls);
    this.selectButton.hidden = selected;
    this.selectButton.setAttribute('aria-label', t('classes.captureIntoAria', { name: cls.name }));
    const locked = s.capturing || s.learning || s.busy !== null;
    for (const b of this.actions) b.disabled = locked;
    this.summary.textContent = t('classes.allPictures', { n: cls.sampleCount });
    this.details.hidden = cls.sampleCount === 0;
    if (!s.capturing && cls.sampleCount !== this.loadedCount) void this.loadSamples();
  }

  /**
   * Near-duplicate pictures (the worker's feature-space variety below LOW_VARIETY) get a warning; few pictures,
   * how many to aim for and what to vary. (Empty classes say so in their strip.)
   */
  private renderAdvice(cls: ClassInfo): void {
    const similar = cls.variety !== undefined && cls.variety < LOW_VARIETY;
    const few = cls.sampleCount > 0 && cls.sampleCount < ADVISED_PICTURES;
    this.advice.textContent = similar ? t('classes.adviceSimilar') : few ? t('classes.adviceFew') : '';
    this.advice.classList.toggle('is-warning', similar);
    this.advice.dataset.variety = cls.variety === undefined ? '' : cls.variety.toFixed(4);
    this.advice.hidden = !similar && !few;
  }

  /** Re-reads this class's samples (thumbnails) from the worker. */
  async loadSamples(): Promise<void> {
    const wanted = this.cls.sampleCount;
    try {
      this.samples = await this.ctx.client.listSamples(this.cls.id);
    } catch (err) {
      // A class deleted meanwhile: nothing to show.
      this.samples = [];
      if (this.el.isConnected)
        this.ctx.notices.error(t('classes.readFailed', { name: this.cls.name, reason: errorMessage(err) }));
    }
    this.loadedCount = wanted;
    const keep = new Set(this.samples.map((s) => s.id));
    for (const [id, url] of this.urls) {
      if (!keep.has(id)) {
        URL.revokeObjectURL(url);
        this.urls.delete(id);
      }
    }
    this.renderStrip();
    if (this.details.open) this.renderGrid();
  }

  private url(sample: SampleInfo): string {
    let url = this.urls.get(sample.id);
    if (!url) {
      url = URL.createObjectURL(new Blob([sample.thumbnail], { type: sample.thumbnailType }));
      this.urls.set(sample.id, url);
    }
    return url;
  }

  private renderStrip(): void {
    const newest = this.samples.slice(-STRIP_SIZE).reverse();
    replaceChildren(
      this.strip,
      newest.length === 0
        ? h('span', { class: 'hint small' }, t('classes.noPictures'))
        : newest.map((s) =>
            h('img', {
              src: this.url(s),
              alt: '',
              width: 48,
              height: 48,

              'data-testid': 'class-thumb',
            }),
          ),
    );
  }

  private renderGrid(): void {
    const all = [...this.samples].reverse();
    const shown = this.showAll ? all : all.slice(0, GRID_PAGE);
    const items = shown.map((s) => {
      const del = h(
        'button',
        {
          type: 'button',
          class: 'thumb-delete',
          'aria-label': t('classes.deletePicture'),
          title: t('classes.deletePicture'),
          'data-testid': 'sample-delete',
        },
        '×',
      );
      del.addEventListener('click', () => void this.deleteSample(s.id));
      return h(
        'li',
        { class: `thumb ${s.heldOut ? 'is-heldout' : ''}`, 'data-testid': 'sample', 'data-sample-id': s.id },
        h('img', {
          src: this.url(s),
          alt:
            s.source === 'file'
              ? t('classes.fileAlt', { name: this.cls.name })
              : t('classes.cameraAlt', { name: this.cls.name }),
          width: 72,
          height: 72,
        }),
        s.heldOut
          ? h('span', { class: 'thumb-tag', title: t('classes.testTitle') }, t('classes.testTag'))
          : null,
        del,
      );
    });
    replaceChildren(
      this.grid,
      items,
      all.length > shown.length
        ? h(
            'li',
            { class: 'thumb-more' },
            h(
              'button',
              {
                type: 'button',
                class: 'small',
                onclick: () => {
                  this.showAll = true;
                  this.renderGrid();
                },
              },
              t('classes.showAll', { n: all.length }),
            ),
          )
        : null,
    );
  }

  private async deleteSample(id: string): Promise<void> {
    try {
      await this.ctx.client.deleteSample(id);
      this.samples = this.samples.filter((s) => s.id !== id);
      this.ctx.bus.emit('samples-changed', { classId: this.cls.id });
      await this.ctx.refreshStatus();
    } catch (err) {
      this.ctx.notices.error(t('classes.deletePictureFailed', { reason: errorMessage(err) }), codeOf(err));
    }
  }

  private async rename(): Promise<void> {
    const name = await promptDialog({
      title: t('classes.renameTitle', { name: this.cls.name }),
      label: t('classes.newName'),
      initial: this.cls.name,
      confirmLabel: t('classes.rename'),
      validate: (v) => classNameProblem(v, this.ctx.store.state.classes, this.cls.id),
    });
    if (!name || name === this.cls.name) return;
    try {
      await this.ctx.client.renameClass(this.cls.id, name);
      await this.ctx.refreshStatus();
    } catch (err) {
      this.ctx.notices.error(errorMessage(err), codeOf(err));
    }
  }

  private async remove(): Promise<void> {
    const n = this.cls.sampleCount;
    const ok = await confirmDialog({
      title: t('classes.deleteTitle', { name: this.cls.name }),
      message: t('classes.deleteMessage', { count: n }),
      confirmLabel: t('classes.deleteConfirm'),
      danger: true,
    });
    if (!ok) return;
    try {
      await this.ctx.client.deleteClass(this.cls.id);
      await this.ctx.refreshStatus();
      this.ctx.bus.emit('project-changed', {});
      this.ctx.notices.toast(t('classes.deleted', { name: this.cls.name }));
    } catch (err) {
      this.ctx.notices.error(errorMessage(err), codeOf(err));
    }
  }

  private async addFiles(files: File[]): Promise<void> {
    const { client, store, notices } = this.ctx;
    const failed: string[] = [];
    let added = 0;
    store.set({ busy: t('classes.busyAdding', { name: this.cls.name }) });
    try {
      for (const [i, file] of files.entries()) {
        this.fileStatus.textContent = t('classes.addingImage', { index: i + 1, total: files.length });
        let bitmap: ImageBitmap;
        try {
          bitmap = await createImageBitmap(file);
        } catch {
          failed.push(file.name);
          continue;
        }
        try {
          await client.addSample(this.cls.id, bitmap, 'file');
          added++;
        } catch (err) {
          notices.error(
            t('classes.addImageFailed', { file: file.name, reason: errorMessage(err) }),
            codeOf(err),
          );
          if (codeOf(err) === 'storage-full') break;
        }
      }
    } finally {
      store.set({ busy: null });
      this.fileStatus.textContent = '';
    }
    if (failed.length) {
      const shown = formatList(failed.slice(0, 3), 'unit') + (failed.length > 3 ? '…' : '');
      notices.error(t('classes.unreadable', { count: failed.length, files: shown }));
    }
    if (added) notices.toast(t('classes.imagesAdded', { count: added, name: this.cls.name }));
    await this.ctx.refreshStatus();
    this.ctx.bus.emit('samples-changed', { classId: this.cls.id });
  }

  private revoke(): void {
    this.urls.forEach((u) => URL.revokeObjectURL(u));
    this.urls.clear();
  }

  /** Removes the card and frees its thumbnails. */
  dispose(): void {
    this.revoke();
    this.el.remove();
  }
}
