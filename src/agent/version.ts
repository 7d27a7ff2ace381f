/** Version of gridagent, kept equal to package.json's version (a unit test checks it). */
export const AGENT_VERSION = '0.1.0';
