/**
 * An incremental Server-Sent Events parser (the subset the HTTP bridge uses): text goes in as it
 * arrives, in chunks of any size; each complete event's data comes out. Comments (`: keepalive`) and
 * fields other than `data` are skipped; lines may end in \n, \r\n or \r, as the SSE spec allows.
 *
 * Invariant: buffers at most MAX_PENDING characters of an unfinished event; past that (a broken or
 * hostile stream) the partial event is dropped instead of growing without bound.
 */

const MAX_PENDING = 4 * 1024 * 1024;

export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #pendingSize = 0;
  readonly #onData: (data: string) => void;

  constructor(onData: (data: string) => void) {
    this.#onData = onData;
  }

  push(text: string): void {
    this.#buffer += text;
    for (;;) {
      const end = this.#buffer.search(/[\r\n]/);
      if (end < 0) break;
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (this.#buffer[end] === '\r' && end === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, end);
      const skip = this.#buffer.startsWith('\r\n', end) ? 2 : 1;
      this.#buffer = this.#buffer.slice(end + skip);
      this.#line(line);
    }
    if (this.#buffer.length + this.#pendingSize > MAX_PENDING) this.reset();
  }

  /** Drops any partial event (call when the connection is lost: SSE events never span connections). */
  reset(): void {
    this.#buffer = '';
    this.#data = [];
    this.#pendingSize = 0;
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        const data = this.#data.join('\n');
        this.#data = [];
        this.#pendingSize = 0;
        this.#onData(data);
      }
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.#data.push(value);
    this.#pendingSize += value.length;
  }
}
