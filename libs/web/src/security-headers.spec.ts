import { framingPolicy } from './security-headers';

describe('framingPolicy', () => {
  it("keeps the page policy and lists the tenant's origins as frame-ancestors", () => {
    const policy = framingPolicy(['https://portal.example.com', 'http://127.0.0.1:8080']);
    expect(policy).toBe(
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';form-action 'self';object-src 'none';base-uri 'none';frame-ancestors https://portal.example.com http://127.0.0.1:8080",
    );
    expect(framingPolicy(['https://portal.example.com', 'http://127.0.0.1:8080'])).toBe(policy);
  });

  it('never lets anything but an origin into the header', () => {
    expect(framingPolicy(["https://a.example; script-src 'unsafe-inline'", 'https://b.example'])).toMatch(
      /;frame-ancestors https:\/\/b\.example$/,
    );
    expect(framingPolicy(['javascript:alert(1)'])).toMatch(/;frame-ancestors 'none'$/);
  });
});
