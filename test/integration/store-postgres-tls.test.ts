import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli-harness.js";
import { startPostgres } from "../helpers/postgres-server.mjs";
import { postgresServer } from "../helpers/postgres-test.js";

// A PostgreSQL server that accepts TCP over TLS only, with a certificate signed by a CA of its own (as
// self-hosted servers, and managed ones whose CA is not in Node's trust store, have). `sslmode` must mean
// what libpq means, in the URL and in PGSSLMODE alike.
type Server = Awaited<ReturnType<typeof startPostgres>>;
let server: Server | undefined;
const t = tempDir("fluence-it-tls-");

beforeAll(async () => {
  if (postgresServer) server = await startPostgres({ tls: true });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  t.cleanup();
});

function stats(url: string, env: Record<string, string> = {}) {
  return runCli(["store", "stats", "--json"], {
    env: { FLUENCE_STORE: url, PGPASSWORD: server!.password, XDG_CACHE_HOME: t.file("cache"), ...env },
  });
}

function expectOneSentence(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(7);
  expect(r.stdout).toBe("");
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toContain(server!.password);
  expect(r.stderr).not.toContain(postgresServer!.password);
  expect(r.stderr).not.toMatch(/SECURITY WARNING|at .*\.js:\d+/);
}

describe.skipIf(postgresServer === null)(
  "a PostgreSQL store reached over TLS, sslmode as libpq means it",
  () => {
    it("sslmode=require encrypts without verifying, in the URL or in PGSSLMODE: a self-signed CA is fine", async () => {
      const viaUrl = await stats(`${server!.url("postgres")}?sslmode=require`);
      expect(viaUrl.code, viaUrl.stderr).toBe(0);
      expect(JSON.parse(viaUrl.stdout)).toMatchObject({ outcomes: 0 });
      expect(viaUrl.stderr).not.toMatch(/SECURITY WARNING/);
      const viaEnv = await stats(server!.url("postgres"), { PGSSLMODE: "require" });
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
      // prefer: TLS when the server offers it, not verified.
      const prefer = await stats(`${server!.url("postgres")}?sslmode=prefer`);
      expect(prefer.code, prefer.stderr).toBe(0);
    });

    it("verify-full and verify-ca check the certificate against sslrootcert (URL or PGSSLROOTCERT)", async () => {
      const ca = server!.caFile!;
      for (const url of [
        `${server!.url("postgres")}?sslmode=verify-full&sslrootcert=${ca}`,
        `${server!.url("postgres")}?sslmode=verify-ca&sslrootcert=${ca}`,
        `${server!.url("postgres").replace("127.0.0.1", "localhost")}?sslmode=verify-full&sslrootcert=${ca}`,
      ]) {
        const r = await stats(url);
        expect(r.code, `${url}: ${r.stderr}`).toBe(0);
      }
      const viaEnv = await stats(server!.url("postgres"), { PGSSLMODE: "verify-full", PGSSLROOTCERT: ca });
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
    });

    it("a certificate that cannot be verified: exit 7, one sentence with both ways out", async () => {
      const fix =
        /its TLS certificate could not be verified \(.+\); add sslrootcert=<the CA file> to the URL to verify it, or use sslmode=require to encrypt without verifying\.\n$/;
      expectOneSentence(await stats(`${server!.url("postgres")}?sslmode=verify-full`), fix);
      expectOneSentence(await stats(server!.url("postgres"), { PGSSLMODE: "verify-full" }), fix);
      // A CA file that is not the server's is no better.
      const other = t.file("other-ca.crt");
      writeFileSync(other, await import("node:tls").then((tls) => tls.rootCertificates[0]!));
      expectOneSentence(
        await stats(`${server!.url("postgres")}?sslmode=verify-ca&sslrootcert=${other}`),
        fix,
      );
    });

    it("no sslmode against a TLS-only server says to add one; a CA file that is not there is named", async () => {
      expectOneSentence(
        await stats(server!.url("postgres")),
        /^fluence: The server accepts only encrypted connections for the PostgreSQL store at postgres:\/\/fluence@127\.0\.0\.1:\d+\/postgres; add sslmode=require to the URL/,
      );
      const missing = t.file("nowhere/ca.crt");
      expectOneSentence(
        await stats(`${server!.url("postgres")}?sslmode=verify-full&sslrootcert=${missing}`),
        new RegExp(
          `Cannot read ${missing.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}, the certificate or key file`,
        ),
      );
    });

    it("sslmode=require against a server without TLS: one sentence saying so", async () => {
      const plain = postgresServer!;
      const url = `postgres://${plain.user}@127.0.0.1:${plain.port}/postgres?sslmode=require`;
      const r = await runCli(["store", "stats", "--json"], {
        env: { FLUENCE_STORE: url, PGPASSWORD: plain.password },
      });
      expectOneSentence(r, /the server does not accept TLS connections; leave sslmode out of the URL/);
    });
  },
);
