/**
 * A binary min-heap of timers ordered by (deadline, insertion number). The insertion
 * number is the tie-break that makes timers with equal deadlines fire in the order they
 * were set, which is what makes a simulation replay byte-identically.
 * Cancelled entries stay in the heap and are skipped when they reach the top (lazy delete).
 */
export interface QueuedTimer {
  readonly queue: TimerQueue;
  readonly at: number;
  readonly order: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class TimerQueue {
  private readonly heap: QueuedTimer[] = [];
  private nextOrder = 0;
  private live = 0;

  /** Number of timers neither fired nor cancelled. */
  get size(): number {
    return this.live;
  }

  push(at: number, fn: () => void): QueuedTimer {
    const timer: QueuedTimer = { queue: this, at, order: this.nextOrder++, fn, cancelled: false };
    this.heap.push(timer);
    this.up(this.heap.length - 1);
    this.live++;
    return timer;
  }

  /** Cancels a timer of this queue; anything else (a fired timer, a foreign value) is ignored. */
  cancel(timer: QueuedTimer): void {
    if (timer.queue !== this || timer.cancelled) return;
    timer.cancelled = true;
    this.live--;
  }

  /** The earliest live timer, without removing it. */
  peek(): QueuedTimer | undefined {
    this.dropCancelledTop();
    return this.heap[0];
  }

  /** Removes and returns the earliest live timer (it counts as fired: no longer cancellable). */
  pop(): QueuedTimer | undefined {
    this.dropCancelledTop();
    const top = this.removeTop();
    if (top) {
      top.cancelled = true;
      this.live--;
    }
    return top;
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.removeTop();
  }

  private removeTop(): QueuedTimer | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private less(a: QueuedTimer, b: QueuedTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private up(i: number): void {
    const heap = this.heap;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(item, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.less(heap[right]!, heap[left]!) ? right : left;
      if (!this.less(heap[child]!, item)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = item;
  }
}
