import type { SizeChange } from "./batch-sizer.js";
import type { StopReason } from "./stop-reasons.js";

/**
 * What happened while sending, as data: the terminal words them, a library user branches on `kind`.
 * - throttled: the API answered 429 Too Many Requests; every start waits `delayMs`, the pace drops.
 * - overload: a 5xx, a 504 or a timeout; the concurrency limit was cut.
 * - retrying: `profiles` people go out again after `delayMs` (`code` is the failure that sent them back).
 * - stopped: nothing more starts; what is in flight lands.
 * - batch_size: the latency made the batch size change (`predictedMs` is what `predictedFor` profiles take).
 */
export type SendEvent =
  | { kind: "throttled"; delayMs: number }
  | { kind: "overload"; code: string; limit: number }
  | { kind: "retrying"; code: string; profiles: number; attempt: number; delayMs: number }
  | { kind: "stopped"; reason: StopReason }
  | ({ kind: "batch_size" } & SizeChange);
