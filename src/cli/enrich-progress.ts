import ora, { type Ora } from "ora";
import type { EnrichEvents, EnrichProgress } from "../pipeline/index.js";
import type { SizeChange } from "../send/batch-sizer.js";
import { STOPS } from "../send/stop-reasons.js";
import { formatCount, formatDuration } from "./format-units.js";
import { colorLevel, type TerminalOutput } from "./terminal-output.js";

/** Without a terminal (cron, CI) at most one plain line per this many ms. */
export const PLAIN_PROGRESS_INTERVAL_MS = 10_000;

/** Cells of the progress bar. */
const BAR_WIDTH = 20;

export interface ProgressDisplay {
  events: EnrichEvents;
  stop(): void;
}

/**
 * Live progress for `enrich`: on a TTY a bar (done / total, percent, ETA, batches in flight and the
 * current limit) drawn in ora's line, otherwise a plain line at most every 10 s with no escape codes.
 * Notices (rate-limit backoff, stale in-flight profiles) always get their own line; with `debug`, so does
 * every failed request, with the gateway's request id.
 */
export function progressDisplay(
  out: TerminalOutput,
  options: { now?: () => number; intervalMs?: number; debug?: boolean } = {},
): ProgressDisplay {
  const stream = process.stderr;
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? PLAIN_PROGRESS_INTERVAL_MS;
  // A terminal that reports 0 columns (script(1) without a size, some CI runners) makes ora's line
  // arithmetic divide by zero and redraw forever: treat it as no terminal.
  const tty = Boolean(stream.isTTY) && (stream.columns ?? 0) > 0 && !out.quiet && process.env.TERM !== "dumb";
  const spinnerColor = colorLevel(stream) > 0 ? "cyan" : false;
  let spinner: Ora | undefined;
  // The terminal went away (SIGHUP, a closed pipe): stop drawing rather than fail on every frame.
  let broken = false;
  const onStreamError = () => {
    broken = true;
    spinner?.stop();
    spinner = undefined;
  };
  stream.on("error", onStreamError);
  let lastPlain = 0;
  let backoffNote = "";
  let lastBackoffLine = 0;

  const show = (text: string, force = false) => {
    if (out.quiet || broken) return;
    if (tty) {
      spinner ??= ora({ stream, discardStdin: false, color: spinnerColor }).start();
      spinner.text = text;
      return;
    }
    const t = now();
    if (force || t - lastPlain >= interval) {
      lastPlain = t;
      stream.write(`fluence: ${text}\n`);
    }
  };
  const line = (text: string) => {
    spinner?.clear();
    out.warn(`fluence: ${text}`);
    spinner?.render();
  };

  const events: EnrichEvents = {
    onPlanned: (plan) => {
      const parts = [`${formatCount(plan.rows)} rows`];
      if (plan.invalid) parts.push(`${formatCount(plan.invalid)} invalid`);
      if (plan.duplicates) parts.push(`${formatCount(plan.duplicates)} duplicates`);
      if (plan.fromStore) parts.push(`${formatCount(plan.fromStore)} from the store`);
      parts.push(`${formatCount(plan.peopleToSend)} people to send`);
      // Its own line on a terminal too: sending may already be under way, and the bar would hide it.
      if (tty) line(`planned: ${parts.join(", ")}`);
      else show(`planned: ${parts.join(", ")}`, true);
    },
    onProgress: (p) => show((tty ? progressBar(p) : progressLine(p)) + backoffNote),
    onEvent: (event) => {
      if (event.kind === "stopped") {
        if (!out.quiet) line(`stopping: ${STOPS[event.reason].why}; letting the batches in flight land`);
        return;
      }
      if (event.kind === "batch_size") {
        if (!out.quiet) line(batchSizeNotice(event));
        return;
      }
      if (event.kind !== "throttled") return;
      const info = event;
      backoffNote = `, slowing down after a rate limit (waiting ${formatDuration(info.delayMs)})`;
      const t = now();
      if (broken) return;
      if (!tty && !out.quiet && t - lastBackoffLine >= interval) {
        lastBackoffLine = t;
        stream.write(
          `fluence: rate limited by the API; waiting ${formatDuration(info.delayMs)} and slowing down\n`,
        );
      } else if (spinner) spinner.text = `${spinner.text.replace(/, slowing down.*$/, "")}${backoffNote}`;
    },
    onNotice: line,
    onRequestFailed: (f) => {
      if (!options.debug) return;
      const status = f.status === null ? "no answer" : `HTTP ${f.status}`;
      const id = f.request_id ? `, x-amzn-RequestId ${f.request_id}` : "";
      line(
        `request failed: POST ${f.endpoint} (${f.profiles} profiles) ${status} ${f.code}${id}: ${f.message}`,
      );
    },
  };

  return {
    events,
    stop: () => {
      stream.off("error", onStreamError);
      // Keep the last progress line on screen: the final batch may land between two spinner frames.
      if (!broken) spinner?.stopAndPersist({ symbol: "·" });
      spinner = undefined;
    },
  };
}

