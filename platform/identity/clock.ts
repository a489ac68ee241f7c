/**
 * The time identity decisions are made at (session idle and absolute timeouts, lockouts, token
 * expiry). Tests move it instead of sleeping; production never touches it.
 */
export const identityClock = {
  now: (): Date => new Date(),
};

/** Moves the identity clock `ms` ahead of real time (tests only); returns a function that undoes it. */
export function advanceClock(ms: number): () => void {
  const previous = identityClock.now;
  identityClock.now = () => new Date(previous().getTime() + ms);
  return () => {
    identityClock.now = previous;
  };
}
