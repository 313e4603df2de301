import type pg from "pg";

/** What tests need to reach a running server; plain data, so vitest can hand it to every test worker. */
export interface PostgresServerInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  socketDir: string;
  version: string;
}

export interface PostgresServer extends PostgresServerInfo {
  url(database: string): string;
  stop(): Promise<void>;
  /** Stops the server hard (immediate shutdown: connections dropped); its data stays for restart(). */
  crash(): Promise<void>;
  /** Starts it again after crash(), same port and data; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** With `tls: true`: the CA that signed the server's certificate (PEM). */
  caFile?: string;
}

export function findPostgresBinaries(): { initdb: string; postgres: string } | undefined;
export function startPostgres(options?: {
  log?: (line: string) => void;
  tls?: boolean;
  durable?: boolean;
}): Promise<PostgresServer>;
export function adminClient(server: PostgresServerInfo, database?: string): Promise<pg.Client>;
export function createDatabase(server: PostgresServerInfo, prefix?: string): Promise<string>;
export function dropDatabase(server: PostgresServerInfo, name: string): Promise<void>;