/** Profiles resolved per minute so far, and the time left at that pace (unknown before any answer). */
export function paceOf(p: EnrichProgress): { perMinute: number; etaMs: number | undefined } {
  const resolved = p.peopleDone + p.peopleFailed;
  const perMinute = p.elapsedMs > 0 ? (resolved / p.elapsedMs) * 60_000 : 0;
  return { perMinute, etaMs: perMinute > 0 ? ((p.peopleTotal - resolved) / perMinute) * 60_000 : undefined };
}

export function progressLine(p: EnrichProgress): string {
  const resolved = p.peopleDone + p.peopleFailed;
  const pace = paceOf(p);
  const parts = [
    `${formatCount(resolved)}/${formatCount(p.peopleTotal)}${p.planning ? "+" : ""} people`,
    `${formatCount(p.enriched)} enriched`,
    `${formatCount(p.peopleFailed)} failed`,
    `${formatCount(p.creditsUsed)} credits`,
    `${Math.round(pace.perMinute)}/min`,
    `${p.inFlight} in flight (limit ${p.limit})`,
  ];
  if (pace.etaMs !== undefined && resolved < p.peopleTotal && !p.planning) {
    parts.push(`ETA ${formatDuration(pace.etaMs)}`);
  }
  return parts.join(", ");
}

/** `[████████░░░░] 412/1,000 41% · ETA 1m 12s · 29 in flight (limit 34) · 412 enriched, 0 failed, 412 credits` */
export function progressBar(p: EnrichProgress): string {
  const resolved = p.peopleDone + p.peopleFailed;
  const fraction = p.peopleTotal > 0 ? Math.min(1, resolved / p.peopleTotal) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}]`;
  const total = `${formatCount(p.peopleTotal)}${p.planning ? "+" : ""}`;
  const { etaMs } = paceOf(p);
  const eta =
    etaMs !== undefined && resolved < p.peopleTotal && !p.planning ? `ETA ${formatDuration(etaMs)}` : "ETA …";
  return [
    `${bar} ${formatCount(resolved)}/${total} ${Math.floor(fraction * 100)}%`,
    eta,
    `${p.inFlight} in flight (limit ${p.limit})`,
    `${formatCount(p.enriched)} enriched, ${formatCount(p.peopleFailed)} failed, ${formatCount(p.creditsUsed)} credits`,
  ].join(" · ");
}

/** One line for a batch size change: "the API slowed to 24 s for 10 profiles; sending 6 at a time". */
export function batchSizeNotice(change: SizeChange): string {
  const took = `${formatDuration(change.predictedMs)} for ${change.predictedFor} profiles`;
  return change.why === "slower"
    ? `the API slowed to ${took}; sending ${change.to} at a time`
    : `the API is quicker again (${took}); sending ${change.to} at a time`;
}
