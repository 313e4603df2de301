/**
 * Commander actions cannot return a value to `parseAsync`; each records its exit code here and `main`
 * reads it after parsing. One process runs one command, so one slot is enough.
 */
let recorded: number | undefined;

export function setCommandExitCode(code: number): void {
  recorded = code;
}

export function takeCommandExitCode(): number | undefined {
  const code = recorded;
  recorded = undefined;
  return code;
}
