import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type SandboxHandle, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";

/** The real CLI entry; tests run it as a child process, exactly as users do (built by `npm test`). */
export const CLI = fileURLToPath(new URL("../../bin/fluence.js", import.meta.url));
export const FIXTURES = fileURLToPath(new URL("../../fixtures/", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string | Buffer;
  timeoutMs?: number;
  /** Run the CLI as this user (tests running as root use it to meet a real EACCES). */
  user?: { uid: number; gid: number };
}

/** A clean environment: no key, no colour, nothing inherited that could change behaviour. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...extra };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

export function spawnCli(args: string[], options: RunOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: baseEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
}

export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  return collect(child, options);
}

export function collect(
  child: ChildProcess,
  options: { stdin?: string | Buffer; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `CLI timed out after ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    else child.stdin?.end();
  });
}

/** A temp dir per test, removed afterwards by `cleanup()`. */
export function tempDir(prefix = "fluence-test-"): {
  dir: string;
  file(name: string): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    file: (name) => path.join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A sandbox on a random loopback port plus the env that points the CLI at it with the enterprise key. */
export async function sandboxEnv(
  options: SandboxOptions = {},
  storeFile?: string,
): Promise<{ sandbox: SandboxHandle; env: Record<string, string> }> {
  const sandbox = await startSandbox({ port: 0, ...options });
  const env: Record<string, string> = {
    FLUENCE_BASE_URL: sandbox.url,
    FLUENCE_API_KEY: sandbox.keys.enterprise,
  };
  if (storeFile) env.FLUENCE_STORE = storeFile;
  return { sandbox, env };
}

export function writeCsv(file: string, rows: string[][]): string {
  writeFileSync(file, `${rows.map((r) => r.map(csvCell).join(",")).join("\n")}\n`);
  return file;
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A lead CSV of n distinct people, with an extra column, deterministic. */
export function leadRows(n: number, start = 0): string[][] {
  const rows = [["primeiro_nome", "ultimo_nome", "empresa", "email"]];
  for (let i = start; i < start + n; i++) {
    rows.push([`Pessoa${i}`, `Sobrenome${i}`, `Empresa ${i % 37} Ltda`, `p${i}@example.com.br`]);
  }
  return rows;
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** Minimal CSV reader for assertions (RFC 4180, no multiline surprises beyond quotes). */
export function parseCsvText(text: string, delimiter = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export function readCsv(file: string, delimiter = ","): string[][] {
  return parseCsvText(readFileSync(file, "utf8").replace(/^\uFEFF/, ""), delimiter);
}
