/* global document, navigator, window, Element */
// Copy buttons beside secrets and ids: shown only when this script runs, so a page without
// JavaScript offers no button that does nothing. The text stays selectable either way.
function copyText(target) {
  const text = target.textContent.trim();
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  // Plain http on a non-local host has no clipboard API: select the text and use the legacy command.
  const range = document.createRange();
  range.selectNodeContents(target);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const done = document.execCommand('copy');
  return done ? Promise.resolve() : Promise.reject(new Error('copy refused'));
}

document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('button.copy[data-copy]')) button.hidden = false;
});

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button.copy[data-copy]') : null;
  const target = button && document.getElementById(button.dataset.copy);
  if (!target) return;
  copyText(target).then(
    () => {
      button.textContent = 'Copied';
    },
    () => {
      button.textContent = 'Select and copy by hand';
    },
  );
});
