// oidc-provider warns once per loaded copy that Node 20 is not an LTS it supports; Jest loads a
// copy per test file, so the same line would fill the log. The README says which Node versions
// are supported; every other warning still shows.
const warn = console.warn.bind(console);
console.warn = (...args) => {
  if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};
