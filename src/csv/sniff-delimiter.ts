const CANDIDATES = [",", ";", "\t", "|"] as const;

/**
 * Picks the delimiter from the header: the most frequent of `,` `;` tab `|` outside double quotes in the
 * first non-blank record (a quoted header may span lines). A tie, or none at all, means ",".
 */
export function sniffDelimiter(text: string): string {
  const counts = new Map<string, number>(CANDIDATES.map((c) => [c, 0]));
  let inQuotes = false;
  let seenContent = false;
  for (const ch of text) {
    if (ch === '"') {
      inQuotes = !inQuotes;
      seenContent = true;
    } else if (inQuotes) {
    } else if (ch === "\n" || ch === "\r") {
      if (seenContent) break;
    } else if (counts.has(ch)) {
      counts.set(ch, counts.get(ch)! + 1);
      seenContent = true;
    } else if (ch.trim() !== "") {
      seenContent = true;
    }
  }
  let best = ",";
  let bestCount = 0;
  let tied = false;
  for (const [candidate, count] of counts) {
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
      tied = false;
    } else if (count === bestCount && count > 0) {
      tied = true;
    }
  }
  return bestCount === 0 || tied ? "," : best;
}

/** Accepts what people type for a delimiter on a command line ("\t", "tab") besides the character itself. */
export function normalizeDelimiter(value: string): string {
  const lowered = value.toLowerCase();
  if (value === "\\t" || lowered === "tab") return "\t";
  if (lowered === "semicolon") return ";";
  if (lowered === "comma") return ",";
  if (lowered === "pipe") return "|";
  return value;
}
