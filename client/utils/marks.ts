/**
 * Timeline marks for measuring where a parked image's time goes
 * (`performance.mark('peerconnect:<phase>[:<key>]')`, read back with
 * `performance.getEntriesByType('mark')`). Off unless the page sets
 * `window.__peerconnectMarks = true` before the client runs: production pages
 * record nothing.
 */
let enabled = false;

export function enableMarks(on: boolean): void {
  enabled = on;
}

/** Records `phase` now, once per (phase, key): later repeats keep the first time. */
export function mark(phase: string, key?: string, startTime?: number): void {
  if (!enabled) return;
  const name = key === undefined ? `peerconnect:${phase}` : `peerconnect:${phase}:${key}`;
  try {
    if (performance.getEntriesByName(name, 'mark').length === 0) performance.mark(name, startTime === undefined ? undefined : { startTime });
  } catch {
    // marks are diagnostics: never let them break the page
  }
}
