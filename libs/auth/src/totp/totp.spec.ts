import { Secret, TOTP } from 'otpauth';
import { totpCode, totpUri, verifyTotp, newTotpSecret, TOTP_PERIOD } from './totp';

describe('TOTP', () => {
  // RFC 6238 Appendix B, SHA-1 rows: seed "12345678901234567890", 8 digits, 30 s steps.
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('matches the RFC 6238 vector at T=%i', (seconds, expected) => {
    const rfc = new TOTP({ algorithm: 'SHA1', digits: 8, period: 30, secret: Secret.fromUTF8('12345678901234567890') });
    expect(rfc.generate({ timestamp: seconds * 1000 })).toBe(expected);
  });

  const secret = newTotpSecret();
  const now = 1_800_000_000_000;
  const step = Math.floor(now / 1000 / TOTP_PERIOD);

  it('accepts the current code and one step of drift either way, not two', () => {
    expect(verifyTotp(secret, totpCode(secret, now), null, now)).toEqual({ step });
    expect(verifyTotp(secret, totpCode(secret, now - 30_000), null, now)).toEqual({ step: step - 1 });
    expect(verifyTotp(secret, totpCode(secret, now + 30_000), null, now)).toEqual({ step: step + 1 });
    expect(verifyTotp(secret, totpCode(secret, now - 60_000), null, now)).toBeNull();
    expect(verifyTotp(secret, totpCode(secret, now + 60_000), null, now)).toBeNull();
  });

  it('never accepts the same step twice, nor an older one', () => {
    const code = totpCode(secret, now);
    const first = verifyTotp(secret, code, null, now);
    expect(first).not.toBeNull();
    expect(verifyTotp(secret, code, first!.step, now)).toBeNull();
    expect(verifyTotp(secret, totpCode(secret, now - 30_000), first!.step, now)).toBeNull();
    expect(verifyTotp(secret, totpCode(secret, now + 30_000), first!.step, now + 30_000)).toEqual({ step: step + 1 });
  });

  it('refuses malformed codes', () => {
    for (const bad of ['', '12345', '1234567', 'abcdef', '12 34 5x']) expect(verifyTotp(secret, bad, null, now)).toBeNull();
  });

  it('builds the otpauth URI for the QR code', () => {
    expect(totpUri(secret, 'ada@example.com', 'Portico')).toMatch(
      new RegExp(`^otpauth://totp/Portico:ada%40example\\.com\\?issuer=Portico&secret=${secret}&algorithm=SHA1&digits=6&period=30$`),
    );
  });
});
