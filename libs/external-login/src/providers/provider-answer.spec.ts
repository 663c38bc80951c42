import { parseProviderAnswer } from './provider-answer';

describe('parseProviderAnswer', () => {
  const json = (v: unknown) => JSON.stringify(v);

  it('reads a refusal with its reason, and one without', () => {
    expect(parseProviderAnswer(200, {}, json({ login_successful: false, reason: 'Account expired' }))).toEqual({
      ok: true,
      answer: { loginSuccessful: false, reason: 'Account expired' },
    });
    expect(parseProviderAnswer(200, {}, json({ login_successful: false }))).toEqual({
      ok: true,
      answer: { loginSuccessful: false, reason: null },
    });
  });

  it('reads a success with and without the fields user creation needs', () => {
    expect(
      parseProviderAnswer(
        200,
        {},
        json({ login_successful: true, username: 'bjones', email_address: 'b@example.com', is_site_administrator: true }),
      ),
    ).toEqual({
      ok: true,
      answer: { loginSuccessful: true, username: 'bjones', emailAddress: 'b@example.com', isSiteAdministrator: true },
    });
    expect(parseProviderAnswer(200, {}, json({ login_successful: true, email_address: null, is_site_administrator: 'yes' }))).toEqual({
      ok: true,
      answer: { loginSuccessful: true, username: null, emailAddress: null, isSiteAdministrator: null },
    });
  });

  it('keeps a reason to one bounded line', () => {
    const answer = parseProviderAnswer(200, {}, json({ login_successful: false, reason: `line one\nline\ttwo ${'x'.repeat(600)}` }));
    expect(answer.ok && !answer.answer.loginSuccessful && answer.answer.reason).toMatch(/^line one line two x+…$/);
    expect(answer.ok && !answer.answer.loginSuccessful && answer.answer.reason?.length).toBe(500);
  });

  it.each([
    [500, {}, json({ login_successful: true }), 'status', /HTTP 500/],
    [
      302,
      { location: 'https://elsewhere.example/' },
      '',
      'status',
      /redirected to https:\/\/elsewhere\.example\/ \(redirects are not followed\)/,
    ],
    [200, {}, '<html>ok</html>', 'malformed', /not JSON/],
    [200, {}, '[true]', 'malformed', /not a JSON object/],
    [200, {}, 'null', 'malformed', /not a JSON object/],
    [200, {}, json({ login_successful: 'true' }), 'malformed', /boolean login_successful/],
    [200, {}, json({ success: true }), 'malformed', /boolean login_successful/],
  ])('refuses HTTP %s %j %s as %s', (status, headers, body, failure, message) => {
    const parsed = parseProviderAnswer(status, headers, body);
    expect(parsed).toMatchObject({ ok: false, failure });
    expect(!parsed.ok && parsed.message).toMatch(message);
  });
});
