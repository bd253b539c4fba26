/**
 * Words for the numbers on the waiting page. `assets/waiting-room.js` says the same things
 * the same way when it updates the page live; keep the two in step.
 */

/** The wait estimate in plain words; says so when there is no estimate yet. */
export function formatEta(seconds: number | null): string {
  if (seconds === null) return 'Estimating… not enough data yet';
  if (seconds < 60) return 'Less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? 'About 1 minute' : `About ${minutes} minutes`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const hourText = hours === 1 ? '1 hour' : `${hours} hours`;
  return rest === 0 ? `About ${hourText}` : `About ${hourText} ${rest} min`;
}

/** A countdown such as "4 min 05 s". */
export function formatCountdown(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  return minutes === 0 ? `${rest} s` : `${minutes} min ${String(rest).padStart(2, '0')} s`;
}

/**
 * Progress through the queue: how many of the places up to and including yours have been
 * let in. Full exactly when it is your turn.
 */
export function queueProgress(queueNumber: number, servingCounter: number): { value: number; max: number } {
  const max = Math.max(1, queueNumber);
  return { value: Math.min(max, Math.max(0, servingCounter)), max };
}
