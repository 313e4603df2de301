import {
  checkBaseUrl,
  createClient,
  DEFAULT_BASE_URL,
  type FluenceClient,
  loadApiKey,
  validateApiKey,
} from "../api/index.js";
import { type SandboxHandle, startSandbox } from "../sandbox/index.js";

/** Flags every API command shares. */
export interface ApiFlags {
  sandbox?: boolean;
  baseUrl?: string;
  apiKeyFile?: string;
  timeout?: number;
  debug?: boolean;
}

export interface ApiConnection {
  client: FluenceClient;
  baseUrl: string;
  /** The in-process sandbox, when --sandbox. */
  sandbox?: SandboxHandle;
  close(): Promise<void>;
}

/** Latency of the in-process sandbox, so a demo looks like a (fast) real run. */
const DEMO_LATENCY_MS = 150;

/**
 * The client for a command: the in-process sandbox with its enterprise key for --sandbox, otherwise the
 * key from FLUENCE_API_KEY or --api-key-file, checked before any request, and the base URL.
 */
export async function connectApi(
  flags: ApiFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiConnection> {
  const timeoutMs = flags.timeout;
  if (flags.sandbox) {
    const sandbox = await startSandbox({ port: 0, latencyMs: DEMO_LATENCY_MS, latencyPerProfileMs: 10 });
    const client = createClient({ baseUrl: sandbox.url, apiKey: sandbox.keys.enterprise, timeoutMs });
    return {
      client,
      baseUrl: sandbox.url,
      sandbox,
      close: async () => {
        await client.close();
        await sandbox.close();
      },
    };
  }
  const apiKey = loadApiKey({ env, file: flags.apiKeyFile });
  validateApiKey(apiKey);
  const baseUrl = checkBaseUrl(flags.baseUrl ?? env.FLUENCE_BASE_URL ?? DEFAULT_BASE_URL);
  const client = createClient({ baseUrl, apiKey, timeoutMs });
  return { client, baseUrl, close: () => client.close() };
}
