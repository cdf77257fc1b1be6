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
