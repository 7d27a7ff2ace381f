/**
 * Run before every e2e suite (jest.config.js, the e2e project's setupFilesAfterEnv): a lab test
 * waits on real machines, so it gets minutes, not jest's 5 s. Jest 29 reads `testTimeout` only at
 * the top of the config, where it would loosen the unit tests too, hence this file. A suite's own
 * jest.setTimeout and a test's own timeout still win.
 */
import { jest } from '@jest/globals';

jest.setTimeout(180_000);
