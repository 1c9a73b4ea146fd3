/**
 * Counts the turns the event loop makes (a chain of setImmediate callbacks) from now until stop(): a check
 * that long work yields to the loop, ordered by turns rather than by the clock.
 */
export function countTurns(): { readonly count: number; stop(): number } {
  let count = 0;
  let running = true;
  const tick = (): void => {
    count++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get count() {
      return count;
    },
    stop() {
      running = false;
      return count;
    },
  };
}
