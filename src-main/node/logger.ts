/**
 * One line per notable event (elected, lost leadership, peer up/down, recovery, corruption), for
 * stderr: `2026-11-21T12:00:00.000Z n1 elected ballot=3.n1`. Fields are key=value, quoted when needed.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | null>>;

export interface Logger {
  event(name: string, fields?: LogFields): void;
}

export function lineLogger(nodeId: string, write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  return {
    event(name, fields = {}) {
      const parts = Object.entries(fields).map(([key, value]) => `${key}=${formatValue(value)}`);
      write(`${now().toISOString()} ${nodeId} ${name}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}\n`);
    },
  };
}

export const silentLogger: Logger = { event() {} };

function formatValue(value: string | number | boolean | null): string {
  const text = String(value);
  return /^[\w.:/@+-]+$/.test(text) ? text : JSON.stringify(text);
}
