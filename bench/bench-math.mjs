// Pure arithmetic, verdicts and formatting shared by the scenarios and the report (unit-tested in
// test/bench/bench-math.test.ts). Nothing here reads a clock, a file or the network.

/** Scenario numbers `--only` accepts. */
export const SCENARIOS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

/** Median of numbers; the mean of the middle two for an even count; NaN for none. */
export function median(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Batches needed for `rows` distinct people at `batchSize` a batch. */
export function batchesFor(rows, batchSize = 10) {
  return Math.ceil(rows / batchSize);
}

/** Requests per minute a limit of `rateLimit` per `rateWindowMs` allows. */
export function ratePerMinuteOf({ rateLimit, rateWindowMs }) {
  return (rateLimit * 60_000) / rateWindowMs;
}

/**
 * Mean latency of a batch of `batchSize` in a sandbox: the fixed part, the per-profile part and the mean of
 * the uniform integer jitter in [0, latencyJitterMs].
 */
export function meanLatencyMs(
  { latencyMs = 0, latencyPerProfileMs = 0, latencyJitterMs = 0 },
  batchSize = 10,
) {
  return latencyMs + latencyPerProfileMs * batchSize + latencyJitterMs / 2;
}

/**
 * The shortest time any client can take for `batches` batches when the server allows `ratePerMinute`
 * requests a minute and a batch takes `meanLatencyMs`: the starts spaced at the rate, then one latency for
 * the last: (B - 1) x 60/R + L. 0 batches take 0.
 */
export function idealMs({ batches, ratePerMinute, meanLatencyMs }) {
  if (batches <= 0) return 0;
  return ((batches - 1) * 60_000) / ratePerMinute + meanLatencyMs;
}

/** ideal / actual: 1 is perfect; NaN when the actual time is missing or not positive. */
export function efficiency(ideal, actualMs) {
  return Number.isFinite(actualMs) && actualMs > 0 ? ideal / actualMs : Number.NaN;
}

/**
 * A run against the ideal for its batches: `idealMs`, `efficiency` on the summary's duration_ms (from when
 * fluence starts its work, the free /creditos preflight included), the same on the wall time from spawn to
 * exit, and profiles enriched a minute over duration_ms.
 */
export function scoreRun(run, { ratePerMinute, meanLatencyMs }) {
  const ideal = idealMs({ batches: run.batchesNeeded, ratePerMinute, meanLatencyMs });
  return {
    idealMs: ideal,
    efficiency: efficiency(ideal, run.durationMs),
    wallEfficiency: efficiency(ideal, run.wallMs),
    perMin: perMinute(run.enriched, run.durationMs),
  };
}

/**
 * Profiles a minute a server that processes `maxConcurrentBatches` at once, each taking `latencyMs`, can
 * answer: 6 batches per 2 s of 10 profiles = 1,800 a minute.
 */
export function capacityPerMinute({ maxConcurrentBatches, latencyMs, batchSize = 10 }) {
  return (maxConcurrentBatches * batchSize * 60_000) / latencyMs;
}

/**
 * The room a rate margin leaves in one window of a sliding-window limit: the client's `rateLimit` starts are
 * planned over rateWindowMs / (1 - margin), i.e. W x m / (1 - m) later than the window allows. Arrivals at
 * the server may spread by less than that without a 429.
 */
export function marginSlackMs({ rateWindowMs, margin }) {
  return (rateWindowMs * margin) / (1 - margin);
}

/**
 * How long after the preflight (one request counted by the same window) the first batch must arrive so that
 * batch N = rateLimit is not refused: N requests in a window are the preflight and batches 1..N-1, and batch
 * N leaves (N - 1) gaps after batch 1, a gap being 60 s / (clientRate x (1 - margin)). 0 when the margin
 * alone covers the preflight's slot. Only runs of at least N batches can meet it.
 */
export function preflightLeadNeededMs({ rateLimit, rateWindowMs, clientRatePerMinute, margin }) {
  const gapMs = 60_000 / (clientRatePerMinute * (1 - margin));
  return Math.max(0, rateWindowMs - (rateLimit - 1) * gapMs);
}

export function perMinute(count, ms) {
  return ms > 0 ? (count * 60_000) / ms : 0;
}

export function percent(part, whole) {
  return whole > 0 ? (part / whole) * 100 : 0;
}

/** part / whole, 0 when whole is 0. */
export function fraction(part, whole) {
  return whole > 0 ? part / whole : 0;
}

/** "MET" or "MISSED" for a figure against a target; `atLeast` false means the figure must stay below. */
export function verdict(value, target, { atLeast = true, strict = false } = {}) {
  if (!Number.isFinite(value)) return "MISSED";
  const ok = atLeast
    ? strict
      ? value > target
      : value >= target
    : strict
      ? value < target
      : value <= target;
  return ok ? "MET" : "MISSED";
}

/** "MET" when every condition holds (and there is at least one), else "MISSED". */
export function allMet(conditions) {
  return conditions.length > 0 && conditions.every(Boolean) ? "MET" : "MISSED";
}

/** One row of the Targets table. */
export function targetRow(scenario, target, figure, verdictText) {
  return { scenario: String(scenario), target, figure, verdict: verdictText };
}

/** Fixed decimals with thousands separators, e.g. 4,012.5. */
export function fmt(value, decimals = 0) {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A fraction as a percentage with `decimals`, e.g. 0.0025 -> "0.25%". */
export function fmtPercent(fractionValue, decimals = 1) {
  return Number.isFinite(fractionValue) ? `${fmt(fractionValue * 100, decimals)}%` : "n/a";
}

/** A Markdown table from a header and rows of cells (cells are already strings). */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c).replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * The `fluence sandbox` command line that serves what startSandbox(options) serves (for a reader who wants
 * to reproduce a scenario by hand); the bench itself starts the sandbox in-process on a random port.
 */
export function sandboxCommandLine(options) {
  const flags = ["--port", "0"];
  const add = (flag, value) => {
    if (value !== undefined) flags.push(flag, String(value));
  };
  add("--latency", options.latencyMs);
  add("--latency-per-profile", options.latencyPerProfileMs);
  add("--latency-jitter", options.latencyJitterMs);
  for (const spell of options.latencySpells ?? []) {
    const { atMs, rampMs = 0, holdMs, fallMs = 0, extraPerProfileMs } = spell;
    add("--latency-spell", [atMs, rampMs, holdMs, fallMs, extraPerProfileMs].join(","));
  }
  add("--credits", options.credits);
  add("--rate-limit", options.rateLimit);
  add("--rate-window", options.rateWindowMs);
  add("--max-concurrent", options.maxConcurrentBatches);
  if (options.gateway) {
    flags.push("--gateway");
    const g = options.gateway === true ? {} : options.gateway;
    add("--stage", g.stage);
    add("--burst", g.burst);
    add("--quota", g.quota);
    add("--integration-timeout", g.integrationTimeoutMs);
  }
  add("--seed", options.seed);
  return `node bin/fluence.js sandbox ${flags.join(" ")}`;
}

/**
 * One sandbox log line ("METHOD /path status ms", see SandboxOptions.log) seen at `at` (ms), as a request
 * with its arrival and answer times; undefined for lines of another shape (work finishing after a 504).
 */
export function parseSandboxLogLine(line, at) {
  const m = /^([A-Z]+) (\S+) (\d{3}) (\d+)ms$/.exec(line);
  if (!m) return undefined;
  const ms = Number(m[4]);
  return { route: `${m[1]} ${m[2]}`, status: Number(m[3]), arrivedAt: at - ms, answeredAt: at, ms };
}

/**
 * Where a run's time went, from the sandbox's request log and the child's spawn and exit times (all on the
 * same clock): start-up (spawn to the preflight's arrival), preflight answered to the first batch's arrival,
 * sending (first batch arrived to last batch answered) and finishing (last batch answered to exit); and the
 * lead of the first batch's arrival over the preflight's, which a sliding window sees.
 * Fields are NaN when the log lacks what they need.
 */
export function runPhases(requests, { spawnedAt, exitedAt, batchRoute = "POST /crm_basico_batch" }) {
  const credits = requests.filter((r) => r.route.endsWith(" /creditos"));
  const batches = requests.filter((r) => r.route === batchRoute);
  const preflight = credits.reduce((a, r) => (a && a.arrivedAt <= r.arrivedAt ? a : r), undefined);
  const firstBatch = batches.reduce((a, r) => Math.min(a, r.arrivedAt), Number.POSITIVE_INFINITY);
  const lastAnswer = batches.reduce((a, r) => Math.max(a, r.answeredAt), Number.NEGATIVE_INFINITY);
  const finite = (x) => (Number.isFinite(x) ? x : Number.NaN);
  return {
    startupMs: finite((preflight?.arrivedAt ?? Number.NaN) - spawnedAt),
    toFirstBatchMs: finite(firstBatch - (preflight?.answeredAt ?? Number.NaN)),
    preflightLeadMs: finite(firstBatch - (preflight?.arrivedAt ?? Number.NaN)),
    sendingMs: finite(lastAnswer - firstBatch),
    finishMs: finite(exitedAt - lastAnswer),
  };
}

/**
 * Parses `--only 1,4 --quick --cpu-prof --out <file>`; unknown flags throw so a typo does not run the full
 * set. `out` (default undefined: BENCHMARKS.md) is where the section is appended, for trial runs.
 */
export function parseBenchArgs(argv) {
  const options = { only: [...SCENARIOS], quick: false, cpuProf: false, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--cpu-prof") options.cpuProf = true;
    else if (arg === "--out" || arg.startsWith("--out=")) {
      const value = arg === "--out" ? argv[++i] : arg.slice("--out=".length);
      if (!value) throw new Error("--out takes a file name");
      options.out = value;
    } else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      const picked = String(value ?? "")
        .split(",")
        .map((s) => Number(s.trim()));
      if (picked.length === 0 || picked.some((n) => !SCENARIOS.includes(n))) {
        throw new Error(
          `--only takes scenario numbers ${SCENARIOS.join(",")} separated by commas, got "${value}"`,
        );
      }
      options.only = [...new Set(picked)].sort((a, b) => a - b);
    } else throw new Error(`unknown option ${arg} (known: --only <list>, --quick, --cpu-prof, --out <file>)`);
  }
  return options;
}

/**
 * People a run paid for twice: what the service debited beyond one charge per person enriched (a 504 is
 * a batch charged and sent again). Basic analysis: one credit a person.
 */
export function paidTwice({ creditsDebited, enriched }) {
  return Math.max(0, creditsDebited - enriched);
}

/**
 * The step's first wave: 504s on batches that reached the service before the first answer to a batch sent
 * inside the step came back. No client could have sized those: nothing it had seen was slow yet.
 * `requests` as parseSandboxLogLine gives them; `stepAt` on the same clock.
 */
export function firstWave(requests, { stepAt, batchRoute = "POST /crm_basico_batch" }) {
  const batches = requests.filter((r) => r.route === batchRoute);
  const firstSignal = batches
    .filter((r) => r.arrivedAt >= stepAt)
    .reduce((a, r) => Math.min(a, r.answeredAt), Number.POSITIVE_INFINITY);
  const timeouts = batches.filter((r) => r.status === 504);
  return {
    firstSignalAt: firstSignal,
    timeouts: timeouts.length,
    firstWaveTimeouts: timeouts.filter((r) => r.arrivedAt < firstSignal).length,
  };
}
