import { InterruptedError, LabError } from '../../src/errors/index.js';
import { settledSandboxImage } from '../../src/lab/sandbox-image.js';

/**
 * Ctrl-C while container nodes boot also stops the sandbox image's build. `up` threw the build's
 * own error ("interrupted while building the rootfs; nothing was cached", a hint without --dir)
 * although the nodes ran and lab.json recorded them: the lab's interrupt, naming `lab down --dir`, wins.
 */
describe('the sandbox image, judged after the nodes boot', () => {
  const buildInterrupted = new InterruptedError('interrupted while building the rootfs; nothing was cached', 'run `gridops lab up` again');
  const labInterrupted = new InterruptedError('interrupted; what was built is recorded in lab.json', 'run `gridops lab down --dir /tmp/lab` to remove it');

  test('interrupted: the lab\'s interrupt, not the build\'s', async () => {
    const checkAbort = async () => {
      throw labInterrupted;
    };
    await expect(settledSandboxImage(Promise.resolve({ error: buildInterrupted }), checkAbort)).rejects.toBe(labInterrupted);
  });

  test('not interrupted: a failed build is the error; a built one is returned', async () => {
    const failed = new LabError('sandbox image: no package matching busybox-static was downloaded', 'check the mirror');
    const noInterrupt = async () => {};
    await expect(settledSandboxImage(Promise.resolve({ error: failed }), noInterrupt)).rejects.toBe(failed);
    const image = { path: '/cache/sandbox-image/bookworm-v2.img', built: true, ms: 1, bytes: 2 };
    await expect(settledSandboxImage(Promise.resolve({ image }), noInterrupt)).resolves.toBe(image);
    await expect(settledSandboxImage(Promise.resolve({}), noInterrupt)).resolves.toBeUndefined();
  });
});
