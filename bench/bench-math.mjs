// Pure arithmetic and formatting shared by the scenarios and the report (unit-tested in test/bench).

/** Median of numbers; the mean of the middle two for an even count; NaN for none. */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The most profiles per minute any client can get: the lower of what the rate limit admits
 * (requests per window x batch size) and what the in-flight slots carry (concurrency x batch size per
 * batch latency).
 */
export function ceilingPerMinute({ rateLimit, rateWindowMs, concurrency, latencyMs, batchSize = 10 }) {
  const byRate = (rateLimit * batchSize * 60_000) / rateWindowMs;
  const bySlots = (concurrency * batchSize * 60_000) / latencyMs;
  return Math.min(byRate, bySlots);
}

export function perMinute(count, ms) {
  return ms > 0 ? (count * 60_000) / ms : 0;
}

export function percent(part, whole) {
  return whole > 0 ? (part / whole) * 100 : 0;
}

/** "MET" or "MISSED" for a figure against a target; `atLeast` false means the figure must stay below. */
export function verdict(value, target, { atLeast = true, strict = false } = {}) {
  if (!Number.isFinite(value)) return "MISSED";
  const ok = atLeast ? value >= target : strict ? value < target : value <= target;
  return ok ? "MET" : "MISSED";
}

/** Fixed decimals with thousands separators, e.g. 4,012.5. */
export function fmt(value, decimals = 0) {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A Markdown table from a header and rows of cells (cells are already strings). */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c).replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Parses `--only 1,4 --quick --cpu-prof`; unknown flags throw so a typo does not run the full set. */
export function parseBenchArgs(argv) {
  const options = { only: [1, 2, 3, 4, 5], quick: false, cpuProf: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--cpu-prof") options.cpuProf = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      const picked = String(value ?? "")
        .split(",")
        .map((s) => Number(s.trim()));
      if (picked.length === 0 || picked.some((n) => !Number.isInteger(n) || n < 1 || n > 5)) {
        throw new Error(`--only takes scenario numbers 1-5 separated by commas, got "${value}"`);
      }
      options.only = [...new Set(picked)].sort((a, b) => a - b);
    } else throw new Error(`unknown option ${arg} (known: --only <list>, --quick, --cpu-prof)`);
  }
  return options;
}
