/**
 * Where human text goes. With --json, stdout is reserved for the JSON document, so human text moves to
 * stderr. Colour follows the stream it is written to (NO_COLOR / FORCE_COLOR are honoured by chalk).
 */
export interface TerminalOutput {
  /** Human lines (summary, tables). */
  info(text: string): void;
  /** Warnings and notices, even with --quiet. */
  warn(text: string): void;
  /** Machine output (JSON) on stdout. */
  json(value: unknown): void;
  readonly color: Colors;
  readonly humanStream: NodeJS.WriteStream;
  readonly quiet: boolean;
}

/** The styles fluence's human output uses. */
export interface Colors {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

const plain = (text: string) => text;
const NO_COLORS: Colors = { bold: plain, dim: plain, green: plain, red: plain, yellow: plain };

/**
 * chalk is loaded only when the stream takes colour: piped output, cron and CI (most runs of a command
 * that prints one balance) skip its load.
 */
export async function terminalOutput(options: { json?: boolean; quiet?: boolean }): Promise<TerminalOutput> {
  const humanStream = options.json ? process.stderr : process.stdout;
  const level = colorLevel(humanStream);
  const color: Colors = level === 0 ? NO_COLORS : new (await import("chalk")).Chalk({ level });
  return {
    info: (text) => {
      if (!options.quiet) humanStream.write(`${text}\n`);
    },
    warn: (text) => process.stderr.write(`${text}\n`),
    json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    color,
    humanStream,
    quiet: options.quiet ?? false,
  };
}

/** chalk's own detection looks at stdout only; decide for the stream actually written to. */
export function colorLevel(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  if ("NO_COLOR" in env && env.NO_COLOR !== "") return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === "0" || force === "false") return 0;
    const level = Number(force);
    return level >= 1 && level <= 3 ? (level as 1 | 2 | 3) : 1;
  }
  if (!stream.isTTY || env.TERM === "dumb") return 0;
  const depth = stream.getColorDepth?.() ?? 1;
  return depth >= 24 ? 3 : depth >= 8 ? 2 : 1;
}
