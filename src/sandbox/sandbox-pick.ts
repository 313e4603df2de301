/** Drawing from lists with a seeded PRNG, shared by the analysis builders. */

export type Random = () => number;

export function pickOne<T>(list: readonly T[], random: Random): T {
  return list[Math.floor(random() * list.length)] as T;
}

/** `min` to `max` distinct items (two to four by default), order drawn too. */
export function pickSome(list: readonly string[], random: Random, min = 2, max = 4): string[] {
  const count = min + Math.floor(random() * (max - min + 1));
  const pool = [...list];
  const chosen: string[] = [];
  while (chosen.length < count && pool.length > 0) {
    chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0] as string);
  }
  return chosen;
}
