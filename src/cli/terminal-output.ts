import { Chalk, type ChalkInstance } from "chalk";

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
  readonly color: ChalkInstance;
  readonly humanStream: NodeJS.WriteStream;
  readonly quiet: boolean;
}

export function terminalOutput(options: { json?: boolean; quiet?: boolean }): TerminalOutput {
  const humanStream = options.json ? process.stderr : process.stdout;
  const color = new Chalk({ level: colorLevel(humanStream) });
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
