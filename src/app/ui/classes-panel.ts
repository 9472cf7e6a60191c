/** The class list: the add-class form and one card per class (class-card.ts). */
import type { UiContext } from './context';
import { t } from '../i18n';
import { errorMessage, h } from './dom';
import { classNameProblem, nameTooLong, ruleMessage } from './class-name';
import { codeOf } from './notices';
import { ClassCard } from './class-card';

/** Builds the classes panel. */
export function classesPanel(ctx: UiContext): HTMLElement {
  const { client, store, notices, bus } = ctx;
  const list = h('ul', { class: 'class-list', 'data-testid': 'class-list' });
  const empty = h('p', { class: 'empty', 'data-testid': 'classes-empty' }, t('classes.empty'));
  const nameInput = h('input', {
    type: 'text',
    id: 'new-class-name',
    placeholder: t('classes.namePlaceholder'),
    // No maxlength: the browser would cut a pasted name silently; an over-long one is explained instead.
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'new-class-error',
    'data-testid': 'new-class-name',
  });
  // Errors about the name appear here, under the field that caused them, not in a banner at the top.
  const nameError = h('p', {
    id: 'new-class-error',
    class: 'field-error',
    'aria-live': 'polite',
    'data-testid': 'new-class-error',
  });
  const showNameError = (message: string | null) => {
    nameError.textContent = message ?? '';
    if (message) nameInput.setAttribute('aria-invalid', 'true');
    else nameInput.removeAttribute('aria-invalid');
  };
  nameInput.addEventListener('input', () => showNameError(nameTooLong(nameInput.value)));
  const addForm = h(
    'form',
    // novalidate: the explanation comes from the class rule, under the field, in the app's language.
    { class: 'add-class', 'data-testid': 'add-class-form', novalidate: true },
    h('label', { for: 'new-class-name' }, t('classes.newLabel')),
    nameInput,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'add-class' }, t('classes.add')),
    nameError,
  );
  addForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const problem = classNameProblem(nameInput.value, store.state.classes);
    if (problem) {
      showNameError(problem);
      nameInput.focus();
      return;
    }
    const name = nameInput.value.trim();
    try {
      const cls = await client.addClass(name);
      nameInput.value = '';
      showNameError(null);
      store.set({
        classes: [...store.state.classes.filter((c) => c.id !== cls.id), cls],
        selectedClassId: cls.id,
      });
      notices.toast(t('classes.added', { name: cls.name }));
    } catch (err) {
      const problem = ruleMessage(codeOf(err), name, store.state.classes);
      if (problem) {
        showNameError(problem);
        nameInput.focus();
      } else notices.error(errorMessage(err), codeOf(err));
    }
  });

  const cards = new Map<string, ClassCard>();
  store.subscribe((s) => {
    empty.hidden = s.classes.length > 0;
    const seen = new Set<string>();
    s.classes.forEach((cls, index) => {
      seen.add(cls.id);
      let card = cards.get(cls.id);
      if (!card) {
        card = new ClassCard(ctx, cls);
        cards.set(cls.id, card);
      }
      card.update(cls, cls.id === s.selectedClassId, s);
      if (list.children[index] !== card.el) list.insertBefore(card.el, list.children[index] ?? null);
    });
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.dispose();
        cards.delete(id);
      }
    }
  });
  bus.on('samples-changed', ({ classId }) => void cards.get(classId)?.loadSamples());
  bus.on('project-changed', () => cards.forEach((c) => void c.loadSamples()));

  return h(
    'section',
    { class: 'panel classes-panel', 'aria-labelledby': 'classes-heading', 'data-testid': 'classes-panel' },
    h('h2', { id: 'classes-heading' }, t('classes.heading')),
    addForm,
    empty,
    list,
  );
}
