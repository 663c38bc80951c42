/* global document, HTMLInputElement */
// The import page: a chosen CSV file is read in the browser into the form's text box, so the
// form posts as an ordinary urlencoded form with its CSRF token.
document.addEventListener('change', (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== 'file' || !input.dataset.fills) return;
  const target = document.getElementById(input.dataset.fills);
  const file = input.files && input.files[0];
  if (!target || !file) return;
  file.text().then((text) => {
    target.value = text;
  });
});
