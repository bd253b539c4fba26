/**
 * Words for the numbers on the waiting page. `assets/waiting-room.js` says the same things
 * the same way (from the same messages) when it updates the page live; keep the two in step.
 */
import { capitalize, en, fill, type Messages } from './messages.ts';

/** The wait estimate as a phrase inside a sentence ("about 5 minutes"); says so when there is none. */
export function etaPhrase(seconds: number | null, messages: Messages = en): string {
  if (seconds === null) return messages.etaUnknown;
  if (seconds < 60) return messages.etaUnderMinute;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? messages.etaMinute : fill(messages.etaMinutes, { n: minutes });
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (rest === 0) return hours === 1 ? messages.etaHour : fill(messages.etaHours, { n: hours });
  return hours === 1
    ? fill(messages.etaHourMinutes, { m: rest })
    : fill(messages.etaHoursMinutes, { n: hours, m: rest });
}

/** The wait estimate standing alone ("About 5 minutes"). */
export function formatEta(seconds: number | null, messages: Messages = en): string {
  return capitalize(etaPhrase(seconds, messages));
}

/** A countdown such as "4 min 05 s", or "2 h 04 min 05 s" from an hour on. */
export function formatCountdown(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (hours > 0) return `${hours} h ${pad(minutes)} min ${pad(rest)} s`;
  return minutes === 0 ? `${rest} s` : `${minutes} min ${pad(rest)} s`;
}

/**
 * A moment as the server can say it (it knows no visitor's time zone; the script shows local
 * time): "09:30 UTC", with the date when it is not the day of `nowMs`.
 */
export function formatUtcTime(epochSeconds: number, nowMs: number): string {
  const iso = new Date(epochSeconds * 1000).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(nowMs).toISOString().slice(0, 10);
  return `${sameDay ? '' : `${iso.slice(0, 10)} `}${iso.slice(11, 16)} UTC`;
}

/**
 * Progress through the queue: how many of the places up to and including yours have been
 * let in. Full exactly when it is your turn.
 */
export function queueProgress(queueNumber: number, servingCounter: number): { value: number; max: number } {
  const max = Math.max(1, queueNumber);
  return { value: Math.min(max, Math.max(0, servingCounter)), max };
}
