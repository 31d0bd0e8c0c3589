/**
 * Runs tasks at most `limit()` at once, and at most `shareLimit()` of them for one owner (a
 * tenant). A freed slot goes to the next owner in turn that has work waiting and room in its
 * share, so one owner's slow tasks can hold only its share, never delay another owner's start.
 */
export class FairQueue {
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly running = new Map<string, number>();
  private active = 0;

  constructor(
    private readonly limit: () => number,
    private readonly shareLimit: () => number,
  ) {}

  /** Tasks running or waiting. */
  get size(): number {
    return this.active + [...this.waiting.values()].reduce((n, queue) => n + queue.length, 0);
  }

  /** Resolves or rejects with the task once it has run; `task` starts when a slot is free. */
  run<T>(owner: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        task()
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            const left = (this.running.get(owner) ?? 1) - 1;
            if (left) this.running.set(owner, left);
            else this.running.delete(owner);
            this.pump();
          });
      };
      const queue = this.waiting.get(owner);
      if (queue) queue.push(start);
      else this.waiting.set(owner, [start]);
      this.pump();
    });
  }

  private pump(): void {
    // Map iteration follows insertion order: an owner re-inserted after being served goes last (round robin)
    while (this.active < this.limit()) {
      const owner = [...this.waiting.keys()].find((o) => (this.running.get(o) ?? 0) < this.shareLimit());
      if (owner === undefined) return;
      const queue = this.waiting.get(owner)!;
      const start = queue.shift()!;
      this.waiting.delete(owner);
      if (queue.length) this.waiting.set(owner, queue);
      this.active++;
      this.running.set(owner, (this.running.get(owner) ?? 0) + 1);
      start();
    }
  }
}
