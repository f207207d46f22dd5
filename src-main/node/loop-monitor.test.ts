import { describe, expect, it } from 'vitest';
import { LoopMonitor } from './loop-monitor';

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('LoopMonitor', () => {
  it('sees a synchronous stall, and forgets it once it leaves the window', async () => {
    const monitor = new LoopMonitor(2, 5);
    try {
      await new Promise((done) => setTimeout(done, 30));
      busyWait(120);
      await new Promise((done) => setTimeout(done, 30));
      expect(monitor.delay().maxMs).toBeGreaterThanOrEqual(100);
      monitor.rotate();
      expect(monitor.delay().maxMs).toBeGreaterThanOrEqual(100);
      monitor.rotate();
      monitor.rotate();
      await new Promise((done) => setTimeout(done, 30));
      expect(monitor.delay().maxMs).toBeLessThan(100);
    } finally {
      monitor.stop();
    }
  });
});
