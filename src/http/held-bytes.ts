/**
 * Bytes of request bodies the process holds while reading them whole, across requests (before anything
 * authenticated them, or small ones after). Each body is bounded on its own; without a bound across them,
 * thousands of clients each sending a body up to its limit and then going silent filled the heap. A read that would go beyond is refused (each entry point
 * answers in its own protocol: 503 ServiceUnavailable).
 */
export class HeldBytes {
  private held = 0;

  constructor(public limit: number) {}

  /** Takes `n` bytes, or answers false (and takes nothing) when that would go beyond the limit. */
  take(n: number): boolean {
    if (this.held + n > this.limit) return false;
    this.held += n;
    return true;
  }

  give(n: number): void {
    this.held -= n;
  }

  /** Bytes held now (tests, diagnostics). */
  get inUse(): number {
    return this.held;
  }
}
