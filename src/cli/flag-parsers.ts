import { InvalidArgumentError } from "commander";

/** Commander argument parsers: a bad value is one clear sentence and exit 2, before anything runs. */
export function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("expected a number above 0.");
  return n;
}

export function nonNegativeInt(value: string): number {
  return intIn(0, Number.MAX_SAFE_INTEGER)(value);
}

export function concurrency(value: string): number | "auto" {
  if (value === "auto") return "auto";
  try {
    return intIn(1, 256)(value);
  } catch {
    throw new InvalidArgumentError('expected "auto" or a whole number from 1 to 256.');
  }
}

/** Repeatable `--map field=Column`. */
export function collectMap(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0 || eq === value.length - 1) {
    throw new InvalidArgumentError(
      'expected field=Column, e.g. --map primeiro_nome=Nome or --map empresa="Razão Social".',
    );
  }
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1).trim() };
}

export function delimiter(value: string): string {
  const named: Record<string, string> = { tab: "\t", "\\t": "\t", comma: ",", semicolon: ";", pipe: "|" };
  const d = named[value] ?? value;
  if (d.length !== 1 || /[\r\n"]/.test(d)) {
    throw new InvalidArgumentError('expected one character such as ";" or "tab".');
  }
  return d;
}
