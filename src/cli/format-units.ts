/** Small formatters for human output. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return `${m}m${String(rest).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/**
 * `n.toLocaleString("en-US")` (thousands grouped with commas, at most 3 decimals) without Intl: the first
 * locale-aware call loads ICU's data, ~20 ms of a command that prints one balance.
 */
export function formatCount(n: number): string {
  // Beyond 1e21 toFixed turns exponential; no count fluence prints gets there.
  if (!Number.isFinite(n) || Math.abs(n) >= 1e21) return n.toLocaleString("en-US");
  const [whole = "0", fraction = ""] = Math.abs(n).toFixed(3).split(".");
  const digits = fraction.replace(/0+$/, "");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const text = digits ? `${grouped}.${digits}` : grouped;
  return n < 0 || Object.is(n, -0) ? `-${text}` : text;
}
