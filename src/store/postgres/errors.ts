import { EXIT } from "../../exit-codes.js";
import { UserError } from "../../user-error.js";
import { type PostgresTarget, scrub } from "./target.js";

/** What node-postgres and the server put on an error: a SQLSTATE or a Node socket code. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const SOCKET_GONE = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * True when the error means the session is gone: the server shut it down or was terminated (57P0x), a
 * connection exception (class 08), or the socket died under the driver.
 */
export function isConnectionLoss(error: unknown): boolean {
  const code = codeOf(error);
  if (code.startsWith("08") || code.startsWith("57P") || SOCKET_GONE.has(code)) return true;
  return /Connection terminated|not queryable|connection error/iu.test(messageOf(error));
}

/** Retrying the same single statement is safe: it was rolled back whole. */
export function isRetryableConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === "40P01" || code === "40001";
}

export function lostConnection(target: PostgresTarget, cause: unknown): UserError {
  return new UserError(
    `The connection to the PostgreSQL store at ${target.location} was lost; what was already committed is kept; run again.`,
    EXIT.io,
    { cause },
  );
}

/** Node's TLS codes for a certificate chain that does not lead to a trusted CA. */
const CERTIFICATE_UNVERIFIED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
]);

/** Why a connection could not be made, as one sentence naming the target and what to check. */
export function connectFailure(target: PostgresTarget, error: unknown, timeoutMs: number): UserError {
  const at = `the PostgreSQL store at ${target.location}`;
  const code = codeOf(error);
  const message = messageOf(error);
  let sentence: string;
  if (code === "ECONNREFUSED") {
    sentence = `Cannot reach ${at}: the connection was refused; check that the server is running and that the host and port (URL, PGHOST, PGPORT) are right.`;
  } else if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
    sentence = `Cannot reach ${at}: the host "${target.host}" is unknown; check the host name in the URL or PGHOST.`;
  } else if (/timeout/iu.test(message) || code === "ETIMEDOUT") {
    sentence = `Cannot reach ${at}: no answer within ${timeoutMs / 1000} s; check the host, the port and any firewall in between.`;
  } else if (code === "28P01" || /password must be a string/iu.test(message)) {
    const why = code === "28P01" ? "wrong password" : "it asked for a password and none was given";
    sentence = `The server refused user "${target.user}" for ${at} (${why}); check the user and the password (in PGPASSWORD, ~/.pgpass or the URL).`;
  } else if (CERTIFICATE_UNVERIFIED.has(code)) {
    sentence = `Cannot open ${at}: its TLS certificate could not be verified (${scrub(message, target)}); add sslrootcert=<the CA file> to the URL to verify it, or use sslmode=require to encrypt without verifying.`;
  } else if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    sentence = `Cannot open ${at}: its TLS certificate is not for the host "${target.host}"; connect with the host name the certificate names, or use sslmode=verify-ca to check the CA only.`;
  } else if (/does not support SSL/iu.test(message)) {
    sentence = `Cannot open ${at}: the server does not accept TLS connections; leave sslmode out of the URL (and PGSSLMODE unset), or turn ssl on at the server.`;
  } else if (code === "28000" && /no encryption/iu.test(message)) {
    sentence = `The server accepts only encrypted connections for ${at}; add sslmode=require to the URL (or sslmode=verify-full&sslrootcert=<the CA file> to verify the server too).`;
  } else if (code === "28000") {
    sentence = `The server refused user "${target.user}" for ${at} (${scrub(message, target)}); check the user and the server's pg_hba.conf.`;
  } else if (code === "3D000") {
    sentence = `Cannot open ${at}: the database "${target.database}" does not exist; create it (createdb ${target.database}) or fix the database name in the URL or PGDATABASE.`;
  } else {
    sentence = `Cannot open ${at} (${scrub(message, target)}); check the URL and the server.`;
  }
  return new UserError(sentence, EXIT.io, { cause: error });
}

/**
 * A failure of a store statement. The server refusing the work (disk full, read-only, permissions,
 * statement timeout) is the machine's problem, exit 7; anything else, such as a violated CHECK, is a bug
 * in fluence and is rethrown as it is.
 */
export function statementFailure(target: PostgresTarget, error: unknown): unknown {
  if (isConnectionLoss(error)) return lostConnection(target, error);
  const code = codeOf(error);
  if (code.startsWith("53") || code === "25006" || code === "42501" || code === "57014" || code === "55P03") {
    return new UserError(
      `The PostgreSQL store at ${target.location} refused the work (${scrub(messageOf(error), target)}); what was already committed is kept; fix the server and run again.`,
      EXIT.io,
      { cause: error },
    );
  }
  return error;
}
