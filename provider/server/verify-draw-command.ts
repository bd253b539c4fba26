/**
 * `anteroom verify-draw <public url> <event id> [request id]`: download an event's published
 * draw and its participants (`GET /events/{id}/draw`, `…/draw/participants`, page by page),
 * check them (`queue-core/draw/verify.ts`) and, given a request id, print where it landed.
 * Needs no configuration: anyone can run it against a public waiting room. Exit code 0 when the
 * draw verifies, 1 when it does not (or cannot be fetched), 2 for a bad command line.
 */
import { participantDigest } from '../../queue-core/draw/order.ts';
import { type PublishedDraw, verifyDraw } from '../../queue-core/draw/verify.ts';

export const VERIFY_DRAW_USAGE = 'anteroom verify-draw <public url> <event id> [request id]';

/** Most pages read (10^4 participants each): 10^8 participants. */
const MAX_PAGES = 10_000;

export async function verifyDrawCommand(
  args: string[],
  write: (text: string) => void,
  fetchJson: (url: string) => Promise<unknown> = getJson,
): Promise<number> {
  const [publicUrl, eventId, requestId, ...extra] = args;
  if (
    publicUrl === undefined ||
    eventId === undefined ||
    extra.length > 0 ||
    !/^https?:\/\//.test(publicUrl)
  ) {
    write(`Usage: ${VERIFY_DRAW_USAGE}\n`);
    return 2;
  }
  const base = `${publicUrl.replace(/\/+$/, '')}/events/${encodeURIComponent(eventId)}/draw`;
  let draw: PublishedDraw;
  const participants: string[] = [];
  try {
    draw = (await fetchJson(base)) as PublishedDraw;
    if (draw.drawn_at === null) {
      write(`The draw of ${eventId} has not happened yet. Commitment: ${draw.commitment ?? 'none (fifo)'}\n`);
      return 1;
    }
    let offset: number | null = 0;
    for (let page = 0; offset !== null && page < MAX_PAGES; page++) {
      const answer = (await fetchJson(`${base}/participants?offset=${offset}`)) as {
        items: string[];
        next_offset: number | null;
      };
      participants.push(...answer.items);
      offset = answer.next_offset;
    }
  } catch (error) {
    write(`Could not download the draw: ${(error as Error).message}\n`);
    return 1;
  }
  const verdict = verifyDraw(draw, participants);
  if (!verdict.ok) {
    write(`NOT VERIFIED: ${verdict.reason}\n`);
    return 1;
  }
  write(
    verdict.algorithm === 'fifo'
      ? `Draw of ${eventId}: fifo (arrival order), ${verdict.participants} participants; only the count and uniqueness can be checked.\n`
      : `Draw of ${eventId} verified: the seed matches its commitment ${draw.commitment}, and the ${verdict.participants} participants are in the order it gives them.\n`,
  );
  if (requestId !== undefined) {
    const index = participants.indexOf(participantDigest(requestId));
    write(
      index < 0
        ? `Request id ${requestId} is not among the participants (it joined after the start, or another event).\n`
        : `Request id ${requestId} drew position ${index + 1} of ${participants.length}.\n`,
    );
  }
  return 0;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}
