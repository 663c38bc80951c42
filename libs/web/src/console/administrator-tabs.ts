/** The pages under the console's Administrators entry: the people, the API tokens, your own account. */
export function adminTabs(active: string): { href: string; label: string; active: boolean }[] {
  return [
    { href: '/console/administrators', label: 'Administrators' },
    { href: '/console/api-tokens', label: 'API tokens' },
    { href: '/console/me', label: 'Your account' },
  ].map((tab) => ({ ...tab, active: tab.href === active }));
}
