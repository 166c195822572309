declare const __AGENT_VERSION__: string | undefined;

/** Set by the bundler from package.json; "dev" when run from source (tests through tsx). */
export const AGENT_VERSION: string = typeof __AGENT_VERSION__ === 'string' ? __AGENT_VERSION__ : 'dev';
