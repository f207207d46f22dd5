/**
 * Virtual time: a priority queue of callbacks ordered by (time, insertion order). Ties run in the order
 * they were scheduled, so a run is a pure function of its seed.
 */
interface ScheduledEvent {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
}

export class EventQueue {
  private heap: ScheduledEvent[] = [];
  private counter = 0;
  private clock = 0;

  get now(): number {
    return this.clock;
  }

  get size(): number {
    return this.heap.length;
  }

  schedule(delay: number, run: () => void): void {
    this.push({ at: this.clock + Math.max(0, delay), order: this.counter++, run });
  }

  /** Runs the next event; false when none is left or the next one is after `until`. */
  runNext(until: number): boolean {
    const next = this.heap[0];
    if (next === undefined || next.at > until) return false;
    this.pop();
    this.clock = next.at;
    next.run();
    return true;
  }

  private before(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i] as ScheduledEvent, heap[parent] as ScheduledEvent)) break;
      [heap[i], heap[parent]] = [heap[parent] as ScheduledEvent, heap[i] as ScheduledEvent];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as ScheduledEvent;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.before(heap[left] as ScheduledEvent, heap[smallest] as ScheduledEvent)) smallest = left;
      if (right < heap.length && this.before(heap[right] as ScheduledEvent, heap[smallest] as ScheduledEvent)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as ScheduledEvent, heap[i] as ScheduledEvent];
      i = smallest;
    }
  }
}
