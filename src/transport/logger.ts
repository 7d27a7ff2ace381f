/** The slice of pino that the transport uses; a pino logger fits it as is. */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;
export interface TransportLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
}

const noop: LogFn = () => undefined;
/** Discards everything (the default, so tests stay quiet). */
export const silentLogger: TransportLogger = { debug: noop, info: noop, warn: noop };
