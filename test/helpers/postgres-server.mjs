// A throwaway PostgreSQL server for tests and benchmarks: initdb into a temp dir, postgres on a random
// loopback port with its socket in that dir, fsync off. Plain JavaScript so bench/ can use it too.
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

const USER = "fluence";
const START_TIMEOUT_MS = 30_000;

/** initdb and postgres from PATH, else from the newest /usr/lib/postgresql/<version>/bin (Debian's layout). */
export function findPostgresBinaries() {
  const fromPath = (name) => {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
      if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
    }
    return undefined;
  };
  const initdb = fromPath("initdb");
  const postgres = fromPath("postgres");
  if (initdb && postgres) return { initdb, postgres };
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter(
      (v) =>
        existsSync(path.join(root, v, "bin", "postgres")) && existsSync(path.join(root, v, "bin", "initdb")),
    )
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (versions.length === 0) return undefined;
  const bin = path.join(root, versions[0], "bin");
  return { initdb: path.join(bin, "initdb"), postgres: path.join(bin, "postgres") };
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (Debian's), created if missing. */
function serverIdentity() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return {};
  const id = (flag) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"]);
    return { uid: id("-u"), gid: id("-g") };
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server; resolves once it accepts connections. The superuser `fluence` logs in over TCP with a
 * password (scram-sha-256), so tests exercise real authentication; over the socket, without one.
 * @param {{ log?: (line: string) => void, tls?: boolean, durable?: boolean }} [options] tls: TCP over TLS
 *   only (see makeTlsOnly); durable: a commit is acknowledged only once its WAL is written, as by default in
 *   production (the test servers otherwise run with synchronous_commit=off, so a server stopped hard may lose
 *   commits it acknowledged, which no client can be tested against)
 */
export async function startPostgres(options = {}) {
  const binaries = findPostgresBinaries();
  if (!binaries)
    throw new Error("No PostgreSQL server binaries (initdb, postgres) in PATH or /usr/lib/postgresql/*/bin.");
  const identity = serverIdentity();
  const dir = mkdtempSync(path.join(os.tmpdir(), "fluence-pg-"));
  const own = (file) => identity.uid !== undefined && chownSync(file, identity.uid, identity.gid);
  own(dir);
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  const pwfile = path.join(dir, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  own(pwfile);
  const data = path.join(dir, "data");
  const env = { PATH: process.env.PATH, LC_ALL: "C", LANG: "C", HOME: dir, TZ: "UTC" };
  const version = execFileSync(binaries.postgres, ["--version"], { encoding: "utf8" }).trim();
  execFileSync(
    binaries.initdb,
    [
      "-D",
      data,
      "-U",
      USER,
      `--pwfile=${pwfile}`,
      "--auth-host=scram-sha-256",
      "--auth-local=trust",
      "-E",
      "UTF8",
      "--locale=C",
      "-N",
    ],
    { ...identity, env, stdio: ["ignore", "ignore", "pipe"] },
  );
  rmSync(pwfile);
  const tls = options.tls ? makeTlsOnly(dir, data, own) : undefined;
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const durable = options.durable ? ["-c", "fsync=on", "-c", "synchronous_commit=on"] : [];
    const relaunch = () =>
      launch(binaries.postgres, {
        data,
        dir,
        port,
        identity,
        env,
        extra: [...(tls?.args ?? []), ...durable],
      });
    try {
      const child = await relaunch();
      options.log?.(`PostgreSQL ${version} on 127.0.0.1:${port} (${dir})${tls ? ", TLS only" : ""}`);
      return { ...handle({ child, dir, port, password, version, relaunch }), caFile: tls?.caFile };
    } catch (error) {
      lastError = error;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/**
 * A server that accepts TCP connections over TLS only (pg_hba: hostssl, no host line), with a certificate
 * for 127.0.0.1 and localhost signed by a CA of its own, as self-hosted servers have: a client verifies it
 * only when given the CA file (returned as caFile). Made with the openssl command line.
 */
function makeTlsOnly(dir, data, own) {
  const file = (name) => path.join(dir, name);
  const openssl = (args) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.crt"),
    "-days",
    "2",
    "-subj",
    "/CN=fluence test CA",
  ]);
  openssl([
    "req",
    ...ec,
    "-keyout",
    file("server.key"),
    "-out",
    file("server.csr"),
    "-subj",
    "/CN=localhost",
  ]);
  writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl([
    "x509",
    "-req",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.crt"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-out",
    file("server.crt"),
    "-days",
    "2",
    "-extfile",
    file("san.ext"),
  ]);
  for (const name of ["server.key", "server.crt"]) own(file(name));
  chmodSync(file("server.key"), 0o600);
  const hba = path.join(data, "pg_hba.conf");
  writeFileSync(hba, "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n");
  own(hba);
  return {
    caFile: file("ca.crt"),
    args: [
      "-c",
      "ssl=on",
      "-c",
      `ssl_cert_file=${file("server.crt")}`,
      "-c",
      `ssl_key_file=${file("server.key")}`,
    ],
  };
}

async function launch(postgres, { data, dir, port, identity, env, extra = [] }) {
  const logFile = path.join(dir, `server-${port}.log`);
  const out = openSync(logFile, "w");
  const args = [
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=200",
    "-c",
    "shared_buffers=64MB",
    ...extra,
  ];
  const child = spawn(postgres, args, { ...identity, env, stdio: ["ignore", out, out] });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const gone = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 100))]);
    if (gone)
      throw new Error(
        `postgres exited (${JSON.stringify(gone)}): ${readFileSync(logFile, "utf8").slice(-2000)}`,
      );
    const client = new pg.Client({ host: dir, port, user: USER, database: "postgres" });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.end();
      return child;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(
        `postgres did not start within ${START_TIMEOUT_MS} ms: ${readFileSync(logFile, "utf8").slice(-2000)}`,
      );
    }
  }
}

