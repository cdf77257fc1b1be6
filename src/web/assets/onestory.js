/* global document */
// OneStory web app: progressive enhancement only. Every page works without this script.
import { initAll } from '/assets/nhsuk-frontend.min.js';

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();

/** Modulus 11 check of a 10-digit NHS number (the same rule as src/fhir/nhs-number.ts). */
function validNhsNumber(digits) {
  if (!/^\d{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  return check !== 10 && check === Number(digits[9]);
}

/** 3-3-4 grouping as the number is typed, and a live message once 10 digits are in. */
for (const input of document.querySelectorAll('input[data-nhs-number]')) {
  const status = document.getElementById(input.getAttribute('data-nhs-number'));
  const update = () => {
    const digits = input.value.replace(/\D/g, '').slice(0, 10);
    const grouped = [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)].filter(Boolean).join(' ');
    if (grouped !== input.value) {
      const atEnd = input.selectionStart === input.value.length;
      input.value = grouped;
      if (atEnd) input.setSelectionRange(grouped.length, grouped.length);
    }
    if (!status) return;
    if (digits.length < 10) {
      status.textContent = '';
      status.className = 'onestory-nhs-status';
    } else if (validNhsNumber(digits)) {
      status.textContent = 'This is a valid NHS number.';
      status.className = 'onestory-nhs-status onestory-nhs-status--ok';
    } else {
      status.textContent = 'This is not a valid NHS number. Check the digits.';
      status.className = 'onestory-nhs-status onestory-nhs-status--bad';
    }
  };
  input.addEventListener('input', update);
  update();
}

/** Loading state: a form that fetches a new page says so while it waits. */
for (const form of document.querySelectorAll('form[data-loading]')) {
  form.addEventListener('submit', () => {
    const button = form.querySelector('button[type="submit"], button:not([type])');
    if (button) {
      button.setAttribute('aria-disabled', 'true');
      button.textContent = form.getAttribute('data-loading');
    }
    form.setAttribute('aria-busy', 'true');
  });
}

/** A long list of checkboxes narrowed by name as the user types; ticked ones always stay in view. */
for (const list of document.querySelectorAll('[data-filter]')) {
  const id = `${list.querySelector('input')?.name ?? 'list'}-filter`;
  const group = document.createElement('div');
  group.className = 'nhsuk-form-group';
  group.innerHTML = `<label class="nhsuk-label" for="${id}"></label><input class="nhsuk-input nhsuk-input--width-20" id="${id}" type="search" autocomplete="off"><p class="nhsuk-body-s" aria-live="polite" id="${id}-status"></p>`;
  group.querySelector('label').textContent = list.getAttribute('data-filter');
  list.before(group);
  const input = group.querySelector('input');
  const status = group.querySelector('p');
  const items = [...list.querySelectorAll('.nhsuk-checkboxes__item')];
  // Enter here narrows the list; it does not send the form the list belongs to.
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') e.preventDefault(); });
  input.addEventListener('input', () => {
    const words = input.value.trim().toLowerCase();
    let shown = 0;
    for (const item of items) {
      const show = !words || item.querySelector('input').checked || item.textContent.toLowerCase().includes(words);
      item.hidden = !show;
      if (show) shown++;
    }
    status.textContent = words ? `${shown} of ${items.length} shown` : '';
  });
}
