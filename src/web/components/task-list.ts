import { html, type Html } from '../html.js';

export interface TaskListItem {
  title: string;
  href?: string;
  hint?: string | Html;
  /** The status, as text or a tag. */
  status: string | Html;
}

/** The NHS task list: a list of things to do, each with its status. */
export function taskList(items: TaskListItem[], idPrefix = 'task-list'): Html {
  return html`<ul class="nhsuk-task-list">
  ${items.map((it, i) => {
    const hintId = `${idPrefix}-${i + 1}-hint`;
    const statusId = `${idPrefix}-${i + 1}-status`;
    return html`<li class="nhsuk-task-list__item${it.href ? ' nhsuk-task-list__item--with-link' : ''}">
    <div class="nhsuk-task-list__name-and-hint">
      ${it.href ? html`<a class="nhsuk-link nhsuk-task-list__link" href="${it.href}" aria-describedby="${it.hint ? `${hintId} ` : ''}${statusId}">${it.title}</a>` : html`<div>${it.title}</div>`}
      ${it.hint ? html`<div class="nhsuk-task-list__hint" id="${hintId}">${it.hint}</div>` : ''}
    </div>
    <div class="nhsuk-task-list__status" id="${statusId}">${it.status}</div>
  </li>`;
  })}
</ul>`;
}
