// Module hooks (registered by rate-margin.mjs) that load dist/send/rate-pacer.js with RATE_MARGIN replaced
// by the value in FLUENCE_BENCH_RATE_MARGIN. Bench-only: src/ has no flag for the margin, and this leaves
// every other line of the pacer, the CLI and the send loop exactly as shipped.
const DECLARATION = /export const RATE_MARGIN = [0-9.]+;/;

let margin;

export async function initialize(data) {
  margin = data.margin;
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.endsWith("/dist/send/rate-pacer.js")) return result;
  const source = Buffer.from(result.source).toString("utf8");
  if (!DECLARATION.test(source)) {
    throw new Error(`bench/rate-margin-hooks.mjs: no "export const RATE_MARGIN = ...;" in ${url}`);
  }
  return { ...result, source: source.replace(DECLARATION, `export const RATE_MARGIN = ${margin};`) };
}
