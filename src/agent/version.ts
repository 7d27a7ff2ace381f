/** Version of gridagent; scripts/bundle-agent.js may override it with the package version at bundle time. */
export const AGENT_VERSION: string = typeof __GRIDAGENT_VERSION__ === 'string' ? __GRIDAGENT_VERSION__ : '0.1.0';

declare const __GRIDAGENT_VERSION__: string | undefined;
