/**
 * Members ordered by (score, member), as a Redis sorted set orders them. Binary search
 * keeps lookups and counts O(log n); inserts at the end (the usual case: later sessions
 * expire later) are appends.
 */
export class SortedSet {
  #scores: number[] = [];
  #members: string[] = [];

  get size(): number {
    return this.#scores.length;
  }

  /** Index of the first item not ordered before (score, member). */
  #lowerBound(score: number, member: string): number {
    let low = 0;
    let high = this.#scores.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midScore = this.#scores[mid]!;
      if (midScore < score || (midScore === score && this.#members[mid]! < member)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Index of the first item with a score above `score`. */
  #upperBoundScore(score: number): number {
    let low = 0;
    let high = this.#scores.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#scores[mid]! <= score) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  add(score: number, member: string): void {
    const at = this.#lowerBound(score, member);
    if (this.#scores[at] === score && this.#members[at] === member) return;
    this.#scores.splice(at, 0, score);
    this.#members.splice(at, 0, member);
  }

  remove(score: number, member: string): void {
    const at = this.indexOf(score, member);
    if (at < 0) return;
    this.#scores.splice(at, 1);
    this.#members.splice(at, 1);
  }

  indexOf(score: number, member: string): number {
    const at = this.#lowerBound(score, member);
    return this.#scores[at] === score && this.#members[at] === member ? at : -1;
  }

  /** How many items have a score strictly above `score` (ZCOUNT key (score +inf). */
  countAbove(score: number): number {
    return this.#scores.length - this.#upperBoundScore(score);
  }

  /** Index of the first item with a score above `score` (`size` when none). */
  indexAbove(score: number): number {
    return this.#upperBoundScore(score);
  }

  /** How many items have a score in (low, high]. */
  countBetween(low: number, high: number): number {
    return high <= low ? 0 : this.countAbove(low) - this.countAbove(high);
  }

  scoreAt(index: number): number | undefined {
    return this.#scores[index];
  }

  memberAt(index: number): string | undefined {
    return this.#members[index];
  }
}
