import { afterEach } from "vitest";
import { type SandboxHandle, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";

export interface JsonReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** Starts sandboxes that are closed after each test of the file that calls this. */
export function useSandboxes(): (options?: SandboxOptions) => Promise<SandboxHandle> {
  const open: SandboxHandle[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((handle) => handle.close()));
  });
  return async (options) => {
    const handle = await startSandbox(options);
    open.push(handle);
    return handle;
  };
}

async function toReply(response: Response): Promise<JsonReply> {
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

export async function get(sandbox: SandboxHandle, path: string, key?: string): Promise<JsonReply> {
  const headers: Record<string, string> = key === undefined ? {} : { "X-API-Key": key };
  return toReply(await fetch(`${sandbox.url}${path}`, { headers }));
}

/** POSTs `body` (serialised unless already a string) with the given key. */
export async function post(sandbox: SandboxHandle, path: string, key: string | undefined, body: unknown) {
  return toReply(await postRaw(sandbox, path, key, body));
}

export function postRaw(sandbox: SandboxHandle, path: string, key: string | undefined, body: unknown) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== undefined) headers["x-api-key"] = key;
  return fetch(`${sandbox.url}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export const person = (
  primeiro_nome: string,
  ultimo_nome: string,
  empresa: string,
  contexto_adicional?: string,
) =>
  contexto_adicional === undefined
    ? { primeiro_nome, ultimo_nome, empresa }
    : { primeiro_nome, ultimo_nome, empresa, contexto_adicional };

/** n ordinary, distinct people. */
export const people = (n: number) =>
  Array.from({ length: n }, (_, i) => person(`Pessoa${i}`, "Souza", `Empresa ${i}`));
