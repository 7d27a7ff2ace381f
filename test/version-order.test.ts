import { compareVersions } from '../src/version-order.js';

describe('compareVersions: which of two gridops versions is newer (semver precedence)', () => {
  it('compares MAJOR.MINOR.PATCH as numbers, not as text', () => {
    expect(compareVersions('1.4.2', '1.4.1')).toBe(1);
    expect(compareVersions('1.4.1', '1.4.2')).toBe(-1);
    expect(compareVersions('1.10.0', '1.9.9')).toBe(1);
    expect(compareVersions('2.0.0', '1.99.99')).toBe(1);
    expect(compareVersions('1.4.2', '1.4.2')).toBe(0);
  });

  it('puts a prerelease before its release, and orders prereleases by their identifiers', () => {
    expect(compareVersions('1.4.2-rc.1', '1.4.2')).toBe(-1);
    expect(compareVersions('1.4.2', '1.4.2-rc.1')).toBe(1);
    expect(compareVersions('1.4.2-rc.1', '1.4.1')).toBe(1);
    expect(compareVersions('1.4.2-rc.2', '1.4.2-rc.10')).toBe(-1);
    expect(compareVersions('1.4.2-alpha', '1.4.2-alpha.1')).toBe(-1);
    expect(compareVersions('1.4.2-1', '1.4.2-alpha')).toBe(-1);
    expect(compareVersions('1.4.2-beta', '1.4.2-alpha')).toBe(1);
  });

  it('gives no order where build metadata alone differs, or a version is not MAJOR.MINOR.PATCH', () => {
    expect(compareVersions('1.4.2+a', '1.4.2+b')).toBeUndefined();
    expect(compareVersions('1.4.2+a', '1.4.2+a')).toBe(0);
    expect(compareVersions('1.4', '1.4.1')).toBeUndefined();
    expect(compareVersions('', '1.4.1')).toBeUndefined();
    expect(compareVersions('01.4.1', '1.4.1')).toBeUndefined();
    expect(compareVersions('1.4.1', 'v1.4.2')).toBeUndefined();
  });
});
