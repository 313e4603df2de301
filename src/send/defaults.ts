// The send stage's defaults, apart from the code that uses them: the option parsers and their help text
// need the numbers, and must not load the send loop's modules to get them.

/**
 * 64: the plans allow 100 requests a minute, and the docs' 15-20 s per batch of 10 needs ~33 in flight to
 * use that; 64 leaves room for twice the latency or a plan twice as fast, while a misbehaving server
 * cannot make fluence hold hundreds of sockets open.
 */
export const DEFAULT_MAX_CONCURRENCY = 64;

/** API Gateway's integration timeout (the docs' deployment; --gateway-timeout changes it). */
export const DEFAULT_GATEWAY_TIMEOUT_MS = 29_000;
