/**
 * A control process: a tiny HTTP server that does nothing else, probed like the nodes. When the
 * machine itself is starved (other processes hog the CPU), the canary answers slowly too, and a slow
 * answer from a node at that moment is the machine's fault, not the node's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const SERVER = `
const server = require('node:http').createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

interface Sample {
  readonly startMs: number;
  readonly endMs: number;
}

const KEPT_SAMPLES = 200;

export class Canary {
  private readonly samples: Sample[] = [];
  private inFlightSinceMs: number | null = null;
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly child: ChildProcess,
    private readonly port: number,
  ) {}

  static async start(): Promise<Canary> {
    const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'ignore'] });
    const port = await new Promise<number>((done, fail) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => done(Number(line)));
      child.once('exit', () => fail(new Error('the canary process exited')));
    });
    return new Canary(child, port);
  }

  /** Probes every `intervalMs` until stop(). */
  watch(intervalMs: number): void {
    this.loop = (async () => {
      while (this.running) {
        const startMs = performance.now();
        this.inFlightSinceMs = startMs;
        try {
          await (await fetch(`http://127.0.0.1:${this.port}/`, { signal: AbortSignal.timeout(5_000) })).text();
        } catch {
          // A lost answer still shows as a long sample.
        }
        const endMs = performance.now();
        this.inFlightSinceMs = null;
        this.samples.push({ startMs, endMs });
        if (this.samples.length > KEPT_SAMPLES) this.samples.shift();
        await new Promise((done) => setTimeout(done, Math.max(1, intervalMs - (endMs - startMs))));
      }
    })();
  }

  /** The slowest canary answer overlapping [fromMs, toMs] (performance.now() times), in-flight ones included. */
  slowestBetween(fromMs: number, toMs: number): number {
    let slowest = this.inFlightSinceMs !== null && this.inFlightSinceMs <= toMs ? performance.now() - this.inFlightSinceMs : 0;
    for (const { startMs, endMs } of this.samples) if (endMs >= fromMs && startMs <= toMs) slowest = Math.max(slowest, endMs - startMs);
    return slowest;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}
