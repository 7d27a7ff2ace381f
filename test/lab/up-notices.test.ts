import { lineProgress } from '../../src/lab/progress.js';
import { reportPrefetchProblems, reportRaisedLimits } from '../../src/lab/up-notices.js';

// docs/lab.md says `up` "says so" when it raises a host setting; it did only with --verbose, and
// said nothing without it of package indexes the proxy could not prefetch.
describe('what `lab up` tells without --verbose', () => {
  const quiet = () => {
    const lines: string[] = [];
    return { lines, progress: lineProgress((l) => lines.push(l), false) };
  };

  test('a raised host setting, one line each', () => {
    const { lines, progress } = quiet();
    reportRaisedLimits(progress, [{ key: 'fs/inotify/max_user_instances', from: 128, to: 8192 }]);
    expect(lines).toEqual(['host: raised fs.inotify.max_user_instances from 128 to 8192 (each systemd container holds several inotify instances)']);
  });

  test('an index the package proxy could not prefetch, one line each', () => {
    const { lines, progress } = quiet();
    reportPrefetchProblems(progress, ['http://deb.debian.org/debian/dists/bookworm/InRelease: HTTP 503']);
    expect(lines).toEqual(['warning: package proxy: could not prefetch http://deb.debian.org/debian/dists/bookworm/InRelease: HTTP 503 (nodes will fetch it themselves)']);
  });
});