function handle({ child: first, dir, port, password, version, relaunch }) {
  let child = first;
  const killNow = () => child.kill("SIGKILL");
  // If the test runner dies first, do not leave a server running.
  process.once("exit", killNow);
  const exitOf = (c) =>
    new Promise((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) resolve();
      else c.once("exit", () => resolve());
    });
  let exited = exitOf(child);
  return {
    host: "127.0.0.1",
    port,
    user: USER,
    password,
    socketDir: dir,
    version,
    /** postgres://fluence@127.0.0.1:port/<database>; the password is given separately (PGPASSWORD). */
    url: (database) => `postgres://${USER}@127.0.0.1:${port}/${database}`,
    /**
     * Stops the server hard, as a crash or a lost machine would: an immediate shutdown (SIGQUIT), every
     * connection dropped, nothing flushed; its data stays for restart().
     */
    async crash() {
      child.kill("SIGQUIT");
      await exited;
    },
    /** Starts the server again on the same port and data (after crash()); resolves once it accepts. */
    async restart() {
      child = await relaunch();
      exited = exitOf(child);
    },
    /** Stops the server (fast shutdown, then SIGKILL after 10 s) and removes its directory. */
    async stop() {
      process.off("exit", killNow);
      child.kill("SIGINT");
      const timer = setTimeout(killNow, 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An admin connection (superuser, over the server's socket) to `database`. */
export async function adminClient(server, database = "postgres") {
  const client = new pg.Client({ host: server.socketDir, port: server.port, user: server.user, database });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Creates a database with a unique name starting with `prefix` and returns its name. */
export async function createDatabase(server, prefix = "fluence_test") {
  const name = `${prefix.replace(/[^a-z0-9_]/giu, "_").toLowerCase()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = await adminClient(server);
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return name;
}

/** Drops a database, disconnecting whoever is still on it. */
export async function dropDatabase(server, name) {
  const admin = await adminClient(server);
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
