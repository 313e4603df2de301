// Preloaded with `node --import ./bench/rate-margin.mjs bin/fluence.js enrich ...` and
// FLUENCE_BENCH_RATE_MARGIN=<fraction>: the pacer's RATE_MARGIN (src/send/rate-pacer.ts, 0.01) becomes that
// fraction for this process only. The run's summary shows it took effect: rate_per_minute = --rate x (1 - margin).
import { register } from "node:module";

const raw = process.env.FLUENCE_BENCH_RATE_MARGIN;
const margin = Number(raw);
if (raw === undefined || raw.trim() === "" || !Number.isFinite(margin) || margin < 0 || margin >= 1) {
  throw new Error(`FLUENCE_BENCH_RATE_MARGIN must be a fraction in [0, 1), got "${raw}"`);
}
register("./rate-margin-hooks.mjs", import.meta.url, { data: { margin } });
